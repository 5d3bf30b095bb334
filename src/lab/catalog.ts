// Labs with their status on this machine for this learner: not started, in progress, done, or
// unavailable (and why, from `nestbox doctor`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, Requirement, Shown } from './types.js';
import { tr, pick } from '../i18n/lang.js';
import { loadAllLabs, loadLab, LAB_ORDER } from '../../labs/index.js';
import { runChecks } from '../doctor/checks.js';
import { loadProgress } from './progress.js';
import { UserError } from '../errors.js';

export interface LabListing {
  id: string;
  /** In this run's language. */
  title: string;
  module: number;
  lesson: string;
  status: 'not started' | 'in progress' | 'done' | 'unavailable';
  step?: number;
  steps: number;
  reason?: string;
}

/** What `lab list` and the tutorial's checklist show of a lab, without its code. */
export interface CatalogEntry { id: string; title: Shown; module: number; lesson: string; needs: Requirement[]; steps: number }

export function catalogEntry(lab: Lab): CatalogEntry {
  return { id: lab.id, title: lab.title, module: lab.module, lesson: lab.lesson, needs: [...lab.needs], steps: lab.steps.length };
}

const catalogFile = fileURLToPath(new URL('../../labs/catalog.json', import.meta.url));

/**
 * The labs' catalog, written at build time (scripts/manifest.js), so listing them does not load the
 * code of 27 labs (~100 ms); read only while it is newer than every built lab.
 */
async function catalog(): Promise<CatalogEntry[]> {
  try {
    const written = statSync(catalogFile).mtimeMs;
    const dir = dirname(catalogFile);
    if (readdirSync(dir).every((f) => !f.endsWith('.js') || statSync(join(dir, f)).mtimeMs <= written)) {
      return JSON.parse(readFileSync(catalogFile, 'utf8')) as CatalogEntry[];
    }
  } catch { /* not built: load the labs */ }
  return (await loadAllLabs()).map(catalogEntry);
}

export async function listLabs(): Promise<LabListing[]> {
  const [labs, report, progress] = [await catalog(), runChecks(), loadProgress()];
  return labs.map((lab) => {
    const why = unavailableReason(lab, report);
    const p = progress.labs[lab.id];
    const status: LabListing['status'] = why ? 'unavailable' : p?.status === 'done' ? 'done' : p ? 'in progress' : 'not started';
    return { id: lab.id, title: tr(lab.title), module: lab.module, lesson: lab.lesson, status, step: p?.step, steps: lab.steps, reason: why };
  });
}

/** A status as the learner reads it ("in progress (2/4)", "进行中（2/4）"). */
export function statusLabel(l: Pick<LabListing, 'status' | 'step' | 'steps'>): string {
  switch (l.status) {
    case 'done': return pick('done', '已完成');
    case 'not started': return pick('not started', '未开始');
    case 'unavailable': return pick('unavailable', '做不了');
    case 'in progress': return pick(`in progress (${l.step}/${l.steps})`, `进行中（${l.step}/${l.steps}）`);
  }
}

/** Why this lab cannot run here, from the doctor checks it needs; undefined when it can. */
export function unavailableReason(lab: Pick<Lab, 'id' | 'needs'>, report = runChecks()): string | undefined {
  for (const need of lab.needs) {
    const check = report.checks.find((c) => c.id === need);
    if (check && check.status !== 'pass' && (check.required || check.status === 'fail' || check.status === 'warn')) {
      return `${check.title}: ${check.detail}${check.fix ? pick(` (fix: ${check.fix})`, `（修复：${check.fix}）`) : ''}`;
    }
  }
  return report.unavailableLabs[lab.id];
}

export async function findLab(id: string): Promise<Lab> {
  const lab = await loadLab(id);
  if (!lab) throw new UserError(pick(`no lab "${id}": the labs are ${LAB_ORDER.join(', ')}`, `没有叫 "${id}" 的实验：实验有 ${LAB_ORDER.join('、')}`), 2);
  return lab;
}
