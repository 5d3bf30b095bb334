import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Commit extends NestboxCommand {
  static summary = 'Make an image of a container: its upper directory (everything it changed) becomes one more layer.';
  static description = 'The new image is the container\'s image with one layer on top, packed from the container\'s overlay upper directory (files it added or changed, whiteouts for those it deleted), and the container\'s settings as its config: its command (ENTRYPOINT and CMD), environment, working directory, user, labels and ports; --change applies Dockerfile instructions over them (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL). A running container is paused (the cgroup freezer) while its layer is packed, unless --pause=false. Prints the new image\'s ID.';
  static examples = [
    'sudo nestbox commit web web:v2',
    'sudo nestbox commit -m "added the site" -c \'CMD ["httpd", "-f", "-p", "80"]\' web site',
  ];
  static args = {
    container: Args.string({ description: 'name or id', required: true }),
    repository: Args.string({ description: 'the image\'s name[:tag] (none: an image without a name, found by its ID)' }),
  };
  static flags = {
    author: Flags.string({ char: 'a', description: 'the author, kept in the config' }),
    message: Flags.string({ char: 'm', description: 'a commit message, shown by image history' }),
    change: Flags.string({ char: 'c', multiple: true, multipleNonGreedy: true, description: 'a Dockerfile instruction to apply, e.g. \'ENV MODE=prod\'' }),
    pause: Flags.boolean({ char: 'p', description: 'pause the container while its layer is packed (default)', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Commit);
    this.requireRoot();
    const { commitContainer } = await import('../image/commit.js');
    const r = await commitContainer(args.container, args.repository, { author: flags.author, message: flags.message, changes: flags.change, pause: flags.pause });
    console.log(`sha256:${r.id}`);
  }
}
