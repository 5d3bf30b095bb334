import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Wait extends NestboxCommand {
  static summary = 'Wait until containers stop, then print their exit codes.';
  static examples = ['sudo nestbox wait job', 'code=$(sudo nestbox wait job)'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Wait);
    this.requireRoot();
    const { waitContainer } = await import('../runtime/lifecycle.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], (ref) => waitContainer(ref), { line: (_, code) => String(code) });
  }
}
