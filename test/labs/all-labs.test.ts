// Every lab, run start to finish as `nestbox lab start ID --yes` does: each step performed for real
// and verified from the kernel; each exercise checked twice, with its reference `solve` (must pass)
// and with a typical mistake (the check must fail, so the learner would see the hints). Afterwards
// nothing the lab created may remain (its ledger is empty and the host is clean).
// Filter with NESTBOX_LABS=uts,pid.
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { kernelSuite, looksLikeProse, commandProse } from '../helpers.js';
import { LAB_ORDER, loadLab } from '../../labs/index.js';
import { runLabUnattended } from '../../src/lab/unattended.js';
import { runChecks } from '../../src/doctor/checks.js';
import { Ledger } from '../../src/host/ledger.js';
import type { Shown } from '../../src/lab/types.js';
import type { StepResult } from '../../src/lab/unattended.js';


const en = (x: Shown | undefined) => (x === undefined ? '' : typeof x === 'string' ? x : x.en);

/**
 * What a step did and what it read back are told in both languages: no English sentence left as a
 * plain string in a summary or an observation's label, nor in the comment of a command it narrates
 * ("$ mount ...   # in the box"). (Values and other narrated lines are often what a program
 * printed, which stays as printed.)
 */
function untranslated(steps: StepResult[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const shown: [string, Shown | undefined][] = [['summary', s.did], ...s.observations.map((o): [string, Shown] => ['label', o.what])];
    for (const [kind, v] of shown) if (typeof v === 'string' && looksLikeProse(v) && !/^[\w.-]+\(/.test(v)) out.push(`${s.id} ${kind}: ${v}`);
    for (const line of s.said) if (typeof line === 'string' && line.startsWith('$ ') && commandProse(line)) out.push(`${s.id} narrated command: ${line}`);
  }
  return out;
}

const test = kernelSuite('labs');
const only = process.env.NESTBOX_LABS?.split(',');
const unavailable = runChecks().unavailableLabs;
const ledgersBefore = new Set(Ledger.owners());

function leftover(): string[] {
  return Ledger.owners().filter((o) => !ledgersBefore.has(o));
}

for (const id of LAB_ORDER.filter((id) => !only || only.includes(id))) {
  if (unavailable[id]) {
    console.log(`SKIP lab ${id}: unavailable on this machine (${unavailable[id]})`);
    continue;
  }
  test(`lab ${id}: every step passes with --yes, nothing left behind`, async () => {
    const lab = (await loadLab(id))!;
    const result = await runLabUnattended(lab);
    for (const s of result.steps) {
      const bad = s.observations.filter((o) => !o.ok).map((o) => `${en(o.what)}: expected ${en(o.expected)}, observed ${en(o.observed)}`);
      assert.ok(s.ok, `step ${s.id}: ${s.error ?? bad.join('; ')}`);
    }
    assert.is(result.steps.length, lab.steps.length, 'all steps ran');
    assert.equal(untranslated(result.steps), [], 'every sentence shown is in both languages');
    assert.equal(result.cleanupFailed, []);
    assert.equal(leftover(), [], 'the lab ledger was emptied');
  });

  test(`lab ${id}: each exercise's check fails for a wrong answer`, async () => {
    const lab = (await loadLab(id))!;
    const exercises = lab.steps.filter((s) => s.exercise);
    assert.ok(exercises.length > 0, `lab ${id} has at least one exercise`);
    const result = await runLabUnattended(lab, { mistakes: true, keepGoing: true });
    for (const ex of exercises) {
      const r = result.steps.find((s) => s.id === ex.id)!;
      assert.ok(ex.exercise!.mistake, `exercise ${ex.id} has a mistake`);
      assert.ok(r && !r.ok, `the check of ${ex.id} fails after the mistake`);
      assert.ok(ex.exercise!.hints.length > 0, `exercise ${ex.id} has hints`);
      assert.not.ok(r.error, `the failed check of ${ex.id} is an observation, not a crash: ${r.error}`);
    }
    assert.equal(leftover(), []);
  });
}

test('lab work directories are gone', () => {
  assert.not.ok(existsSync('/run/nestbox/labs') && leftover().length);
});

test.run();
