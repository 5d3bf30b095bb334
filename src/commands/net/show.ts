import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class NetShow extends NestboxCommand {
  static summary = 'Draw the networks the kernel holds right now: host, bridges, veth pairs, namespaces and addresses.';
  static description = "Read live through ip (netlink) and /proc: the host's interfaces, each bridge with its ports, every veth pair (host end ⇄ peer, matched through the @ifN index), and every network namespace, named (/run/netns) or held by a running process, with its interfaces, addresses and default route. Run it while a lab or container is running, in a second terminal.";
  static examples = ['sudo nestbox net show', 'sudo nestbox net show --json'];
  static flags = {
    ...courseFlags,
    json: Flags.boolean({ description: 'print the view as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NetShow);
    applyCourseFlags(flags);
    const { networkView, drawNetworkView } = await import('../../view/network.js');
    const view = await networkView();
    if (flags.json) return void console.log(JSON.stringify(view, null, 2));
    const { default: chalk } = await import('chalk');
    console.log(drawNetworkView(view, { head: chalk.bold, dim: chalk.dim, ns: chalk.cyan, up: chalk.green, down: chalk.yellow }).join('\n'));
    if (process.getuid?.() !== 0) console.log(chalk.dim('\n(not root: namespaces of other users cannot be entered; run with sudo)'));
  }
}
