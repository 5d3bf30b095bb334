import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { RUN_OPTIONS } from '../cli/run-options.js';
import { runMain } from '../cli/run-main.js';

export default class Create extends NestboxCommand {
  static summary = 'Create a container without starting it (nestbox start runs it; run = create + start).';
  static description = 'Takes the options of `nestbox run` (except -d): the container is registered (its configuration, its name, its writable layer to come) and listed by `ps -a` as Created, but no namespace, cgroup or process exists yet. `nestbox start NAME` makes them and starts it; `start -a` attaches to it and returns its exit code.';
  static usage = 'create [FLAGS] ROOTFS|IMAGE [-- COMMAND [ARG...]]';
  static examples = [
    'sudo nestbox create --name job default -- /bin/sh -c "echo hello; exit 3"',
    'sudo nestbox start -a job; echo $?',
  ];
  static strict = true;
  static args = {
    rootfs: Args.string({ description: 'a root filesystem directory, an imported image, or "default"', required: true }),
  };
  static flags = Object.fromEntries(Object.entries(RUN_OPTIONS).filter(([name]) => name !== 'detach').map(([name, o]) => [name, o.type === 'boolean'
    ? Flags.boolean({ char: o.char as 'd', description: o.description, aliases: o.aliases })
    : Flags.string({ char: o.char as 'd', description: o.description, aliases: o.aliases, multiple: o.multiple as true, multipleNonGreedy: o.multiple })]));

  // bin/run.js calls runMain itself, without loading oclif; this is for any other way in.
  async run(): Promise<void> {
    await runMain(this.argv, 'create');
  }
}
