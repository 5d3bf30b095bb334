// Runs inside a worker thread (see spawn.ts). This thread is disposable: it moves itself into new or
// existing namespaces, starts one process with posix_spawn, reports the PID and ends. The main
// thread of the CLI never leaves the host's namespaces.
//
// Why posix_spawn and not fork: after fork() only the forking thread exists in the child, and
// running JavaScript there (or anything that takes a lock another thread held) can deadlock.
// glibc's posix_spawn does the fork-and-exec itself in C, so no JavaScript runs in the child.
// The child inherits the namespaces of the *thread* that spawned it; after unshare(CLONE_NEWPID)
// it is the first process of the new PID namespace: PID 1.
import { parentPort, workerData } from 'node:worker_threads';
import { libc } from './libc.js';
import { KernelError } from './errors.js';
import { mkdirSync } from 'node:fs';
import { unshare, joinNamespaces, joinNamespacePaths, sethostname, setThreadIds, limitCapabilities, applyCapabilitySets, setNoNewPrivs, mount, umount2, chroot, chdir, pivotRoot, mknod } from './syscalls.js';
import { chmodSync, chownSync, closeSync, lstatSync, openSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SpawnRequest, ThreadStep } from './spawn.js';
import { decodeWaitStatus } from './spawn.js';
import { setLinkUp } from './netdev.js';
import { installFilter } from './seccomp.js';
import { resolveInRoot, lookupInRoot } from './root-path.js';
import { copyUp } from './copy-tree.js';
import { O_PATH, openPath } from './at.js';
import { MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, CLONE_FS } from './constants.js';

/** Synchronous calls on this thread: fs paths resolve in this thread's mount namespace and root. */
function perform(step: ThreadStep): void {
  switch (step.call) {
    case 'mount':
      try {
        return mount(step.source, step.target, step.fstype, step.flags, step.data ?? null);
      } catch (err) {
        if (!step.optional) throw err;
        return;
      }
    case 'umount2': return umount2(step.target, step.flags);
    case 'mkdir': return void mkdirSync(step.path, { recursive: true });
    // The root and working directory belong to the whole process (all of Node's threads share one
    // fs_struct) until a thread unshares CLONE_FS: without it, these would move nestbox itself.
    case 'chroot': unshare(CLONE_FS); return chroot(step.path);
    case 'chdir': unshare(CLONE_FS); return chdir(step.path);
    case 'pivot_root': return pivotRoot(step.newRoot, step.putOld);
    case 'sethostname': return sethostname(step.name);
    case 'mknod': return mknod(step.path, step.mode, step.major, step.minor);
    case 'symlink':
      if (step.ifMissing && lstatSync(step.path, { throwIfNoEntry: false })) return;
      return void symlinkSync(step.target, step.path);
    case 'symlinkInRoot': {
      const path = join(resolveInRoot(step.root, dirname(step.path), 'dir'), basename(step.path));
      if (step.ifMissing && lstatSync(path, { throwIfNoEntry: false })) return;
      return void symlinkSync(step.target, path);
    }
    case 'touch': return void writeFileSync(step.path, '', { flag: 'a' });
    case 'mkdirInRoot': return void resolveInRoot(step.root, step.path, 'dir');
    case 'mountpoint': {
      const path = join(step.root, step.name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) rmSync(path);
      if (!st || !st.isDirectory()) mkdirSync(path);
      return;
    }
    case 'bindInRoot': {
      const target = resolveInRoot(step.root, step.path, step.kind);
      const rec = step.recursive ? MS_REC : 0;
      mount(step.source, target, null, MS_BIND | rec, null);
      if (step.remount) mount(null, target, null, MS_BIND | MS_REMOUNT | rec | step.remount, null);
      return;
    }
    case 'mountInRoot': return mount(step.source, resolveInRoot(step.root, step.path, 'dir'), step.fstype, step.flags, step.data ?? null);
    case 'propagateInRoot': return mount(null, resolveInRoot(step.root, step.path, 'dir'), null, step.flags, null);
    case 'maskInRoot': {
      const target = lookupInRoot(step.root, step.path);
      if (!target) return;
      if (statSync(target).isDirectory()) return mount('tmpfs', target, 'tmpfs', MS_RDONLY, null);
      return mount('/dev/null', target, null, MS_BIND, null);
    }
    case 'readonlyInRoot': {
      const target = lookupInRoot(step.root, step.path);
      if (!target) return;
      mount(target, target, null, MS_BIND | MS_REC, null);
      return mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    }
    case 'mknodInRoot': {
      const target = resolveInRoot(step.root, step.path, 'file');
      rmSync(target, { force: true });
      const kind = step.type === 'b' ? 0o060000 : step.type === 'p' ? 0o010000 : 0o020000;
      mknod(target, kind | (step.mode & 0o7777), step.major, step.minor);
      // mknod's mode passes through this thread's umask: set it as asked.
      chmodSync(target, step.mode & 0o7777);
      return chownSync(target, step.uid, step.gid);
    }
    case 'deviceBindInRoot': {
      const existing = lookupInRoot(step.root, step.path);
      if (existing && !statSync(existing).isFile()) return;
      return mount(step.source, resolveInRoot(step.root, step.path, 'file'), null, MS_BIND, null);
    }
    case 'copyUp': return copyUp(step.root, step.path, step.dest);
    case 'linkUp': return setLinkUp(step.name);
    case 'sysctl': return writeSysctl(step.proc, step.key, step.value);
    case 'run': {
      const pid = spawnChild({ path: step.path, argv: step.argv, env: step.env });
      const status = [0];
      if (libc().waitpid(pid, status, 0x40000000 /* __WALL */) === -1) throw new KernelError('waitpid', `${pid}`, libc().errno());
      const { code } = decodeWaitStatus(status[0]);
      if (code !== 0) throw new KernelError(step.argv.join(' '), '', 0, `it exited with status ${code}`);
      return;
    }
  }
}

