import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageLoad extends NestboxCommand {
  static summary = 'Load images from a docker save archive (or an OCI layout), as docker load does.';
  static description = 'Every image of the archive, with every name it gives it; a name already taken moves to the loaded image, and an image the archive does not name is kept without one (use its ID). Layers are checked entry by entry, and against the config\'s diff ids, as image import checks them; a layer already here is reused. For a docker export tar (a root filesystem), use nestbox image import.';
  static aliases = ['load'];
  static examples = ['sudo nestbox image load -i app.tar', 'docker save alpine | sudo nestbox load'];
  static flags = {
    input: Flags.string({ char: 'i', description: 'read from this file instead of standard input' }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLoad);
    this.requireRoot();
    const { loadImages } = await import('../../image/load.js');
    const loaded = await loadImages(flags.input);
    if (flags.quiet) return;
    for (const name of loaded.names) console.log(`Loaded image: ${name}`);
    for (const id of loaded.ids) console.log(`Loaded image ID: sha256:${id}`);
  }
}
