import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageSave extends NestboxCommand {
  static summary = 'Save images to a tar archive, as docker save writes it: docker load and nestbox image load read it.';
  static description = 'The layout of Docker 25 and later: every layer (an uncompressed tar), config and OCI manifest under blobs/sha256/, named by its sha256, with manifest.json (Docker\'s index of them) and index.json (the same as an OCI image layout). Each layer is packed again from its directory; a layer nestbox built or saved comes out byte for byte as its diff id says, so the image keeps its ID. A layer another tool packed comes out as other bytes: the saved config then lists the new digests, and the image has a new ID in the archive (save says so on stderr).';
  static aliases = ['save'];
  static examples = ['sudo nestbox image save -o app.tar app', 'sudo nestbox save app:v1 app:v2 > both.tar', 'sudo nestbox image save app | docker load'];
  static strict = false;
  static args = { image: Args.string({ description: 'an image name or ID (several may be given)', required: true }) };
  static flags = { output: Flags.string({ char: 'o', description: 'write to this file instead of standard output' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageSave);
    this.requireRoot();
    const { saveImages } = await import('../../image/save.js');
    await saveImages(argv as string[], flags.output, (line) => process.stderr.write(`nestbox: ${line}\n`));
  }
}
