// Start a process in new and/or existing namespaces without ever moving the CLI's own thread.
//
// The kernel ties namespaces to threads: unshare(2) and setns(2) change only the calling thread,
// and a child inherits the namespaces of the thread that created it. Node always runs several
// threads, so nestbox does namespace work on a fresh worker thread (spawn-thread.ts) that unshares,
// spawns one child with posix_spawn and exits. Two calls cannot work this way and are refused here:
// unshare(CLONE_NEWUSER) and setns into a user namespace need a single-threaded caller.
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { libc } from './libc.js';
import { KernelError } from './errors.js';
import { NestboxError } from '../errors.js';
import { CLONE_NEWNS, CLONE_NEWUSER, NamespaceType } from './constants.js';
import type { CapabilitySets } from './syscalls.js';

export interface SpawnRequest {
  /** argv[0] is also the program to run unless `path` is given; it is not looked up in PATH. */
  argv: string[];
  path?: string;
  /** Environment as KEY=VALUE strings; nothing is inherited. */
  env: string[];
  /**
   * cgroup v1 `tasks` files: the thread moves itself into `enter` before anything else, by writing
   * 0 (the writer itself), so its child is born inside and a new cgroup namespace is rooted there;
   * once the child exists, it moves itself back to `leave`, through files it opened before
   * changing its ids (the kernel checks the opener's rights). Only the calling thread moves, which
   * spares the global lock that moving a whole process takes (its first taker waits out an RCU
   * grace period, 10-15 ms). cgroup v2 moves whole processes only.
   */
  cgroupTasks?: { enter: string[]; leave: string[] };
  /** CLONE_NEW* flags: namespaces the child gets fresh. */
  unshare?: number;
  /** Namespaces to join first, from a running process (like nsenter --target PID). */
  join?: { pid: number; types: NamespaceType[] };
  /** Namespaces to join first, by the paths of their files (/run/netns/NAME, /proc/PID/ns/net). */
  joinPaths?: { type: NamespaceType; path: string }[];
  /** Set inside a new UTS namespace before the child starts. */
  hostname?: string;
  /**
   * System calls the thread makes after unsharing and before spawning, in order: mounts in the new
   * mount namespace, chroot, pivot_root... The child inherits their effect (its root, its mounts).
   */
  steps?: ThreadStep[];
  /** File descriptors that become the child's 0, 1 and 2 (default: the CLI's own). */
  stdio?: [number, number, number];
  /** More descriptors to hand down: [fd in this process, fd number in the child]. */
  extraFds?: [number, number][];
  cwd?: string;
  /** Start a new session (the child gets no controlling terminal from us). */
  setsid?: boolean;
  /** Run as this uid/gid (supplementary groups cleared). */
  /** Switch to these ids (supplementary groups included) just before the exec. */
  user?: { uid: number; gid: number; groups?: number[] };
  /** Keep only these capabilities (names without CAP_). */
  capabilities?: string[];
  /**
   * The five sets apart, as an OCI config gives them (instead of `capabilities`); with `user`, the
   * ids change between cutting the bounding set and writing the others (syscalls.ts).
   */
  capabilitySets?: CapabilitySets;
  noNewPrivs?: boolean;
  /**
   * A seccomp program (seccomp.ts assembleFilter or assembleProgram), installed last, after
   * no_new_privs. Without no_new_privs the kernel takes a filter only from a thread that holds
   * CAP_SYS_ADMIN, so it is then installed first, before the capabilities are cut (as runc does).
   */
  seccomp?: Uint8Array;
}

