import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Rename extends NestboxCommand {
  static summary = 'Rename a container, running or not (its hostname stays as it was, as in Docker).';
  static examples = ['sudo nestbox rename web web-old'];
  static args = {
    container: Args.string({ description: 'its name or id', required: true }),
    name: Args.string({ description: 'the new name (letters, digits, _ . -); one in use is refused', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Rename);
    this.requireRoot();
    const { renameContainer } = await import('../runtime/rename.js');
    renameContainer(args.container, args.name);
  }
}
