import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Pause extends NestboxCommand {
  static summary = 'Freeze every process of containers (the cgroup freezer).';
  static description = 'Each name is printed once its container is done; one that cannot be paused is reported on stderr without stopping the others (exit 1).';
  static examples = ['sudo nestbox pause web', 'sudo nestbox pause web db'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Pause);
    this.requireRoot();
    const { pauseContainer } = await import('../runtime/lifecycle.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], async (ref) => pauseContainer(ref, true));
  }
}
