// What a container mounts besides its root, as `run` is asked for it: -v, --mount, --tmpfs and
// --shm-size, parsed and checked before anything is created (exit 125 on a mistake, as Docker's).
// One list in the container's config, `volumes`, holds every kind, each with its `type`:
//   bind    a host path bound in                    -v /host:/path, --mount type=bind
//   volume  a named volume, made on first use       -v NAME:/path, --mount type=volume
//           or an anonymous one (a random name)     -v /path, --mount type=volume without source
//   tmpfs   memory-backed, gone with the container  --tmpfs /path, --mount type=tmpfs
import { existsSync } from 'node:fs';
import { isAbsolute, normalize, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { libDir } from '../host/paths.js';

export type MountType = 'bind' | 'volume' | 'tmpfs';

export interface MountSpec {
  type: MountType;
  /** bind: the host path; volume: the volume's name; tmpfs: "tmpfs". */
  source: string;
  /** Where it appears in the container (absolute, normalized). */
  target: string;
  readOnly: boolean;
  /** volume: made for this container alone; `rm -v` and `--rm` remove it with the container. */
  anonymous?: boolean;
  /** volume: no copy-up of what the image has at the target (nocopy, volume-nocopy). */
  noCopy?: boolean;
  /** tmpfs: the options asked for (size=, mode=, ro, exec...), before Docker's defaults are added. */
  tmpfsOptions?: string[];
  /** The flag that asked for it: inspect lists -v under Binds, --tmpfs under Tmpfs, as Docker does. */
  via?: '-v' | '--mount' | '--tmpfs';
}

/** Docker's label on the volumes it makes for `-v /path`; `volume prune` removes only those unless -a. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Docker's rule for a local volume's name. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const volumesDir = () => `${libDir()}/volumes`;
/** Where a volume's files live, as Docker keeps them (/var/lib/docker/volumes/NAME/_data). */
export const volumeData = (name: string) => `${volumesDir()}/${name}/_data`;

const bad = (msg: string) => new UserError(msg, 125);

/** The message Docker gives for a name that is not a volume's, with its advice. */
export function volumeNameError(name: string): string {
  return `"${name.replace(/[\x00-\x1f\x7f]/g, '?')}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
}

/** 64 hex digits, as Docker names an anonymous volume (unique, not secret: no node:crypto on `run`'s path). */
export function newVolumeName(): string {
  let name = '';
  while (name.length < 64) name += Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  return name;
}

function checkTarget(target: string, what: string): string {
  if (!isAbsolute(target)) throw bad(`${what}: invalid mount path: '${target}' mount path must be absolute`);
  const t = normalize(target).replace(/(.)\/$/, '$1');
  if (t === '/') throw bad(`${what}: invalid mount config: destination can't be '/'`);
  if (target.split('/').includes('..')) throw bad(`${what}: the container path may not contain ".."`);
  return t;
}

/** -v [SOURCE:]TARGET[:OPTIONS]: SOURCE absolute is a host path, otherwise a volume's name; none, an anonymous volume. */
export function parseVolumeFlag(text: string): MountSpec {
  const what = `-v "${text}"`;
  const parts = text.split(':');
  const usage = () => bad(`${what}: invalid volume specification: use /host/path:/path[:ro], NAME:/path[:ro] or /path (an anonymous volume)`);
  if (parts.length > 3 || parts.some((p) => p === '')) throw usage();
  // A TARGET:OPTIONS pair is not a volume: "/data:ro" has no source (Docker refuses it too).
  if (parts.length === 2 && /^[a-zA-Z,]+$/.test(parts[1]) && !parts[1].includes('/')) throw usage();
  const [source, target, mode = ''] = parts.length === 1 ? [undefined, parts[0]] : parts;
  const opts = mode ? mode.split(',') : [];
  for (const o of opts) {
    if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate'].includes(o)) {
      throw bad(`${what}: unknown option "${o}": use ro or rw, and nocopy for a volume (mounts are always private in nestbox)`);
    }
  }
  if (opts.includes('ro') && opts.includes('rw')) throw bad(`${what}: ro and rw together`);
  const readOnly = opts.includes('ro');
  const t = checkTarget(target, what);
  if (source === undefined) return { type: 'volume', source: newVolumeName(), target: t, readOnly, anonymous: true, noCopy: opts.includes('nocopy'), via: '-v' };
  if (isAbsolute(source)) {
    if (opts.includes('nocopy')) throw bad(`${what}: nocopy is for volumes, not host paths`);
    // A missing host path is made when the container starts (as Docker does), not now.
    return { type: 'bind', source: resolve(source), target: t, readOnly, via: '-v' };
  }
  if (!VOLUME_NAME.test(source)) throw bad(`${what}: ${volumeNameError(source)}`);
  return { type: 'volume', source, target: t, readOnly, noCopy: opts.includes('nocopy'), via: '-v' };
}

