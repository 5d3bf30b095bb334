import { Args } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { UserError } from '../errors.js';

export default class Port extends NestboxCommand {
  static summary = 'The published ports of a container: which host port leads to which container port.';
  static description = 'Useful after `-p 80`, where the host port was chosen from the kernel\'s ephemeral range.';
  static examples = ['nestbox port web', 'nestbox port web 80/tcp'];
  static args = {
    container: Args.string({ description: 'name or id', required: true }),
    port: Args.string({ description: 'only this container port (80 or 80/udp)' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Port);
    const { findContainer } = await import('../runtime/store.js');
    const { isRunning } = await import('../runtime/lifecycle.js');
    const c = findContainer(args.container);
    const wanted = args.port && (args.port.includes('/') ? args.port : `${args.port}/tcp`);
    const ports = isRunning(c) ? c.spec.ports.filter((p) => !wanted || `${p.containerPort}/${p.proto}` === wanted) : [];
    if (wanted && !ports.length) throw new UserError(`no public port ${wanted} published for ${c.spec.name}`, 1);
    for (const p of ports) console.log(`${wanted ? '' : `${p.containerPort}/${p.proto} -> `}${p.hostIp}:${p.hostPort}`);
  }
}
