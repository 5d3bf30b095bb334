import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Attach extends NestboxCommand {
  static summary = 'Join your terminal to a detached container\'s main process (PID 1).';
  static description = 'Unlike exec, which starts another process in the container, attach connects you to PID 1\'s own input and output, through the monitor that waits for it. So `exit` in an attached shell ends PID 1, and the container stops. To leave it running, detach with Ctrl-P Ctrl-Q (or --detach-keys). Without a terminal (-t), Ctrl-C is passed on to PID 1 as SIGINT (--sig-proxy=false to keep it). The exit status is the container\'s when it ends while attached.';
  static examples = ['sudo nestbox run -dit --name shell default', 'sudo nestbox attach shell', 'sudo nestbox attach --detach-keys ctrl-x,x shell'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    'detach-keys': Flags.string({ description: 'the keys that detach (default ctrl-p,ctrl-q)' }),
    'no-stdin': Flags.boolean({ description: 'do not send your input' }),
    'sig-proxy': Flags.boolean({ description: 'pass signals on to PID 1 (without a terminal)', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Attach);
    this.requireRoot();
    const { attachContainer } = await import('../runtime/attach.js');
    const code = await attachContainer(args.container, { stdin: !flags['no-stdin'], detachKeys: flags['detach-keys'], sigProxy: flags['sig-proxy'] });
    if (code !== undefined) process.exitCode = code;
  }
}
