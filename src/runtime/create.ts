// `nestbox run`, step by step. Each step is one the labs did by hand:
//
//   1. the root filesystem: image layers + a writable layer (lab overlay), volumes (lab volumes)
//   2. a cgroup with the limits (labs memory, cpu, pids)
//   3. new namespaces: mount, UTS, IPC, PID, network, cgroup (labs mnt, uts, ipc, pid, net, cgroupns)
//      and the first process, held before it runs anything
//   4. the network: a veth pair to the bridge, an address, published ports (labs veth, bridge, ports)
//   5. /proc mounted from inside the PID namespace (lab pid), masks, pivot_root (lab chroot)
//   6. release: the first process execs the command, which becomes PID 1
//
// The first process is held the way runc holds its init between `runc create` and `runc start`:
// the host's /bin/sh blocks reading a pipe, and the command only starts once the container is
// complete (its cgroup joined, its network up, its root pivoted). If nestbox dies before writing to
// the pipe, the read ends with EOF and the half-made container exits by itself.
import { assembleFilter } from '../kernel/seccomp.js';
import { seccompPolicy } from './seccomp-profile.js';
import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ledger, startTime } from '../host/ledger.js';
import { UserError, withContext } from '../errors.js';
import { inNamespaces, warmThreads } from '../kernel/spawn.js';
import { hold } from '../kernel/held.js';
import { Cgroup, createCgroup } from '../kernel/cgroup.js';
import type { NamespaceType } from '../kernel/constants.js';
import {
  CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
} from '../kernel/constants.js';
import { which } from '../host/exec.js';
import { ContainerSpec, containerEnv, EXIT_RUNTIME, EXIT_NOT_FOUND, EXIT_NOT_EXECUTABLE } from './spec.js';
import { claimName, paths, saveConfig, rewriteConfig, saveState, ContainerState, findContainer, namesDir, load } from './store.js';
import { rootfsSteps, finishSteps, cgroupSteps, writeEtcFiles, sysctlSteps } from './mounts.js';
import { detectCgroupLayout } from '../kernel/cgroup-layout.js';
import { containerControllers, applyLimits, insideCgroup } from './cgroups.js';
import { containerLayers, userFiles } from './images.js';
import { resolveUser, addGroups } from './users.js';
import { INIT_PATH } from './init-binary.js';
import { setupNetwork } from './network.js';
import { prepareMounts } from './volumes.js';
import { pick } from '../i18n/lang.js';

/**
 * With NESTBOX_TRACE set (nestbox run --trace), each step is printed with what it cost, so a learner
 * can watch a container being assembled (in the course's language: the run lab shows these lines).
 */
function trace(en: string, zh: string, since: number): number {
  const now = performance.now();
  if (process.env.NESTBOX_TRACE) process.stderr.write(`  ${(now - since).toFixed(1).padStart(6)} ms  ${pick(en, zh)}\n`);
  return now;
}

export interface Created {
  spec: ContainerSpec;
  pid: number;
  ledger: Ledger;
  cgroup: Cgroup;
  /** Let PID 1 run its command (on `terminal` when given, -t); rejects with the holder's own failure. */
  release(terminal?: string): Promise<void>;
}

export interface Stdio { stdin: number; stdout: number; stderr: number }

/**
 * Create the container, held before its command runs. Everything made on the host is recorded in
 * `ledger` as it is made; on failure the caller undoes the ledger and removes the container.
 */
