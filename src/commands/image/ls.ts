import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageLs extends NestboxCommand {
  static summary = 'List images, as docker images does.';
  static description = 'Docker\'s columns (REPOSITORY, TAG, IMAGE ID, CREATED, SIZE) and --format fields: {{.Repository}} {{.Tag}} {{.ID}} {{.CreatedSince}} {{.CreatedAt}} {{.Size}}. An image built without -t has no name: <none> <none>. SIZE is the bytes of its unpacked layers (a layer shared with other images counts in each). --json prints what nestbox keeps for each image (its manifest, with its layers and ID).';
  static aliases = ['images'];
  static examples = ['sudo nestbox image ls', 'sudo nestbox images -q', 'sudo nestbox image ls --format "{{.Repository}}:{{.Tag}} {{.ID}}"'];
  static flags = {
    all: Flags.boolean({ char: 'a', description: 'all images (nestbox keeps no intermediate images: the same list)' }),
    quiet: Flags.boolean({ char: 'q', description: 'only the image IDs' }),
    'no-trunc': Flags.boolean({ description: 'full image IDs (sha256:...)' }),
    format: Flags.string({ description: 'a Go template, "table TEMPLATE", or "json"' }),
    json: Flags.boolean({ description: 'print the manifests as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    this.requireRoot();
    const { listImages } = await import('../../image/store.js');
    const images = listImages();
    if (flags.json) return void console.log(JSON.stringify(images.map(({ configText: _t, configFile: _f, ...m }) => m), null, 2));
    const { imageRow, IMAGE_HEADERS, IMAGES_FORMAT } = await import('../../image/image-view.js');
    const { formatTable } = await import('../../render/template.js');
    if (flags.quiet) {
      // One line per image, not per name, as Docker's -q.
      const ids = [...new Set(images.map((m) => (flags['no-trunc'] ? `sha256:${m.id}` : m.id.slice(0, 12))))];
      return void ids.forEach((id) => console.log(id));
    }
    const format = !flags.format || flags.format.trim() === 'table' ? IMAGES_FORMAT : flags.format;
    const now = Date.now();
    const rows = images.map((m) => imageRow(m, { noTrunc: flags['no-trunc'], now }));
    for (const line of formatTable(format, rows, IMAGE_HEADERS)) console.log(line);
  }
}
