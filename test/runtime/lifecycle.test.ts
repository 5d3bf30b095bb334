// A container's second life and everything around it, as a Docker user drives it: create, start
// (-a, -i), stop and start again, restart policies, attach and detach, wait, logs. bin/run.js in
// child processes, every claim checked from the container, the kernel or the files nestbox keeps.
import * as assert from 'uvu/assert';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { kernelSuite, tempDir, patience, eventually } from '../helpers.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-life-test-');
process.env.NESTBOX_LIB_DIR = lib.path;
const env = { ...process.env, NO_COLOR: '1' };
const nb = (args: string[], input = '', extraEnv: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: { ...env, ...extraEnv }, timeout: patience(60_000) });
const inspect = (name: string) => JSON.parse(nb(['inspect', name]).stdout)[0];

const test = kernelSuite('container lifecycle');

/**
 * `nestbox attach ARGS`, as a person at a keyboard: each of `keys` is typed once the output so far
 * matches its `after`. Resolves with the exit status and the output.
 */
async function attachTyping(args: string[], keys: { after: RegExp; type: string }[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'attach', ...args], { env });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  for (const k of keys) {
    if (!(await eventually(() => k.after.test(stdout), 10_000))) break;
    child.stdin.write(k.type);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), patience(20_000));
  const status = await exited;
  clearTimeout(timer);
  return { status, stdout, stderr };
}

/** The cgroup directories of one container, in every hierarchy. */
function cgroupsOf(id: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/sys/fs/cgroup')) {
    for (const root of [join('/sys/fs/cgroup', d), '/sys/fs/cgroup']) if (existsSync(join(root, 'nestbox', id))) out.push(join(root, 'nestbox', id));
  }
  return [...new Set(out)];
}

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test('a stopped container starts again: same id and name, its files as it left them, a new PID 1', () => {
  const d = nb(['run', '-d', '--name', 'again', '--net', 'none', 'default', '--', 'sleep', '300']);
  assert.is(d.status, 0, d.stderr);
  const id = d.stdout.trim();
  const firstPid = inspect('again').State.Pid;
  assert.is(nb(['exec', 'again', 'sh', '-c', 'echo kept > /data.txt']).status, 0);
  assert.is(nb(['stop', '-t', '0', 'again']).status, 0);
  assert.is(inspect('again').State.Status, 'exited');
  assert.not.ok(isAlive(firstPid));
  assert.equal(cgroupsOf(id), [], 'a stopped container holds no cgroup');
  const s = nb(['start', 'again']);
  assert.is(s.status, 0, s.stderr);
  assert.is(s.stdout.trim(), 'again');
  const info = inspect('again');
  assert.is(info.Id, id);
  assert.is(info.State.Status, 'running');
  assert.is.not(info.State.Pid, firstPid);
  assert.is(nb(['exec', 'again', 'cat', '/data.txt']).stdout, 'kept\n', 'the writable layer was kept');
  assert.ok(cgroupsOf(id).length > 0, 'running again, in a cgroup of its own');
  assert.is(nb(['rm', '-f', 'again']).status, 0);
  assert.equal(cgroupsOf(id), []);
});

test('create + start -a: nothing runs until start; the output arrives on the right streams; the exit code is the command\'s', () => {
  const c = nb(['create', '--name', 'job', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
  assert.is(c.status, 0, c.stderr);
  const id = c.stdout.trim();
  assert.match(id, /^[0-9a-f]{12}$/);
  const created = inspect('job');
  assert.is(created.State.Status, 'created');
  assert.is(created.State.Pid, 0);
  assert.equal(cgroupsOf(id), [], 'create makes nothing on the kernel side');
  const a = nb(['start', '-a', 'job']);
  assert.is(a.status, 3, a.stderr);
  assert.is(a.stdout, 'to-out\n');
  assert.is(a.stderr, 'to-err\n');
  assert.is(nb(['wait', 'job']).stdout, '3\n', 'wait prints the exit code');
  // A second life: start -a again runs it again, from the same configuration.
  assert.is(nb(['start', '-a', 'job']).status, 3);
  const logs = nb(['logs', 'job']);
  assert.is(logs.stdout, 'to-out\nto-out\n', 'logs: stdout to stdout, across both runs');
  assert.is(logs.stderr, 'to-err\nto-err\n', 'and stderr to stderr');
  assert.is(nb(['rm', 'job']).status, 0);
});

test('start -ai: your input reaches PID 1, and its end closes PID 1\'s input', () => {
  assert.is(nb(['create', '-i', '--name', 'cat', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'tr a-z A-Z; echo end']).status, 0);
  const r = nb(['start', '-ai', 'cat'], 'hello\n');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'HELLO\nend\n');
  assert.is(nb(['rm', 'cat']).status, 0);
});

test('exec -i and run -i: input that arrives late through a pipe is waited for, not an EAGAIN', () => {
  // The shell's pipe has nothing in it for half a second: a reader handed a non-blocking
  // descriptor would fail at once ("read error: Resource temporarily unavailable").
  const late = (args: string) => spawnSync('/bin/sh', ['-c', `(sleep 0.5; echo late) | "${process.execPath}" "${bin}" ${args}`], { encoding: 'utf8', env, timeout: patience(60_000) });
  assert.is(nb(['run', '-d', '--name', 'reader', '--net', 'none', 'default', 'sleep', '60']).status, 0);
  try {
    const e = late('exec -i reader tr a-z A-Z');
    assert.is(e.status, 0, e.stderr);
    assert.is(e.stdout, 'LATE\n');
    const r = late('run --rm -i --net none default tr a-z A-Z');
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'LATE\n');
  } finally {
    nb(['rm', '-f', 'reader']);
  }
});

