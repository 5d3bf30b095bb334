import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class VolumeCreate extends NestboxCommand {
  static summary = 'Create a volume: a directory that outlives containers, mounted with run -v NAME:/path.';
  static description = 'Without a name, a random one of 64 hex digits (as Docker). Creating a volume that exists is not an error. Its files live in /var/lib/nestbox/volumes/NAME/_data; a new, empty volume is filled with what the image has at the path where it is first mounted. Only the local driver exists, and it takes no options (-o).';
  static examples = ['sudo nestbox volume create data', 'sudo nestbox volume create --label team=web'];
  static args = { name: Args.string({ description: 'letters, digits, _ . - (starting with a letter or digit, at least 2)' }) };
  static flags = {
    label: Flags.string({ multiple: true, multipleNonGreedy: true, description: 'a label KEY=VALUE (shown by volume inspect)' }),
    driver: Flags.string({ char: 'd', description: 'the volume driver: only local', default: 'local' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(VolumeCreate);
    this.requireRoot();
    const { UserError } = await import('../../errors.js');
    if (flags.driver !== 'local') throw new UserError(`--driver ${flags.driver}: nestbox has only the local driver`, 1);
    const labels = Object.fromEntries((flags.label ?? []).map((l) => [l.split('=')[0], l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
    const { createVolume } = await import('../../runtime/volumes.js');
    const { newVolumeName } = await import('../../runtime/mount-spec.js');
    console.log(createVolume(args.name ?? newVolumeName(), labels).volume.Name);
  }
}