/** One call made by the spawning thread (see SpawnRequest.steps). */
export type ThreadStep =
  /** `optional`: a failure is ignored (what it would have added is left out). */
  | { call: 'mount'; source: string | null; target: string; fstype: string | null; flags: number; data?: string | null; optional?: boolean }
  | { call: 'umount2'; target: string; flags: number }
  | { call: 'mkdir'; path: string }
  | { call: 'chroot'; path: string }
  | { call: 'chdir'; path: string }
  | { call: 'pivot_root'; newRoot: string; putOld: string }
  | { call: 'sethostname'; name: string }
  | { call: 'mknod'; path: string; mode: number; major: number; minor: number }
  | { call: 'symlink'; target: string; path: string; ifMissing?: boolean }
  /** A symbolic link at `path` inside `root`, its directory resolved without leaving the root (root-path.ts). */
  | { call: 'symlinkInRoot'; root: string; target: string; path: string; ifMissing?: boolean }
  | { call: 'touch'; path: string }
  /**
   * Bind `source` onto `path` inside `root`, the path resolved without leaving the root
   * (root-path.ts) and created when missing; `remount` flags (MS_RDONLY, MS_NODEV) are applied by a
   * second call, as a bind mount ignores them on the first.
   */
  /** A directory inside `root`, made without following links out of it (root-path.ts). */
  | { call: 'mkdirInRoot'; root: string; path: string }
  /**
   * A top-level directory of `root` for a kernel filesystem (/dev, /proc, /sys): whatever the image
   * has there instead (a symbolic link a mount would follow out of the root, a file) is replaced.
   */
  | { call: 'mountpoint'; root: string; name: string }
  | { call: 'bindInRoot'; root: string; source: string; path: string; kind: 'file' | 'dir'; recursive?: boolean; remount?: number }
  /** A filesystem (a tmpfs) mounted at `path` inside `root`, resolved and made as for bindInRoot. */
  | { call: 'mountInRoot'; root: string; path: string; source: string; fstype: string; flags: number; data?: string }
  /** Change the propagation (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, with MS_REC) of the mount at `path` inside `root`. */
  | { call: 'propagateInRoot'; root: string; path: string; flags: number }
  /**
   * Hide `path` inside `root` (an OCI config's maskedPaths): a directory gets an empty read-only
   * tmpfs over it, anything else /dev/null bound over it. A path the root does not have is skipped.
   */
  | { call: 'maskInRoot'; root: string; path: string }
  /** Make `path` inside `root` read-only (readonlyPaths): bound on itself, then remounted read-only. Skipped when missing. */
  | { call: 'readonlyInRoot'; root: string; path: string }
  /** A device node at `path` inside `root` (linux.devices), with its owner and mode; an existing file there is replaced. */
  | { call: 'mknodInRoot'; root: string; path: string; type: 'c' | 'b' | 'p'; major: number; minor: number; mode: number; uid: number; gid: number }
  /** Bind `source` (a device node of the host) at `path` inside `root`, unless the root already has a node there. */
  | { call: 'deviceBindInRoot'; root: string; source: string; path: string }
  /**
   * Docker's copy-up (copy-tree.ts): what `root` holds at `path` (resolved inside it) copied into
   * `dest`, a new volume's empty directory, owners and modes kept.
   */
  | { call: 'copyUp'; root: string; path: string; dest: string }
  /** Bring a network interface of this thread's network namespace up (lo in a new namespace). */
  | { call: 'linkUp'; name: string }
  /**
   * Write a kernel setting through the /proc mounted at `proc`: net.ipv4.ip_forward is
   * sys/net/ipv4/ip_forward. Which namespace's setting it is depends on this thread's namespaces
   * (network, IPC), not on the /proc it is written through.
   */
  | { call: 'sysctl'; proc: string; key: string; value: string }
  /** Start a program from this thread (so in its namespaces) and wait for it; fails unless it exits 0. */
  | { call: 'run'; path: string; argv: string[]; env: string[] };

const threadUrl = new URL('./spawn-thread.js', import.meta.url);

/**
 * Threads started ahead of need, so the ~20 ms a worker takes to boot is not on the critical path.
 * unref'd: an idle spare never keeps nestbox alive. By default each thread taken is replaced by a
 * new spare (labs spawn many processes); a caller that knows how many it needs says so with
 * warmThreads() instead, and no more are started behind its back.
 */
const spares: Worker[] = [];
let replaceTaken = true;
/** Threads loading libc ahead of need: each says "ready" when done (see threadsSettled). */
const loading = new Map<Worker, Promise<void>>();

/** Threads bin/run.js started before loading nestbox's code, with the same file and workerData. */
const early = (globalThis as { [key: symbol]: Worker[] | undefined })[Symbol.for('nestbox.threads')] ?? [];

function startSpare(preload: boolean): void {
  const w = preload && early.length ? early.shift()! : new Worker(threadUrl, { env: {}, stdout: false, stderr: false, workerData: { preload } });
  w.unref();
  w.on('error', () => { const i = spares.indexOf(w); if (i >= 0) spares.splice(i, 1); });
  if (preload) {
    loading.set(w, new Promise<void>((resolve) => {
      w.once('message', () => resolve());
      w.once('exit', () => resolve());
    }).finally(() => loading.delete(w)));
  }
  spares.push(w);
}

/**
 * Wait until no thread is loading libc. A process that exits while a thread is inside a native
 * module's initialisation is aborted by Node, so a command that fails early waits for this first.
 */
export async function threadsSettled(): Promise<void> {
  await Promise.all(loading.values());
}

/**
 * Boot `n` threads now, loading libc in them too (a container needs two: one creates it, one
 * finishes its root). Call it only once the command is sure to go on: a thread still loading the
 * native module when the process exits aborts the process.
 */
export function warmThreads(n: number): void {
  replaceTaken = false;
  while (spares.length < n) startSpare(true);
}

function takeThread(): Worker {
  if (!spares.length) startSpare(false);
  const worker = spares.shift()!;
  if (replaceTaken) startSpare(false);
  worker.ref();
  return worker;
}

/** Start the process; resolves to its PID (as the host sees it) once it runs the new program. */
export async function spawnInNamespaces(req: SpawnRequest): Promise<number> {
  const { pid } = await onThread(req);
  await execSettled(pid);
  return pid;
}