test('attach to run -dit: Ctrl-P Ctrl-Q detaches and the container runs on; `exit` in the attached shell stops it', async () => {
  const d = nb(['run', '-dit', '--name', 'shell', '--net', 'none', 'default']);
  assert.is(d.status, 0, d.stderr);
  // Without a terminal of ours, input is piped: the detach keys are bytes 0x10 0x11 like any other.
  const a = await attachTyping(['shell'], [{ after: /^/, type: 'echo attached-$((6*7))\n' }, { after: /attached-42/, type: '\x10\x11' }]);
  assert.is(a.status, 0, a.stderr);
  assert.match(a.stdout, /attached-42/, 'the shell got the line and answered');
  assert.match(a.stderr, /read escape sequence/);
  assert.is(inspect('shell').State.Status, 'running', 'detached: PID 1 runs on');
  const e = nb(['attach', 'shell'], 'exit 5\n');
  assert.is(e.status, 5, 'the attach ends with PID 1, and returns its exit code');
  assert.is(inspect('shell').State.Status, 'exited');
  assert.is(inspect('shell').State.ExitCode, 5);
  assert.is(nb(['rm', 'shell']).status, 0);
});

test('attach: --detach-keys, a stopped container and a bad key are refused with one line', async () => {
  assert.is(nb(['run', '-di', '--name', 'keys', '--net', 'none', 'default', '--', 'cat']).status, 0);
  const a = await attachTyping(['--detach-keys', 'ctrl-x,x', 'keys'], [{ after: /^/, type: 'one\n' }, { after: /one\n/, type: '\x18x' }]);
  assert.is(a.status, 0, a.stderr);
  assert.is(a.stdout, 'one\n', 'cat echoed the line, and the keys were not sent');
  assert.is(inspect('keys').State.Status, 'running');
  const bad = nb(['attach', '--detach-keys', 'ctrl-shift', 'keys']);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^nestbox: --detach-keys "ctrl-shift"/);
  assert.is(nb(['stop', '-t', '0', 'keys']).status, 0);
  const stopped = nb(['attach', 'keys']);
  assert.is(stopped.status, 1);
  assert.match(stopped.stderr, /not running \(exited\).*start it first/);
  assert.is(nb(['rm', 'keys']).status, 0);
});

test('--restart on-failure:2 restarts twice, then stays exited; inspect counts the restarts', async () => {
  const d = nb(['run', '-d', '--name', 'flaky', '--net', 'none', '--restart', 'on-failure:2', 'default', '--', '/bin/sh', '-c', 'echo run; exit 4']);
  assert.is(d.status, 0, d.stderr);
  // Read all along: between two runs it is restarting, never exited with another code.
  const wrong: string[] = [];
  const done = await eventually(() => {
    const i = inspect('flaky');
    if (i.State.Status === 'exited' && i.State.ExitCode !== 4) wrong.push(`exited ${i.State.ExitCode} after ${i.RestartCount} restarts`);
    return i.State.Status === 'exited' && i.RestartCount === 2;
  }, 15_000);
  assert.equal(wrong, [], 'a container being restarted is restarting, with its last exit code');
  const info = inspect('flaky');
  assert.ok(done, `restarted twice and exited: ${JSON.stringify(info.State)} count ${info.RestartCount}`);
  assert.is(info.State.ExitCode, 4);
  assert.is(nb(['logs', 'flaky']).stdout, 'run\nrun\nrun\n', 'three runs: the first and two restarts');
  await new Promise((r) => setTimeout(r, patience(1000)));
  assert.is(inspect('flaky').RestartCount, 2, 'no third restart');
  assert.is(nb(['rm', 'flaky']).status, 0);
});

