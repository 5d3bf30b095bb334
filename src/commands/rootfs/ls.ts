import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../../cli/base.js';

export default class RootfsLs extends NestboxCommand {
  static summary = 'List the root filesystems under /var/lib/nestbox/rootfs.';
  static flags = {
    json: Flags.boolean({ description: 'print as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RootfsLs);
    const { listRootfs } = await import('../../rootfs/build.js');
    const list = listRootfs();
    if (flags.json) return void console.log(JSON.stringify(list, null, 2));
    if (!list.length) return void console.log('no root filesystems yet (sudo nestbox rootfs create)');
    console.log(['NAME'.padEnd(16), 'KIND'.padEnd(8), 'SIZE'.padStart(9), '  CREATED'].join(''));
    for (const r of list) {
      console.log([r.name.padEnd(16), r.kind.padEnd(8), `${(r.bytes / 1048576).toFixed(1)} MiB`.padStart(9), '  ' + r.created.slice(0, 19).replace('T', ' ')].join(''));
    }
  }
}
