import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageRm extends NestboxCommand {
  static summary = 'Remove images, and the layers nothing else uses, as docker rmi does.';
  static description = 'Prints Docker\'s lines: "Untagged: NAME", then, once no name is left on the image, "Deleted: sha256:ID" and one "Deleted:" per layer removed (by its diff id). A layer another image, a container or the build cache still uses stays. Refused while a container made from the image exists (remove it first, or pass -f for stopped ones); a running container always blocks it. An image with another name is only untagged.';
  static aliases = ['rmi'];
  static examples = ['sudo nestbox image rm alpine:3.19', 'sudo nestbox rmi -f web'];
  static strict = false;
  static args = { image: Args.string({ description: 'an image name or ID, as `nestbox image ls` shows it', required: true }) };
  static flags = { force: Flags.boolean({ char: 'f', description: 'remove it even if stopped containers were made from it' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageRm);
    this.requireRoot();
    const { removeImage } = await import('../../image/store.js');
    const { eachContainer } = await import('../../cli/each-container.js');
    // Each image on its own, as Docker: one that cannot be removed is reported, the others still go.
    await eachContainer(argv as string[], async (ref) => {
      const r = await removeImage(ref, flags.force);
      const lines = r.name.startsWith('<none>') ? [] : [`Untagged: ${r.name}`];
      if (!r.untagged) lines.push(`Deleted: sha256:${r.id}`, ...r.removedLayers.map((l) => `Deleted: sha256:${l}`));
      return lines.join('\n');
    }, { line: (_ref, lines) => lines as string });
  }
}
