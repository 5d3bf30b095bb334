// nestbox as a script drives it, the way Docker is scripted: several containers to one command,
// `rm -f $(nestbox ps -aq)`, ps --filter and --format, inspect -f. Each claim is checked against
// the kernel (is PID 1 alive, frozen) or the store, not only against what nestbox prints.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience, eventually } from '../helpers.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-scripting-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1', TZ: 'UTC' };
const nb = (args: string[]) => spawnSync(process.execPath, ['--', bin, ...args], { encoding: 'utf8', env, timeout: patience(60_000) });
const lines = (s: string) => s.split('\n').filter(Boolean);

const test = kernelSuite('several containers, ps and inspect for scripts');

const containerDirs = () => (existsSync(join(lib.path, 'containers')) ? readdirSync(join(lib.path, 'containers')) : []);

/** A detached container running `script` (a loop by default), on no network; its id. */
function detached(name: string, script = 'while :; do sleep 0.1; done', flags: string[] = []): string {
  const r = nb(['run', '-d', '--name', name, '--net', 'none', ...flags, 'default', '--', '/bin/sh', '-c', script]);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A container that ran `exit CODE` and is left exited. */
function exited(name: string, code = 0, flags: string[] = []): void {
  const r = nb(['run', '--name', name, '--net', 'none', ...flags, 'default', '--', '/bin/sh', '-c', `exit ${code}`]);
  assert.is(r.status, code, r.stderr);
}

function state(name: string): { Status: string; Pid: number; ExitCode: number } {
  return JSON.parse(nb(['inspect', name]).stdout)[0].State;
}

/** Whether every process of PID 1 is frozen: the kernel's own view (/proc/PID/status, or the freezer's files). */
function frozen(pid: number): boolean {
  const cgroupLines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v2 = cgroupLines.find((l) => l.startsWith('0::'));
  const v1 = cgroupLines.find((l) => /:freezer:/.test(l));
  if (v1) return readFileSync(join('/sys/fs/cgroup/freezer', v1.split(':')[2], 'freezer.state'), 'utf8').trim() === 'FROZEN';
  return readFileSync(join('/sys/fs/cgroup', v2!.slice(3), 'cgroup.freeze'), 'utf8').trim() === '1';
}

function removeAll(): void {
  for (const id of containerDirs()) nb(['rm', '-f', id]);
}

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test('stop A NONE B: the names as given, in order, on stdout; one line for the missing one; both stopped; exit 1', () => {
  const a = detached('sa'), b = detached('sb');
  try {
    const pids = [state('sa').Pid, state('sb').Pid];
    const r = nb(['stop', '-t', '1', 'sa', 'nope', b]);
    assert.is(r.status, 1, r.stderr);
    assert.equal(lines(r.stdout), ['sa', b], 'the second as given: by id');
    assert.equal(lines(r.stderr), ['nestbox: no such container: nope (see nestbox ps -a)']);
    for (const pid of pids) assert.not.ok(isAlive(pid));
    assert.is(state('sa').Status, 'exited');
    assert.is(state(a).ExitCode, 137, 'sh as PID 1 ignores SIGTERM: the SIGKILL after 1 s');
    // A stopped container is stopped already: its name, exit 0 (as docker stop).
    const again = nb(['stop', '--timeout', '1', 'sa', 'sb']);
    assert.is(again.status, 0, again.stderr);
    assert.equal(lines(again.stdout), ['sa', 'sb']);
  } finally {
    removeAll();
  }
});

test('stop waits the grace period for several containers at once, not one after the other', () => {
  detached('ga'); detached('gb'); detached('gc');
  try {
    const t0 = Date.now();
    const r = nb(['stop', '-t', '2', 'ga', 'gb', 'gc']);
    assert.is(r.status, 0, r.stderr);
    assert.equal(lines(r.stdout), ['ga', 'gb', 'gc']);
    assert.ok(Date.now() - t0 < patience(5500), `three 2 s grace periods took ${Date.now() - t0} ms`);
  } finally {
    removeAll();
  }
});

test('kill -s / --signal over several: the signal reaches each PID 1; a stopped one is an error of its own', async () => {
  const trap = 'trap "echo got-HUP; exit 3" HUP; while :; do sleep 0.1; done';
  detached('ka', trap); detached('kb', trap); exited('kc');
  try {
    const r = nb(['kill', '--signal=SIGHUP', 'ka', 'kc', 'kb']);
    assert.is(r.status, 1);
    assert.equal(lines(r.stdout), ['ka', 'kb'], r.stderr);
    assert.is(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /kc is not running/);
    assert.ok(await eventually(() => state('ka').Status === 'exited' && state('kb').Status === 'exited', 10_000));
    // Its HUP trap ran (a SIGKILL would have run nothing): it wrote to the container's log.
    for (const n of ['ka', 'kb']) assert.match(nb(['logs', n]).stdout, /^got-HUP$/m);
    const bad = nb(['kill', '-s', 'NOSUCH', 'ka']);
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /unknown signal "NOSUCH"/);
    assert.is(bad.stdout, '');
  } finally {
    removeAll();
  }
});

