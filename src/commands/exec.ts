import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand, requireRoot } from '../cli/base.js';

export default class Exec extends NestboxCommand {
  static summary = 'Run a command in a running container: join its namespaces and cgroup, like nsenter.';
  static examples = ['sudo nestbox exec web ps', 'sudo nestbox exec -it web /bin/sh'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    interactive: Flags.boolean({ char: 'i', description: 'keep standard input connected' }),
    tty: Flags.boolean({ char: 't', description: 'use your terminal' }),
    env: Flags.string({ char: 'e', description: 'KEY=VALUE', multiple: true, multipleNonGreedy: true }),
    workdir: Flags.string({ char: 'w', description: 'working directory inside' }),
  };

  async run(): Promise<void> {
    // Everything after the container is the command, flags included (as in docker exec).
    const i = this.argv.findIndex((a, k) => !a.startsWith('-') && !['-e', '--env', '-w', '--workdir'].includes(this.argv[k - 1]));
    const own = i < 0 ? this.argv : this.argv.slice(0, i + 1);
    const command = i < 0 ? [] : this.argv.slice(i + 1).filter((a, k) => !(k === 0 && a === '--'));
    const { args, flags } = await this.parse({ ...Exec, strict: true }, own);
    requireRoot('nestbox exec');
    const { execInContainer } = await import('../runtime/lifecycle.js');
    try {
      process.exitCode = await execInContainer(args.container, command, { interactive: flags.interactive || flags.tty, tty: flags.tty, env: flags.env, workdir: flags.workdir });
    } finally {
      await (await import('../kernel/spawn.js')).threadsSettled();
    }
  }
}
