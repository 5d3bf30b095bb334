import { Args } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class VolumeInspect extends NestboxCommand {
  static summary = 'Show volumes as JSON, in Docker\'s shape: CreatedAt, Driver, Labels, Mountpoint, Name, Options, Scope.';
  static examples = ['sudo nestbox volume inspect data'];
  static strict = false;
  static args = { volume: Args.string({ description: 'a volume name', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(VolumeInspect);
    this.requireRoot();
    const { readVolume } = await import('../../runtime/volumes.js');
    const names = argv as string[];
    const found = names.map(readVolume);
    // As Docker: the volumes found are printed, each missing one is an error, and any makes it fail.
    console.log(JSON.stringify(found.filter(Boolean), null, 2));
    names.forEach((n, i) => { if (!found[i]) process.stderr.write(`nestbox: no such volume: ${n}\n`); });
    if (found.some((v) => !v)) process.exitCode = 1;
  }
}
