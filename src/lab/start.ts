// The policy behind `lab start`, `lab check` and `lab reset`, kept out of the oclif commands.
import chalk from 'chalk';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findLab, unavailableReason } from './catalog.js';
import { loadProgress, resetProgress } from './progress.js';
import { UserError } from '../errors.js';
import { Ledger } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { labsWorkRoot } from '../host/paths.js';
import * as present from './present.js';
import type { Observation } from './types.js';
import { pick } from '../i18n/lang.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartFlags { yes?: boolean; pace?: number; explain?: boolean; restart?: boolean }

export async function startLab(id: string, flags: StartFlags): Promise<number> {
  const lab = await findLab(id);
  if (!flags.yes && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UserError(pick(`nestbox lab start needs a terminal for its prompts; pass --yes to run lab ${id} unattended`, `nestbox lab start 需要一个终端来提问；加上 --yes 可以无人值守地跑完实验 ${id}`), 2);
  }
  if (flags.pace !== undefined && !flags.yes) throw new UserError(pick('--pace only applies with --yes', '--pace 只能和 --yes 一起用'), 2);
  const why = unavailableReason(lab);
  if (why) throw new UserError(pick(`lab ${id} cannot run on this machine: ${why}`, `实验 ${id} 在这台机器上做不了：${why}`));
  const saved = loadProgress().labs[id];
  let startAt = 0;
  if (saved?.status === 'in-progress' && saved.step > 0 && saved.step < lab.steps.length && !flags.restart && !flags.yes) {
    const { choose } = await import('./terminal-ui.js');
    const answer = await choose(pick(`You stopped after step ${saved.step} of ${lab.steps.length}.`, `上次你做完第 ${saved.step} 步（共 ${lab.steps.length} 步）就停下了。`), [
      { key: 'resume', label: pick(`Resume at step ${saved.step + 1}`, `从第 ${saved.step + 1} 步继续`) },
      { key: 'restart', label: pick('Start again from step 1', '从第 1 步重新开始') },
    ]);
    if (answer === undefined) return 130;
    startAt = answer === 'resume' ? saved.step : 0;
  }
  const { runLabOnTerminal } = await import('./terminal-ui.js');
  const ok = await runLabOnTerminal(lab, { yes: flags.yes, pace: flags.pace, explain: flags.explain, startAt });
  return ok ? 0 : 1;
}

/** Re-run the check of the exercise a running `lab start` is waiting at. */
export async function checkRunningLab(id: string): Promise<number> {
  const lab = await findLab(id);
  const base = labsWorkRoot();
  const sessions = existsSync(base) ? readdirSync(base).filter((d) => d.startsWith(`${id}-`)).map((d) => join(base, d, 'session.json')).filter(existsSync) : [];
  const session = sessions.map((f) => JSON.parse(readFileSync(f, 'utf8'))).find((s) => { try { process.kill(s.pid, 0); return true; } catch { return false; } });
  if (!session) throw new UserError(pick(`lab ${id} is not running: start it with \`sudo nestbox lab start ${id}\` and run this check from a second terminal while it waits at an exercise`, `实验 ${id} 没在运行：先用 \`sudo nestbox lab start ${id}\` 启动它，等它停在练习上时，再在第二个终端里运行这个检查`));
  const step = lab.steps.find((s) => s.id === session.step);
  if (!step?.exercise) throw new UserError(pick(`lab ${id} is not at an exercise right now`, `实验 ${id} 现在没停在练习上`));
  // The running lab does the check itself, with its live state: ask it, and wait for its answer.
  const answer = join(session.workDir, 'check.json');
  const asked = Date.now();
  process.kill(session.pid, 'SIGUSR2');
  let result: { at: number; observations: Observation[] } | undefined;
  for (let i = 0; i < 300 && !result; i++) {
    await sleep(50);
    try {
      const r = JSON.parse(readFileSync(answer, 'utf8'));
      if (r.at >= asked) result = r;
    } catch { /* not written yet */ }
  }
  if (!result) throw new UserError(pick(`lab ${id} did not answer (is it still waiting at the exercise?)`, `实验 ${id} 没有回应（它还停在练习上吗？）`));
  const ok = result.observations.every((o) => o.ok);
  present.observations(result.observations);
  console.log(ok ? chalk.green.bold(pick('  PASS: go back to the lab and choose "Check my work" to continue', '  通过：回到实验，选“检查我的结果”继续')) : chalk.red.bold(pick('  not yet', '  还没成功')));
  if (!ok) present.hint(step.exercise.hints[0], session.state);
  return ok ? 0 : 1;
}

export async function resetLab(id?: string): Promise<void> {
  if (id) await findLab(id);
  const ledgers = Ledger.owners().filter((o) => o.startsWith('lab-') && (!id || o.startsWith(`lab-${id}-`))).map((o) => new Ledger(o));
  // A running lab owns its objects and its progress: refuse, change nothing.
  const running = ledgers.find((l) => l.ownerAlive());
  if (running) {
    const labId = running.owner.slice(4).replace(/-[a-z0-9]+$/, '');
    const pid = running.entries().find((e) => e.kind === 'owner')?.pid;
    throw new UserError(pick(`lab ${labId} is still running (nestbox PID ${pid}): quit it first (or press Ctrl-C in its terminal), then reset`, `实验 ${labId} 还在运行（nestbox PID ${pid}）：先退出它（或在它的终端里按 Ctrl-C），再 reset`), 1);
  }
  let removed = 0;
  for (const ledger of ledgers) {
    const r = await undoLedger(ledger);
    removed += r.removed.length;
    for (const f of r.failed) console.error(pick(`could not remove ${f}`, `删不掉 ${f}`));
  }
  resetProgress(id);
  console.log(pick(`${id ? `lab ${id}` : 'all labs'}: progress cleared${removed ? `, ${removed} leftover objects removed` : ''}`,
    `${id ? `实验 ${id}` : '所有实验'}：进度已清除${removed ? `，并删除了 ${removed} 个遗留对象` : ''}`));
}
