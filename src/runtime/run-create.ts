// `nestbox run`'s side of making a container: what Docker's daemon does before it calls runc. The
// image's layers are found, the container registered (its directory, its name, its state), its
// volumes and /etc files made, its OCI config written (run-config.ts) and saved as bundle.json;
// then the one code that makes containers (create.ts) makes it, with the network connected from
// here while its first process is held.
import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ledger, startTime } from '../host/ledger.js';
import { UserError, withContext } from '../errors.js';
import { MS_NODEV } from '../kernel/constants.js';
import { ContainerSpec, containerEnv, EXIT_RUNTIME, EXIT_NOT_FOUND, EXIT_NOT_EXECUTABLE } from './spec.js';
import { claimName, paths, saveConfig, rewriteConfig, saveState, ContainerState, findContainer, namesDir, load, writeJson } from './store.js';
import { writeEtcFiles } from './mounts.js';
import { containerControllers } from './cgroups.js';
import { containerLayers, userFiles } from './images.js';
import { resolveUser, addGroups } from './users.js';
import { findInitBinary, INIT_MISSING } from './init-binary.js';
import { setupNetwork } from './network.js';
import { prepareMounts, isEmptyDir } from './volumes.js';
import { volumeData } from './mount-spec.js';
import { createContainer, trace, traceClock, type Created, type Stdio } from './create.js';
import { runConfig, runCgroupPath } from './run-config.js';

export type { Created, Stdio };

/**
 * Create the container, held before its command runs. Everything made on the host is recorded in
 * `ledger` as it is made; on failure the caller undoes the ledger and removes the container.
 */
export async function createRunContainer(spec: ContainerSpec, stdio: Stdio, ledger: Ledger, abort?: AbortSignal): Promise<Created> {
  // performance.now() counts from the process's start: Node's own start, loading nestbox's run
  // code (one bundle, koffi and libc) and reading the arguments.
  let t = trace('Node started, nestbox\'s run code loaded, arguments read', 'Node 启动完毕，nestbox 的 run 代码已加载，参数已读取', 0);
  const p = paths(spec.id);
  const lower = await containerLayers(spec);
  // -u names are looked up in the container's own /etc/passwd and /etc/group, as the image has them;
  // so are --group-add's, added to the user's groups (root's, without -u).
  if (spec.user !== undefined || spec.groupAdd?.length) {
    const files = userFiles(lower);
    spec.ids = addGroups(resolveUser(spec.user ?? '0', files), spec.groupAdd ?? [], files);
  }
  const sharesNetWith = spec.net.mode === 'container' ? runningPid(spec.net.container) : undefined;
  const init = spec.init ? findInitBinary() : undefined;
  if (spec.init && !init) throw new UserError(INIT_MISSING, 125);

  // A new container is registered first (its directory, its name); one started again keeps both,
  // with its writable layer, its log and its restart count. Its config is saved again with the ids
  // resolved above, which exec uses.
  const isNew = !existsSync(p.config);
  if (isNew) registerContainer(spec);
  else rewriteConfig(spec);
  const previous = isNew ? undefined : tryState(spec.id);
  if (spec.autoRemove) {
    ledger.record({ kind: 'file', path: join(namesDir(), spec.name) });
    ledger.record({ kind: 'dir', path: p.dir });
  }
  // A container being restarted stays "restarting" until it runs, with its last exit code and the
  // monitor that restarts it (without it, a reader would take it for one nobody will restart).
  const restarting = previous?.Status === 'restarting';
  const state: ContainerState = {
    Status: restarting ? 'restarting' : 'created', Pid: 0, ExitCode: restarting ? previous.ExitCode : 0, OOMKilled: false, Error: '', StartedAt: '', FinishedAt: '', Cgroup: [],
    Created: previous?.Created ?? new Date().toISOString(), RestartCount: previous?.RestartCount ?? 0, RestartDelayMs: previous?.RestartDelayMs,
    ...(restarting ? { MonitorPid: previous.MonitorPid, MonitorStart: previous.MonitorStart } : {}),
  };
  saveState(spec.id, state);

  // The root filesystem: the image's layers read-only, the container's own layer on top.
  for (const d of [p.upper, p.work, p.rootfs]) mkdirSync(d, { recursive: true });
  prepareMounts(spec); // volumes made on first use, missing -v host directories made
  const etc = writeEtcFiles(p.dir, spec);
  const emptyVolumes = new Set(spec.volumes.filter((v) => v.type === 'volume' && isEmptyDir(volumeData(v.source))).map((v) => volumeData(v.source)));
  const config = runConfig({ spec, rootfs: p.rootfs, etc, init, sharesNetWith, emptyVolumes });
  writeJson(join(p.dir, 'bundle.json'), config);
  t = trace(`state in ${p.dir}, name "${spec.name}" claimed, OCI config written (bundle.json)`, `状态目录 ${p.dir}，名字 "${spec.name}" 已占下，OCI 配置已写好（bundle.json）`, t);

  const controllers = containerControllers(spec);
  const created = await createContainer({
    config,
    cgroupPath: runCgroupPath(spec.id),
    controllers,
    stdio,
    ledger,
    abort,
    // nodev unless --privileged: a device node in the image's files cannot be opened.
    overlay: { lower, upper: p.upper, work: p.work, flags: spec.privileged ? 0 : MS_NODEV },
    // The network, configured from the host before the command runs (labs veth, bridge, ports).
    async connect(pid) {
      let tn = traceClock();
      const net = await setupNetwork(spec, pid, ledger).catch((err) => { throw err instanceof UserError ? err : withContext(`could not connect the container to the network (${spec.net.mode})`, err); });
      if (net.ip) writeEtcFiles(p.dir, spec, net.ip, net.gateway);
      // Host ports chosen for -p CONTAINERPORT are part of the config from now on (ps, inspect, port).
      if (spec.ports.length) rewriteConfig(spec);
      tn = trace(`network: ${spec.net.mode}${net.ip ? ` ${net.ip}` : ''}`, `网络：${spec.net.mode}${net.ip ? ` ${net.ip}` : ''}`, tn);
      Object.assign(state, { IPAddress: net.ip, HostVeth: net.hostVeth });
    },
  }).catch((err: Error) => { throw /^sysctl /.test(err.message) ? new UserError(`--${err.message}`, EXIT_RUNTIME) : err; });
  t = traceClock();
  try {
    // Is the command there? Checked through /proc/PID/root, now the container's root.
    checkCommand(spec, created.pid);
  } catch (err) {
    await created.kill();
    throw err;
  }
  state.Cgroup = created.cgroup.allDirs();
  state.Controllers = controllers;
  Object.assign(state, { Pid: created.pid, PidStart: startTime(created.pid) });
  saveState(spec.id, state);
  trace(`${spec.command[0]} found in the container's root, state saved`, `在容器的根里找到了 ${spec.command[0]}，状态已保存`, t);
  return created;
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
