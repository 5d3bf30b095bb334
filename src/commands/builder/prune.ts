import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class BuilderPrune extends NestboxCommand {
  static summary = 'Empty the build cache, and remove the layers only it kept.';
  static description = 'The build cache remembers, for each step a build ran, the image it made, so a later build with the same step skips it. Its layers stay after image rm (as Docker\'s do) until this removes them. Asks first on a terminal, unless -f.';
  static examples = ['sudo nestbox builder prune -f'];
  static flags = {
    force: Flags.boolean({ char: 'f', description: 'do not ask' }),
    all: Flags.boolean({ char: 'a', description: 'all of the cache (nestbox\'s cache has no other kind: the same)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BuilderPrune);
    this.requireRoot();
    if (!flags.force && process.stdin.isTTY) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question('WARNING! This will remove all build cache. Are you sure you want to continue? [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const { pruneBuildCache } = await import('../../image/store.js');
    const { humanSize } = await import('../../render/docker-text.js');
    const { entries, bytes } = await pruneBuildCache();
    console.log(`Deleted build cache entries: ${entries}`);
    console.log(`Total reclaimed space: ${humanSize(bytes)}`);
  }
}