test('pause and unpause several: the kernel freezes each; a missing one does not stop the others', () => {
  detached('pa'); detached('pb');
  try {
    const pids = [state('pa').Pid, state('pb').Pid];
    const p = nb(['pause', 'pa', 'nope', 'pb']);
    assert.is(p.status, 1);
    assert.equal(lines(p.stdout), ['pa', 'pb']);
    assert.is(lines(p.stderr).length, 1);
    for (const pid of pids) assert.ok(frozen(pid), `PID ${pid} is frozen`);
    const again = nb(['pause', 'pa']);
    assert.is(again.status, 1);
    assert.match(again.stderr, /already paused/);
    const u = nb(['unpause', 'pa', 'pb']);
    assert.is(u.status, 0, u.stderr);
    assert.equal(lines(u.stdout), ['pa', 'pb']);
    for (const pid of pids) assert.not.ok(frozen(pid));
  } finally {
    removeAll();
  }
});

test('rm without -f: a running one is refused, the exited ones go; rm -f of a missing name is not a failure', () => {
  detached('ra'); exited('rb'); exited('rc', 4);
  try {
    const r = nb(['rm', 'rb', 'ra', 'rc']);
    assert.is(r.status, 1);
    assert.equal(lines(r.stdout), ['rb', 'rc']);
    assert.match(r.stderr, /container ra is running/);
    assert.is(lines(r.stderr).length, 1);
    assert.is(containerDirs().length, 1, 'only the running one is left');
    const f = nb(['rm', '-f', 'nope', 'ra']);
    assert.is(f.status, 0, 'rm -f: a name that is not there is reported, not failed (as docker rm -f)');
    assert.equal(lines(f.stdout), ['ra']);
    assert.match(f.stderr, /no such container: nope/);
    assert.equal(containerDirs(), []);
  } finally {
    removeAll();
  }
});

