import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Export extends NestboxCommand {
  static summary = 'Write a container\'s whole filesystem as a tar archive, as docker export does.';
  static description = 'What the container sees as its root: its image\'s layers with its own upper directory over them, merged by overlayfs\'s rules (deleted files left out), read from the layer directories, running or not. Its volumes and mounts are not in it. The tar is a root filesystem: nestbox image import (or docker import) makes an image of one layer from it.';
  static examples = ['sudo nestbox export -o web.tar web', 'sudo nestbox export web | tar -t | head'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = { output: Flags.string({ char: 'o', description: 'write to this file instead of standard output' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    this.requireRoot();
    const { exportContainer } = await import('../image/commit.js');
    await exportContainer(args.container, flags.output);
  }
}
