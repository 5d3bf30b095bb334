// The one loop every lab runs through, whoever drives it: a learner at a terminal, a teacher's demo
// (--yes), or the tests. Each step is shown, let through, performed and verified; an exercise is
// answered by the learner or by its reference answer. Whatever happens (done, quit, a failed step,
// an error, Ctrl-C, SIGTERM, a closed terminal), the lab's objects are removed at the end.
import type { Lab, Step } from './types.js';
import { createLabContext, LabSession } from './context.js';
import { runStep, StepResult, LabResult, Answer } from './unattended.js';
import type { CleanupReport } from '../host/cleanup.js';
import { pick } from '../i18n/lang.js';

/** What a driver of the loop shows and asks; every part is optional (the tests give none). */
export interface LabUI {
  start?(lab: Lab): void;
  /** Steps 1..count are being done again (resume): their objects were removed when the learner left. */
  restoring?(count: number): void;
  step?(step: Step, index: number, total: number, state: Record<string, any>): void;
  /** Before a step runs (Enter, a demo's pause); false: the learner quit. */
  gate?(step: Step, index: number): Promise<boolean>;
  /** The learner answers an exercise; undefined: they quit. Without it, exercises get `answer`. */
  exercise?(step: Step, ctx: LabSession): Promise<StepResult | undefined>;
  /** An exercise's setup has run: its task can name the live PIDs now. */
  task?(step: Step, state: Record<string, any>): void;
  result?(step: Step, result: StepResult, state: Record<string, any>): void | Promise<void>;
  cleaned?(report: CleanupReport): void;
  /** Signals arrive (SIGHUP: the terminal is gone, stop writing to it). */
  interrupted?(signal: NodeJS.Signals): void;
}

export interface RunOptions {
  /** How exercises are answered when the UI does not ask the learner (default: solve). */
  answer?: Answer;
  /** Go on after a failed step (tests of mistakes). */
  keepGoing?: boolean;
  /** Resume: steps before this index are done again, unattended, first. */
  startAt?: number;
  /** After each passed step: how many steps are done (progress is saved by the caller). */
  onProgress?(done: number): void;
  /** Clean up and exit on SIGINT/SIGTERM/SIGHUP, and whenever the process exits meanwhile (the CLI). */
  guardSignals?: boolean;
}

export async function runLab(lab: Lab, opts: RunOptions = {}, ui: LabUI = {}): Promise<LabResult> {
  const ctx = createLabContext(lab.id);
  // One cleanup, whoever asks first: a signal, or the end of the lab (both can happen at once).
  let cleaning: Promise<CleanupReport> | undefined;
  const cleanup = () => (cleaning ??= ctx.cleanup());
  const unguard = opts.guardSignals ? guardSignals(cleanup, ui) : () => {};
  const steps: StepResult[] = [];
  let quit = false;
  let report: CleanupReport = { removed: [], failed: [] };
  ui.start?.(lab);
  try {
    const startAt = opts.startAt ?? 0;
    if (startAt > 0) {
      ui.restoring?.(startAt);
      for (const step of lab.steps.slice(0, startAt)) {
        const r = await runStep(step, ctx, 'solve');
        if (!r.ok) throw new Error(pick(`could not restore step "${step.id}": ${r.error ?? 'its checks failed'}`, `没能恢复步骤 "${step.id}"：${r.error ?? '它的检查没有通过'}`));
      }
    }
    for (let i = startAt; i < lab.steps.length; i++) {
      const step = lab.steps[i];
      ui.step?.(step, i, lab.steps.length, ctx.state);
      if (ui.gate && !(await ui.gate(step, i))) { quit = true; break; }
      const result = step.exercise && ui.exercise
        ? await ui.exercise(step, ctx)
        : await runStep(step, ctx, step.exercise ? opts.answer ?? 'solve' : 'none', step.exercise ? () => ui.task?.(step, ctx.state) : undefined);
      if (!result) { quit = true; break; }
      steps.push(result);
      await ui.result?.(step, result, ctx.state);
      if (result.ok) opts.onProgress?.(i + 1);
      else if (!opts.keepGoing) break;
    }
  } finally {
    for (const step of [...lab.steps].reverse()) {
      try { await step.cleanup?.(ctx); } catch { /* the ledger still undoes what it recorded */ }
    }
    report = await cleanup();
    unguard();
    ui.cleaned?.(report);
  }
  const ok = !quit && steps.length === lab.steps.length - (opts.startAt ?? 0) && steps.every((s) => s.ok) && !report.failed.length;
  return { lab: lab.id, ok, steps, cleanupFailed: report.failed, quit };
}

/**
 * Until the lab has cleaned up: a signal cleans up and exits with 128+signal, and whoever ends the
 * process meanwhile (the prompt library exits on SIGTERM, an error handler after a crash, a closed
 * terminal makes a read fail) waits for the cleanup first.
 */
function guardSignals(cleanup: () => Promise<CleanupReport>, ui: LabUI): () => void {
  let finished = false;
  const realExit = process.exit;
  const onSignal = (signal: NodeJS.Signals) => {
    if (finished) return;
    finished = true;
    // After SIGHUP the terminal is gone: writing to it would fail and end nestbox mid-cleanup.
    if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    ui.interrupted?.(signal);
    void cleanup().finally(() => realExit.call(process, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]));
  };
  // SIGHUP too: closing the terminal window must not leave the lab's objects behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  process.exit = ((code?: number) => {
    finished = true;
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    void cleanup().finally(() => realExit.call(process, code));
  }) as typeof process.exit;
  return () => {
    finished = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
    process.exit = realExit;
  };
}