/** "64m", "1g", "1048576" -> bytes (Docker's RAMInBytes units), more than 0. */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(text.trim());
  const bytes = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmgt'.indexOf((m[2] || 'b').toLowerCase())) : NaN;
  if (!(bytes > 0)) throw bad(`${what}: invalid size: '${text}' (a number of bytes more than 0, with b, k, m or g: 64m)`);
  return bytes;
}

function parseBool(value: string | undefined, what: string): boolean {
  if (value === undefined || ['1', 'true'].includes(value.toLowerCase())) return true;
  if (['0', 'false'].includes(value.toLowerCase())) return false;
  throw bad(`${what}: invalid value '${value}': use true or false`);
}

/**
 * --mount type=bind|volume|tmpfs,source=...,target=...[,readonly][,volume-nocopy]
 * [,tmpfs-size=BYTES][,tmpfs-mode=OCTAL]: Docker's comma-separated key=value form. Unlike -v, a bind
 * source that does not exist is an error, not a directory made for you.
 */
export function parseMountFlag(text: string): MountSpec {
  const what = `--mount "${text}"`;
  const f: Record<string, string | undefined> = {};
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const name = ({ src: 'source', destination: 'target', dst: 'target', ro: 'readonly' } as Record<string, string>)[key] ?? key;
    if (!['type', 'source', 'target', 'readonly', 'volume-nocopy', 'tmpfs-size', 'tmpfs-mode', 'bind-propagation', 'consistency', 'volume-driver'].includes(name)) {
      throw bad(`${what}: unexpected key '${key}' (nestbox knows type, source, target, readonly, volume-nocopy, tmpfs-size, tmpfs-mode)`);
    }
    if (value === undefined && !['readonly', 'volume-nocopy'].includes(name)) throw bad(`${what}: invalid field '${field}' must be a key=value pair`);
    f[name] = value ?? 'true';
  }
  const type = (f.type ?? 'volume') as MountType;
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw bad(`${what}: unknown mount type "${type}": use bind, volume or tmpfs`);
  const config = `${what}: invalid mount config for type "${type}"`;
  if (!f.target) throw bad(`${config}: field Target must not be empty`);
  const target = checkTarget(f.target, what);
  const readOnly = f.readonly !== undefined && parseBool(f.readonly, what);
  if (f['bind-propagation'] && !(type === 'bind' && ['private', 'rprivate'].includes(f['bind-propagation']))) throw bad(`${what}: bind-propagation: nestbox's mounts are always rprivate`);
  if (f['volume-driver'] && f['volume-driver'] !== 'local') throw bad(`${what}: volume-driver: nestbox has only the local driver`);
  if (type !== 'volume' && f['volume-nocopy']) throw bad(`${config}: volume-nocopy is for volumes`);
  if (type !== 'tmpfs' && (f['tmpfs-size'] || f['tmpfs-mode'])) throw bad(`${config}: tmpfs-size and tmpfs-mode are for tmpfs mounts`);
  if (type === 'bind') {
    if (!f.source) throw bad(`${config}: field Source must not be empty`);
    if (!isAbsolute(f.source)) throw bad(`${config}: invalid mount path: '${f.source}' mount path must be absolute`);
    if (!existsSync(f.source)) throw bad(`${config}: bind source path does not exist: ${f.source}`);
    return { type, source: resolve(f.source), target, readOnly, via: '--mount' };
  }
  if (type === 'volume') {
    const noCopy = f['volume-nocopy'] !== undefined && parseBool(f['volume-nocopy'], what);
    if (!f.source) return { type, source: newVolumeName(), target, readOnly, anonymous: true, noCopy, via: '--mount' };
    if (!VOLUME_NAME.test(f.source)) throw bad(`${what}: ${volumeNameError(f.source)}`);
    return { type, source: f.source, target, readOnly, noCopy, via: '--mount' };
  }
  if (f.source) throw bad(`${config}: field Source must not be specified`);
  const options: string[] = [];
  if (f['tmpfs-size']) options.push(`size=${parseBytes(f['tmpfs-size'], `${what}: tmpfs-size`)}`);
  if (f['tmpfs-mode']) {
    if (!/^0?[0-7]{3,4}$/.test(f['tmpfs-mode'])) throw bad(`${what}: tmpfs-mode '${f['tmpfs-mode']}' is not an octal mode such as 1777`);
    options.push(`mode=${f['tmpfs-mode'].replace(/^0(?=.{4})/, '')}`);
  }
  if (readOnly) options.push('ro');
  return { type, source: 'tmpfs', target, readOnly, tmpfsOptions: options, via: '--mount' };
}

