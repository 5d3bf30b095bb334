// Making a container, from its OCI config: the one way nestbox makes every container. `nestbox
// run` writes a config for what it was asked (run-config.ts) and `nestbox oci create` reads the one
// an engine such as podman wrote into a bundle (src/oci); both then come here, and --trace shows
// the same steps for both. Each step is one the labs did by hand:
//
//   1. a cgroup at linux.cgroupsPath (labs memory, cpu, pids, cgroup-tree)
//   2. the namespaces of linux.namespaces, new or joined by path (labs uts, ipc, pid, net, user,
//      cgroupns), and the first process in them, held before it runs anything (src/kernel/held.ts)
//   3. linux.resources written into the cgroup: memory, CPU, pids, devices, I/O
//   4. what the engine does from outside before the root is finished (run's network: labs veth,
//      bridge, ports; an OCI config's createRuntime and prestart hooks)
//   5. the filesystem from inside the namespaces: the root, config.mounts, devices, sysctls, masks,
//      pivot_root (container-fs.ts; labs mnt, overlay, chroot, hardening)
//   6. release, later: the first process execs process.args, which becomes PID 1
//
// The first process is held the way runc holds its init between `runc create` and `runc start`:
// the host's /bin/sh blocks reading a pipe (or a named pipe, when another nestbox will release it),
// and the program only starts once the container is complete.
import { appendFileSync } from 'node:fs';
import { Ledger, startTime } from '../host/ledger.js';
import { UserError, withContext } from '../errors.js';
import { inNamespaces, warmThreads, threadWaitMs } from '../kernel/spawn.js';
import { hold, type HeldProcess } from '../kernel/held.js';
import { Cgroup, createCgroupAt } from '../kernel/cgroup.js';
import type { Controller } from '../kernel/cgroup-layout.js';
import { detectCgroupLayout, type CgroupLayout } from '../kernel/cgroup-layout.js';
import { NAMESPACES, type NamespaceType } from '../kernel/constants.js';
import { setOomScoreAdj } from '../kernel/proc.js';
import { assembleProgram } from '../kernel/seccomp.js';
import { limitsWithin, type ProcessLimit, type AnyRlimit } from '../kernel/rlimit.js';
import { holdsCapability } from '../kernel/proc.js';
import { which } from '../host/exec.js';
import type { OciSpec, OciNamespaceType } from '../oci/types.js';
import { seccompProgram } from '../oci/seccomp.js';
import { containerFsSteps } from './container-fs.js';
import { bornInside, insideCgroup } from './cgroups.js';
import { applyResources } from './resources.js';
import { pick } from '../i18n/lang.js';

/**
 * With NESTBOX_TRACE set (run --trace, oci --trace), each step is printed with what it cost, so a
 * learner can watch a container being assembled (in the course's language: the run lab shows these lines).
 */
export function trace(en: string, zh: string, since: number): number {
  const now = traceClock();
  if (process.env.NESTBOX_TRACE) {
    const line = `  ${(now - since).toFixed(1).padStart(6)} ms  ${pick(en, zh)}\n`;
    // `nestbox oci --trace=FILE`: an engine such as podman keeps the runtime's stderr to itself.
    if (process.env.NESTBOX_TRACE_FILE) appendFileSync(process.env.NESTBOX_TRACE_FILE, line);
    else process.stderr.write(line);
  }
  return now;
}

/**
 * Milliseconds since the process started, for trace(); 0 when not tracing (Node loads its
 * performance module, about 1 ms, on the first use of the `performance` global).
 */
export function traceClock(): number {
  return process.env.NESTBOX_TRACE ? performance.now() : 0;
}

export interface Stdio { stdin: number; stdout: number; stderr: number }

export interface CreateOptions {
  /** The container's config, checked (src/oci/bundle.ts), root.path absolute. */
  config: OciSpec;
  /** Where its cgroup goes below each tree's root (a function: per v1 mount), and which controllers. */
  cgroupPath: string | ((mount: string) => string);
  controllers: Controller[];
  stdio: Stdio;
  /** Everything made on the host is recorded here as it is made; on failure the caller undoes it. */
  ledger: Ledger;
  abort?: AbortSignal;
  /** The root as an overlay of image layers, mounted at root.path (`nestbox run`). */
  overlay?: { lower: string[]; upper: string; work: string; flags?: number };
  /** Named pipes in this directory hold the first process, for a release by another process (`oci start`). */
  doorDir?: string;
  /** The first process leads a session of its own (always with a terminal). */
  newSession?: boolean;
  /** From outside, once the namespaces exist and before the root is made: run's network. */
  connect?(pid: number): Promise<void>;
  /** The config's hooks at their moments (prestart and createRuntime; createContainer). */
  hooks?: { createRuntime?(pid: number): Promise<void>; createContainer?(pid: number): Promise<void> };
  /** Fields this kernel cannot honour and that are left out, for the caller to report. */
  warn?(line: string): void;
}

