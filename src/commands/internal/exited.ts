import * as Args from '@oclif/core/args';
import { NestboxCommand } from '../../cli/base.js';

export default class InternalExited extends NestboxCommand {
  static summary = 'Record a detached container\'s exit and release what it held (run by its monitor).';
  static hidden = true;
  static args = { id: Args.string({ required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(InternalExited);
    const { containerExited } = await import('../../runtime/run.js');
    await containerExited(args.id);
  }
}
