// `nestbox tutorial`: the labs in syllabus order as one course. It shows a checklist, offers the
// lesson before each lab, and picks up at the first lab not done.
import chalk from 'chalk';
import { listLabs, LabListing, findLab } from './catalog.js';
import { UserError } from '../kernel/errors.js';

const MARK: Record<LabListing['status'], string> = { 'done': chalk.green('✔'), 'in progress': chalk.yellow('▸'), 'not started': chalk.white('·'), 'unavailable': chalk.dim('✘') };

export function printChecklist(labs: LabListing[]): void {
  const done = labs.filter((l) => l.status === 'done').length;
  const available = labs.filter((l) => l.status !== 'unavailable').length;
  console.log(chalk.bold(`\nnestbox tutorial: ${done} of ${available} labs done`));
  const bar = 30;
  const filled = available ? Math.round((done / available) * bar) : 0;
  console.log('  ' + chalk.green('█'.repeat(filled)) + chalk.dim('░'.repeat(bar - filled)));
  let module = -1;
  for (const l of labs) {
    if (l.module !== module) module = l.module;
    const detail = l.status === 'in progress' ? ` (step ${l.step}/${l.steps})` : l.status === 'unavailable' ? ` (unavailable: ${l.reason})` : '';
    // One line per lab: a title too long for the terminal is cut rather than wrapped under the ids.
    const room = (process.stdout.columns ?? 1000) - 21 - detail.length;
    const title = l.title.length > room && room > 10 ? l.title.slice(0, room - 1) + '…' : l.title;
    const styledDetail = l.status === 'in progress' ? chalk.yellow(detail) : chalk.dim(detail);
    console.log(`  ${MARK[l.status]} ${String(l.module).padStart(2)} ${l.id.padEnd(12)} ${l.status === 'unavailable' ? chalk.dim(title) : title}${styledDetail}`);
  }
}

export async function runTutorial(flags: { yes?: boolean; pace?: number; explain?: boolean }): Promise<number> {
  const labs = await listLabs();
  printChecklist(labs);
  const todo = labs.filter((l) => l.status === 'not started' || l.status === 'in progress');
  if (!todo.length) {
    console.log(chalk.green('\nEvery available lab is done. Try the capstone: sudo nestbox run --help'));
    return 0;
  }
  if (!flags.yes && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UserError('nestbox tutorial needs a terminal for its prompts; pass --yes to run the remaining labs unattended', 2);
  }
  const { startLab } = await import('./start.js');
  if (flags.yes) {
    let failed = 0;
    for (const l of todo) if ((await startLab(l.id, { yes: true, pace: flags.pace, explain: flags.explain, restart: true })) !== 0) failed++;
    printChecklist(await listLabs());
    return failed ? 1 : 0;
  }
  const { default: enquirer } = (await import('enquirer')) as any;
  for (const next of todo) {
    const lab = await findLab(next.id);
    const answer = await enquirer.prompt({
      type: 'select', name: 'v', message: `Next: ${lab.title} (lab ${lab.id})`,
      choices: [
        { name: 'lesson', message: `Read the lesson first (${lab.lesson})` },
        { name: 'lab', message: 'Start the lab' },
        { name: 'quit', message: 'Stop here (your progress is saved; sudo nestbox tutorial picks up again)' },
      ],
    }).catch(() => ({ v: 'quit' }));
    if (answer.v === 'quit') return 0;
    if (answer.v === 'lesson') {
      const { showLesson } = await import('../lesson/show.js');
      await showLesson(lab.lesson, {});
      const go = await enquirer.prompt({
        type: 'select', name: 'v', message: `Lab ${lab.id}:`,
        choices: [{ name: 'lab', message: 'Start the lab now' }, { name: 'quit', message: 'Stop here (sudo nestbox tutorial picks up again)' }],
      }).catch(() => ({ v: 'quit' }));
      if (go.v !== 'lab') return 0;
    }
    const code = await startLab(lab.id, { explain: flags.explain });
    if (code !== 0) return code;
  }
  printChecklist(await listLabs());
  return 0;
}
