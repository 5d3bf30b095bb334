import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageLs extends NestboxCommand {
  static summary = 'List imported images.';
  static examples = ['nestbox image ls', 'nestbox image ls --json'];
  static flags = {
    json: Flags.boolean({ description: 'print the manifests as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    this.requireRoot();
    const { listImages } = await import('../../image/store.js');
    const images = listImages();
    if (flags.json) return void console.log(JSON.stringify(images, null, 2));
    if (!images.length) return void console.log('no images yet (sudo nestbox image import FILE)');
    const rows = images.map((m) => [
      m.name, String(m.layers.length), m.size === undefined ? '' : `${(m.size / 1048576).toFixed(1)} MiB`,
      m.created.slice(0, 19).replace('T', ' '), m.source,
    ]);
    const head = ['NAME', 'LAYERS', 'SIZE', 'CREATED', 'SOURCE'];
    const { columns } = await import('../../render/table.js');
    for (const line of columns([head, ...rows], { right: [1, 2] })) console.log(line);
  }
}
