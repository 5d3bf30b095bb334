// The policy behind `lab start`, `lab check` and `lab reset`, kept out of the oclif commands.
import chalk from 'chalk';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findLab, unavailableReason } from './catalog.js';
import { loadProgress, resetProgress } from './progress.js';
import { UserError } from '../kernel/errors.js';
import { Ledger } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { labsWorkRoot } from '../host/paths.js';
import * as present from './present.js';
import type { Observation } from './types.js';

export interface StartFlags { yes?: boolean; pace?: number; explain?: boolean; restart?: boolean }

export async function startLab(id: string, flags: StartFlags): Promise<number> {
  const lab = await findLab(id);
  if (!flags.yes && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UserError(`nestbox lab start needs a terminal for its prompts; pass --yes to run lab ${id} unattended`, 2);
  }
  if (flags.pace !== undefined && !flags.yes) throw new UserError('--pace only applies with --yes', 2);
  const why = unavailableReason(lab);
  if (why) throw new UserError(`lab ${id} cannot run on this machine: ${why}`);
  const saved = loadProgress().labs[id];
  let startAt = 0;
  if (saved?.status === 'in-progress' && saved.step > 0 && saved.step < lab.steps.length && !flags.restart && !flags.yes) {
    const { default: enquirer } = (await import('enquirer')) as any;
    const answer = await enquirer.prompt({
      type: 'select', name: 'v', message: `You stopped after step ${saved.step} of ${lab.steps.length}.`,
      choices: [{ name: 'resume', message: `Resume at step ${saved.step + 1}` }, { name: 'restart', message: 'Start again from step 1' }],
    }).catch(() => ({ v: 'quit' }));
    if (answer.v === 'quit') return 130;
    startAt = answer.v === 'resume' ? saved.step : 0;
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
  if (!session) throw new UserError(`lab ${id} is not running: start it with \`sudo nestbox lab start ${id}\` and run this check from a second terminal while it waits at an exercise`);
  const step = lab.steps.find((s) => s.id === session.step);
  if (!step?.exercise) throw new UserError(`lab ${id} is not at an exercise right now`);
  // The running lab does the check itself, with its live state: ask it, and wait for its answer.
  const answer = join(session.workDir, 'check.json');
  const asked = Date.now();
  process.kill(session.pid, 'SIGUSR2');
  let result: { at: number; observations: Observation[] } | undefined;
  for (let i = 0; i < 300 && !result; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const r = JSON.parse(readFileSync(answer, 'utf8'));
      if (r.at >= asked) result = r;
    } catch { /* not written yet */ }
  }
  if (!result) throw new UserError(`lab ${id} did not answer (is it still waiting at the exercise?)`);
  const ok = result.observations.every((o) => o.ok);
  present.observations(result.observations);
  console.log(ok ? chalk.green.bold('  PASS: go back to the lab and choose "Check my work" to continue') : chalk.red.bold('  not yet'));
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
    throw new UserError(`lab ${labId} is still running (nestbox PID ${pid}): quit it first (or press Ctrl-C in its terminal), then reset`, 1);
  }
  let removed = 0;
  for (const ledger of ledgers) {
    const r = await undoLedger(ledger);
    removed += r.removed.length;
    for (const f of r.failed) console.error(`could not remove ${f}`);
  }
  resetProgress(id);
  console.log(`${id ? `lab ${id}` : 'all labs'}: progress cleared${removed ? `, ${removed} leftover objects removed` : ''}`);
}
