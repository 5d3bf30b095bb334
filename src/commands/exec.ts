import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { splitAtCommand } from '../cli/command-args.js';

export default class Exec extends NestboxCommand {
  static summary = 'Run a command in a running container: join its namespaces and cgroup, like nsenter.';
  static examples = ['sudo nestbox exec web ps', 'sudo nestbox exec -it web /bin/sh', 'sudo nestbox exec -d web /bin/sh -c "sleep 60"'];
  static usage = 'exec [-d] [-i] [-t] [-e KEY=VALUE...] [-w DIR] [-u USER[:GROUP]] CONTAINER COMMAND [ARG...]';
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    detach: Flags.boolean({ char: 'd', description: 'return at once and leave the command running in the container, its output discarded (the host\'s init collects it when it ends, where Docker\'s containerd-shim would)' }),
    interactive: Flags.boolean({ char: 'i', description: 'keep standard input connected' }),
    tty: Flags.boolean({ char: 't', description: 'give it a terminal of its own, joined to yours' }),
    env: Flags.string({ char: 'e', description: 'KEY=VALUE', multiple: true, multipleNonGreedy: true }),
    workdir: Flags.string({ char: 'w', description: 'working directory inside' }),
    user: Flags.string({ char: 'u', description: 'run as user[:group], names or numbers from the container\'s /etc/passwd and /etc/group (default: the container\'s user)' }),
  };

  async run(): Promise<void> {
    // Everything after the container is the command, flags included (as in docker exec).
    const { own, command } = splitAtCommand(this.argv, Exec.flags);
    const { args, flags } = await this.parse(Exec, own);
    this.requireRoot();
    (await import('../runtime/terminal.js')).checkTerminalInput(flags);
    const { execInContainer } = await import('../runtime/lifecycle.js');
    const { parseEnv } = await import('../runtime/spec.js');
    try {
      process.exitCode = await execInContainer(args.container, command, {
        interactive: flags.interactive, tty: flags.tty, env: parseEnv(flags.env ?? [], []), workdir: flags.workdir, user: flags.user, detach: flags.detach,
      });
    } finally {
      await (await import('../kernel/spawn.js')).threadsSettled();
    }
  }
}
