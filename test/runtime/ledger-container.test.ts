// A container recorded in a ledger ({ kind: 'container' }, as the lifecycle lab records each of its
// containers before making it) is undone as `nestbox rm -f -v` undoes it: a running one is stopped
// (its monitor records the end and releases its cgroup), a stopped one too, each with its directory,
// name and anonymous volumes; a name that no container holds any more is no error. Temporary lib
// and run directories keep a learner's containers and ledgers out of reach.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';
import { isAlive } from '../../src/kernel/proc.js';

const lib = tempDir('nestbox-ledger-ctr-test-');
const run = tempDir('nestbox-ledger-ctr-run-');
process.env.NESTBOX_LIB_DIR = lib.path;
process.env.NESTBOX_RUN_DIR = run.path;
const { Ledger } = await import('../../src/host/ledger.js');
const { undoLedger } = await import('../../src/host/cleanup.js');

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const env = { ...process.env, NO_COLOR: '1' };
const nb = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout: patience(60_000) });
const inspect = (name: string) => JSON.parse(nb(['inspect', name]).stdout)[0];

/** The cgroup directories of one container, in every hierarchy. */
function cgroupsOf(id: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/sys/fs/cgroup')) {
    for (const root of [join('/sys/fs/cgroup', d), '/sys/fs/cgroup']) if (existsSync(join(root, 'nestbox', id))) out.push(join(root, 'nestbox', id));
  }
  return [...new Set(out)];
}

const test = kernelSuite('a container in a ledger');

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test.after(() => {
  for (const name of ['kept-running', 'kept-stopped']) nb(['rm', '-f', name]);
  lib.remove();
  run.remove();
});

test('undoing the ledger removes a running and a stopped container, their anonymous volumes too; a gone one is skipped', async () => {
  const ledger = Ledger.forThisProcess('lab-ledger-ctr-test', 'ledger-container.test');
  for (const name of ['kept-running', 'kept-stopped', 'never-made']) ledger.record({ kind: 'container', ref: name });
  const a = nb(['run', '-d', '--name', 'kept-running', '--net', 'none', '-v', '/scratch', 'default', '--', 'sleep', '600']);
  assert.is(a.status, 0, a.stderr);
  const b = nb(['run', '-d', '--name', 'kept-stopped', '--net', 'none', 'default', '--', 'sleep', '600']);
  assert.is(b.status, 0, b.stderr);
  assert.is(nb(['stop', '-t', '0', 'kept-stopped']).status, 0);
  const [running, stopped] = [a.stdout.trim(), b.stdout.trim()];
  const pid = inspect('kept-running').State.Pid;
  const anonymous = inspect('kept-running').Mounts.find((m: { Destination: string }) => m.Destination === '/scratch').Name;
  assert.ok(existsSync(join(lib.path, 'volumes', anonymous)), 'the anonymous volume exists');

  const report = await undoLedger(ledger);
  assert.equal(report.failed, []);
  assert.equal(report.removed, ['container kept-stopped', 'container kept-running'], 'newest first, the missing one skipped');
  assert.not.ok(isAlive(pid), 'the running one\'s PID 1 was stopped');
  for (const [id, name] of [[running, 'kept-running'], [stopped, 'kept-stopped']]) {
    assert.not.ok(existsSync(join(lib.path, 'containers', id)), `${name}: its directory is gone`);
    assert.not.ok(lstatSync(join(lib.path, 'names', name), { throwIfNoEntry: false }), `${name}: its name is free`);
    assert.equal(cgroupsOf(id), [], `${name}: no cgroup left`);
    assert.not.ok(new Ledger(`ctr-${id}`).exists(), `${name}: its own ledger is gone`);
  }
  assert.not.ok(existsSync(join(lib.path, 'volumes', anonymous)), 'its anonymous volume went with it (rm -v)');
  assert.not.ok(ledger.exists(), 'the ledger was emptied');
});

test.run();
