import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Restart extends NestboxCommand {
  static summary = 'Stop containers (as nestbox stop does), then start them again (as nestbox start).';
  static examples = ['sudo nestbox restart web', 'sudo nestbox restart -t 2 web db'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = { time: Flags.integer({ char: 't', description: 'seconds to wait for it to stop before SIGKILL (default: its --stop-timeout, or 10)', min: 0, max: 3600 }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Restart);
    this.requireRoot();
    const { stopContainer } = await import('../runtime/lifecycle.js');
    const { startContainer } = await import('../runtime/start.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], async (ref) => {
      await stopContainer(ref, flags.time, (line) => process.stderr.write(`nestbox: ${line}\n`));
      await startContainer(ref);
    });
  }
}
