// Where a container lives on the host, and its state on disk. Everything a container owns sits in
// one directory, /var/lib/nestbox/containers/ID: its config, its state, its writable layer (upper,
// work), the mount point of its root, and its log. A name is claimed with one atomic symlink in
// /var/lib/nestbox/names, so two concurrent runs cannot take the same name.
import { mkdirSync, readFileSync, writeFileSync, renameSync, readdirSync, rmSync, symlinkSync, readlinkSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { libDir } from '../host/paths.js';
import { startTime, Ledger } from '../host/ledger.js';
import { UserError } from '../errors.js';
import type { ContainerSpec } from './spec.js';
import { normalizeMounts } from './mount-spec.js';
import { Cgroup, openCgroup } from '../kernel/cgroup.js';
import type { Controller } from '../kernel/cgroup-layout.js';
import { byCodePoint } from '../order.js';

/** The cgroup of a container, opened from what its state recorded. */
export function containerCgroup(id: string, controllers: string[]): Cgroup {
  return openCgroup(id, controllers as Controller[]);
}

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'exited';

export interface ContainerState {
  Status: Status;
  /** When it was created (`create`, or the start of `run`). */
  Created?: string;
  Pid: number;
  /** Start time of PID 1 (clock ticks since boot): PID plus this names the process for good. */
  PidStart?: number;
  ExitCode: number;
  OOMKilled: boolean;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  IPAddress?: string;
  /** cgroup directories, one per controller tree, and the controllers. */
  Cgroup: string[];
  Controllers?: string[];
  /** The host-side interface of its veth pair. */
  HostVeth?: string;
  /** Pid of the process that waits for it (the monitor), for -d containers, and its start time. */
  MonitorPid?: number;
  MonitorStart?: number;
  /** Times the monitor has started it again (--restart) since it was last started by hand. */
  RestartCount?: number;
  /** The wait before the last restart (it doubles while the container keeps failing quickly). */
  RestartDelayMs?: number;
}

const containersDir = () => join(libDir(), 'containers');
export const namesDir = () => join(libDir(), 'names');

function containerDir(id: string): string {
  return join(containersDir(), id);
}

export const paths = (id: string) => {
  const dir = containerDir(id);
  return {
    dir,
    config: join(dir, 'config.json'),
    state: join(dir, 'state.json'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    rootfs: join(dir, 'rootfs'),
    log: join(dir, 'container.log'),
    exit: join(dir, 'exit-status'),
    /** Where `nestbox attach` reaches the monitor of a detached container. */
    socket: join(dir, 'attach.sock'),
    /** Present while it was stopped or killed by hand (see stoppedByUser). */
    stoppedMark: join(dir, 'stopped-by-user'),
  };
};

/** Claim a name for an id; fails at once when it is taken (symlink is atomic). */
export function claimName(name: string, id: string): void {
  mkdirSync(namesDir(), { recursive: true });
  try {
    symlinkSync(id, join(namesDir(), name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = readlinkSafe(join(namesDir(), name));
    if (owner === id) return; // its own name (a container started again keeps it)
    if (owner && !existsSync(containerDir(owner))) {
      // A stale name: its container is gone (removed by hand); take it over.
      unlinkSync(join(namesDir(), name));
      return claimName(name, id);
    }
    throw new UserError(`the name "${name}" is already in use by container ${owner}: remove it (nestbox rm ${name}) or choose another --name`, 125);
  }
}

export function releaseName(name: string, id: string): void {
  const link = join(namesDir(), name);
  if (readlinkSafe(link) === id) rmSync(link, { force: true });
}

function readlinkSafe(p: string): string | undefined {
  try { return readlinkSync(p); } catch { return undefined; }
}

export function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export interface Container { id: string; spec: ContainerSpec; state: ContainerState }

export function saveConfig(spec: ContainerSpec): void {
  mkdirSync(containersDir(), { recursive: true });
  // Not recursive: a directory that already exists means an id collision, and must fail.
  mkdirSync(containerDir(spec.id), { mode: 0o700 });
  writeJson(paths(spec.id).config, spec);
}

/** The config again, once the container has filled in what was chosen at start (host ports). */
export function rewriteConfig(spec: ContainerSpec): void {
  writeJson(paths(spec.id).config, spec);
}

export function saveState(id: string, state: ContainerState): void {
  writeJson(paths(id).state, state);
}

export function updateState(id: string, change: Partial<ContainerState>): ContainerState {
  const state = { ...readState(id), ...change };
  saveState(id, state);
  return state;
}

function readState(id: string): ContainerState {
  return JSON.parse(readFileSync(paths(id).state, 'utf8'));
}

export function load(id: string): Container {
  const spec = JSON.parse(readFileSync(paths(id).config, 'utf8')) as ContainerSpec;
  // Saved by an earlier nestbox, whose -u held numbers only ({ uid, gid }): exec must keep them.
  const old = spec.user as unknown as { uid: number; gid: number } | string | undefined;
  if (old && typeof old === 'object') Object.assign(spec, { user: `${old.uid}:${old.gid}`, ids: spec.ids ?? { uid: old.uid, gid: old.gid, groups: [], home: '/' } });
  // Saved before labels existed; the other everyday run flags' fields are optional (run-flags.ts).
  spec.labels ??= {};
  spec.volumes = normalizeMounts(spec.volumes); // saved before mounts had a type: all were binds
  return { id, spec, state: refresh(id, readState(id)) };
}

/** Every container's config, those still being made included (whatever they mount must stay). */
export function allConfigs(): ContainerSpec[] {
  if (!existsSync(containersDir())) return [];
  const out: ContainerSpec[] = [];
  for (const id of readdirSync(containersDir())) {
    try {
      const spec = JSON.parse(readFileSync(paths(id).config, 'utf8')) as ContainerSpec;
      out.push({ ...spec, volumes: normalizeMounts(spec.volumes) });
    } catch { /* no config yet, or being removed */ }
  }
  return out;
}

/** The id a name's link points to, if the name is taken. */
export function nameOwner(name: string): string | undefined {
  return readlinkSafe(join(namesDir(), name));
}

/**
 * A state file can say "running" about a container whose processes were killed behind nestbox's
 * back (a crash, a reboot): believe the kernel. PID 1 must still exist with the same start time.
 */
function refresh(id: string, state: ContainerState): ContainerState {
  if ((state.Status === 'running' || state.Status === 'paused') && state.Pid && startTime(state.Pid) !== state.PidStart) {
    // A detached container's monitor outlives PID 1 by a moment: it collects the exit status and
    // records it. Until it has, the container is still running (as Docker's is until its shim
    // reports), not a container whose end nobody saw.
    if (state.MonitorPid && startTime(state.MonitorPid) === state.MonitorStart) return state;
    // No one saw its exit status (the run that waited for it was killed): 255, as Docker reports a
    // container whose end it did not witness.
    return { ...state, Status: 'exited', ExitCode: 255, Error: state.Error || 'its processes ended while nestbox was not watching (exit status unknown)' };
  }
  // Waiting to be started again by a process that is gone (killed): it will not be.
  if (state.Status === 'restarting' && (!state.MonitorPid || startTime(state.MonitorPid) !== state.MonitorStart)) {
    return { ...state, Status: 'exited' };
  }
  return state;
}

export function listContainers(): Container[] {
  if (!existsSync(containersDir())) return [];
  const out: Container[] = [];
  for (const id of readdirSync(containersDir())) {
    try { out.push(load(id)); } catch { /* half-created or half-removed: not listed */ }
  }
  return out.sort((a, b) => byCodePoint(b.state.StartedAt || '', a.state.StartedAt || ''));
}

/**
 * Stopped or killed by hand (Docker's HasBeenManuallyStopped): --restart leaves it stopped until a
 * person starts it again. A file of its own, not a field of state.json: `stop` sets it while the
 * monitor may be rewriting the state, and neither may lose the other's write.
 */
export function setStoppedByUser(id: string, stopped: boolean): void {
  if (stopped) writeFileSync(paths(id).stoppedMark, '');
  else rmSync(paths(id).stoppedMark, { force: true });
}

export function stoppedByUser(id: string): boolean {
  return existsSync(paths(id).stoppedMark);
}

/** A container's ledger: what its running instance holds on the host (src/host/ledger.ts). */
export function containerLedger(id: string): Ledger {
  return new Ledger(`ctr-${id}`);
}

/** By name, full id or unique id prefix (as Docker resolves them). */
export function findContainer(ref: string): Container {
  const byName = readlinkSafe(join(namesDir(), ref));
  if (byName && existsSync(paths(byName).config)) return load(byName);
  if (/^[0-9a-f]{1,12}$/.test(ref) && existsSync(containersDir())) {
    const matches = readdirSync(containersDir()).filter((id) => id.startsWith(ref));
    if (matches.length === 1 && existsSync(paths(matches[0]).config)) return load(matches[0]);
    if (matches.length > 1) throw new UserError(`"${ref}" matches ${matches.length} containers: give more of the id`, 1);
  }
  throw new NoSuchContainer(ref);
}

/** Told apart from other failures: `rm -f` of a container that is not there is not an error (Docker). */
export class NoSuchContainer extends UserError {
  constructor(readonly ref: string) {
    super(`no such container: ${ref} (see nestbox ps -a)`, 1);
  }
}
