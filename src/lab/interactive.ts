// `nestbox lab start ID` on a terminal: one step at a time, the learner in control. Exercises offer
// a shell inside the lab's namespace, a check, hints one by one, and the reference solution.
// Whatever happens (done, quit, Ctrl-C, SIGTERM, an error), the lab's objects are removed.
import chalk from 'chalk';
import type { Lab, Step } from './types.js';
import { createLabContext, LabSession } from './context.js';
import { runStep, StepResult } from './unattended.js';
import { recordStep, loadProgress } from './progress.js';
import { LAB_ORDER } from '../../labs/index.js';
import * as present from './present.js';
import { baseEnv, waitForExit } from '../kernel/spawn.js';
import { setNonBlocking } from '../kernel/fcntl.js';
import { isAlive } from '../kernel/proc.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InteractiveOptions { explain?: boolean; startAt?: number; yes?: boolean; pace?: number }

type Prompt = { prompt: (q: any) => Promise<any> };

async function enquirer(): Promise<Prompt> {
  const mod: any = await import('enquirer');
  return mod.default ?? mod;
}

/** Ask; a Ctrl-C inside the prompt (enquirer rejects with an empty error) means quit. */
export async function ask<T>(q: Record<string, unknown>): Promise<T | undefined> {
  const { prompt } = await enquirer();
  try {
    const answer = await prompt({ name: 'v', ...q });
    return answer.v as T;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run a lab. With `yes`, unattended (exercises answered by `solve`, optionally paced for a
 * projector); otherwise interactive. Returns true when every step passed.
 */
export async function runLab(lab: Lab, opts: InteractiveOptions): Promise<boolean> {
  const ctx = createLabContext(lab.id);
  // One cleanup, whoever asks first: a signal, or the end of the lab (both can happen at once).
  let cleaning: ReturnType<LabSession['cleanup']> | undefined;
  const cleanup = () => (cleaning ??= ctx.cleanup());
  let finished = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (finished) return;
    finished = true;
    // After SIGHUP the terminal is gone: writing to it would fail and end nestbox mid-cleanup.
    if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    else process.stdout.write(chalk.yellow(`\n${signal}: cleaning up the lab...\n`));
    void cleanup().finally(() => realExit.call(process, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]));
  };
  // SIGHUP too: closing the terminal window must not leave the lab's objects behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // Whoever ends the process meanwhile (the prompt library exits on SIGTERM, an error handler
  // exits after a crash, a closed terminal makes a read fail) waits for the cleanup first.
  const realExit = process.exit;
  process.exit = ((code?: number) => {
    finished = true;
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    void cleanup().finally(() => realExit.call(process, code));
  }) as typeof process.exit;
  present.labHeader(lab);
  let ok = true;
  try {
    const startAt = opts.startAt ?? 0;
    if (startAt > 0) {
      process.stdout.write(chalk.dim(`\nRestoring steps 1-${startAt} (their kernel objects were removed when you left)...\n`));
      for (const step of lab.steps.slice(0, startAt)) {
        const r = await runStep(step, ctx, 'solve');
        if (!r.ok) throw new Error(`could not restore step "${step.title}": ${r.error ?? 'its checks failed'}`);
      }
    }
    for (let i = startAt; i < lab.steps.length; i++) {
      const step = lab.steps[i];
      present.stepHeader(step, i, lab.steps.length, opts, ctx.state);
      let result: StepResult | undefined;
      if (opts.yes) {
        // The task is shown once the step's setup has run, so the PIDs it names are the live ones.
        result = await runStep(step, ctx, 'solve', step.exercise ? () => present.exerciseTask(step, ctx.state, opts) : undefined);
        if (step.exercise && opts.explain) present.explainLines(step, ctx.state);
        present.stepResult(result);
        if (opts.pace) await sleep(opts.pace);
      } else if (step.exercise) {
        result = await exercise(step, ctx, opts);
        if (!result) { ok = false; break; } // quit
      } else {
        // An invisible prompt: Enter runs the step, Ctrl-C leaves the lab (cleaned up).
        const go = await ask<string>({ type: 'invisible', message: chalk.dim('Press enter to run it (Ctrl-C quits)') });
        if (go === undefined) { ok = false; break; }
        result = await runStep(step, ctx, 'none');
        present.stepResult(result);
      }
      if (!result.ok) { ok = false; break; }
      recordStep(lab.id, i + 1, lab.steps.length);
    }
  } finally {
    finished = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
    process.exit = realExit;
    for (const step of [...lab.steps].reverse()) {
      try { await step.cleanup?.(ctx); } catch { /* the ledger still covers it */ }
    }
    const report = await cleanup();
    if (report.removed.length) process.stdout.write(chalk.dim(`\ncleaned up: ${summarize(report.removed)}\n`));
    if (report.failed.length) {
      process.stdout.write(chalk.red(`could not remove: ${report.failed.join('; ')} (run: sudo nestbox cleanup)\n`));
      ok = false;
    }
  }
  const after = LAB_ORDER[LAB_ORDER.indexOf(lab.id) + 1];
  // A lab finished before is not resumed (start.ts offers that only for one left part-way).
  const saved = loadProgress().labs[lab.id];
  const again = saved?.status === 'in-progress' && saved.step > 0 ? ` resumes it at step ${saved.step + 1}` : ' starts it again';
  process.stdout.write(ok
    ? chalk.green.bold(`\nLab ${lab.id} complete.`) + (after ? ` Next: ${chalk.yellow(`sudo nestbox lab start ${after}`)} (or ${chalk.yellow('sudo nestbox tutorial')})\n` : '\n')
    : chalk.yellow(`\nLab ${lab.id} stopped. `) + chalk.yellow.bold(`sudo nestbox lab start ${lab.id}`) + chalk.yellow(`${again}.\n`));
  return ok;
}

