import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class NsLs extends NestboxCommand {
  static summary = 'Show every process that has namespaces of its own, grouped, as a tree.';
  static description = 'Read live from /proc/PID/ns/*: the host\'s namespaces (PID 1\'s), then each set of processes whose namespaces differ from the host\'s, with the inode numbers that name them and each process\'s PID inside its own PID namespace. Run it while a lab is running, in a second terminal.';
  static examples = ['sudo nestbox ns ls', 'sudo nestbox ns ls --json'];
  static flags = {
    ...courseFlags,
    json: Flags.boolean({ description: 'print the view as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NsLs);
    applyCourseFlags(flags);
    const { namespaceView, drawNamespaceView } = await import('../../view/namespaces.js');
    const view = namespaceView();
    if (flags.json) return void console.log(JSON.stringify(view, null, 2));
    const { default: chalk } = await import('chalk');
    console.log(drawNamespaceView(view, { head: chalk.bold, dim: chalk.dim, ns: chalk.cyan }).join('\n'));
    if (process.getuid?.() !== 0) console.log(chalk.dim('\n(not root: processes of other users may be missing; run with sudo)'));
  }
}