/**
 * posix_spawn returns as soon as the child's execve has replaced its memory, a moment before the
 * kernel records where the new argv lies: /proc/PID/cmdline can still read empty. Wait (a few
 * milliseconds at most) until it does not, so whoever reads /proc next sees the new program.
 */
async function execSettled(pid: number): Promise<void> {
  const deadline = Date.now() + 50;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`).length > 0) return;
      if (/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return;
    } catch {
      return; // already gone
    }
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Make system calls inside another process's namespaces without starting anything: join them,
 * run `steps` (mounts, pivot_root...), and let the thread end. Used to finish a container's root
 * after its first process exists (pivot_root moves that process's root too).
 */
export async function inNamespaces(req: { join: { pid: number; types: NamespaceType[] }; steps: ThreadStep[] }): Promise<void> {
  await onThread({ ...req, argv: [], env: [], noSpawn: true });
}

/**
 * Mounts that no process sees, kept only as long as nestbox needs them: a thread unshares a mount
 * namespace, makes `steps` there (a stopped container's overlay root and volumes, for `nestbox cp`),
 * opens `path` and the namespace itself, and ends. The two descriptors are all that hold the
 * namespace: lookups from `root` see its mounts, and closing both (or nestbox's end, even by
 * SIGKILL) unmounts them all. Nothing is mounted on the host, so there is nothing to clean up.
 */
export async function privateMountTree(steps: ThreadStep[], path: string): Promise<{ root: number; ns: number }> {
  const { fds } = await onThread({ argv: [], env: [], unshare: CLONE_NEWNS, steps, noSpawn: true, keepOpen: path });
  return { root: fds![0], ns: fds![1] };
}

type ThreadRequest = SpawnRequest & { noSpawn?: boolean; keepOpen?: string };

let lastThreadWait = 0;

/** How long the last request waited for its thread to finish booting (for run --trace), in ms. */
export function threadWaitMs(): number {
  return lastThreadWait;
}

function onThread(req: ThreadRequest): Promise<{ pid: number; fds?: number[] }> {
  if ((req.unshare ?? 0) & CLONE_NEWUSER || req.join?.types.includes('user')) {
    return Promise.reject(new KernelError(req.unshare ? 'unshare' : 'setns', 'CLONE_NEWUSER', 22));
  }
  return new Promise(async (resolve, reject) => {
    const worker = takeThread();
    worker.removeAllListeners('error');
    const waitStarted = process.hrtime.bigint();
    await loading.get(worker); // its "ready" must not be taken for the answer
    lastThreadWait = Number(process.hrtime.bigint() - waitStarted) / 1e6;
    let settled = false;
    // A thread that moved itself into a cgroup (cgroupTasks) is answered only once it is out again:
    // while it is in, the cgroup lists nestbox's PID among its processes (cgroup.procs names thread
    // groups), and whatever reads or kills them next would take nestbox for the container's.
    // Such a thread says whether it left again; if not, its end is what takes it out.
    const ended = req.cgroupTasks ? new Promise<void>((done) => worker.once('exit', () => done())) : undefined;
    let left = false;
    const answer = (settle: () => void) => { settled = true; if (ended && !left) void ended.then(settle); else settle(); };
    worker.once('message', (m: { pid?: number; fds?: number[]; leftCgroup?: boolean; error?: { message: string; call?: string; args?: string; errno?: number; hint?: string } }) => {
      left = !!m.leftCgroup;
      if (m.error?.call) answer(() => reject(new KernelError(m.error!.call!, m.error!.args ?? '', m.error!.errno ?? 0, m.error!.hint || undefined)));
      else if (m.error) answer(() => reject(new NestboxError(m.error!.message)));
      else answer(() => resolve({ pid: m.pid!, fds: m.fds }));
    });
    worker.once('error', (err) => answer(() => reject(err)));
    worker.once('exit', (code) => { if (!settled) reject(new Error(`spawn thread exited with code ${code}`)); });
    worker.postMessage(req);
  });
}

export interface ExitStatus {
  /** Exit code, or 128+signal when killed (the shell's and Docker's convention). */
  code: number;
  signal: number | null;
}

/** Decode a waitpid(2) status word. */
export function decodeWaitStatus(status: number): ExitStatus {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: 128 + signal, signal };
}

/**
 * Wait for a child started with spawnInNamespaces. waitpid blocks, so it runs on libuv's thread
 * pool (koffi's async call); libuv's own SIGCHLD handler only reaps the children it started itself.
 */
export function waitForExit(pid: number): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    const status = [0];
    libc().waitpid.async(pid, status, 0x40000000 /* __WALL */, (err: Error | null, rc: number) => {
      if (err) return reject(err);
      if (rc === -1) return reject(new KernelError('waitpid', `${pid}`, libc().errno()));
      resolve(decodeWaitStatus(status[0]));
    });
  });
}

/** Environment for a child: PATH that works in a busybox or Debian root, plus TERM/HOME. */
export function baseEnv(extra: Record<string, string> = {}): string[] {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    TERM: process.env.TERM ?? 'xterm',
    HOME: '/root',
    ...extra,
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
