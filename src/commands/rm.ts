import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Rm extends NestboxCommand {
  static summary = 'Remove stopped containers (their writable layer and log go too; volumes stay unless -v).';
  static description = 'Several containers are removed at once; each name is printed as given once its container is gone, and one that cannot be removed is reported without stopping the others (exit 1). With -f, a running container is killed first, and a name that is not there is reported but is not a failure (as in Docker), so `nestbox rm -f $(nestbox ps -aq)` removes everything. Named volumes always stay; anonymous ones (run -v /path) stay too unless -v, as in Docker, and a container run with --rm loses its anonymous volumes when it is removed.';
  static examples = ['sudo nestbox rm web', 'sudo nestbox rm -f web db', 'sudo nestbox rm -f $(sudo nestbox ps -aq)', 'sudo nestbox rm -v web'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (several may be given)', required: true }) };
  static flags = {
    force: Flags.boolean({ char: 'f', description: 'stop it first if it is running (SIGKILL)' }),
    volumes: Flags.boolean({ char: 'v', description: 'remove its anonymous volumes too (named ones stay)' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Rm);
    this.requireRoot();
    const { removeContainer } = await import('../runtime/lifecycle.js');
    const { NoSuchContainer } = await import('../runtime/store.js');
    const { eachContainer } = await import('../cli/each-container.js');
    await eachContainer(argv as string[], (ref) => removeContainer(ref, flags.force, flags.volumes), { harmless: (err) => flags.force && err instanceof NoSuchContainer });
  }
}
