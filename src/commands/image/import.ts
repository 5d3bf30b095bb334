import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageImport extends NestboxCommand {
  static summary = 'Import an image from a docker save archive, an OCI image layout or a docker export tar.';
  static description = 'Each layer is checked entry by entry before anything is written (no absolute paths, no "..", no links out of the layer, no device nodes), then unpacked once under /var/lib/nestbox/layers, named by its sha256: images that share a layer share its directory. The image\'s config is kept as it is, so its ID (the config\'s sha256) is Docker\'s; a docker export tar gets a config of its own, with no command. The name comes from --name, else the archive (its first RepoTag, or its OCI ref.name annotation), else the file name; without a tag it is NAME:latest. A name already taken is refused (image load, as docker load, moves it to the new image instead).';
  static examples = [
    'docker save alpine:3.19 -o alpine.tar && sudo nestbox image import alpine.tar',
    'sudo nestbox image import ./oci-layout-dir --name myapp:1.0',
    'docker export web > web.tar && sudo nestbox image import web.tar --name web',
  ];
  static args = {
    file: Args.string({ description: 'a tar (plain or gzip), or an OCI layout directory', required: true }),
  };
  static flags = {
    name: Flags.string({ description: 'the image name, name[:tag] (lower case, digits, _ . -)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageImport);
    this.requireRoot();
    const { importImage } = await import('../../image/import.js');
    const result = await importImage(args.file, { name: flags.name }, (i, of, layer) => {
      console.log(`layer ${i}/${of}  sha256:${layer.id.slice(0, 12)}  ${layer.reused ? 'reused (already unpacked for another image)' : 'unpacked'}`);
    });
    const reused = result.layers.filter((l) => l.reused).length;
    const kind = { 'docker-save': 'a docker save archive', oci: 'an OCI layout', rootfs: 'a root filesystem tar' }[result.format];
    console.log(`imported ${result.name} from ${kind}: ${result.layers.length} layer${result.layers.length === 1 ? '' : 's'}, ${reused} reused, ${(result.size / 1048576).toFixed(1)} MiB`);
    if (result.images > 1) console.log(`note: the archive holds ${result.images} images; only the first was imported`);
  }
}