/** A failure says which setting and why, in words: the caller shows it as it is. */
function writeSysctl(proc: string, key: string, value: string): void {
  try {
    writeFileSync(join(proc, 'sys', ...key.split('.')), value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such setting in the container\'s namespaces'
      : code === 'EINVAL' ? `the kernel refused the value "${value}"`
        : `it could not be written (${code ?? (err as Error).message})`;
    throw new Error(`sysctl ${key}: ${why}`);
  }
}

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;

// libc (koffi) is loaded on the first request, unless the thread was warmed on purpose
// (warmThreads): a spare still loading a native module when the process exits would abort it.
if (workerData?.preload) {
  libc();
  parentPort!.postMessage({ ready: true });
}

/**
 * Carry out a request inside a cgroup (req.cgroupTasks): in, the request, out again. `leftCgroup`
 * tells nestbox whether the thread is out; if not (a kernel older than 5.16 checks the writer's
 * ids, which may no longer be root's), the thread's end takes it out.
 */
function inCgroup(req: SpawnRequest & { noSpawn?: boolean; keepOpen?: string }): { pid: number; fds?: number[]; leftCgroup?: boolean } {
  const cg = req.cgroupTasks;
  if (!cg) return spawn(req);
  const out = cg.leave.map((tasks) => openSync(tasks, 'w'));
  // Out of every tree it went into, or it counts as still in.
  const back = () => leave(out) && out.length === cg.enter.length;
  // "0" is the writer itself: this thread alone, not nestbox's other threads.
  try {
    for (const tasks of cg.enter) writeFileSync(tasks, '0');
    return { ...spawn(req), leftCgroup: back() };
  } catch (err) {
    (err as { leftCgroup?: boolean }).leftCgroup = back();
    throw err;
  }
}

function leave(fds: number[]): boolean {
  let ok = true;
  for (const fd of fds) {
    try { writeSync(fd, '0'); } catch { ok = false; }
    try { closeSync(fd); } catch { /* closed */ }
  }
  return ok;
}

function spawn(req: SpawnRequest & { noSpawn?: boolean; keepOpen?: string }): { pid: number; fds?: number[] } {
  if (req.join) joinNamespaces(req.join.pid, req.join.types);
  if (req.joinPaths?.length) joinNamespacePaths(req.joinPaths);
  if (req.unshare) unshare(req.unshare);
  if (req.hostname !== undefined) sethostname(req.hostname);
  for (const step of req.steps ?? []) perform(step);
  // privateMountTree: descriptors are the process's, not the thread's; they outlive it, and with
  // the namespace's own they keep its mounts. (Opened through libc: Node closes the descriptors its
  // fs opened in a worker when the worker ends.)
  if (req.keepOpen) return { pid: 0, fds: [openPath(req.keepOpen, O_PATH | fsc.O_DIRECTORY), openPath('/proc/thread-self/ns/mnt', fsc.O_RDONLY)] };
  if (req.noSpawn) return { pid: 0 };
  // Without no_new_privs, only CAP_SYS_ADMIN lets a thread install a filter: first, then.
  const filterFirst = req.seccomp && !req.noNewPrivs;
  if (filterFirst) installFilter(req.seccomp!);
  if (req.capabilitySets) {
    applyCapabilitySets(req.capabilitySets, req.user);
  } else {
    // Capabilities before the user switch: capset needs CAP_SETPCAP, and once every uid is non-zero
    // the kernel empties the permitted and effective sets by itself (the bounding set stays trimmed).
    if (req.capabilities) limitCapabilities(req.capabilities);
    if (req.user) setThreadIds(req.user.uid, req.user.gid, req.user.groups ?? []);
  }
  if (req.noNewPrivs) setNoNewPrivs();
  // Last: from here this thread, too, runs under the filter (it only spawns and ends).
  if (req.seccomp && !filterFirst) installFilter(req.seccomp);
  return { pid: spawnChild(req) };
}

/** posix_spawn with the descriptors, signals and session the request asks for. */
function spawnChild(req: Pick<SpawnRequest, 'path' | 'argv' | 'env' | 'stdio' | 'extraFds' | 'cwd' | 'setsid'>): number {
  const l = libc();
  const actions = Buffer.alloc(256); // posix_spawn_file_actions_t is 80 bytes on glibc
  const attr = Buffer.alloc(512); // posix_spawnattr_t is 336 bytes
  const sigset = Buffer.alloc(128);
  l.posix_spawn_file_actions_init(actions);
  l.posix_spawnattr_init(attr);
  try {
    const [stdin, stdout, stderr] = req.stdio ?? [0, 1, 2];
    l.posix_spawn_file_actions_adddup2(actions, stdin, 0);
    l.posix_spawn_file_actions_adddup2(actions, stdout, 1);
    l.posix_spawn_file_actions_adddup2(actions, stderr, 2);
    for (const [from, to] of req.extraFds ?? []) l.posix_spawn_file_actions_adddup2(actions, from, to);
    // Node keeps internal descriptors open without O_CLOEXEC: close everything else.
    const firstFree = 3 + (req.extraFds?.length ?? 0);
    l.posix_spawn_file_actions_addclosefrom_np(actions, firstFree);
    if (req.cwd) l.posix_spawn_file_actions_addchdir_np(actions, req.cwd);
    // Node ignores SIGPIPE and blocks some signals; an exec'd program must start with defaults.
    l.sigfillset(sigset);
    l.sigdelset(sigset, 9);
    l.sigdelset(sigset, 19);
    // glibc's sigfillset leaves out its two internal signals (32 and 33), and its posix_spawn sets
    // those to "ignored" in the child unless asked for the default: an ignored signal stays ignored
    // across execve, so PID 1 would start with two signals it cannot catch. Set their bits by hand
    // (sigset_t is a bitmask: signal n is bit n-1).
    sigset.writeUInt8(sigset.readUInt8(3) | 0x80, 3); // 32
    sigset.writeUInt8(sigset.readUInt8(4) | 0x01, 4); // 33
    l.posix_spawnattr_setsigdefault(attr, sigset);
    l.sigemptyset(sigset);
    l.posix_spawnattr_setsigmask(attr, sigset);
    l.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (req.setsid ? POSIX_SPAWN_SETSID : 0));

    const pid = [0];
    const rc = l.posix_spawn(pid, req.path ?? req.argv[0], actions, attr, [...req.argv, null], [...req.env, null]);
    // posix_spawn returns the error number instead of setting errno.
    if (rc !== 0) throw new KernelError('posix_spawn', JSON.stringify(req.argv[0]), rc, rc === 2 ? `${req.argv[0]} was not found.` : undefined);
    return pid[0];
  } finally {
    l.posix_spawn_file_actions_destroy(actions);
    l.posix_spawnattr_destroy(attr);
  }
}

