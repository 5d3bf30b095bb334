// Run a lab start to finish without a person: every step performed and verified, exercises answered
// by their `solve`. Used by `--yes` (classroom demos) and by the tests. Cleanup always runs.
import type { Lab, Observation, Step } from './types.js';
import { createLabContext, LabSession } from './context.js';

export interface StepResult { id: string; title: string; did?: string; said: string[]; observations: Observation[]; ok: boolean; error?: string }
export interface LabResult { lab: string; ok: boolean; steps: StepResult[]; cleanupFailed: string[] }

export interface UnattendedOptions {
  /** Called after each step (the CLI prints it; tests ignore it). */
  onStep?: (step: Step, result: StepResult) => void | Promise<void>;
  /** Run each exercise's `mistake` instead of `solve` (tests: the check must fail). */
  mistakes?: boolean;
  /** Keep going after a failed step. */
  keepGoing?: boolean;
}

export async function runStep(step: Step, ctx: LabSession, mode: 'solve' | 'mistake' | 'none' = 'solve', afterPerform?: () => void): Promise<StepResult> {
  const result: StepResult = { id: step.id, title: step.title, said: [], observations: [], ok: false };
  try {
    if (step.perform) result.did = (await step.perform(ctx)) ?? undefined;
    afterPerform?.();
    if (step.exercise && mode !== 'none') {
      if (mode === 'mistake') {
        if (!step.exercise.mistake) throw new Error(`exercise ${step.id} has no mistake to demonstrate`);
        await step.exercise.mistake(ctx);
      } else {
        await step.exercise.solve(ctx);
      }
    }
    result.observations = await step.verify(ctx);
    result.ok = result.observations.length > 0 && result.observations.every((o) => o.ok);
  } catch (err) {
    result.error = process.env.DEBUG ? String((err as Error).stack) : (err as Error).message;
    result.ok = false;
  }
  result.said = ctx.takeSaid();
  return result;
}

export async function runLabUnattended(lab: Lab, opts: UnattendedOptions = {}): Promise<LabResult> {
  const ctx = createLabContext(lab.id);
  const steps: StepResult[] = [];
  try {
    for (const step of lab.steps) {
      const result = await runStep(step, ctx, step.exercise && opts.mistakes ? 'mistake' : 'solve');
      steps.push(result);
      await opts.onStep?.(step, result);
      if (!result.ok && !opts.keepGoing) break;
    }
  } finally {
    for (const step of [...lab.steps].reverse()) {
      try { await step.cleanup?.(ctx); } catch { /* the ledger still undoes what it recorded */ }
    }
    var report = await ctx.cleanup();
  }
  return { lab: lab.id, ok: steps.length === lab.steps.length && steps.every((s) => s.ok) && !report.failed.length, steps, cleanupFailed: report.failed };
}