test('--restart always: restarted after it ends, not after stop; rm -f while it waits to restart leaves nothing', async () => {
  const d = nb(['run', '-d', '--name', 'always', '--net', 'none', '--restart', 'always', 'default', '--', '/bin/sh', '-c', 'sleep 0.3; exit 0']);
  assert.is(d.status, 0, d.stderr);
  const id = d.stdout.trim();
  assert.ok(await eventually(() => inspect('always').RestartCount >= 2, 15_000), 'restarted even after exit 0');
  const s = nb(['stop', '-t', '1', 'always']);
  assert.is(s.status, 0, s.stderr);
  const count = inspect('always').RestartCount;
  await new Promise((r) => setTimeout(r, patience(1500)));
  assert.is(inspect('always').State.Status, 'exited', 'stopped by hand: it stays stopped');
  assert.is(inspect('always').RestartCount, count);
  // Started by hand again, the policy applies again; rm -f in the middle of it removes everything.
  assert.is(nb(['start', 'always']).status, 0);
  assert.ok(await eventually(() => inspect('always').RestartCount >= 1, 15_000));
  const rm = nb(['rm', '-f', 'always']);
  assert.is(rm.status, 0, rm.stderr);
  await new Promise((r) => setTimeout(r, patience(500)));
  assert.equal(cgroupsOf(id), []);
  assert.not.ok(existsSync(join(lib.path, 'containers', id)));
  assert.not.ok(spawnSync('pgrep', ['-f', `internal (exited|start|restart) ${id}`]).status === 0, 'no process keeps restarting it');
});

test('--restart with a foreground run: nestbox returns the exit code, the container is started again in the background', async () => {
  const r = nb(['run', '--name', 'fgr', '--net', 'none', '--restart', 'on-failure:1', 'default', '--', '/bin/sh', '-c', 'echo once; exit 2']);
  assert.is(r.status, 2);
  assert.is(r.stdout, 'once\n');
  assert.ok(await eventually(() => inspect('fgr').RestartCount === 1 && inspect('fgr').State.Status === 'exited', 15_000));
  assert.is(nb(['logs', 'fgr']).stdout, 'once\nonce\n', 'a foreground run has a log too');
  assert.is(nb(['rm', 'fgr']).status, 0);
});

test('logs: --tail, -t, --since, --until, -f until the container stops', async () => {
  // The last line waits for the test to say so (a file it makes), so the checks before it see three lines.
  const d = nb(['run', '-d', '--name', 'talker', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'for i in 1 2 3; do echo line$i; done; echo oops >&2; while [ ! -e /go ]; do sleep 0.1; done; echo late']);
  assert.is(d.status, 0, d.stderr);
  const follow = spawn(process.execPath, [bin, 'logs', '-f', 'talker'], { env });
  let followed = '';
  follow.stdout.on('data', (c) => (followed += c));
  const ended = new Promise<number | null>((r) => follow.once('exit', r));
  assert.ok(await eventually(() => nb(['logs', 'talker']).stdout.includes('line3'), 10_000));
  const tail = nb(['logs', '--tail', '2', 'talker']);
  assert.is(tail.stdout, 'line3\n', 'the last two lines, counted over both streams as Docker counts them');
  assert.is(tail.stderr, 'oops\n', 'the one from stderr on stderr');
  const stamped = nb(['logs', '-t', 'talker']).stdout.split('\n')[0];
  assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line1$/);
  assert.is(nb(['logs', '--since', '1h', 'talker']).stdout.split('\n')[0], 'line1');
  assert.is(nb(['logs', '--until', '1h', 'talker']).stdout, '', 'nothing was written more than an hour ago');
  const future = String(Math.floor(Date.now() / 1000) + 3600);
  assert.is(nb(['logs', '--since', future, 'talker']).stdout, '');
  assert.is(nb(['logs', '--since', 'yesterday', 'talker']).status, 1, 'a time nestbox cannot read is an error');
  assert.is(nb(['exec', 'talker', 'touch', '/go']).status, 0);
  assert.is(await ended, 0, 'logs -f ends when the container stops');
  assert.is(followed, 'line1\nline2\nline3\nlate\n');
  assert.is(nb(['rm', 'talker']).status, 0);
});

