// Named volumes, as Docker's local driver keeps them: a directory per volume under the library,
// /var/lib/nestbox/volumes/NAME/_data, bound into each container that mounts it. A volume outlives
// its containers: `rm` never removes a named one, and one in use by any container, running or not,
// cannot be removed. What Docker keeps in its metadata database (creation time, labels) is a small
// volume.json beside _data.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { allConfigs } from './store.js';
import type { ContainerSpec } from './spec.js';
import { ANONYMOUS_LABEL, VOLUME_NAME, volumeNameError, volumesDir, volumeData } from './mount-spec.js';

/** docker volume inspect's shape. */
export interface VolumeInfo {
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

const volumeDir = (name: string) => join(volumesDir(), name);
const metaFile = (name: string) => join(volumeDir(name), 'volume.json');

function checkVolumeName(name: string): string {
  if (!VOLUME_NAME.test(name)) throw new UserError(volumeNameError(name), 1);
  return name;
}

export function readVolume(name: string): VolumeInfo | undefined {
  if (!VOLUME_NAME.test(name) || !existsSync(volumeData(name))) return undefined;
  let meta: { CreatedAt?: string; Labels?: Record<string, string> | null } = {};
  try { meta = JSON.parse(readFileSync(metaFile(name), 'utf8')); } catch { /* a directory made by hand: still a volume */ }
  return {
    CreatedAt: meta.CreatedAt ?? lstatSync(volumeData(name)).birthtime.toISOString().replace(/\.\d+Z$/, 'Z'),
    Driver: 'local',
    Labels: meta.Labels && Object.keys(meta.Labels).length ? meta.Labels : null,
    Mountpoint: volumeData(name),
    Name: name,
    Options: null,
    Scope: 'local',
  };
}

/**
 * Make a volume, or find it made: creating one that exists is not an error (as in Docker). It is
 * built under a temporary name and renamed into place, so two containers starting at once with
 * the same new volume get one volume, complete.
 */
export function createVolume(name: string, labels: Record<string, string> = {}, anonymousFor?: string): { volume: VolumeInfo; created: boolean } {
  checkVolumeName(name);
  const existing = readVolume(name);
  if (existing) return { volume: existing, created: false };
  mkdirSync(volumesDir(), { recursive: true, mode: 0o701 });
  const tmp = join(volumesDir(), `.new-${process.pid}-${name}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, '_data'), { recursive: true, mode: 0o755 });
  writeFileSync(join(tmp, 'volume.json'), JSON.stringify({ CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Labels: labels, ...(anonymousFor ? { AnonymousFor: anonymousFor } : {}) }, null, 2) + '\n');
  try {
    renameSync(tmp, volumeDir(name));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && readVolume(name)) return { volume: readVolume(name)!, created: false };
    throw err;
  }
  return { volume: readVolume(name)!, created: true };
}

export function listVolumes(): VolumeInfo[] {
  if (!existsSync(volumesDir())) return [];
  return readdirSync(volumesDir()).sort().map(readVolume).filter((v): v is VolumeInfo => !!v);
}

/** The containers (running, stopped or being made) whose config mounts the volume. */
export function volumeUsers(name: string, configs = allConfigs()): ContainerSpec[] {
  return configs.filter((s) => s.volumes.some((m) => m.type === 'volume' && m.source === name));
}

/**
 * docker volume rm: refused while any container uses it ("volume is in use", with the containers'
 * ids, as Docker words it). `force` makes a missing volume no error.
 */
export function removeVolume(name: string, force = false): void {
  if (!readVolume(name)) {
    if (force) return;
    throw new UserError(`no such volume: ${name}`, 1);
  }
  const users = volumeUsers(name);
  if (users.length) {
    throw new UserError(`remove ${name}: volume is in use - [${users.map((s) => s.id).join(', ')}] (remove the container first: nestbox rm ${users[0].name})`, 1);
  }
  // Renamed out of the way first: a container starting now finds no half-removed volume.
  const gone = join(volumesDir(), `.gone-${process.pid}-${name}`);
  renameSync(volumeDir(name), gone);
  rmSync(gone, { recursive: true, force: true });
}

/** docker volume prune: the volumes no container uses, anonymous ones only unless `all` (Docker 23 and later). */
export function pruneVolumes(all: boolean): { removed: string[]; bytes: number } {
  const configs = allConfigs();
  const removed: string[] = [];
  let bytes = 0;
  for (const v of listVolumes()) {
    if (!all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) continue;
    if (volumeUsers(v.Name, configs).length) continue;
    const size = diskUsage(volumeData(v.Name));
    try {
      removeVolume(v.Name, true);
      removed.push(v.Name);
      bytes += size;
    } catch { /* taken meanwhile */ }
  }
  return { removed, bytes };
}

/**
 * The anonymous volumes made for a container being removed (rm -v, --rm, a run that failed), unless
 * another container mounts one too. Each volume says which container it was made for, so this works
 * after the container's config is gone (a --rm container's directory goes first).
 */
export function removeAnonymousVolumes(id: string): void {
  if (!existsSync(volumesDir())) return;
  for (const name of readdirSync(volumesDir())) {
    let meta: { AnonymousFor?: string } = {};
    try { meta = JSON.parse(readFileSync(metaFile(name), 'utf8')); } catch { continue; }
    if (meta.AnonymousFor !== id) continue;
    try { removeVolume(name, true); } catch { /* still used by another container: kept, as Docker keeps it */ }
  }
}

/** Before a container's mounts are made: its volumes exist (made on first use), and so does every -v host directory. */
export function prepareMounts(spec: ContainerSpec): void {
  for (const m of spec.volumes) {
    if (m.type === 'volume') createVolume(m.source, m.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}, m.anonymous ? spec.id : undefined);
    // -v /host/missing:/path makes the host directory, as Docker does (--mount refused it already).
    else if (m.type === 'bind' && !existsSync(m.source)) mkdirSync(m.source, { recursive: true, mode: 0o755 });
  }
}

export function isEmptyDir(path: string): boolean {
  try { return readdirSync(path).length === 0; } catch { return false; }
}

/** Bytes in the files under a directory (links not followed), as `prune` reports what it freed. */
function diskUsage(path: string): number {
  let total = 0;
  const walk = (p: string) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else total += st.size;
  };
  walk(path);
  return total;
}

/** Docker's units.HumanSize: decimal units, four significant digits (2.048kB, 0B). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}
