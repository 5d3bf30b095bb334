// `nestbox tutorial`: the labs in syllabus order as one course. It shows a checklist, offers the
// lesson before each lab, and picks up at the first lab not done.
import chalk from 'chalk';
import { listLabs, LabListing, findLab } from './catalog.js';
import { UserError } from '../errors.js';
import { glyphs, asciiMode } from '../render/glyphs.js';
import { displayWidth, truncate } from '../render/text-width.js';
import { pick, tr } from '../i18n/lang.js';

function printChecklist(labs: LabListing[]): void {
  const g = glyphs();
  const MARK: Record<LabListing['status'], string> = { 'done': chalk.green(g.tick), 'in progress': chalk.yellow(g.arrow), 'not started': chalk.white(asciiMode() ? '.' : '·'), 'unavailable': chalk.dim(g.cross) };
  const done = labs.filter((l) => l.status === 'done').length;
  const available = labs.filter((l) => l.status !== 'unavailable').length;
  console.log(chalk.bold(pick(`\nnestbox tutorial: ${done} of ${available} labs done`, `\nnestbox 教程：${available} 个实验已完成 ${done} 个`)));
  const bar = 30;
  const filled = available ? Math.round((done / available) * bar) : 0;
  console.log('  ' + chalk.green(g.block.repeat(filled)) + chalk.dim(g.light.repeat(bar - filled)));
  let module = -1;
  for (const l of labs) {
    if (l.module !== module) module = l.module;
    const detail = l.status === 'in progress' ? pick(` (step ${l.step}/${l.steps})`, `（第 ${l.step}/${l.steps} 步）`) : l.status === 'unavailable' ? pick(` (unavailable: ${l.reason})`, `（做不了：${l.reason}）`) : '';
    // One line per lab: a title too long for the terminal is cut rather than wrapped under the ids.
    const room = (process.stdout.columns ?? 1000) - 21 - displayWidth(detail);
    const title = room > 10 ? truncate(l.title, room, g.ellipsis) : l.title;
    const styledDetail = l.status === 'in progress' ? chalk.yellow(detail) : chalk.dim(detail);
    console.log(`  ${MARK[l.status]} ${String(l.module).padStart(2)} ${l.id.padEnd(12)} ${l.status === 'unavailable' ? chalk.dim(title) : title}${styledDetail}`);
  }
}

export async function runTutorial(flags: { yes?: boolean; pace?: number; explain?: boolean }): Promise<number> {
  const labs = await listLabs();
  printChecklist(labs);
  const todo = labs.filter((l) => l.status === 'not started' || l.status === 'in progress');
  if (!todo.length) {
    console.log(chalk.green(pick('\nEvery available lab is done. Try the capstone: sudo nestbox run --help', '\n能做的实验全都完成了。试试最后的大作业：sudo nestbox run --help')));
    return 0;
  }
  if (!flags.yes && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UserError(pick('nestbox tutorial needs a terminal for its prompts; pass --yes to run the remaining labs unattended', 'nestbox tutorial 需要一个终端来提问；加上 --yes 可以无人值守地跑完剩下的实验'), 2);
  }
  const { startLab } = await import('./start.js');
  if (flags.yes) {
    let failed = 0;
    for (const l of todo) if ((await startLab(l.id, { yes: true, pace: flags.pace, explain: flags.explain, restart: true })) !== 0) failed++;
    printChecklist(await listLabs());
    return failed ? 1 : 0;
  }
  const { choose } = await import('./terminal-ui.js');
  for (const next of todo) {
    const lab = await findLab(next.id);
    const answer = await choose(pick(`Next: ${tr(lab.title)} (lab ${lab.id})`, `下一个：${tr(lab.title)}（实验 ${lab.id}）`), [
      { key: 'lesson', label: pick(`Read the lesson first (${lab.lesson})`, `先读课文（${lab.lesson}）`) },
      { key: 'lab', label: pick('Start the lab', '开始实验') },
      { key: 'quit', label: pick('Stop here (your progress is saved; sudo nestbox tutorial picks up again)', '先到这里（进度已保存；再运行 sudo nestbox tutorial 就能接着做）') },
    ]);
    if (answer === undefined || answer === 'quit') return 0;
    if (answer === 'lesson') {
      const { showLesson } = await import('../lesson/show.js');
      await showLesson(lab.lesson, {});
      const go = await choose(pick(`Lab ${lab.id}:`, `实验 ${lab.id}：`), [
        { key: 'lab', label: pick('Start the lab now', '现在开始实验') },
        { key: 'quit', label: pick('Stop here (sudo nestbox tutorial picks up again)', '先到这里（再运行 sudo nestbox tutorial 就能接着做）') },
      ]);
      if (go !== 'lab') return 0;
    }
    const code = await startLab(lab.id, { explain: flags.explain });
    if (code !== 0) return code;
  }
  printChecklist(await listLabs());
  return 0;
}
