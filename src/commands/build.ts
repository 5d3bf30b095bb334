import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Build extends NestboxCommand {
  static summary = 'Build an image from a Dockerfile: each RUN in a real container whose upper directory becomes a layer.';
  static description = [
    'Offline, as Docker\'s classic builder: FROM (an image of nestbox image ls, default for nestbox\'s own root filesystem, or scratch), RUN (shell and exec forms, in a container made as nestbox run makes one, with the build\'s ENV and ARGs; its upper directory, packed as a tar, is the layer, named by its sha256), COPY and ADD (files of the context, --chown, --chmod; ADD also unpacks a local tar), ENV, ARG (--build-arg), WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE, LABEL, VOLUME, SHELL, STOPSIGNAL. .dockerignore leaves files out of the context.',
    'Each step prints its line and the ID of the image it made. A step whose inputs did not change (the image before it, the instruction, for COPY and ADD the files\' contents) is taken from the build cache: " ---> Using cache", and it is not run again. A build whose every step is cached gives the same image ID.',
    'Not in nestbox: a second FROM (multi-stage builds), COPY --from, RUN --mount, here-documents, ADD from a URL, HEALTHCHECK and ONBUILD. Without -t the image has no name, as Docker\'s <none>:<none>: use its ID. `nestbox builder prune` empties the build cache.',
  ].join('\n\n');
  static usage = 'build [FLAGS] PATH';
  static examples = [
    'sudo nestbox build -t hello:v1 .',
    'sudo nestbox build -t app -f docker/Dockerfile --build-arg VERSION=2 .',
    'sudo nestbox build --no-cache -t app .',
    'sudo nestbox image history app',
  ];
  static args = { path: Args.string({ description: 'the build context: the directory COPY and ADD take files from', required: true }) };
  static flags = {
    tag: Flags.string({ char: 't', multiple: true, multipleNonGreedy: true, description: 'name the image name[:tag] (default tag: latest); may be given several times' }),
    file: Flags.string({ char: 'f', description: 'the Dockerfile (default PATH/Dockerfile; - reads it from standard input)' }),
    'build-arg': Flags.string({ multiple: true, multipleNonGreedy: true, description: 'set an ARG: KEY=VALUE (KEY alone: its value in this environment)' }),
    'no-cache': Flags.boolean({ description: 'run every step, taking nothing from the build cache' }),
    quiet: Flags.boolean({ char: 'q', description: 'print only the image ID' }),
    network: Flags.string({ description: 'the network of RUN\'s containers: bridge (default), none or host' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Build);
    this.requireRoot();
    let dockerfileText: string | undefined;
    if (flags.file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      dockerfileText = Buffer.concat(chunks).toString('utf8');
    }
    const { build } = await import('../build/builder.js');
    await build({
      context: args.path,
      dockerfile: flags.file === '-' ? undefined : flags.file,
      dockerfileText,
      tags: flags.tag ?? [],
      buildArgs: flags['build-arg'] ?? [],
      noCache: flags['no-cache'],
      quiet: flags.quiet,
      network: flags.network,
    });
  }
}
