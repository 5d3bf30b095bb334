// The kernel layer, checked against the kernel itself: each wrapper does the real call and the test
// reads the result back from /proc (or cgroupfs), never from what nestbox believes it did.
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, outputFile } from '../helpers.js';
import { spawnInNamespaces, waitForExit, baseEnv } from '../../src/kernel/spawn.js';
import { gethostname, unshare, mount } from '../../src/kernel/syscalls.js';
import { KernelError } from '../../src/kernel/errors.js';
import { assembleFilter, syscallNumber } from '../../src/kernel/seccomp.js';
import { seccompPolicy } from '../../src/runtime/seccomp-profile.js';
import { namespaceId, mountTable, processStatus } from '../../src/kernel/proc.js';
import { processCgroups } from '../../src/kernel/cgroup-layout.js';
import { createCgroup } from '../../src/kernel/cgroup.js';
import { CLONE_NEWUTS, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, MS_REC, MS_PRIVATE, DOCKER_DEFAULT_CAPS } from '../../src/kernel/constants.js';

const test = kernelSuite('kernel wrappers');
const env = baseEnv();

async function stop(pid: number) {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await waitForExit(pid);
}

test('UTS namespace: a new hostname inside, the host unchanged', async () => {
  const hostBefore = gethostname();
  const pid = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env, unshare: CLONE_NEWUTS, hostname: 'nb-test-uts' });
  const tmp = tempDir();
  try {
    assert.is.not(namespaceId(pid, 'uts'), namespaceId('self', 'uts'), 'the child has its own UTS namespace inode');
    assert.is(namespaceId(pid, 'mnt'), namespaceId('self', 'mnt'), 'and shares every other namespace');
    // Read the hostname from inside: a second process joins the child's UTS namespace.
    const out = outputFile(tmp.path);
    const reader = await spawnInNamespaces({ argv: ['/bin/cat', '/proc/sys/kernel/hostname'], env, join: { pid, types: ['uts'] }, stdio: [0, out.fd, 2] });
    assert.equal(await waitForExit(reader), { code: 0, signal: null });
    out.close();
    assert.is(out.read().trim(), 'nb-test-uts');
    assert.is(gethostname(), hostBefore, 'the host keeps its hostname');
    assert.is(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), hostBefore);
  } finally {
    await stop(pid);
    tmp.remove();
  }
});

test('mount namespace: a tmpfs mounted inside is invisible to the host', async () => {
  const tmp = tempDir();
  const target = join(tmp.path, 'inside');
  mkdirSync(target);
  const pid = await spawnInNamespaces({
    argv: ['/bin/sleep', '30'], env, unshare: CLONE_NEWNS,
    steps: [
      { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE },
      { call: 'mount', source: 'nbtest', target, fstype: 'tmpfs', flags: 0, data: 'size=1m' },
    ],
  });
  try {
    const inside = mountTable(pid).find((m) => m.mountPoint === target);
    assert.ok(inside, 'the child sees the mount');
    assert.is(inside!.fstype, 'tmpfs');
    assert.is(inside!.source, 'nbtest');
    assert.is(mountTable('self').find((m) => m.mountPoint === target), undefined, 'the host does not');
    assert.is(mountTable(pid).find((m) => m.mountPoint === '/')!.propagation, 'private');
  } finally {
    await stop(pid);
    tmp.remove();
  }
});

test('PID namespace: the first child is PID 1 inside, an ordinary PID outside', async () => {
  const pid = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env, unshare: CLONE_NEWPID });
  try {
    const status = processStatus(pid);
    assert.equal(status.nspid, [pid, 1]);
    assert.is.not(namespaceId(pid, 'pid'), namespaceId('self', 'pid'));
    // The CLI's main thread never moved: its next child would still be born in the host's PID namespace.
    assert.is(readlinkSync('/proc/self/ns/pid_for_children'), readlinkSync('/proc/self/ns/pid'));
  } finally {
    await stop(pid);
  }
  // The CLI's own thread never moved: it can still start ordinary children in its namespaces.
  const again = await spawnInNamespaces({ argv: ['/bin/true'], env });
  assert.equal(await waitForExit(again), { code: 0, signal: null });
});