export async function createContainer(spec: ContainerSpec, stdio: Stdio, ledger: Ledger, abort?: AbortSignal): Promise<Created> {
  let t = performance.now();
  // A signal to nestbox stops the creation between two steps (run.ts undoes what was made).
  const step = (en: string, zh: string) => {
    t = trace(en, zh, t);
    abort?.throwIfAborted();
  };
  warmThreads(2); // already warm when called from the run command
  const p = paths(spec.id);
  const lower = await containerLayers(spec);
  // -u names are looked up in the container's own /etc/passwd and /etc/group, as the image has them;
  // so are --group-add's, added to the user's groups (root's, without -u).
  if (spec.user !== undefined || spec.groupAdd?.length) {
    const files = userFiles(lower);
    spec.ids = addGroups(resolveUser(spec.user ?? '0', files), spec.groupAdd ?? [], files);
  }
  const sharesNetWith = spec.net.mode === 'container' ? runningPid(spec.net.container) : undefined;

  // A new container is registered first (its directory, its name); one started again keeps both,
  // with its writable layer, its log and its restart count. Its config is saved again with the ids
  // resolved above, which exec uses.
  if (!existsSync(p.config)) registerContainer(spec);
  rewriteConfig(spec);
  const previous = tryState(spec.id);
  if (spec.autoRemove) {
    ledger.record({ kind: 'file', path: join(namesDir(), spec.name) });
    ledger.record({ kind: 'dir', path: p.dir });
  }
  const state: ContainerState = {
    Status: previous?.Status === 'restarting' ? 'restarting' : 'created', Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '', FinishedAt: '', Cgroup: [],
    Created: previous?.Created ?? new Date().toISOString(), RestartCount: previous?.RestartCount ?? 0, RestartDelayMs: previous?.RestartDelayMs,
  };
  saveState(spec.id, state);

  // 1. The root filesystem: the image's layers read-only, the container's own layer on top.
  for (const d of [p.upper, p.work, p.rootfs]) mkdirSync(d, { recursive: true });
  prepareMounts(spec); // volumes made on first use, missing -v host directories made
  const etc = writeEtcFiles(p.dir, spec);
  step(`state in ${p.dir}, name "${spec.name}" claimed`, `状态目录 ${p.dir}，名字 "${spec.name}" 已占下`);

  // 2. The cgroup, recorded first so a crash from here on still removes it.
  const controllers = containerControllers(spec);
  const cgroup = contextFor("the container's cgroup", () => createCgroup(spec.id, controllers));
  ledger.record({ kind: 'cgroup', dirs: cgroup.allDirs() });
  state.Cgroup = cgroup.allDirs();
  state.Controllers = controllers;
  step(`cgroup ${cgroup.dir()}`, `控制组 ${cgroup.dir()}`);

  // 3. The namespaces and the held first process.
  let flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP;
  if (spec.net.mode === 'bridge' || spec.net.mode === 'none') flags |= CLONE_NEWNET;
  const filter = spec.seccomp ? assembleFilter(seccompPolicy(spec.capabilities)) : undefined;
  const held = await insideCgroup(cgroup, () => hold({
    shell: which('sh') ?? '/bin/sh',
    // --init: tini is PID 1 and starts the command as its child ("--": the command's own flags are not tini's).
    command: spec.init ? [INIT_PATH, '--', ...spec.command] : spec.command,
    workdir: spec.workdir,
    env: containerEnv(spec),
    unshare: flags,
    join: sharesNetWith ? { pid: sharesNetWith, types: ['net'] } : undefined,
    hostname: spec.hostname,
    steps: rootfsSteps(spec, { lower, upper: p.upper, work: p.work, target: p.rootfs }, etc),
    stdio: [stdio.stdin, stdio.stdout, stdio.stderr],
    // With a terminal of its own, PID 1 leads a session of its own, which that terminal controls.
    setsid: spec.tty,
    capabilities: spec.capabilities,
    noNewPrivs: !spec.privileged,
    seccomp: filter,
    user: spec.ids,
    // --ulimit: set on the held PID 1 from here (prlimit), so its command starts with them.
    limits: spec.ulimits,
  }));
  const pid = held.pid;
  ledger.record({ kind: 'process', pid, starttime: startTime(pid), note: `PID 1 of ${spec.name}` });

  try {
    step(`namespaces created, root mounted, PID 1 held (host PID ${pid}; ${spec.capabilities.length} capabilities${filter ? `, seccomp filter of ${filter.length / 8} instructions` : ''})`,
      `命名空间建好了，根挂载好了，1 号进程已就位、等着开始（宿主机 PID ${pid}；${spec.capabilities.length} 个能力${filter ? `，seccomp 过滤器 ${filter.length / 8} 条指令` : ''}）`);
    applyLimits(cgroup, spec);
    step('limits written', '资源限制已写入');

    // 4. The network, configured from the host before the command runs.
    const net = await setupNetwork(spec, pid, ledger).catch((err) => { throw err instanceof UserError ? err : withContext(`could not connect the container to the network (${spec.net.mode})`, err); });
    if (net.ip) writeEtcFiles(p.dir, spec, net.ip, net.gateway);
    // Host ports chosen for -p CONTAINERPORT are part of the config from now on (ps, inspect, port).
    if (spec.ports.length) rewriteConfig(spec);
    step(`network: ${spec.net.mode}${net.ip ? ` ${net.ip}` : ''}`, `网络：${spec.net.mode}${net.ip ? ` ${net.ip}` : ''}`);

    // 5. /proc must be mounted by a process inside the new PID namespace (a procfs shows the PID
    // namespace of whoever mounts it): the thread joins the namespaces and runs `mount` there. Then
    // the masks, then pivot_root, which moves the held process's root too (its root is the
    // namespace's root).
    // The cgroup namespace too: a cgroup filesystem mounted from there shows the container's cgroup
    // as its root.
    // --sysctl: the thread joins the IPC and network namespaces too, whose settings /proc/sys shows.
    const sysctls = sysctlSteps(spec, p.rootfs);
    const sysctlTypes: NamespaceType[] = sysctls.length ? ['ipc', ...(spec.net.mode === 'bridge' || spec.net.mode === 'none' ? ['net' as const] : [])] : [];
    await inNamespaces({
      join: { pid, types: ['mnt', 'pid', 'cgroup', ...sysctlTypes] },
      steps: [
        { call: 'run', path: which('mount') ?? '/bin/mount', argv: ['mount', '-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc', join(p.rootfs, 'proc')], env: [] },
        ...cgroupSteps(p.rootfs, detectCgroupLayout(), undefined, spec.privileged),
        ...sysctls,
        ...finishSteps(spec, p.rootfs),
      ],
    }).catch((err: Error) => { throw /^sysctl /.test(err.message) ? new UserError(`--${err.message}`, EXIT_RUNTIME) : err; });
    // Is the command there? Checked through /proc/PID/root, now the container's root.
    step('/proc mounted from inside the PID namespace, /sys/fs/cgroup from inside the cgroup namespace, paths masked, pivot_root, old root detached',
      '在 PID 命名空间里面挂载 /proc，在 cgroup 命名空间里面挂载 /sys/fs/cgroup，屏蔽路径，pivot_root，卸离旧的根');
    checkCommand(spec, pid);

    Object.assign(state, { Pid: pid, PidStart: startTime(pid), IPAddress: net.ip, HostVeth: net.hostVeth });
    saveState(spec.id, state);
  } catch (err) {
    await held.kill();
    throw err;
  }

  return { spec, pid, ledger, cgroup, release: (terminal) => held.release(terminal) };
}


