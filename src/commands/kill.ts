import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../cli/base.js';

export default class Kill extends NestboxCommand {
  static summary = 'Send a signal to a container\'s PID 1 (SIGKILL by default).';
  static examples = ['sudo nestbox kill web', 'sudo nestbox kill -s HUP web'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = { signal: Flags.string({ char: 's', description: 'signal name or number', default: 'KILL' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Kill);
    this.requireRoot();
    const { killContainer } = await import('../runtime/lifecycle.js');
    for (const ref of argv as string[]) {
      await killContainer(ref, flags.signal);
      console.log(ref);
    }
  }
}
