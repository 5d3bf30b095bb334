// Where `nestbox oci` keeps its containers: a directory per container under the root (runc's
// --root, /run/nestbox/oci by default: a tmpfs, gone at reboot with the containers themselves).
// It holds what the runtime must remember between two commands (the PID, the bundle, the cgroup,
// a copy of the config as it was at create: later changes to config.json must not affect the
// container), and the named pipes that hold the container's first process until `start`.
//
// The status is never stored: it is read from the kernel each time (runtime.md's "state"): no
// process (or a zombie, or another process with a recycled PID) is stopped; a process whose door is
// still closed is created; a frozen cgroup is paused; else running.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from '../host/paths.js';
import { startTime } from '../host/ledger.js';
import { statField } from '../kernel/proc.js';
import { openCgroupDirs } from '../kernel/cgroup.js';
import { UserError } from '../errors.js';
import { writeJson } from '../runtime/store.js';
import { OCI_VERSION, type OciSpec, type OciState } from './types.js';

export interface OciRecord {
  id: string;
  bundle: string;
  rootfs: string;
  pid: number;
  /** PID 1's start time (clock ticks since boot): the PID alone could be another process's later. */
  pidStart?: number;
  created: string;
  /** Set by `start` once the door is opened. */
  started?: boolean;
  /** The container's cgroup: one directory per v1 tree (or one on v2). */
  cgroupDirs: string[];
  /** The config as it was at create: exec, hooks and delete read this one, never config.json again. */
  config: OciSpec;
  /** The terminal the process opens at start (/dev/pts/N in its devpts), with process.terminal. */
  terminal?: string;
}

export function defaultRoot(): string {
  return join(runDir(), 'oci');
}

/** IDs as runc takes them, within what a file name and a ledger owner may be. */
export function checkId(id: string | undefined): string {
  if (!id) throw new UserError('a container ID is needed (see nestbox oci --help)', 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,1023}$/.test(id)) throw new UserError(`invalid container ID "${id}": letters, digits, '_', '.' and '-'`, 1);
  return id;
}

export class OciStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Claim the id: the directory is made without `recursive`, so a second create of it fails. */
  claim(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(this.dir(id), { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`container with id "${id}" already exists`, 1);
      throw err;
    }
    return this.dir(id);
  }

  save(r: OciRecord): void {
    writeJson(join(this.dir(r.id), 'state.json'), r);
  }

  load(id: string): OciRecord {
    checkId(id);
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8'));
    } catch {
      throw new UserError(`container "${id}" does not exist`, 1);
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  list(): OciRecord[] {
    if (!existsSync(this.root)) return [];
    const out: OciRecord[] = [];
    for (const id of readdirSync(this.root)) {
      try { out.push(this.load(id)); } catch { /* being made or removed */ }
    }
    return out;
  }
}

/** Alive, and the same process: a zombie (exited, not yet collected) counts as ended. */
export function processAlive(pid: number, pidStart?: number): boolean {
  if (!pid) return false;
  const st = startTime(pid);
  if (st === undefined || (pidStart !== undefined && st !== pidStart)) return false;
  const state = statField(pid, 3);
  return state !== 'Z' && state !== 'X';
}

/** The status, from the kernel. */
export function statusOf(r: OciRecord): OciState['status'] {
  if (!processAlive(r.pid, r.pidStart)) return 'stopped';
  if (!r.started) return 'created';
  try {
    if (r.cgroupDirs.length && openCgroupDirs(r.cgroupDirs).frozenState() === 'frozen') return 'paused';
  } catch { /* no freezer */ }
  return 'running';
}

/** What `state` prints: the spec's fields, then runc's extras (rootfs, created, owner). */
export function stateOf(r: OciRecord): OciState & { rootfs: string; created: string; owner: string } {
  const status = statusOf(r);
  return {
    ociVersion: OCI_VERSION,
    id: r.id,
    pid: status === 'stopped' ? 0 : r.pid,
    status,
    bundle: r.bundle,
    rootfs: r.rootfs,
    created: r.created,
    owner: '',
    ...(r.config.annotations ? { annotations: r.config.annotations } : {}),
  };
}