/**
 * `nestbox create`, and the first thing `run` does: the container's directory with its config
 * (not recursive: an existing directory means an id collision, and must fail), then its name
 * (atomic: two runs cannot both get it), then its state. Nothing on the kernel side yet.
 */
export function registerContainer(spec: ContainerSpec): void {
  saveConfig(spec);
  try {
    claimName(spec.name, spec.id);
  } catch (err) {
    rmSync(paths(spec.id).dir, { recursive: true, force: true });
    throw err;
  }
  saveState(spec.id, { Status: 'created', Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '', FinishedAt: '', Cgroup: [], RestartCount: 0, Created: new Date().toISOString() });
}

function tryState(id: string): ContainerState | undefined {
  try { return load(id).state; } catch { return undefined; }
}

/** Make `what`; a kernel or tool failure says what was being made (a user error is already plain). */
function contextFor<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    throw err instanceof UserError ? err : withContext(`could not make ${what}`, err);
  }
}

/** The PID 1 of a running container, for --net container:NAME. */
function runningPid(ref: string): number {
  let c;
  // Docker's exit code for a container that cannot be made (125), not a lookup's 1.
  try { c = findContainer(ref); } catch { throw new UserError(`--net container:${ref}: no such container (see nestbox ps)`, EXIT_RUNTIME); }
  if (c.state.Status !== 'running') throw new UserError(`--net container:${ref}: that container is not running`, EXIT_RUNTIME);
  return c.state.Pid;
}

/**
 * Look the command up in the container's root the way the shell will (PATH), from the host through
 * /proc/PID/root. A missing command is Docker's exit 127, a non-executable one 126.
 */
function checkCommand(spec: ContainerSpec, pid: number): void {
  const cmd = spec.command[0];
  const root = `/proc/${pid}/root`;
  const path = containerEnv(spec).find((e) => e.startsWith('PATH='))!.slice(5);
  const candidates = cmd.includes('/') ? [resolve(spec.workdir, cmd)] : path.split(':').map((d) => join(d, cmd));
  for (const c of candidates) {
    let st;
    // lstat: an absolute symlink inside would resolve against the host's root from here.
    try { st = lstatSync(join(root, c)); } catch { continue; }
    if (st.isSymbolicLink()) return;
    if (st.isFile() && st.mode & 0o111) return;
    if (cmd.includes('/')) throw new UserError(`${cmd}: permission denied (not an executable file in the container)`, EXIT_NOT_EXECUTABLE);
  }
  throw new UserError(`${cmd}: not found in the container's root${cmd.includes('/') ? '' : ` (searched ${path})`}`, EXIT_NOT_FOUND);
}

