import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LabList extends NestboxCommand {
  static summary = 'List the labs, in syllabus order, with your progress.';
  static description = 'Status is one of: not started, in progress (with the step reached), done, or unavailable on this machine (with the reason from `nestbox doctor`).';
  static examples = ['nestbox lab list', 'nestbox lab list --json'];
  static flags = {
    ...courseFlags,
    json: Flags.boolean({ description: 'print an array of {id, title, module, status, ...}' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LabList);
    applyCourseFlags(flags);
    const { listLabs, statusLabel } = await import('../../lab/catalog.js');
    const { displayWidth, truncate } = await import('../../render/text-width.js');
    const labs = await listLabs();
    if (flags.json) return void console.log(JSON.stringify(labs, null, 2));
    const { default: chalk } = await import('chalk');
    const colour = { 'done': chalk.green, 'in progress': chalk.yellow, 'not started': chalk.white, 'unavailable': chalk.dim };
    const { columns } = await import('../../render/table.js');
    const lines = columns(labs.map((l) => [String(l.module).padStart(2), l.id, colour[l.status](statusLabel(l)), '']));
    const room = (process.stdout.columns ?? 1000) - displayWidth(lines[0] ?? '') - 2;
    labs.forEach((l, k) => {
      // One line per lab on a terminal: a title too long is cut rather than wrapped mid-word.
      console.log(`${lines[k]}  ${room > 10 ? truncate(l.title, room) : l.title}`);
      if (l.reason) console.log(chalk.dim(`    ${l.reason}`));
    });
  }
}
