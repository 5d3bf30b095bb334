import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Kill extends NestboxCommand {
  static summary = 'Send a signal to a container\'s PID 1 (SIGKILL by default).';
  static description = 'Each name is printed once its container was signalled; a container that is not running is reported on stderr without stopping the others (exit 1).';
  static examples = ['sudo nestbox kill web', 'sudo nestbox kill -s HUP web', 'sudo nestbox kill --signal=SIGUSR1 web db'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };
  static flags = { signal: Flags.string({ char: 's', description: 'signal name or number (KILL, SIGHUP, 15...)', default: 'KILL' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Kill);
    this.requireRoot();
    const { killContainer, killSignalNumber } = await import('../runtime/lifecycle.js');
    killSignalNumber(flags.signal);
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], (ref) => killContainer(ref, flags.signal));
  }
}