/** Mount options a tmpfs takes: flags, and key=value data (with the values the kernel accepts). */
const TMPFS_FLAGS = ['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime', 'nodiratime'];
const TMPFS_DATA: Record<string, RegExp> = {
  size: /^\d+[kmg%]?$/i, mode: /^[0-7]{3,4}$/, uid: /^\d+$/, gid: /^\d+$/, nr_inodes: /^\d+[kmg]?$/i, nr_blocks: /^\d+[kmg]?$/i,
};

/** --tmpfs /path[:OPTIONS], OPTIONS as mount(8) takes them for a tmpfs: size=64m,mode=1770,exec... */
export function parseTmpfsFlag(text: string): MountSpec {
  const what = `--tmpfs "${text}"`;
  const i = text.indexOf(':');
  const target = checkTarget(i < 0 ? text : text.slice(0, i), what);
  const options = i < 0 || i === text.length - 1 ? [] : text.slice(i + 1).split(',');
  for (const o of options) {
    const [key, value] = o.split('=', 2);
    const ok = value === undefined ? TMPFS_FLAGS.includes(key) : TMPFS_DATA[key]?.test(value);
    if (!ok) throw bad(`${what}: unknown or invalid tmpfs option "${o}" (for example size=64m, mode=1777, uid=1000, exec, ro)`);
  }
  return { type: 'tmpfs', source: 'tmpfs', target, readOnly: mergeTmpfsOptions(options).includes('ro'), tmpfsOptions: options, via: '--tmpfs' };
}

/**
 * Docker's options for every tmpfs, `noexec,nosuid,nodev`, with the user's own after them: a later
 * option wins over an earlier one it contradicts (exec over noexec, the last size=).
 */
export function mergeTmpfsOptions(given: string[]): string[] {
  const out = new Map<string, string>();
  const slot = (o: string) => {
    const key = o.split('=')[0];
    if (o.includes('=')) return key;
    const base = key.replace(/^no(?=(exec|suid|dev|atime|diratime)$)/, '');
    return base === 'ro' || base === 'rw' ? 'rw' : base;
  };
  for (const o of ['noexec', 'nosuid', 'nodev', ...given]) {
    out.delete(slot(o)); // re-inserted last, so the order shows what was given
    out.set(slot(o), o);
  }
  return [...out.values()];
}

/** Every mount of a container at a different path: Docker refuses two at one. */
export function checkMountPoints(mounts: MountSpec[]): MountSpec[] {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw bad(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
  return mounts;
}

/** A config written before mounts had a type: every entry was a host directory bound in with -v. */
export function normalizeMounts(list: Partial<MountSpec>[] | undefined): MountSpec[] {
  return (list ?? []).map((m) => ({ ...m, type: m.type ?? 'bind' }) as MountSpec);
}

/** docker inspect's Mounts: one entry per bind, volume and --mount tmpfs (--tmpfs ones are under HostConfig.Tmpfs). */
export function dockerMounts(spec: { volumes: MountSpec[] }): Record<string, unknown>[] {
  return spec.volumes.filter((m) => m.via !== '--tmpfs').map((m) => {
    const common = { Destination: m.target, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly };
    if (m.type === 'volume') return { Type: 'volume', Name: m.source, Source: volumeData(m.source), ...common, Driver: 'local', Propagation: '' };
    if (m.type === 'tmpfs') return { Type: 'tmpfs', Source: '', ...common, Propagation: '' };
    return { Type: 'bind', Source: m.source, ...common, Propagation: 'rprivate' };
  });
}

/** docker inspect's HostConfig fields for mounts: Binds (the -v ones with a source; null for none, as Docker), Tmpfs (--tmpfs), ShmSize. */
export function mountsHostConfig(spec: { volumes: MountSpec[]; shmSize?: number }, defaultShmSize: number): Record<string, unknown> {
  const tmpfs = spec.volumes.filter((m) => m.via === '--tmpfs');
  const binds = spec.volumes.filter((m) => (m.via ?? '-v') === '-v' && m.type !== 'tmpfs' && !m.anonymous).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
  return {
    Binds: binds.length ? binds : null,
    ...(tmpfs.length ? { Tmpfs: Object.fromEntries(tmpfs.map((m) => [m.target, (m.tmpfsOptions ?? []).join(',')])) } : {}),
    ShmSize: spec.shmSize ?? defaultShmSize,
  };
}
