// One step of a lab, run and checked, and a whole lab without a person (the tests): every step
// performed and verified, exercises answered by their `solve` (or their `mistake`). It is the same
// loop `lab start` runs (runner.ts), with nothing shown and nothing asked.
import type { Observation, Shown, Step } from './types.js';
import type { LabSession } from './context.js';
import type { Lab } from './types.js';
import { runLab } from './runner.js';

export interface StepResult { id: string; title: Shown; did?: Shown; said: Shown[]; observations: Observation[]; ok: boolean; error?: string }
export interface LabResult { lab: string; ok: boolean; steps: StepResult[]; cleanupFailed: string[]; quit?: boolean }

/** How an exercise is answered: its reference `solve`, a typical `mistake` (tests), or by the learner (`none`). */
export type Answer = 'solve' | 'mistake' | 'none';

export async function runStep(step: Step, ctx: LabSession, mode: Answer = 'solve', afterPerform?: () => void): Promise<StepResult> {
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

export interface UnattendedOptions {
  /** Run each exercise's `mistake` instead of `solve` (tests: the check must fail). */
  mistakes?: boolean;
  /** Keep going after a failed step. */
  keepGoing?: boolean;
}

export function runLabUnattended(lab: Lab, opts: UnattendedOptions = {}): Promise<LabResult> {
  return runLab(lab, { answer: opts.mistakes ? 'mistake' : 'solve', keepGoing: opts.keepGoing });
}
