import { Args } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class RootfsRm extends NestboxCommand {
  static summary = 'Remove a root filesystem built by `nestbox rootfs create`.';
  static args = {
    name: Args.string({ description: 'its name, as `nestbox rootfs ls` shows it', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(RootfsRm);
    this.requireRoot();
    const { removeRootfs } = await import('../../rootfs/build.js');
    console.log(`removed ${removeRootfs(args.name)}`);
  }
}
