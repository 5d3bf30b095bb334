// nestbox as an OCI runtime, driven as an engine drives runc: bundles (config.json and nestbox's
// default rootfs, in a temporary NESTBOX_LIB_DIR), `nestbox oci create/start/state/kill/delete/exec`
// in child processes, with a temporary --root. Every claim is read back from the kernel: the held
// process, /proc/PID, the cgroup files, the container's own view of itself.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience, eventually } from '../helpers.js';
import { isAlive, commandLine } from '../../src/kernel/proc.js';
import { exampleConfig } from '../../src/oci/example.js';
import type { OciSpec } from '../../src/oci/types.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-oci-test-');
const run = tempDir('nestbox-oci-run-');
const root = join(run.path, 'oci');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NESTBOX_RUN_DIR: run.path, NO_COLOR: '1' };
/**
 * nestbox in a child process, its output through files: a created container keeps the stdout and
 * stderr it was given, and spawnSync would wait on a pipe until the container ends.
 */
const nb = (args: string[], extra: Record<string, string> = {}) => {
  const [outFile, errFile] = [join(run.path, 'stdout'), join(run.path, 'stderr')];
  const [out, err] = [openSync(outFile, 'w'), openSync(errFile, 'w')];
  try {
    const r = spawnSync(process.execPath, [bin, ...args], { stdio: ['ignore', out, err], env: { ...env, ...extra }, timeout: patience(60_000) });
    return { status: r.status, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
  }
};
const oci = (args: string[], extra: Record<string, string> = {}) => nb(['oci', '--root', root, ...args], extra);
const state = (id: string) => JSON.parse(oci(['state', id]).stdout);

const test = kernelSuite('nestbox oci: the OCI runtime');
const made: string[] = [];
let n = 0;

/** A bundle with a copy of the default rootfs and this config (the example's, changed by `edit`). */
function bundle(edit: (c: OciSpec, dir: string) => void = () => {}): { dir: string; id: string } {
  const dir = join(lib.path, `bundle${++n}`);
  mkdirSync(dir);
  cpSync(join(lib.path, 'rootfs', 'default'), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  const c = exampleConfig();
  c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
  edit(c, dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  const id = `oci-test-${process.pid}-${n}`;
  made.push(id);
  return { dir, id };
}

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test('create holds the process; start runs it; state follows the kernel; delete leaves nothing', async () => {
  const { dir, id } = bundle((c) => { c.process!.args = ['sh', '-c', 'echo "$(hostname) $$ $(cat /proc/self/status | grep -c CapEff)" > /out; while [ ! -e /stop ]; do sleep 0.1; done']; });
  const pidFile = join(dir, 'pid');
  const c = oci(['create', '--bundle', dir, '--pid-file', pidFile, id]);
  assert.is(c.status, 0, c.stderr);
  const s = state(id);
  assert.is(s.status, 'created');
  assert.is(s.bundle, dir);
  assert.is(readFileSync(pidFile, 'utf8'), String(s.pid), 'the pid file, without a newline, as runc writes it');
  assert.ok(isAlive(s.pid));
  assert.match(commandLine(s.pid), /^sh -c read -r go <&3/, 'the process waits at the door, held by the host\'s shell');
  assert.not.ok(existsSync(join(dir, 'rootfs', 'out')), 'process.args must not run before start');
  assert.ok(oci(['delete', id]).status !== 0, 'a created container is not deleted without --force');
  assert.is(oci(['start', id]).status, 0);
  assert.ok(oci(['start', id]).status !== 0, 'a second start is an error');
  const out = join(dir, 'rootfs', 'out');
  // The shell opens /out before it writes to it: wait for the whole line.
  assert.ok(await eventually(() => existsSync(out) && readFileSync(out, 'utf8').endsWith('\n'), 5000));
  assert.match(readFileSync(out, 'utf8'), /^nestbox 1 1$/m, 'its hostname, PID 1 of its namespace');
  assert.is(state(id).status, 'running');
  // It ends when told (a fixed sleep could be over before this line on a slow, emulated machine).
  writeFileSync(join(dir, 'rootfs', 'stop'), '');
  assert.ok(await eventually(() => state(id).status === 'stopped', 10_000));
  assert.is(state(id).pid, 0);
  const cgroups = readdirSync('/sys/fs/cgroup', { withFileTypes: true }).flatMap((d) => [join('/sys/fs/cgroup', d.name, 'nestbox', `oci-${id}`), join('/sys/fs/cgroup', 'nestbox', `oci-${id}`)]);
  assert.ok(oci(['kill', id, 'KILL']).status !== 0, 'a stopped container takes no signal');
  const d = oci(['delete', id]);
  assert.is(d.status, 0, d.stderr);
  assert.not.ok(existsSync(join(root, id)));
  assert.equal(cgroups.filter((p) => existsSync(p)), [], 'its cgroup is gone');
  assert.ok(oci(['state', id]).status !== 0, 'a deleted container has no state');
});

test('limits, user, capabilities, rlimits, masked paths and seccomp as the config says, read inside', async () => {
  const { dir, id } = bundle((c) => {
    // The shell's own complaints (its start-up getcwd is refused too) go to stderr, apart.
    c.process!.args = ['sh', '-c', 'exec 2>/dev/null; id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; ulimit -n; cat /proc/kcore /proc/keys | wc -c; env pwd || echo refused; cat /proc/self/oom_score_adj'];
    c.process!.user = { uid: 1000, gid: 1000 };
    c.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: [], permitted: [], inheritable: [], ambient: [] };
    c.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }];
    c.process!.oomScoreAdj = 123;
    c.linux!.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 33554432 }, pids: { limit: 17 } };
    c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  });
  const out = join(dir, 'stdout');
  writeFileSync(out, '');
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" oci --root "${root}" run --bundle "${dir}" ${id} > "${out}" 2>&1`], { env, encoding: 'utf8', timeout: patience(60_000) });
  assert.is(r.status, 0, readFileSync(out, 'utf8'));
  const lines = readFileSync(out, 'utf8');
  assert.match(lines, /^1000\n1000$/m, "uid and gid");
  assert.match(lines, /^CapEff:\s+0+$/m, 'uid 1000 keeps no capability');
  assert.match(lines, /^CapBnd:\s+0+21$/m, 'bounding: CHOWN (0) and KILL (5)');
  assert.match(lines, /^NoNewPrivs:\s+1$/m);
  assert.match(lines, /^100$/m, 'RLIMIT_NOFILE soft');
  assert.match(lines, /^0$/m, '/proc/kcore and /proc/keys masked: /dev/null');
  assert.match(lines, /refused/, 'getcwd answers EPERM');
  assert.match(lines, /^123$/m, 'oom_score_adj');
  assert.not.ok(existsSync(join(root, id)), '`run` deletes the container after it ended');
});

