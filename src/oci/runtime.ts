// The OCI runtime's operations (runtime.md, "Operations"), as runc's command line offers them:
//
//   create ID --bundle DIR   make the container, its first process held at the door; return
//   start ID                 open the door: the process runs the config's program
//   state ID                 what the kernel says about it, as JSON
//   kill ID [SIGNAL]         a signal to its first process (--all: to every process of its cgroup)
//   delete ID                release what it held (--force: kill it first)
//
// No nestbox process stays between two commands: the container's process waits alone, behind two
// named pipes in the state directory, and each command finds it again from the state.
import { closeSync, constants as fsc, existsSync, openSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ownDescription, writePidFile } from './files.js';
import { Ledger, startTime } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { UserError, NestboxError } from '../errors.js';
import { detectCgroupLayout, processCgroups, type Controller, type CgroupLayout } from '../kernel/cgroup-layout.js';
import { openCgroupDirs } from '../kernel/cgroup.js';
import { releaseDoor } from '../kernel/held.js';
import { waitForExit } from '../kernel/spawn.js';
import { sendFd } from '../kernel/unix-socket.js';
import { SIGNALS } from '../kernel/constants.js';
import { createContainer, trace, traceClock } from '../runtime/create.js';
import { openContainerPty } from '../runtime/terminal.js';
import { DEFAULT_DEVICE_RULES } from '../runtime/resources.js';
import { loadBundle } from './bundle.js';
import { runHooks } from './hooks.js';
import { OciStore, checkId, statusOf, stateOf, processAlive, type OciRecord } from './state.js';
import { OCI_VERSION, type OciSpec, type OciState } from './types.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OciContext {
  store: OciStore;
  /** --systemd-cgroup: cgroupsPath is "slice:prefix:name", as systemd names units. */
  systemdCgroup?: boolean;
  /** A warning for the user (and the --log file). */
  warn(line: string): void;
}

export interface CreateFlags { bundle?: string; pidFile?: string; consoleSocket?: string; preserveFds?: number }

const ledgerOf = (id: string) => new Ledger(`oci-${id}`);

/** `create`: make the container from the bundle, held before its program runs. */
export async function ociCreate(ctx: OciContext, id: string, flags: CreateFlags): Promise<OciRecord> {
  checkId(id);
  if (ctx.store.exists(id)) throw new UserError(`container with id "${id}" already exists`, 1);
  const bundle = loadBundle(flags.bundle ?? '.');
  const config = absolutePaths(bundle.config, bundle.dir, bundle.rootPath);
  const terminal = !!config.process?.terminal;
  if (terminal && !flags.consoleSocket) throw new UserError('process.terminal is true, so the container needs --console-socket: the socket where the engine takes the terminal', 1);
  if (!terminal && flags.consoleSocket) throw new UserError('--console-socket was given, but process.terminal is false: nothing to send there', 1);
  const dir = ctx.store.claim(id);
  const ledger = Ledger.forThisProcess(`oci-${id}`, `nestbox oci create ${id}`);
  const record: OciRecord = { id, bundle: bundle.dir, rootfs: bundle.rootPath, pid: 0, created: new Date().toISOString(), cgroupDirs: [], config };
  const stateFor = (status: OciState['status'], pid: number): OciState => ({ ociVersion: OCI_VERSION, id, status, pid, bundle: bundle.dir, ...(config.annotations ? { annotations: config.annotations } : {}) });
  const devNull = openSync('/dev/null', 'r+');
  // Pipes and terminals are opened again, so the container gets descriptions of its own: Node puts
  // the ones it writes to in non-blocking mode, and the flag belongs to the description.
  const stdio = terminal ? { stdin: devNull, stdout: devNull, stderr: devNull } : { stdin: ownDescription(0, fsc.O_RDONLY), stdout: ownDescription(1, fsc.O_WRONLY), stderr: ownDescription(2, fsc.O_WRONLY) };
  try {
    const layout = detectCgroupLayout();
    const created = await createContainer({
      config,
      cgroupPath: cgroupPathFor(config.linux?.cgroupsPath, id, ctx.systemdCgroup ?? false, layout),
      controllers: allControllers(layout),
      stdio,
      ledger,
      doorDir: dir,
      newSession: true,
      warn: ctx.warn,
      hooks: {
        async createRuntime(pid) {
          await runHooks('prestart', config.hooks?.prestart, stateFor('created', pid));
          await runHooks('createRuntime', config.hooks?.createRuntime, stateFor('creating', pid));
        },
        ...(config.hooks?.createContainer?.length ? { createContainer: (pid: number) => runHooks('createContainer', config.hooks!.createContainer, stateFor('creating', pid), pid) } : {}),
      },
    });
    Object.assign(record, { pid: created.pid, pidStart: startTime(created.pid), cgroupDirs: created.cgroup.allDirs() });
    if (terminal) {
      // The engine gets the master side of a new terminal in the container's own devpts; the
      // process opens the slave as its controlling terminal when `start` lets it go.
      let t = traceClock();
      const { master, path } = openContainerPty(created.pid, config.process!.user);
      try { sendFd(flags.consoleSocket!, master, path); } finally { closeSync(master); }
      record.terminal = path;
      t = trace(`terminal ${path}: its master sent to ${flags.consoleSocket}`, `终端 ${path}：主端已发送到 ${flags.consoleSocket}`, t);
    }
    ctx.store.save(record);
    if (flags.pidFile) writePidFile(flags.pidFile, created.pid);
    // From here the ledger is the container's: it lives as long as its first process does.
    ledger.record({ kind: 'owner', pid: created.pid, starttime: record.pidStart ?? 0, what: `OCI container ${id}` });
    return record;
  } catch (err) {
    await undoLedger(ledger);
    ctx.store.remove(id);
    throw err;
  } finally {
    for (const fd of new Set([devNull, stdio.stdin, stdio.stdout, stdio.stderr])) if (fd > 2) closeSync(fd);
  }
}

