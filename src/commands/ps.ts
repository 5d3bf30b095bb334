import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../cli/base.js';

export default class Ps extends NestboxCommand {
  static summary = 'List containers (running ones; -a for all).';
  static examples = ['sudo nestbox ps', 'sudo nestbox ps -a --json'];
  static flags = {
    all: Flags.boolean({ char: 'a', description: 'also show containers that have exited' }),
    json: Flags.boolean({ description: 'print the list as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    this.requireRoot();
    const { listContainers, isRunning, inspect } = await import('../runtime/lifecycle.js');
    const all = listContainers().filter((c) => flags.all || isRunning(c));
    if (flags.json) return void console.log(JSON.stringify(all.map(inspect), null, 2));
    const rows = all.map((c) => [
      c.id, c.spec.name, c.spec.image, JSON.stringify(c.spec.command.join(' ')).slice(0, 30),
      c.state.Status === 'exited' ? `exited (${c.state.ExitCode})${c.state.OOMKilled ? ' OOM' : ''}` : c.state.Status,
      // An exited container's address and ports were given back when it ended.
      isRunning(c) ? String(c.state.Pid) : '', isRunning(c) ? c.state.IPAddress ?? '' : '',
      isRunning(c) ? c.spec.ports.map((p) => `${p.hostIp === '0.0.0.0' ? '' : p.hostIp + ':'}${p.hostPort}->${p.containerPort}/${p.proto}`).join(',') : '',
    ]);
    const head = ['CONTAINER ID', 'NAME', 'IMAGE', 'COMMAND', 'STATUS', 'PID', 'IP', 'PORTS'];
    const { columns } = await import('../render/table.js');
    for (const line of columns([head, ...rows])) console.log(line);
  }
}