test('with /run/nestbox emptied while a container runs (a reboot cleaner, a hand): stop still stops it and rm leaves no cgroup', async () => {
  const run = mkdtempSync(join(tmpdir(), 'nestbox-run-dir-'));
  const withRun = { NESTBOX_RUN_DIR: run };
  try {
    const d = nb(['run', '-d', '--name', 'wiped', '--net', 'none', 'default', '--', 'sleep', '300'], '', withRun);
    assert.is(d.status, 0, d.stderr);
    const id = d.stdout.trim();
    const pid = inspect('wiped').State.Pid;
    rmSync(run, { recursive: true, force: true });
    const s = nb(['stop', '-t', '1', 'wiped'], '', withRun);
    assert.is(s.status, 0, s.stderr);
    assert.not.ok(isAlive(pid), 'PID 1 was stopped');
    assert.is(inspect('wiped').State.Status, 'exited');
    const r = nb(['rm', 'wiped'], '', withRun);
    assert.is(r.status, 0, r.stderr);
    assert.equal(cgroupsOf(id), [], 'no cgroup left');
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('diff: a fresh container shows nothing; then A, C and D from its writable layer, nothing from a volume', () => {
  const vol = tempDir('nestbox-diff-vol-');
  try {
    assert.is(nb(['run', '-d', '--name', 'differ', '--net', 'none', '-v', `${vol.path}:/srv/vol`, 'default', '--', 'sleep', '300']).status, 0);
    assert.is(nb(['diff', 'differ']).stdout, '', 'nestbox\'s own mount points are not changes');
    assert.is(nb(['exec', 'differ', 'sh', '-c', 'echo x > /tmp/new; echo y > /etc/motd; rm /bin/uname; echo z > /srv/vol/f']).status, 0);
    assert.is(nb(['diff', 'differ']).stdout, 'C /bin\nD /bin/uname\nC /etc\nA /etc/motd\nC /tmp\nA /tmp/new\n');
    assert.is(nb(['rm', '-f', 'differ']).status, 0);
  } finally {
    vol.remove();
  }
});

test('wait over several containers, one missing: each reported, exit 1', () => {
  assert.is(nb(['run', '-d', '--name', 'w1', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'sleep 0.5; exit 6']).status, 0);
  const w = nb(['wait', 'w1', 'nosuch']);
  assert.is(w.stdout, '6\n');
  assert.match(w.stderr, /no such container: nosuch/);
  assert.is(w.status, 1);
  assert.is(nb(['rm', 'w1']).status, 0);
});

test('wait on a container run with --rm: its exit code, though nothing of it remains', async () => {
  // Long enough for `wait` to start (a removed container is "no such container", as in Docker).
  const seconds = Math.ceil(patience(1500) / 1000);
  assert.is(nb(['run', '-d', '--rm', '--name', 'gone', '--net', 'none', 'default', '--', '/bin/sh', '-c', `sleep ${seconds}; exit 7`]).status, 0);
  const w = nb(['wait', 'gone']);
  assert.is(w.stdout, '7\n', w.stderr);
  assert.is(w.status, 0);
  assert.is(nb(['inspect', 'gone']).status, 1, 'removed at its end');
  // And in the foreground: a waiter started beside `run --rm`.
  const run = spawn(process.execPath, [bin, 'run', '--rm', '--name', 'gone2', '--net', 'none', 'default', '--', '/bin/sh', '-c', `sleep ${seconds}; exit 4`], { env, stdio: 'ignore' });
  const ran = new Promise<number | null>((resolve) => run.on('exit', resolve));
  assert.ok(await eventually(() => /"Running": true/.test(nb(['inspect', 'gone2']).stdout), 5000), 'the container runs');
  const waiter = nb(['wait', 'gone2']);
  assert.is(waiter.stdout, '4\n', waiter.stderr);
  assert.is(await ran, 4);
});

test.after(() => {
  for (const name of ['again', 'job', 'cat', 'shell', 'keys', 'flaky', 'always', 'fgr', 'talker', 'wiped', 'w1', 'differ', 'gone', 'gone2']) nb(['rm', '-f', name]);
  lib.remove();
});

test.run();