test('capabilities and no_new_privs are set on the spawning thread and inherited', async () => {
  const pid = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env, capabilities: DOCKER_DEFAULT_CAPS, noNewPrivs: true });
  try {
    const s = processStatus(pid);
    assert.is(s.capEff.toString(16), 'a80425fb');
    assert.is(s.capBnd.toString(16), 'a80425fb');
    assert.is(s.noNewPrivs, true);
    assert.is(processStatus('self').noNewPrivs, false, 'the CLI itself is unchanged');
  } finally {
    await stop(pid);
  }
});

test('seccomp: the filter refuses what the policy lists (EPERM), reads arguments, answers clone3 "not implemented", kills other ABIs', async () => {
  // Raw system calls from perl (on every Debian and Ubuntu host): the numbers come from the same table
  // the filter is assembled from. A forked child (clone returned 0) leaves at once. Output is
  // unbuffered: the last call may kill the process.
  const nr = (name: string) => syscallNumber(name)!;
  const script = [
    'use POSIX; $| = 1; my $timex = "\\0" x 512;',
    'sub try { my ($name, $r) = @_; if ($r == 0 && $name =~ /^clone/) { POSIX::_exit(0) } wait() if $name =~ /^clone/ && $r > 0; print "$name=", ($r < 0 ? POSIX::strerror($!+0) : "ok"), "\\n"; }',
    `try("clone-newuser", syscall(${nr('clone')}, ${0x10000000 | 17}, 0, 0, 0, 0));`,
    // The kernel reads only the low 32 bits of clone's flags: junk above them changes nothing.
    `try("clone-newuser-high", syscall(${nr('clone')}, ${0x10000000 | 17} + 2**40, 0, 0, 0, 0));`,
    `try("clone-fork", syscall(${nr('clone')}, 17, 0, 0, 0, 0));`,
    `try("clone3", syscall(${nr('clone3')}, 0, 0));`,
    `try("unshare", syscall(${nr('unshare')}, 0));`,
    `try("keyctl", syscall(${nr('keyctl')}, 0, -3, 0));`,
    `try("socket-vsock", syscall(${nr('socket')}, 40, 1, 0));`,
    `try("socket-unix", syscall(${nr('socket')}, 1, 1, 0));`,
    `try("personality-norandom", syscall(${nr('personality')}, 0x0040000));`,
    `try("personality-query", syscall(${nr('personality')}, 0xffffffff) >= 0 ? 0 : -1);`,
    `try("clock_adjtime-read", syscall(${nr('clock_adjtime')}, 0, $timex) >= 0 ? 0 : -1);`,
    // Last: the same getpid through the x32 numbering, which the filter does not let through.
    ...(process.arch === 'x64' ? ['try("x32-getpid", syscall(0x40000000 + 39) > 0 ? 0 : -1);'] : []),
  ].join('\n');
  const tmp = tempDir();
  const run = async (seccomp?: Uint8Array) => {
    const out = outputFile(tmp.path, seccomp ? 'filtered.txt' : 'plain.txt');
    const pid = await spawnInNamespaces({ argv: ['/usr/bin/perl', '-e', script], env, stdio: [0, out.fd, 2], noNewPrivs: true, seccomp });
    const exit = await waitForExit(pid);
    out.close();
    return { exit, text: out.read() };
  };
  try {
    const filtered = await run(assembleFilter(seccompPolicy(DOCKER_DEFAULT_CAPS)));
    assert.match(filtered.text, /^clone-newuser=Operation not permitted$/m, 'clone with CLONE_NEWUSER is refused');
    assert.match(filtered.text, /^clone-newuser-high=Operation not permitted$/m);
    assert.match(filtered.text, /^clone-fork=ok$/m, 'a plain fork still works');
    assert.match(filtered.text, /^clone3=Function not implemented$/m);
    assert.match(filtered.text, /^unshare=Operation not permitted$/m);
    assert.match(filtered.text, /^keyctl=Operation not permitted$/m);
    assert.match(filtered.text, /^socket-vsock=Operation not permitted$/m, 'vsock belongs to no network namespace');
    assert.match(filtered.text, /^socket-unix=ok$/m);
    assert.match(filtered.text, /^personality-norandom=Operation not permitted$/m);
    assert.match(filtered.text, /^personality-query=ok$/m);
    assert.match(filtered.text, /^clock_adjtime-read=ok$/m, 'reading the clock state stays allowed');
    if (process.arch === 'x64') {
      assert.not.match(filtered.text, /^x32-getpid=/m);
      assert.equal(filtered.exit, { code: 128 + 31, signal: 31 }, 'a call through the x32 ABI kills the process (SIGSYS)');
    } else {
      assert.equal(filtered.exit, { code: 0, signal: null }, filtered.text);
    }
    const plain = await run();
    assert.equal(plain.exit, { code: 0, signal: null }, plain.text);
    assert.match(plain.text, /^clone-newuser=ok$/m, 'without the filter root may make a user namespace');
    assert.match(plain.text, /^clone3=(?!Function not implemented)/m);
    assert.match(plain.text, /^unshare=ok$/m);
    assert.match(plain.text, /^keyctl=ok$/m);
    assert.match(plain.text, /^personality-norandom=ok$/m);
    assert.is(processStatus('self').seccomp, 0, 'the CLI itself has no filter');
  } finally {
    tmp.remove();
  }
});

