import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Unpause extends NestboxCommand {
  static summary = 'Thaw paused containers.';
  static description = 'Each name is printed once its container is done; one that cannot be unpaused is reported on stderr without stopping the others (exit 1).';
  static examples = ['sudo nestbox unpause web', 'sudo nestbox unpause web db'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Unpause);
    this.requireRoot();
    const { pauseContainer } = await import('../runtime/lifecycle.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], async (ref) => pauseContainer(ref, false));
  }
}