test('hooks get the state on stdin; a failing prestart hook fails create and leaves nothing', () => {
  const { dir, id } = bundle((c, at) => {
    c.process!.args = ['true'];
    c.annotations = { 'org.example': 'x' };
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${join(at, name)}`] });
    c.hooks = { prestart: [hook('prestart')], poststart: [hook('poststart')], poststop: [hook('poststop')] };
  });
  assert.is(oci(['create', '--bundle', dir, id]).status, 0);
  const pid = state(id).pid;
  assert.is(oci(['start', id]).status, 0);
  assert.is(oci(['delete', '--force', id]).status, 0);
  for (const [name, status] of [['prestart', 'created'], ['poststart', 'running'], ['poststop', 'stopped']]) {
    const s = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    assert.equal([s.id, s.status, s.pid, s.bundle, s.annotations], [id, status, pid, dir, { 'org.example': 'x' }], name);
  }
  const failing = bundle((c) => { c.hooks = { prestart: [{ path: '/bin/false' }] }; });
  const r = oci(['create', '--bundle', failing.dir, failing.id]);
  assert.ok(r.status !== 0);
  assert.match(r.stderr, /prestart hook \/bin\/false exited with status 1/);
  assert.ok(oci(['state', failing.id]).status !== 0, 'no container is left');
});

test('a user namespace: the mappings, root inside, nobody\'s files outside', () => {
  const { dir, id } = bundle((c) => {
    c.process!.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /config.json 2>/dev/null; stat -c %u /bin/busybox'];
    c.linux!.namespaces!.push({ type: 'user' });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  const out = join(dir, 'out');
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" oci --root "${root}" run --bundle "${dir}" ${id} > "${out}" 2>&1`], { env, encoding: 'utf8', timeout: patience(60_000) });
  const text = readFileSync(out, 'utf8');
  assert.is(r.status, 0, text);
  assert.match(text, /^\s+0\s+100000\s+65536$/m, 'uid_map as the config says');
  assert.match(text, /^0$/m, 'root in the container');
  assert.match(text, /^65534$/m, 'the rootfs belongs to host root, unmapped: the overflow id');
});

