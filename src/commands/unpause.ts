import * as Args from '@oclif/core/args';
import { NestboxCommand } from '../cli/base.js';

export default class Unpause extends NestboxCommand {
  static summary = 'Thaw a paused container.';
  static examples = ['sudo nestbox unpause web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Unpause);
    this.requireRoot();
    const { pauseContainer } = await import('../runtime/lifecycle.js');
    pauseContainer(args.container, false);
    console.log(args.container);
  }
}