/** The exercise loop: perform the setup, then let the learner work until the check passes or they quit. */
async function exercise(step: Step, ctx: LabSession, opts: InteractiveOptions): Promise<StepResult | undefined> {
  const setup = step.perform ? await runStep({ ...step, exercise: undefined, verify: async () => [{ what: 'setup', expected: 'ok', observed: 'ok', ok: true }] }, ctx, 'none') : undefined;
  if (setup && !setup.ok) { present.stepResult(setup); return setup; }
  // What the setup did is the "before" half of the exercise: show it (not its placeholder check).
  if (setup) present.stepResult({ ...setup, observations: [], ok: true, said: setup.said }, { quiet: true });
  writeSession(ctx, step.id);
  // `nestbox lab check` in a second terminal asks (SIGUSR2) and this process answers: the check
  // runs here, with the lab's live state (open cgroups, namespaces), into check.json.
  const answerCheck = () => {
    void step.verify(ctx)
      .catch((e: Error) => [{ what: 'check', expected: 'no error', observed: e.message, ok: false }])
      .then((observations) => {
        ctx.takeSaid(); // what the check narrated belongs to the other terminal's answer
        writeFileSync(join(ctx.workDir, 'check.json'), JSON.stringify({ at: Date.now(), observations }));
      });
  };
  process.on('SIGUSR2', answerCheck);
  try {
    return await exerciseLoop(step, ctx, opts);
  } finally {
    process.removeListener('SIGUSR2', answerCheck);
    rmSync(join(ctx.workDir, 'session.json'), { force: true });
  }
}

