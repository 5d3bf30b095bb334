import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Top extends NestboxCommand {
  static summary = 'The processes of a container, with their PIDs on the host and inside.';
  static examples = ['sudo nestbox top web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Top);
    this.requireRoot();
    const { containerTop } = await import('../runtime/lifecycle.js');
    const { columns } = await import('../render/table.js');
    const rows = containerTop(args.container).map((p) => [String(p.pid), String(p.inside), String(p.user), p.command]);
    for (const line of columns([['PID (host)', 'PID (inside)', 'UID', 'COMMAND'], ...rows])) console.log(line);
  }
}