test('cgroup: created, a process in it, limits read back, then removed', async () => {
  const name = `test-${process.pid}`;
  const cg = createCgroup(name, ['memory', 'pids']);
  const pid = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env });
  try {
    cg.addProcess(pid);
    const paths = processCgroups(pid).map((l) => l.path);
    assert.ok(paths.includes(`/nestbox/${name}`), `the process's /proc/PID/cgroup names the group (${paths.join(' ')})`);
    assert.equal(cg.procs(), [pid]);
    cg.setMemoryMax(64 * 1024 * 1024);
    cg.setPidsMax(10);
    assert.is(cg.memoryMax(), 64 * 1024 * 1024);
    assert.is(readFileSync(join(cg.dir('pids'), 'pids.max'), 'utf8').trim(), '10');
    assert.ok(cg.writes.some((w) => w.otherVersion), 'each write names the other version');
  } finally {
    await cg.remove();
    await waitForExit(pid);
  }
  for (const d of cg.allDirs()) assert.not.ok(existsSync(d), `${d} removed`);
});

test('a failed call throws one KernelError naming the call, the errno and a hint', async () => {
  try {
    unshare(CLONE_NEWUSER);
    assert.unreachable('unshare(CLONE_NEWUSER) must fail in a multithreaded process');
  } catch (e) {
    assert.instance(e, KernelError);
    assert.is((e as KernelError).code, 'EINVAL');
    assert.match((e as Error).message, /multithreaded/);
  }
  assert.throws(() => mount('none', '/nonexistent/nestbox', 'tmpfs', 0), (e: Error) => e instanceof KernelError && /^mount\(.*ENOENT/.test(e.message));
  try {
    await spawnInNamespaces({ argv: ['/nonexistent/program'], env });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /posix_spawn\("\/nonexistent\/program"\) failed: ENOENT/);
  }
  await spawnInNamespaces({ argv: ['/bin/true'], env, unshare: CLONE_NEWUSER }).then(
    () => assert.unreachable(),
    (e) => assert.match(e.message, /CLONE_NEWUSER.*EINVAL/),
  );
});

test('a cgroup is removed even when its process is still running', async () => {
  const cg = createCgroup(`test-kill-${process.pid}`, ['pids']);
  const pid = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env });
  cg.addProcess(pid);
  const exit = waitForExit(pid);
  await cg.remove();
  assert.equal(await exit, { code: 137, signal: 9 });
  assert.not.ok(existsSync(cg.dir()));
});

test.run();
