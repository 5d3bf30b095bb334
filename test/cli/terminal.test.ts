// `nestbox lab start uts` in a real terminal, driven through tmux the way a learner types: Enter at
// each step, a shell inside the namespace for the exercise, "Check my work"; and Ctrl-C in the
// middle of a lab, which must clean up. Skipped (with the reason) where tmux is not installed.
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { kernelSuite, tempDir } from '../helpers.js';
import { which } from '../../src/host/exec.js';
import { Ledger } from '../../src/host/ledger.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const test = kernelSuite('lab in a terminal (tmux)');
const hasTmux = !!which('tmux');
if (!hasTmux) console.log('SKIP lab in a terminal: tmux is not installed (apt-get install -y tmux)');

const session = `nbtest${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);

async function waitFor(text: string | RegExp, ms = 8000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}; the screen shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(state: string, args: string) {
  tmux('new-session', '-d', '-s', session, '-x', '110', '-y', '50',
    `NESTBOX_STATE_DIR=${state} ${process.execPath} ${bin} ${args}; echo EXIT=$?; sleep 60`);
}

const run = hasTmux ? test : test.skip;

/** Start lab uts, press Enter through its two steps, wait at the exercise; the PID of its namespace. */
async function startUtsToExercise(state: string): Promise<number> {
  start(state, 'lab start uts');
  await waitFor('Press enter to run it');
  keys('Enter');
  await waitFor(/Step 2\/3[\s\S]*Press enter to run it/);
  keys('Enter');
  const screenText = await waitFor('Open a shell inside the lab namespace');
  return Number(/started PID (\d+)/.exec(screenText)![1]);
}

run('a learner completes lab uts: Enter, a shell inside, hostname box1, check', async () => {
  const state = tempDir();
  try {
    start(state.path, 'lab start uts');
    await waitFor('Press enter to run it');
    keys('Enter');
    await waitFor(/Step 2\/3[\s\S]*Press enter to run it/);
    keys('Enter');
    await waitFor('Open a shell inside the lab namespace');
    keys('Enter');
    await waitFor('[lab uts] #');
    keys('hostname box1', 'Enter');
    keys('exit', 'Enter');
    await waitFor(/exit[\s\S]*What next\?/);
    keys('Enter'); // back from the shell, the cursor is on "Check my work"
    const s = await waitFor('EXIT=', 10000);
    assert.match(s, /✔ hostname inside the lab namespace\s+box1/);
    assert.match(s, /Lab uts complete/);
    assert.match(s, /EXIT=0/);
    const progress = JSON.parse(readFileSync(`${state.path}/progress.json`, 'utf8'));
    assert.is(progress.labs.uts.status, 'done');
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* gone */ }
    state.remove();
  }
});

run('Ctrl-C in the middle of a lab removes what it created', async () => {
  const state = tempDir();
  const before = new Set(Ledger.owners());
  try {
    const pid = await startUtsToExercise(state.path);
    assert.ok(isAlive(pid), 'the lab process runs');
    keys('C-c');
    const s = await waitFor('EXIT=');
    assert.match(s, /cleaned up: 1 process\b/);
    assert.match(s, /EXIT=(1|130)/);
    assert.not.ok(isAlive(pid), 'the lab process is gone');
    assert.equal(Ledger.owners().filter((o) => o.startsWith('lab-uts-') && !before.has(o)), [], 'and its ledger');
    const progress = JSON.parse(readFileSync(`${state.path}/progress.json`, 'utf8'));
    assert.is(progress.labs.uts.status, 'in-progress');
    assert.is(progress.labs.uts.step, 2);
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* gone */ }
    state.remove();
  }
});

run('closing the terminal (SIGHUP) or SIGTERM while the lab waits at a prompt removes what it created', async () => {
  for (const how of ['close the terminal', 'SIGTERM']) {
    const state = tempDir();
    const before = new Set(Ledger.owners());
    try {
      const pid = await startUtsToExercise(state.path);
      // The lab's own process is the owner written in its ledger.
      const owner = Ledger.owners().find((o) => o.startsWith('lab-uts-') && !before.has(o))!;
      const lab = (new Ledger(owner).entries().find((e) => e.kind === 'owner') as { pid: number }).pid;
      if (how === 'SIGTERM') process.kill(lab, 'SIGTERM');
      else tmux('kill-session', '-t', session);
      for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      assert.not.ok(isAlive(pid), `${how}: the lab process is gone`);
      for (let i = 0; i < 50 && isAlive(lab); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(Ledger.owners().filter((o) => o.startsWith('lab-uts-') && !before.has(o)), [], `${how}: and its ledger`);
    } finally {
      try { tmux('kill-session', '-t', session); } catch { /* gone */ }
      state.remove();
    }
  }
});

test.run();
