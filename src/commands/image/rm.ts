import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageRm extends NestboxCommand {
  static summary = 'Remove images, and the layers no other image uses.';
  static description = 'Refused while a container made from the image exists (remove it first, or pass -f for stopped ones); a running container always blocks it.';
  static examples = ['sudo nestbox image rm alpine:3.19', 'sudo nestbox image rm -f web'];
  static strict = false;
  static args = { image: Args.string({ description: 'an image name, as `nestbox image ls` shows it', required: true }) };
  static flags = { force: Flags.boolean({ char: 'f', description: 'remove it even if stopped containers were made from it' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageRm);
    this.requireRoot();
    const { removeImage } = await import('../../image/store.js');
    for (const name of argv as string[]) {
      const r = await removeImage(name, flags.force);
      const kept = r.keptLayers.length ? `, ${r.keptLayers.length} kept (used by other images)` : '';
      console.log(`removed ${r.name}: ${r.removedLayers.length} layer${r.removedLayers.length === 1 ? '' : 's'} deleted${kept}`);
    }
  }
}
