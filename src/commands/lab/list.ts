import * as Flags from '@oclif/core/flags';
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
    const { displayWidth, padEnd, truncate } = await import('../../render/text-width.js');
    const labs = await listLabs();
    if (flags.json) return void console.log(JSON.stringify(labs, null, 2));
    const { default: chalk } = await import('chalk');
    const colour = { 'done': chalk.green, 'in progress': chalk.yellow, 'not started': chalk.white, 'unavailable': chalk.dim };
    const w = Math.max(...labs.map((l) => l.id.length));
    const sw = Math.max(...labs.map((l) => displayWidth(statusLabel(l))));
    for (const l of labs) {
      // One line per lab on a terminal: a title too long is cut rather than wrapped mid-word.
      const room = (process.stdout.columns ?? 1000) - (w + sw + 8);
      const title = room > 10 ? truncate(l.title, room) : l.title;
      console.log(`${String(l.module).padStart(2)}  ${l.id.padEnd(w)}  ${colour[l.status](padEnd(statusLabel(l), sw))}  ${title}`);
      if (l.reason) console.log(chalk.dim(`    ${''.padEnd(w)}  ${l.reason}`));
    }
  }
}
