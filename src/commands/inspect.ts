import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

/** An image, as image inspect shows it; `missing` is the error to give when there is none either. */
async function imageInfo(ref: string, missing?: Error): Promise<Record<string, unknown>> {
  const { findImage } = await import('../runtime/images.js');
  const image = findImage(ref);
  if (!image) {
    if (missing) throw missing;
    const { UserError } = await import('../errors.js');
    throw new UserError(`no such image: ${ref} (see nestbox images)`, 1);
  }
  const { inspectImage } = await import('../image/image-view.js');
  return inspectImage(image);
}

export default class Inspect extends NestboxCommand {
  static summary = 'Everything about containers, as docker inspect shows it: state, PID, exit code, OOM kill, config, limits, address, ports.';
  static description = [
    'The JSON has Docker\'s shape and field names (Id, Created, State, HostConfig, Config, NetworkSettings, Mounts...); what only nestbox records (cgroup directories, the capabilities kept, the host end of the veth pair) is under "Nestbox". Unlike Docker\'s, Id has 12 hex digits (Docker\'s have 64), and Image is the image\'s name (Docker gives its id there and the name in Config.Image).',
    'A name that is no container is looked up as an image (then the JSON is image inspect\'s), as docker inspect does; --type container|image looks for one kind only.',
    '-f takes a Go template, run on each container: one line each, for example -f \'{{.State.ExitCode}}\', \'{{json .State}}\', \'{{.Name}}\', \'{{index .Config.Labels "KEY"}}\', \'{{range .Mounts}}{{.Source}} {{end}}\'. A name that is not a container is reported on stderr, the others are still shown (exit 1).',
  ].join('\n\n');
  static examples = [
    'sudo nestbox inspect web',
    'sudo nestbox inspect -f \'{{.State.Status}} {{.State.ExitCode}}\' web db',
    'sudo nestbox inspect --format \'{{json .HostConfig.RestartPolicy}}\' web',
  ];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };
  static flags = {
    format: Flags.string({ char: 'f', description: 'a Go template, run on each container' }),
    size: Flags.boolean({ char: 's', description: 'add SizeRw and SizeRootFs: bytes the container wrote, and with its image' }),
    type: Flags.string({ description: 'container or image: look for that kind of object only', options: ['container', 'image'] }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Inspect);
    this.requireRoot();
    const { findContainer, NoSuchContainer } = await import('../runtime/store.js');
    const { inspect } = await import('../runtime/inspect.js');
    const { containerSize } = await import('../runtime/ps-view.js');
    const { reportError } = await import('../cli/report-error.js');
    const found: Record<string, unknown>[] = [];
    const missing: Error[] = [];
    for (const ref of argv as string[]) {
      try {
        if (flags.type === 'image') {
          found.push(await imageInfo(ref));
          continue;
        }
        let c;
        try {
          c = findContainer(ref);
        } catch (err) {
          if (!(err instanceof NoSuchContainer) || flags.type === 'container') throw err;
          found.push(await imageInfo(ref, err));
          continue;
        }
        const info = inspect(c);
        if (flags.size) {
          const size = await containerSize(c);
          Object.assign(info, { SizeRw: size.rw, SizeRootFs: size.rootfs });
        }
        found.push(info);
      } catch (err) {
        missing.push(err as Error);
      }
    }
    if (flags.format === undefined) {
      // As Docker: an indented JSON array of those found ("[]" when none was).
      console.log(JSON.stringify(found, null, 4));
    } else {
      const { renderTemplate } = await import('../render/template.js');
      const template = flags.format === 'json' ? '{{json .}}' : flags.format;
      // One line per container; a template that fails on one stops there, after what it printed.
      for (const info of found) process.stdout.write(renderTemplate(template, info) + '\n');
    }
    for (const err of missing) reportError(err, 1);
    if (missing.length) process.exitCode = 1;
  }
}
