// Labs with their status on this machine for this learner: not started, in progress, done, or
// unavailable (and why, from `nestbox doctor`).
import type { Lab } from './types.js';
import { loadAllLabs, loadLab, LAB_ORDER } from '../../labs/index.js';
import { runChecks } from '../doctor/checks.js';
import { loadProgress } from './progress.js';
import { UserError } from '../kernel/errors.js';

export interface LabListing {
  id: string;
  title: string;
  module: number;
  lesson: string;
  status: 'not started' | 'in progress' | 'done' | 'unavailable';
  step?: number;
  steps: number;
  reason?: string;
}

export async function listLabs(): Promise<LabListing[]> {
  const [labs, report, progress] = [await loadAllLabs(), runChecks(), loadProgress()];
  return labs.map((lab) => {
    const why = unavailableReason(lab, report);
    const p = progress.labs[lab.id];
    const status: LabListing['status'] = why ? 'unavailable' : p?.status === 'done' ? 'done' : p ? 'in progress' : 'not started';
    return { id: lab.id, title: lab.title, module: lab.module, lesson: lab.lesson, status, step: p?.step, steps: lab.steps.length, reason: why };
  });
}

/** Why this lab cannot run here, from the doctor checks it needs; undefined when it can. */
export function unavailableReason(lab: Lab, report = runChecks()): string | undefined {
  for (const need of lab.needs) {
    const check = report.checks.find((c) => c.id === need);
    if (check && check.status !== 'pass' && (check.required || check.status === 'fail' || check.status === 'warn')) {
      return `${check.title}: ${check.detail}${check.fix ? ` (fix: ${check.fix})` : ''}`;
    }
  }
  return report.unavailableLabs[lab.id];
}

export async function findLab(id: string): Promise<Lab> {
  const lab = await loadLab(id);
  if (!lab) throw new UserError(`no lab "${id}": the labs are ${LAB_ORDER.join(', ')}`, 2);
  return lab;
}
