import { Args } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageTag extends NestboxCommand {
  static summary = 'Give an image another name, as docker tag does: the same image (same ID, same layers) under both.';
  static description = 'TARGET is name[:tag] (default tag: latest). A name that another image had moves to this one. Removing one of the names (image rm) leaves the image under the other.';
  static aliases = ['tag'];
  static examples = ['sudo nestbox image tag app app:v1', 'sudo nestbox tag 1a2b3c4d5e6f hello'];
  static args = {
    source: Args.string({ description: 'an image name or ID', required: true }),
    target: Args.string({ description: 'the new name, name[:tag]', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ImageTag);
    this.requireRoot();
    const { tagImage } = await import('../../image/store.js');
    await tagImage(args.source, args.target);
  }
}