test('exec enters a container with a user namespace of its own: the same namespaces, root inside, mapped outside', async () => {
  const { dir, id } = bundle((c) => {
    c.process!.args = ['sleep', '60'];
    c.linux!.namespaces!.push({ type: 'user' });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  assert.is(oci(['create', '--bundle', dir, id]).status, 0);
  assert.is(oci(['start', id]).status, 0);
  const same = (ns: string) => `[ "$(readlink /proc/self/ns/${ns})" = "$(readlink /proc/1/ns/${ns})" ] && echo same ${ns}`;
  const e = oci(['exec', id, 'sh', '-c', `cat /proc/self/uid_map; id -u; ${['user', 'mnt', 'pid', 'net', 'uts', 'ipc', 'cgroup'].map(same).join('; ')}`]);
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /^\s+0\s+100000\s+65536$/m, 'the container\'s uid_map');
  assert.match(e.stdout, /^0$/m, 'root inside');
  for (const ns of ['user', 'mnt', 'pid', 'net', 'uts', 'ipc', 'cgroup']) assert.match(e.stdout, new RegExp(`^same ${ns}$`, 'm'), `the container's ${ns} namespace`);
  // Seen from the host, the exec'd process's root is the mapped uid.
  const pidFile = join(dir, 'exec.pid');
  assert.is(oci(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']).status, 0);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+100000\s+100000\s+100000\s+100000$/m, 'uid 100000 on the host');
  assert.is(oci(['kill', id, 'KILL']).status, 0);
  assert.ok(await eventually(() => state(id).status === 'stopped', 10_000));
  assert.is(oci(['delete', id]).status, 0);
});

test('exec joins a running container: its PID namespace, hostname and cgroup', async () => {
  const { dir, id } = bundle((c) => { c.process!.args = ['sleep', '60']; });
  assert.is(oci(['create', '--bundle', dir, id]).status, 0);
  assert.is(oci(['start', id]).status, 0);
  const e = oci(['exec', id, 'sh', '-c', 'hostname; ps -o pid,comm | grep -c sleep; [ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo same cgroup']);
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /^nestbox\n1\nsame cgroup\n/);
  const code = oci(['exec', id, 'sh', '-c', 'exit 7']);
  assert.is(code.status, 7, 'exec returns the process\'s status');
  assert.is(oci(['kill', id, 'KILL']).status, 0);
  assert.ok(await eventually(() => state(id).status === 'stopped', 10_000));
  assert.is(oci(['delete', id]).status, 0);
});

test('`nestbox run --trace` and `nestbox oci --trace` show the same steps: one code makes both', () => {
  const { dir, id } = bundle((c) => { c.process!.args = ['true']; });
  const o = oci(['--trace', 'run', '--bundle', dir, id]);
  assert.is(o.status, 0, o.stderr);
  const r = nb(['run', '--rm', '--trace', '--net', 'none', 'default', '--', 'true']);
  assert.is(r.status, 0, r.stderr);
  const steps = (text: string) => text.split('\n').map((l) => /ms {2}(cgroup|namespaces made, PID 1 held|limits written|root \S+: \d+ mounts)/.exec(l)?.[1]).filter(Boolean);
  assert.equal(steps(o.stderr).map((s) => s!.replace(/^root.*/, 'root')), ['cgroup', 'namespaces made, PID 1 held', 'limits written', 'root']);
  assert.equal(steps(r.stderr).map((s) => s!.replace(/^root.*/, 'root')), steps(o.stderr).map((s) => s!.replace(/^root.*/, 'root')));
});

test.after(() => {
  for (const id of made) oci(['delete', '--force', id]);
  lib.remove();
  run.remove();
});

test.run();
