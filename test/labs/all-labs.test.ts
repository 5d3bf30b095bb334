// Every lab, run start to finish as `nestbox lab start ID --yes` does: each step performed for real
// and verified from the kernel; each exercise checked twice, with its reference `solve` (must pass)
// and with a typical mistake (the check must fail, so the learner would see the hints). Afterwards
// nothing the lab created may remain (its ledger is empty and the host is clean).
// Filter with NESTBOX_LABS=uts,pid.
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { kernelSuite } from '../helpers.js';
import { LAB_ORDER, loadLab } from '../../labs/index.js';
import { runLabUnattended } from '../../src/lab/unattended.js';
import { runChecks } from '../../src/doctor/checks.js';
import { Ledger } from '../../src/host/ledger.js';

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
      const bad = s.observations.filter((o) => !o.ok).map((o) => `${o.what}: expected ${o.expected}, observed ${o.observed}`);
      assert.ok(s.ok, `step ${s.id}: ${s.error ?? bad.join('; ')}`);
    }
    assert.is(result.steps.length, lab.steps.length, 'all steps ran');
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
