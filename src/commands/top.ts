import * as Args from '@oclif/core/args';
import { NestboxCommand, requireRoot } from '../cli/base.js';

export default class Top extends NestboxCommand {
  static summary = 'The processes of a container, with their PIDs on the host and inside.';
  static examples = ['sudo nestbox top web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Top);
    requireRoot('nestbox top');
    const { containerTop } = await import('../runtime/lifecycle.js');
    console.log('PID (host)  PID (inside)  UID    COMMAND');
    for (const p of containerTop(args.container)) console.log(`${String(p.pid).padEnd(11)} ${String(p.inside).padEnd(13)} ${String(p.user).padEnd(6)} ${p.command}`);
  }
}
