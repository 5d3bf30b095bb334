import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Diff extends NestboxCommand {
  static summary = 'What a container changed in its root: A added, C changed, D deleted, read from its writable layer.';
  static description = 'The container\'s writable layer is the overlay\'s upper directory (lesson 9): every file it created or changed was written there (a changed file is first copied up from the image), and a deleted one left a whiteout, a character device 0:0. Paths under volumes and other mounts are not in that layer, so they are not listed, as in Docker.';
  static examples = ['sudo nestbox diff web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Diff);
    this.requireRoot();
    const { containerChanges } = await import('../runtime/diff.js');
    for (const c of await containerChanges(args.container)) console.log(`${c.kind} ${c.path}`);
  }
}
