// `nestbox lab start uts` in a real terminal, driven through tmux the way a learner types: Enter at
// each step, a shell inside the namespace for the exercise, "Check my work"; and Ctrl-C in the
// middle of a lab, which must clean up. Then `run -it` and `exec -it`, which give the container a
// terminal of its own. Skipped (with the reason) where tmux is not installed.
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { kernelSuite, tempDir, patience } from '../helpers.js';
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
  const deadline = Date.now() + patience(ms);
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}; the screen shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(state: string, args: string) {
  tmux('new-session', '-d', '-s', session, '-x', '110', '-y', '50',
    // A learner's terminal: UTF-8, English (the ticks and words the checks below look for).
    `LANG=C.UTF-8 NESTBOX_LANG=en NESTBOX_STATE_DIR=${state} ${process.execPath} ${bin} ${args}; echo EXIT=$?; sleep 60`);
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

/** A command line for tmux: nestbox with a library of its own, then its exit status on screen. */
function startNestbox(lib: string, args: string) {
  tmux('new-session', '-d', '-s', session, '-x', '110', '-y', '50',
    `NESTBOX_LIB_DIR=${lib} ${process.execPath} ${bin} ${args}; echo EXIT=$?; sleep 60`);
}

run('run -it and exec -it: a terminal of the container\'s own (/dev/pts/0, the window\'s size), Ctrl-C inside, the exit status', async () => {
  const lib = tempDir('nestbox-tty-test-');
  const nb = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NESTBOX_LIB_DIR: lib.path } });
  try {
    nb('rootfs', 'create');
    startNestbox(lib.path, 'run -it --rm --net none default');
    await waitFor('/ # ');
    keys('tty; stty size', 'Enter');
    let s = await waitFor(/^\d+ \d+$/m);
    assert.match(s, /^\/dev\/pts\/0$/m, 'a terminal in the container\'s own devpts');
    assert.match(s, /^50 110$/m, 'as large as the window');
    keys('sleep 30; echo slept', 'Enter');
    await new Promise((r) => setTimeout(r, 300));
    keys('C-c');
    keys('echo alive', 'Enter');
    s = await waitFor(/^alive$/m);
    assert.not.match(s, /^slept$/m, 'Ctrl-C reached the sleep inside');
    keys('exit 3', 'Enter');
    s = await waitFor('EXIT=');
    assert.match(s, /EXIT=3/);
    tmux('kill-session', '-t', session);

    nb('run', '-d', '--name', 'ttyexec', '--net', 'none', 'default', '--', 'sleep', '60');
    startNestbox(lib.path, 'exec -it ttyexec /bin/sh');
    await waitFor('/ # ');
    keys('tty; echo "pid=$$ session=$(cut -d" " -f6 /proc/$$/stat)"', 'Enter');
    s = await waitFor(/^pid=\d+ session=\d+$/m);
    assert.match(s, /^\/dev\/pts\/\d+$/m);
    const [, pid, sid] = /^pid=(\d+) session=(\d+)$/m.exec(s)!;
    assert.is(sid, pid, 'the shell leads a session of its own, which its terminal controls');
    keys('exit 4', 'Enter');
    assert.match(await waitFor('EXIT='), /EXIT=4/);
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* gone */ }
    try { nb('rm', '-f', 'ttyexec'); } catch { /* not there */ }
    lib.remove();
  }
});

test.run();
