import * as Args from '@oclif/core/args';
import { NestboxCommand } from '../cli/base.js';

export default class Pause extends NestboxCommand {
  static summary = 'Freeze every process of a container (the cgroup freezer).';
  static examples = ['sudo nestbox pause web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Pause);
    this.requireRoot();
    const { pauseContainer } = await import('../runtime/lifecycle.js');
    pauseContainer(args.container, true);
    console.log(args.container);
  }
}
