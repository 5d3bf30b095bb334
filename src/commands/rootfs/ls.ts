import { Flags } from '../../cli/oclif.js';
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
    const { columns } = await import('../../render/table.js');
    const rows = list.map((r) => [r.name, r.kind, `${(r.bytes / 1048576).toFixed(1)} MiB`, r.created.slice(0, 19).replace('T', ' ')]);
    for (const line of columns([['NAME', 'KIND', 'SIZE', 'CREATED'], ...rows], { right: [2] })) console.log(line);
  }
}