/** `start`: the program runs; startContainer hooks just before, poststart ones after. */
export async function ociStart(ctx: OciContext, id: string): Promise<void> {
  const r = ctx.store.load(checkId(id));
  const status = statusOf(r);
  if (status !== 'created') throw new UserError(`cannot start container "${id}": it is ${status}, not created`, 1);
  await runHooks('startContainer', r.config.hooks?.startContainer, hookState(r, 'created'), r.pid).catch(async (err) => {
    await killAll(r, SIGNALS.SIGKILL);
    throw err;
  });
  r.started = true;
  ctx.store.save(r);
  let t = traceClock();
  await releaseDoor(ctx.store.dir(id), r.terminal ?? 'go');
  t = trace(`the door opened: PID ${r.pid} runs ${(r.config.process?.args ?? []).join(' ') || '(no process: it ends)'}`, `门打开了：PID ${r.pid} 运行 ${(r.config.process?.args ?? []).join(' ') || '（没有进程：它结束了）'}`, t);
  for (const hook of r.config.hooks?.poststart ?? []) {
    // A failed poststart hook is a warning: the container runs on (config.md).
    await runHooks('poststart', [hook], hookState(r, 'running')).catch((err) => ctx.warn((err as Error).message));
  }
}

/** The state a hook reads: the container's first process by its PID, even once it has ended. */
function hookState(r: OciRecord, status: OciState['status']): OciState {
  return { ociVersion: OCI_VERSION, id: r.id, status, pid: r.pid, bundle: r.bundle, ...(r.config.annotations ? { annotations: r.config.annotations } : {}) };
}

export function ociState(ctx: OciContext, id: string): ReturnType<typeof stateOf> {
  return stateOf(ctx.store.load(checkId(id)));
}

/** A signal by name (TERM, SIGTERM) or number, as runc takes it. */
export function parseSignal(text = 'TERM'): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > 64) throw new UserError(`invalid signal "${text}"`, 1);
    return n;
  }
  const name = 'SIG' + text.toUpperCase().replace(/^SIG/, '');
  const n = SIGNALS[name];
  if (!n) throw new UserError(`invalid signal "${text}" (for example TERM, KILL, HUP or 9)`, 1);
  return n;
}

/** `kill`: a created or running container only (a stopped one is an error, as the spec asks). */
export async function ociKill(ctx: OciContext, id: string, signal: string | undefined, all = false): Promise<void> {
  const r = ctx.store.load(checkId(id));
  const num = parseSignal(signal);
  const status = statusOf(r);
  if (status === 'stopped') throw new UserError(`container "${id}" is not running`, 1);
  if (all) await killAll(r, num);
  else {
    process.kill(r.pid, num);
    // A frozen process takes its SIGKILL only once thawed (v1).
    if (num === SIGNALS.SIGKILL && status === 'paused') try { openCgroupDirs(r.cgroupDirs).thaw(); } catch { /* no freezer */ }
  }
}

/** Every process of the container's cgroup gets the signal. */
async function killAll(r: OciRecord, num: number): Promise<void> {
  const cg = r.cgroupDirs.length ? openCgroupDirs(r.cgroupDirs) : undefined;
  const pids = new Set([...(cg?.procs() ?? []), ...(processAlive(r.pid, r.pidStart) ? [r.pid] : [])]);
  for (const pid of pids) try { process.kill(pid, num); } catch { /* gone meanwhile */ }
  if (num === SIGNALS.SIGKILL && cg) try { if (cg.frozenState() !== 'thawed') cg.thaw(); } catch { /* no freezer */ }
}

