import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class RootfsCreate extends NestboxCommand {
  static summary = 'Build a minimal root filesystem on this machine, with no download.';
  static description = 'Uses a static busybox when busybox-static is installed; otherwise copies the host\'s own sh, ls, ps, hostname, cat, mount, ip, sleep, id (and a few more) with the shared libraries they need, found by reading each binary\'s ELF headers. DIR defaults to /var/lib/nestbox/rootfs/default; labs and `run` build that one on first use.';
  static examples = ['sudo nestbox rootfs create', 'sudo nestbox rootfs create /tmp/myroot --host'];
  static args = {
    dir: Args.string({ description: 'where to build it (a new directory)' }),
  };
  static flags = {
    force: Flags.boolean({ description: 'replace DIR if it exists' }),
    host: Flags.boolean({ description: "use the host's binaries even when busybox-static is installed" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RootfsCreate);
    this.requireRoot();
    const { createRootfs } = await import('../../rootfs/build.js');
    const { rootfsDir } = await import('../../host/paths.js');
    const { resolve } = await import('node:path');
    const target = args.dir ? resolve(args.dir) : rootfsDir();
    const info = createRootfs(target, { force: flags.force, useHost: flags.host });
    console.log(`built ${info.path}: ${info.kind === 'busybox' ? 'static busybox' : "host binaries and their libraries"}, ${info.programs} programs, ${(info.bytes / 1048576).toFixed(1)} MiB`);
  }
}
