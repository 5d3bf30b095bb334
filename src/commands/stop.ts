import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../cli/base.js';

export default class Stop extends NestboxCommand {
  static summary = 'Stop containers: SIGTERM (or the container\'s --stop-signal) to PID 1, then SIGKILL after a grace period.';
  static description = 'A PID 1 with no SIGTERM handler ignores SIGTERM (the kernel shields a namespace\'s init from signals it does not handle), so such containers stop only at the SIGKILL, after --time seconds (`run --init` gives them an init that passes SIGTERM on to the command).';
  static examples = ['sudo nestbox stop web', 'sudo nestbox stop -t 2 web db'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = { time: Flags.integer({ char: 't', description: 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)', min: 0, max: 3600 }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    this.requireRoot();
    const { stopContainer } = await import('../runtime/lifecycle.js');
    for (const ref of argv as string[]) {
      await stopContainer(ref, flags.time, (line) => process.stderr.write(`nestbox: ${line}\n`));
      console.log(ref);
    }
  }
}
