import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Stats extends NestboxCommand {
  static summary = 'CPU, memory, processes and network of running containers, read from their cgroups.';
  static examples = ['sudo nestbox stats --no-stream', 'sudo nestbox stats web'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id (default: every running container)' }) };
  static flags = {
    'no-stream': Flags.boolean({ description: 'print once and exit' }),
    json: Flags.boolean({ description: 'print JSON (implies --no-stream)' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stats);
    this.requireRoot();
    const { listContainers, isRunning, containerStats } = await import('../runtime/lifecycle.js');
    const { findContainer } = await import('../runtime/store.js');
    const mib = (n: number) => `${(n / 1048576).toFixed(1)}MiB`;
    const { columns } = await import('../render/table.js');
    for (;;) {
      const targets = (argv as string[]).length ? (argv as string[]).map(findContainer) : listContainers().filter(isRunning);
      const stats = await Promise.all(targets.filter(isRunning).map((c) => containerStats(c)));
      if (flags.json) return void console.log(JSON.stringify(stats, null, 2));
      if (!flags['no-stream']) process.stdout.write('\x1b[2J\x1b[H');
      const rows = stats.map((s) => [s.id, s.name, `${s.cpuPercent.toFixed(2)}%`, `${mib(s.memUsage)} / ${s.memLimit === 'max' ? 'no limit' : mib(s.memLimit)}`,
        String(s.pids), `${(s.netRx / 1000).toFixed(1)}kB / ${(s.netTx / 1000).toFixed(1)}kB`]);
      for (const line of columns([['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS', 'NET I/O'], ...rows], { right: [2, 4] })) console.log(line);
      if (flags['no-stream']) return;
    }
  }
}
