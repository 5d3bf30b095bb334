import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { UserError } from '../errors.js';

export default class Start extends NestboxCommand {
  static summary = 'Start created or stopped containers again, with their files as they left them.';
  static description = 'The container is made again from its saved configuration: new namespaces, a new cgroup, a new network connection and a new PID 1, over the same writable layer, so files it changed are still changed. Its log goes on where it ended. -a attaches to it (output, and with -i your input) and returns its exit code; Ctrl-P Ctrl-Q detaches and leaves it running.';
  static examples = ['sudo nestbox start web', 'sudo nestbox start -ai shell', 'sudo nestbox start -a job; echo $?'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    attach: Flags.boolean({ char: 'a', description: 'attach to its output, and return its exit code' }),
    interactive: Flags.boolean({ char: 'i', description: 'attach your input too (with -a)' }),
    'detach-keys': Flags.string({ description: 'the keys that detach (default ctrl-p,ctrl-q)' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Start);
    this.requireRoot();
    const refs = argv as string[];
    const { startContainer } = await import('../runtime/start.js');
    if (!flags.attach && !flags.interactive) {
      const { eachContainer } = await import('../cli/each-container.js');
      return eachContainer(refs, async (ref) => { await startContainer(ref); });
    }
    if (refs.length > 1) throw new UserError('start -a and -i take one container: attaching to several at once is not possible', 1);
    const { attachContainer, parseDetachKeys } = await import('../runtime/attach.js');
    if (flags['detach-keys']) parseDetachKeys(flags['detach-keys']); // a bad one fails before anything starts
    // The monitor holds the output back until this process has connected: nothing is missed.
    const c = await startContainer(refs[0], { waitForClient: 30 });
    const code = await attachContainer(c.id, { stdin: !!flags.interactive, detachKeys: flags['detach-keys'], closeStdinAtEnd: true });
    if (code !== undefined) process.exitCode = code;
  }
}
