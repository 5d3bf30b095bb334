// The CLI as a learner meets it: bin/run.js in a child process, no TTY.
import * as assert from 'uvu/assert';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import { kernelSuite, tempDir, patience } from '../helpers.js';
import { Ledger, readLedgerFile } from '../../src/host/ledger.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input: '', env: { ...process.env, ...env, NO_COLOR: '1' } });

const anywhere = suite('cli');

anywhere('--help lists the commands', () => {
  const r = cli(['--help']);
  assert.is(r.status, 0);
  for (const c of ['doctor', 'cleanup', 'tutorial', 'lab', 'rootfs']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

anywhere('an unknown flag: one line, exit 2, no stack trace', () => {
  const r = cli(['doctor', '--bogus']);
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
});

anywhere('an unknown lab: one line naming the labs, exit 2', () => {
  const r = cli(['lab', 'start', 'nosuchlab', '--yes']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /no lab "nosuchlab"/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

anywhere('a command that does not exist: one line with the nearest one and where to look, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['lab', 'strat', 'uts'], /^nestbox: no command "lab strat" \(did you mean "lab start"\?\): see nestbox lab --help$/],
    [['imag', 'ls'], /^nestbox: no command "imag" \(did you mean "image"\?\): see nestbox --help$/],
    [['volume', 'crate', 'x'], /^nestbox: no command "volume crate" \(did you mean "volume create"\?\): see nestbox volume --help$/],
    [['frobnicate'], /^nestbox: no command "frobnicate": see nestbox --help$/],
  ];
  for (const [args, expected] of cases) {
    const r = cli(args, { NESTBOX_LANG: 'en' });
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), expected);
  }
  assert.match(cli(['lab', 'strat'], { NESTBOX_LANG: 'zh' }).stderr, /没有 "lab strat" 这个命令（你想输入的是不是 "lab start"？）/);
});

anywhere.run();

const test = kernelSuite('cli (root)');

test('doctor --json reports the cgroup mode the mount table shows', () => {
  const r = cli(['doctor', '--json']);
  const report = JSON.parse(r.stdout);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const v1 = / - cgroup cgroup .*(memory|cpu|pids)/m.test(mounts);
  const v2 = / - cgroup2 /m.test(mounts);
  assert.is(report.cgroup.mode, v1 && v2 ? 'hybrid' : v2 ? 'v2' : 'v1');
  assert.is(r.status, report.ok ? 0 : 1);
});

test('lab start without a TTY and without --yes: exit 2, one line, nothing created', () => {
  const before = Ledger.owners().length;
  const r = cli(['lab', 'start', 'uts']);
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--yes/);
  assert.is(Ledger.owners().length, before);
});

test('lab start uts --yes passes, and progress shows in lab list', () => {
  const state = tempDir();
  try {
    const r = cli(['lab', 'start', 'uts', '--yes'], { NESTBOX_STATE_DIR: state.path });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASS/);
    const list = JSON.parse(cli(['lab', 'list', '--json'], { NESTBOX_STATE_DIR: state.path }).stdout);
    const uts = list.find((l: any) => l.id === 'uts');
    assert.is(uts.status, 'done');
    for (const l of list) for (const k of ['id', 'title', 'module', 'status']) assert.ok(k in l);
  } finally {
    state.remove();
  }
});

test('a lab killed with SIGKILL leaves objects that `nestbox cleanup` removes', async () => {
  const state = tempDir();
  // --pace scales with each step's text (src/lab/terminal-ui.ts paceFor): slow enough to catch the
  // lab between its second step and its end, quick enough to get there.
  const child = spawn(process.execPath, [bin, 'lab', 'start', 'uts', '--yes', '--pace', '1500'], { env: { ...process.env, NESTBOX_STATE_DIR: state.path }, stdio: 'ignore' });
  try {
    // Wait until the lab has started its namespace-holding process.
    let ledgerPath = '';
    let pid = 0;
    const until = Date.now() + patience(30_000);
    while (!pid && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const owner = Ledger.owners().find((o) => o.startsWith('lab-uts-') && new Ledger(o).entries().some((e) => e.kind === 'owner' && e.pid === child.pid));
      if (owner) {
        ledgerPath = new Ledger(owner).path;
        pid = (readLedgerFile(ledgerPath).find((e) => e.kind === 'process') as any)?.pid ?? 0;
      }
    }
    assert.ok(pid, 'the lab started a process');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(isAlive(pid), 'the killed lab left its process behind');
    assert.ok(existsSync(ledgerPath), 'and its ledger');
    const r = cli(['cleanup']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`process ${pid}`));
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(isAlive(pid), 'cleanup killed it');
    assert.not.ok(existsSync(ledgerPath), 'and emptied the ledger');
  } finally {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    state.remove();
  }
});

test.run();