/** `delete`: only a stopped container, unless --force, which kills it first. */
export async function ociDelete(ctx: OciContext, id: string, force = false): Promise<void> {
  checkId(id);
  // A create killed half-way (its state never written) leaves its directory and ledger: release those.
  if (!ctx.store.exists(id) && (existsSync(ctx.store.dir(id)) || ledgerOf(id).exists())) {
    const report = await undoLedger(ledgerOf(id));
    ctx.store.remove(id);
    if (report.failed.length) throw new NestboxError(`could not release: ${report.failed.join('; ')} (run: nestbox cleanup)`);
    return;
  }
  const r = ctx.store.load(id);
  const status = statusOf(r);
  if (status !== 'stopped') {
    if (!force) throw new UserError(`cannot delete container "${id}": it is ${status}, not stopped (kill it first, or delete --force)`, 1);
    await killAll(r, SIGNALS.SIGKILL);
    for (let i = 0; i < 500 && processAlive(r.pid, r.pidStart); i++) await sleep(10);
  }
  let t = traceClock();
  const report = await undoLedger(ledgerOf(id));
  t = trace(`released: ${report.removed.join(', ') || 'nothing left to release'}`, `已释放：${report.removed.join('，') || '没有要释放的了'}`, t);
  for (const hook of r.config.hooks?.poststop ?? []) {
    await runHooks('poststop', [hook], hookState(r, 'stopped')).catch((err) => ctx.warn((err as Error).message));
  }
  ctx.store.remove(id);
  if (report.failed.length) throw new NestboxError(`could not release: ${report.failed.join('; ')} (run: nestbox cleanup)`);
}

/** `pause` and `resume`: the freezer (v1) or cgroup.freeze (v2). */
export async function ociPause(ctx: OciContext, id: string, pause: boolean): Promise<void> {
  const r = ctx.store.load(checkId(id));
  const status = statusOf(r);
  if (pause && status !== 'running') throw new UserError(`container "${id}" is ${status}: only a running container can be paused`, 1);
  if (!pause && status !== 'paused') throw new UserError(`container "${id}" is ${status}, not paused`, 1);
  const cg = openCgroupDirs(r.cgroupDirs);
  if (pause) cg.freeze(); else cg.thaw();
  for (let i = 0; i < 200 && cg.frozenState() !== (pause ? 'frozen' : 'thawed'); i++) await sleep(5);
}

/** `run`: create and start; in the foreground it waits for the end, deletes, and returns the exit status. */
export async function ociRun(ctx: OciContext, id: string, flags: CreateFlags & { detach?: boolean }): Promise<number> {
  const r = await ociCreate(ctx, id, flags);
  try {
    await ociStart(ctx, id);
  } catch (err) {
    await ociDelete(ctx, id, true).catch(() => undefined);
    throw err;
  }
  if (flags.detach) return 0;
  // This process made it, so it is its parent and collects its exit status.
  const { code } = await waitForExit(r.pid);
  await ociDelete(ctx, id, true);
  return code;
}

/** The cgroup path below each tree's root, from cgroupsPath (runc's rules). */
export function cgroupPathFor(path: string | undefined, id: string, systemd: boolean, layout: CgroupLayout): string | ((mount: string) => string) {
  if (systemd) return systemdPath(path ?? `system.slice:nestbox:${id}`);
  if (!path) return `/nestbox/oci-${id}`;
  if (isAbsolute(path)) return path;
  // Relative: below the cgroup this runtime itself is in, in each tree.
  const mine = processCgroups('self');
  return (mount: string) => {
    const v1 = layout.v1Mounts.find((m) => m.path === mount);
    const line = v1 ? mine.find((l) => v1.controllers.some((c) => l.controllers.includes(c))) : mine.find((l) => l.hierarchy === 0);
    return join(line?.path ?? '/', path);
  };
}

/**
 * systemd's "slice:prefix:name" (runc --systemd-cgroup): the scope prefix-name.scope in the slice,
 * a slice's dashes naming its parents (a-b.slice lives in a.slice). nestbox makes the directories
 * itself instead of asking systemd over D-Bus; systemd leaves a tree it did not make alone.
 */
export function systemdPath(text: string): string {
  const [slice, prefix, name] = text.split(':');
  if (name === undefined) throw new UserError(`--systemd-cgroup: cgroupsPath "${text}" must be slice:prefix:name (for example machine.slice:libpod:ID)`, 1);
  const parent = slice || 'system.slice';
  const parts = parent.replace(/\.slice$/, '').split('-');
  const slices = parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`);
  return '/' + [...(parent === '-.slice' ? [] : slices), `${prefix ? `${prefix}-` : ''}${name}.scope`].join('/');
}

/** Every controller of the tree version the container will use (runc joins them all). */
function allControllers(layout: CgroupLayout): Controller[] {
  if (layout.mode === 'v2') return [...new Set([...layout.v2Controllers, 'freezer', 'devices'])] as Controller[];
  return [...new Set(layout.v1Mounts.flatMap((m) => m.controllers))] as Controller[];
}

/**
 * root.path and relative bind sources made absolute (the spec: relative to the bundle), and runc's
 * default devices allowed after the config's own device rules: /dev/null and the others every
 * program expects, the terminals (as runc's specconv adds them).
 */
function absolutePaths(config: OciSpec, bundle: string, root: string): OciSpec {
  const resources = config.linux?.resources;
  return {
    ...config,
    ...(config.linux ? { linux: { ...config.linux, resources: { ...resources, devices: [...(resources?.devices ?? []), ...DEFAULT_DEVICE_RULES] } } } : {}),
    root: { ...config.root!, path: root },
    mounts: (config.mounts ?? []).map((m) => (m.source && !isAbsolute(m.source) && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind'))) ? { ...m, source: resolve(bundle, m.source) } : m),
  };
}