// The thread is started ahead of need (spawn.ts keeps one spare, so its start-up cost is not on the
// critical path) and serves exactly one request: after it, its namespaces are no longer the host's.
parentPort!.once('message', (req: SpawnRequest) => {
  try {
    parentPort!.postMessage(inCgroup(req));
  } catch (err) {
    const leftCgroup = (err as { leftCgroup?: boolean }).leftCgroup;
    if (err instanceof KernelError) {
      parentPort!.postMessage({ leftCgroup, error: { message: err.message, call: err.call, args: err.args, errno: err.errno, hint: err.hint } });
    } else if ((err as NodeJS.ErrnoException).errno !== undefined) {
      // Node's own calls (open of /proc/PID/ns/mnt for a process that is gone) carry a negative errno.
      const e = err as NodeJS.ErrnoException;
      parentPort!.postMessage({ leftCgroup, error: { message: e.message, call: e.syscall ?? 'spawn', args: e.path ? JSON.stringify(e.path) : '', errno: Math.abs(e.errno!), hint: '' } });
    } else {
      // A check of nestbox's own (a path that would leave the root): no system call failed, so no
      // errno to report; its message is the whole story.
      parentPort!.postMessage({ leftCgroup, error: { message: (err as Error).message } });
    }
  }
  parentPort!.close();
});