async function exerciseLoop(step: Step, ctx: LabSession, opts: InteractiveOptions): Promise<StepResult | undefined> {
  const ex = step.exercise!;
  present.exerciseTask(step, ctx.state, opts);
  let hint = 0;
  let next = 0;
  for (;;) {
    const choices = [
      ...(ex.shell && ex.shell !== 'host' ? [{ name: 'shell', message: 'Open a shell inside the lab namespace' }] : []),
      { name: 'check', message: 'Check my work' },
      { name: 'hint', message: hint < ex.hints.length ? `Show a hint (${hint + 1}/${ex.hints.length})` : 'Show the hints again' },
      { name: 'solve', message: 'Solve it for me (the reference answer)' },
      { name: 'quit', message: 'Quit the lab (everything is cleaned up)' },
    ];
    const choice = await ask<string>({ type: 'select', message: 'What next?', choices, initial: next });
    next = 0;
    if (choice === undefined) return undefined;
    if (choice === 'quit') {
      const sure = await ask<string>({ type: 'select', message: 'Quit the lab? Everything it made is removed; you can resume later.', choices: [{ name: 'stay', message: 'No, back to the exercise' }, { name: 'quit', message: 'Yes, quit' }] });
      if (sure === 'quit' || sure === undefined) return undefined;
      continue;
    }
    if (choice === 'shell') {
      // The learner may have ended the namespace's process from another terminal: say so, stay.
      await openShell(step, ctx).catch((e: Error) => process.stdout.write(chalk.red(`  No shell: ${e.message}\n`)));
      next = 1; // back from the shell: "Check my work" is the likely next choice
    }
    if (choice === 'hint') {
      // Each hint once in order; after the last, all of them again.
      const shown = hint < ex.hints.length ? [ex.hints[hint]] : ex.hints;
      for (const h of shown) present.hint(h, ctx.state);
      hint++;
    }
    if (choice === 'solve') {
      // What the learner did first may stand in the reference answer's way (a file already
      // deleted, a map already written once): say what failed and let the check tell the rest.
      const failed = await ex.solve(ctx).then(() => undefined, (e: Error) => e);
      process.stdout.write(failed ? chalk.yellow(`  The reference answer could not be applied: ${failed.message}\n`) : chalk.dim('  (the reference answer was applied)\n'));
    }
    if (choice === 'solve' && opts.explain) present.explainLines(step, ctx.state);
    if (choice === 'check' || choice === 'solve') {
      const observations = await step.verify(ctx).catch((e: Error) => [{ what: 'check', expected: 'no error', observed: e.message, ok: false }]);
      const result: StepResult = { id: step.id, title: step.title, said: ctx.takeSaid(), observations, ok: observations.every((o) => o.ok) };
      present.stepResult(result);
      if (result.ok) return result;
      if (hint < ex.hints.length) process.stdout.write(chalk.dim('  Not yet. Ask for a hint if you are stuck.\n'));
    }
  }
}

/** A shell in the lab's namespaces, on the learner's terminal; the lab waits until it exits. */
async function openShell(step: Step, ctx: LabSession): Promise<void> {
  const shell = step.exercise!.shell as { pidKey: string; types: any[] };
  const pid = ctx.state[shell.pidKey];
  if (!isAlive(pid)) throw new Error(`PID ${pid}, which held the lab's namespaces, has ended, and its namespaces with it. Check your work to see what the kernel shows, or quit and start the lab again.`);
  process.stdout.write(chalk.dim(`  Opening /bin/sh inside the ${shell.types.join('+')} namespace of PID ${pid}; type exit to come back.\n`));
  // The shell owns the terminal from now on; Node must not read from it meanwhile, and the terminal
  // goes back to blocking reads before the shell starts (Node's libuv keeps it non-blocking).
  process.stdin.pause();
  const wasNonBlocking = process.stdin.isTTY ? setNonBlocking(0, false) : false;
  // Ctrl-C in the shell reaches the whole foreground process group, nestbox too: ignore it until
  // the shell exits, or the lab would clean up under the learner's feet.
  const saved = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {});
  // +m: no job control. A shell in another PID namespace could not hand the terminal back to
  // nestbox when it exits (nestbox's process group has no number in there), and nestbox would be
  // stopped by the next read from the terminal.
  const child = await ctx.spawn({
    argv: ['/bin/sh', '+m', '-i'],
    env: baseEnv({ PS1: `[lab ${ctx.labId}] # ` }),
    join: { pid, types: shell.types },
    cwd: '/',
  });
  try {
    await waitForExit(child);
  } finally {
    if (wasNonBlocking) setNonBlocking(0, true);
    process.removeAllListeners('SIGINT');
    for (const l of saved) process.on('SIGINT', l as any);
  }
}

/** "process 12, process 13, cgroup /sys/..." -> "2 processes, 1 cgroup" (the details are in the ledger). */
function summarize(removed: string[]): string {
  const counts = new Map<string, number>();
  for (const r of removed) {
    const kind = r.split(' ')[0];
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const names: Record<string, [string, string]> = {
    iptables: ['iptables rule', 'iptables rules'], netns: ['network namespace', 'network namespaces'], directory: ['directory', 'directories'],
  };
  const plural = (k: string, n: number) => (names[k] ? names[k][n === 1 ? 0 : 1] : n === 1 ? k : k.endsWith('s') ? `${k}es` : `${k}s`);
  return [...counts].map(([k, n]) => `${n} ${plural(k, n)}`).join(', ');
}

/** Where `nestbox lab check` finds the running lab's state (current step, PIDs). */
function writeSession(ctx: LabSession, step: string): void {
  try {
    writeFileSync(join(ctx.workDir, 'session.json'), JSON.stringify({ step, pid: process.pid, workDir: ctx.workDir, state: ctx.state }));
  } catch { /* not essential */ }
}