export interface Created {
  pid: number;
  cgroup: Cgroup;
  /** Let PID 1 run its command (on `terminal` when given); rejects with the holder's own failure. */
  release(terminal?: string): Promise<void>;
  /** SIGKILL it and collect it. */
  kill(): Promise<void>;
}

/** OCI's namespace names, as /proc/PID/ns names them. */
export const NS_NAME: Record<OciNamespaceType, NamespaceType> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

/** Create the container, held before its command runs. */
export async function createContainer(o: CreateOptions): Promise<Created> {
  const { config, ledger } = o;
  const linux = config.linux ?? {};
  let t = traceClock();
  // A signal to nestbox stops the creation between two steps (the caller undoes what was made).
  const step = (en: string, zh: string) => {
    t = trace(en, zh, t);
    o.abort?.throwIfAborted();
  };
  warmThreads(2);
  const namespaces = linux.namespaces ?? [];
  // Without a mount namespace of its own (new or joined), every mount would be the host's: the
  // process is only chrooted into the root, as runc does then, and nothing is mounted.
  const mountNs = namespaces.some((n) => n.type === 'mount');
  if (!mountNs && config.mounts?.length) o.warn?.('no mount namespace (linux.namespaces has no "mount"): the process is chrooted into the root, and config.mounts are left out, since they would be the host\'s');

  // 1. The cgroup, recorded first so a crash from here on still removes it.
  const layout = detectCgroupLayout();
  const cgroup = contextFor("the container's cgroup", () => createCgroupAt(o.cgroupPath, o.controllers, layout));
  if (cgroup.made.length) ledger.record({ kind: 'cgroup', dirs: cgroup.made });
  step(`cgroup ${cgroup.dir()}${cgroup.made.length ? '' : ' (it existed: joined)'}`, `控制组 ${cgroup.dir()}${cgroup.made.length ? '' : '（已存在：加入）'}`);

  // 2. The namespaces and the held first process.
  let flags = 0;
  for (const n of namespaces) if (!n.path && n.type !== 'user') flags |= NAMESPACES[NS_NAME[n.type]];
  const joinPaths = namespaces.filter((n) => n.path).map((n) => ({ type: NS_NAME[n.type], path: n.path! }));
  const userns = namespaces.some((n) => n.type === 'user' && !n.path)
    ? { uidMappings: linux.uidMappings ?? [], gidMappings: linux.gidMappings ?? [] } : undefined;
  if (joinPaths.some((n) => n.type === 'user')) throw new UserError('joining an existing user namespace (linux.namespaces type "user" with a path) is not supported by nestbox', 1);
  const p = config.process;
  const filter = linux.seccomp ? assembleProgram(seccompProgram(linux.seccomp)) : undefined;
  const caps = p?.capabilities;
  // Born in the cgroup (cgroups.ts): not one instruction of it runs outside, and a new cgroup
  // namespace is rooted there. A user namespace's helper is a process of nestbox's: it goes in whole.
  const enter = (start: (cgroupTasks?: { enter: string[]; leave: string[] }) => Promise<HeldProcess>) => userns ? insideCgroup(cgroup, () => start()) : bornInside(cgroup, start);
  const held: HeldProcess = await enter((cgroupTasks) => hold({
    cgroupTasks,
    // The host's shell, as the spawning thread sees it (the container's root is not mounted yet);
    // chrooted, the container's own.
    shell: mountNs ? which('sh') ?? '/bin/sh' : '/bin/sh',
    command: p?.args ?? [],
    workdir: p?.cwd ?? '/',
    env: p?.env ?? [],
    unshare: flags,
    joinPaths,
    userns,
    cwd: '/',
    stdio: [o.stdio.stdin, o.stdio.stdout, o.stdio.stderr],
    setsid: !!p?.terminal || !!o.newSession,
    capabilitySets: caps ? { bounding: caps.bounding ?? [], effective: caps.effective ?? [], permitted: caps.permitted ?? [], inheritable: caps.inheritable ?? [], ambient: caps.ambient ?? [] } : undefined,
    noNewPrivs: !!p?.noNewPrivileges,
    seccomp: filter,
    user: p ? { uid: p.user.uid, gid: p.user.gid, groups: p.user.additionalGids ?? [] } : undefined,
    limits: hostLimits((p?.rlimits ?? []).map((r): ProcessLimit => ({ name: r.type.replace(/^RLIMIT_/, '').toLowerCase() as AnyRlimit, soft: r.soft, hard: r.hard })), o.warn),
    umask: p?.user.umask,
    doorDir: o.doorDir,
    steps: mountNs ? [] : [{ call: 'chroot', path: config.root!.path }, { call: 'chdir', path: '/' }],
  })).catch((err) => { throw withContext('could not start the container\'s first process', err); });
  const pid = held.pid;
  ledger.record({ kind: 'process', pid, starttime: startTime(pid), note: `PID 1 of ${config.hostname ?? 'a container'}` });

  try {
    const what = [...namespaces.map((n) => n.path ? `${n.type} joined` : n.type), `${caps?.bounding?.length ?? 'all'} capabilities`, filter ? `seccomp filter of ${filter.length / 8} instructions` : ''].filter(Boolean);
    const whatZh = [...namespaces.map((n) => n.path ? `加入已有的 ${n.type}` : n.type), `${caps?.bounding?.length ?? '全部'} 个能力`, filter ? `seccomp 过滤器 ${filter.length / 8} 条指令` : ''].filter(Boolean);
    // The spawn thread boots while nestbox reads its arguments and writes the state; what is left
    // of its boot is part of this step.
    const waited = threadWaitMs();
    step(`namespaces made, PID 1 held (host PID ${pid}; ${what.join(', ')}; ${waited.toFixed(1)} ms of it waiting for the spawn thread to boot)`,
      `命名空间建好了，1 号进程已就位、等着开始（宿主机 PID ${pid}；${whatZh.join('，')}；其中 ${waited.toFixed(1)} ms 在等 spawn 线程启动完毕）`);
    if (p?.oomScoreAdj !== undefined) setOomScoreAdj(pid, p.oomScoreAdj);
    // 3. Limits, from the host, before anything of the container's own runs.
    if (linux.resources) applyResources(cgroup, linux.resources, o.warn);
    step('limits written', '资源限制已写入');
    // 4. What the engine does from outside.
    if (o.connect) await o.connect(pid);
    if (o.hooks?.createRuntime) {
      await o.hooks.createRuntime(pid);
      step('prestart and createRuntime hooks run', 'prestart 和 createRuntime 钩子已运行');
    }
    // 5. The filesystem, from inside the namespaces: /proc must be mounted by a process inside the
    // PID namespace (a procfs shows the PID namespace of whoever mounts it), a cgroup filesystem
    // from inside the cgroup namespace, sysctls from inside the IPC and network namespaces.
    // pivot_root moves the held process's root too (its root is the namespace's root).
    const ownCgroups = namespaces.some((n) => n.type === 'cgroup' && !n.path) ? undefined : ownCgroupPaths(cgroup.allDirs(), layout);
    const steps = containerFsSteps(config, { overlay: o.overlay, layout, bindDevices: !!userns, mountNamespace: mountNs, ownCgroups });
    await inNamespaces({ join: { pid, types: ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'] }, steps })
      .catch((err: Error) => { throw /^sysctl /.test(err.message) ? new UserError(err.message, 125) : err; });
    step(`root ${config.root!.path}: ${(config.mounts ?? []).length} mounts (/proc from inside the PID namespace), devices, ${Object.keys(linux.sysctl ?? {}).length} sysctls, ${(linux.maskedPaths ?? []).length} paths masked, pivot_root, old root detached`,
      `根 ${config.root!.path}：${(config.mounts ?? []).length} 个挂载（在 PID 命名空间里面挂载 /proc），设备，${Object.keys(linux.sysctl ?? {}).length} 个 sysctl，屏蔽 ${(linux.maskedPaths ?? []).length} 个路径，pivot_root，卸离旧的根`);
    if (o.hooks?.createContainer) {
      await o.hooks.createContainer(pid);
      step('createContainer hooks run', 'createContainer 钩子已运行');
    }
  } catch (err) {
    await held.kill();
    throw err;
  }
  return { pid, cgroup, release: (terminal) => held.release(terminal), kill: () => held.kill() };
}

/** Make `what`; a kernel or tool failure says what was being made (a user error is already plain). */
function contextFor<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    throw err instanceof UserError ? err : withContext(`could not make ${what}`, err);
  }
}

/** process.rlimits, lowered to what this host lets root give when root lacks CAP_SYS_RESOURCE. */
export function hostLimits(limits: ProcessLimit[], warn?: (line: string) => void): ProcessLimit[] {
  if (!limits.length || holdsCapability(24 /* CAP_SYS_RESOURCE */)) return limits;
  return limitsWithin(limits, (l, to) => warn?.(`RLIMIT_${l.name.toUpperCase()} ${l.soft}:${l.hard} lowered to ${to}: this host's root lacks CAP_SYS_RESOURCE, which raising a hard limit needs`));
}

/** Each of the container's cgroup directories by the mount of its tree: its path below that tree's root. */
function ownCgroupPaths(dirs: string[], layout: CgroupLayout): Record<string, string> {
  const own: Record<string, string> = {};
  const roots = [...layout.v1Mounts.map((m) => m.path), ...(layout.v2Root ? [layout.v2Root] : [])];
  for (const dir of dirs) {
    const root = roots.find((r) => dir.startsWith(r + '/'));
    if (root) own[root] = dir.slice(root.length);
  }
  return own;
}
