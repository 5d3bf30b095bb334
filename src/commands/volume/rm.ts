import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class VolumeRm extends NestboxCommand {
  static summary = 'Remove volumes and their files.';
  static description = 'A volume that any container mounts, running or stopped, is refused ("volume is in use"), with the containers\' ids: remove them first. With several names each one is tried, and the command fails if any could not be removed.';
  static examples = ['sudo nestbox volume rm data', 'sudo nestbox volume rm -f data old'];
  static hiddenAliases = ['volume:remove'];
  static strict = false;
  static args = { volume: Args.string({ description: 'a volume name', required: true }) };
  static flags = { force: Flags.boolean({ char: 'f', description: 'a volume that does not exist is not an error (one in use is still refused)' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(VolumeRm);
    this.requireRoot();
    const { removeVolume } = await import('../../runtime/volumes.js');
    for (const name of argv as string[]) {
      try {
        removeVolume(name, flags.force);
        console.log(name);
      } catch (err) {
        process.stderr.write(`nestbox: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    }
  }
}
