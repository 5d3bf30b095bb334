import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Stop extends NestboxCommand {
  static summary = 'Stop containers: SIGTERM (or the container\'s --stop-signal) to PID 1, then SIGKILL after a grace period.';
  static description = 'A PID 1 with no SIGTERM handler ignores SIGTERM (the kernel shields a namespace\'s init from signals it does not handle), so such containers stop only at the SIGKILL, after --time seconds (`run --init` gives them an init that passes SIGTERM on to the command). Several containers are stopped at once; each name is printed once its container has stopped, and one that cannot be stopped is reported without stopping the others (exit 1). A container that is not running is already stopped: its name is printed. Unlike docker stop, there is no --signal, and -t -1 (wait for ever) is refused.';
  static examples = ['sudo nestbox stop web', 'sudo nestbox stop -t 2 web db', 'sudo nestbox stop $(sudo nestbox ps -q)'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };
  static flags = { time: Flags.integer({ char: 't', aliases: ['timeout'], description: 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)', min: 0, max: 3600 }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    this.requireRoot();
    const { stopContainer } = await import('../runtime/lifecycle.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], (ref) => stopContainer(ref, flags.time, (line) => process.stderr.write(`nestbox: ${line}\n`)));
  }
}
