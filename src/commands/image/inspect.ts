import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageInspect extends NestboxCommand {
  static summary = 'Everything about images, as docker image inspect shows it: ID, tags, config, layers.';
  static description = 'Docker\'s shape: Id (sha256 of the config), RepoTags, Created, Author, Config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels), Architecture, Os, Size, RootFS.Layers (the diff ids, bottom first); where nestbox keeps each layer is under Nestbox.LayerDirs. -f takes a Go template, for example \'{{json .RootFS.Layers}}\' or \'{{.Config.Cmd}}\'.';
  static examples = ['sudo nestbox image inspect app', 'sudo nestbox image inspect -f \'{{json .RootFS.Layers}}\' app', 'sudo nestbox image inspect -f \'{{.Id}}\' app:v1'];
  static strict = false;
  static args = { image: Args.string({ description: 'an image name or ID (several may be given)', required: true }) };
  static flags = { format: Flags.string({ char: 'f', description: 'a Go template, run on each image' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageInspect);
    this.requireRoot();
    const { requireImage } = await import('../../image/store.js');
    const { inspectImage } = await import('../../image/image-view.js');
    const { reportError } = await import('../../cli/report-error.js');
    const found: Record<string, unknown>[] = [];
    const missing: Error[] = [];
    for (const ref of argv as string[]) {
      try { found.push(inspectImage(requireImage(ref))); } catch (err) { missing.push(err as Error); }
    }
    if (flags.format === undefined) console.log(JSON.stringify(found, null, 4));
    else {
      const { renderTemplate } = await import('../../render/template.js');
      const template = flags.format === 'json' ? '{{json .}}' : flags.format;
      for (const info of found) process.stdout.write(renderTemplate(template, info) + '\n');
    }
    for (const err of missing) reportError(err, 1);
    if (missing.length) process.exitCode = 1;
  }
}