test('rm -f $(nestbox ps -aq) removes exactly what ps -a lists: running, paused and exited', () => {
  detached('ma'); detached('mb'); exited('mc'); exited('md', 1);
  assert.is(nb(['pause', 'mb']).status, 0);
  try {
    const ids = lines(nb(['ps', '-aq']).stdout);
    assert.is(ids.length, 4);
    assert.equal([...ids].sort(), [...containerDirs()].sort());
    const pids = ['ma', 'mb'].map((n) => state(n).Pid);
    const r = nb(['rm', '-f', ...ids]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(lines(r.stdout), ids, 'each id as given, in order');
    assert.is(r.stderr, '');
    assert.equal(containerDirs(), []);
    assert.equal(lines(nb(['ps', '-aq']).stdout), []);
    for (const pid of pids) assert.not.ok(isAlive(pid));
  } finally {
    removeAll();
  }
});

test('ps: Docker\'s columns and status words; --filter, -n, -l, -q and --format over real containers', () => {
  const t0 = Date.now();
  exited('fa', 3);
  detached('fb', 'while :; do sleep 0.1; done', ['-p', '127.0.0.1::80', '--net', 'bridge']);
  detached('fc');
  assert.is(nb(['pause', 'fc']).status, 0);
  try {
    const all = lines(nb(['ps', '-a']).stdout);
    assert.match(all[0], /^CONTAINER ID {3}IMAGE {5}COMMAND {18}CREATED +STATUS +PORTS +NAMES$/);
    assert.is(all.length, 4);
    assert.match(all.find((l) => l.endsWith(' fa'))!, /^[0-9a-f]{12} {3}default {3}"\/bin\/sh -c 'exit 3'" +(\d+ seconds?|Less than a second) ago +Exited \(3\) (\d+ seconds?|Less than a second) ago +fa$/);
    assert.match(all.find((l) => l.endsWith(' fb'))!, /"\/bin\/sh -c 'while :…" .* Up (\d+ seconds?|Less than a second) +127\.0\.0\.1:\d+->80\/tcp +fb$/);
    assert.match(all.find((l) => l.endsWith(' fc'))!, / Up (\d+ seconds?|Less than a second) \(Paused\) +fc$/);
    // Without -a: running and paused, newest first.
    assert.equal(lines(nb(['ps', '--format', '{{.Names}} {{.State}}']).stdout), ['fc paused', 'fb running']);
    assert.equal(lines(nb(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}']).stdout), ['fa']);
    assert.equal(lines(nb(['ps', '-a', '-f', 'exited=3', '-f', 'exited=4', '--format', '{{.Names}}']).stdout), ['fa']);
    assert.equal(lines(nb(['ps', '-f', 'name=f[ab]', '-f', 'status=running', '--format', '{{.Names}}']).stdout), ['fb']);
    assert.equal(lines(nb(['ps', '-l', '--format', '{{.Names}}']).stdout), ['fc']);
    assert.equal(lines(nb(['ps', '-n', '3', '-q']).stdout).length, 3);
    assert.equal(lines(nb(['ps', '-q', '--filter', 'name=^fa$', '-a']).stdout), [JSON.parse(nb(['inspect', 'fa']).stdout)[0].Id]);
    // The creation time recorded when the container was made, as Docker's CreatedAt.
    const created = Date.parse(nb(['inspect', '-f', '{{.Created}}', 'fa']).stdout.trim());
    assert.ok(created >= t0 - 1000 && created <= Date.now(), `Created ${new Date(created).toISOString()}`);
    assert.match(nb(['ps', '-a', '-f', 'name=fa', '--format', '{{.CreatedAt}}']).stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/m);
    const bad = nb(['ps', '--filter', 'colour=red']);
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /invalid filter 'colour'/);
    assert.is(nb(['ps', '--filter', 'nonsense']).status, 125);
  } finally {
    removeAll();
  }
});

test('inspect -f over several: one line each, as the kernel sees them; a missing one on stderr, exit 1', () => {
  exited('ia', 5);
  detached('ib');
  assert.is(nb(['pause', 'ib']).status, 0);
  try {
    const r = nb(['inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}', 'ia', 'nope', 'ib']);
    assert.is(r.status, 1);
    const [a, b] = lines(r.stdout);
    assert.is(a, '/ia exited false 5 0');
    const m = /^\/ib paused true 0 (\d+)$/.exec(b);
    assert.ok(m, b);
    assert.ok(isAlive(Number(m![1])) && frozen(Number(m![1])), 'the PID inspect gives is PID 1, frozen');
    assert.equal(lines(r.stderr), ['nestbox: no such container: nope (see nestbox ps -a)']);
    assert.is(nb(['inspect', '-f', '{{json .State.Paused}} {{.HostConfig.NetworkMode}} {{range .Config.Env}}{{if eq . "HOME=/root"}}{{.}}{{end}}{{end}}', 'ib']).stdout, 'true none HOME=/root\n');
    // Without -f: Docker's JSON, an array of what was found.
    const json = nb(['inspect', 'nope', 'ia']);
    assert.is(json.status, 1);
    const [info] = JSON.parse(json.stdout);
    assert.is(info.Name, '/ia');
    assert.is(info.State.ExitCode, 5);
    assert.ok(info.Nestbox.CgroupPaths.length > 0);
    assert.is(nb(['inspect', 'nope']).stdout.trim(), '[]');
  } finally {
    removeAll();
  }
});

test.after(() => {
  removeAll();
  lib.remove();
});

test.run();
