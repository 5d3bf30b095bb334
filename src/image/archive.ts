// What is in the file given to `image import`: which of the three forms it has, where its layers
// are, and what its config says.
//
//   docker save   a tar of tars: manifest.json = [{Config, RepoTags, Layers}], each Layers entry a
//                 layer tar inside the archive (<id>/layer.tar, or blobs/sha256/<hex> since
//                 Docker 25), Config the image's JSON config.
//   OCI layout    oci-layout + index.json -> a manifest blob -> a config blob and layer blobs, all
//                 under blobs/sha256/, each named by the sha256 of its bytes (gzip or plain tar).
//                 Given as a tar or as the directory itself.
//   docker export a container's whole root filesystem as one plain tar: an image of one layer.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { UserError } from '../errors.js';
import { readTar } from './tar.js';

export type ArchiveFormat = 'docker-save' | 'oci' | 'rootfs';

export interface ImageSource {
  format: ArchiveFormat;
  /** Layer tars (plain or gzip), bottom first, with the diff id the config expects of each. */
  layers: { file: string; diffId?: string }[];
  /** The image's config, its bytes exactly as in the archive (their sha256 is the image's ID). */
  configText?: string;
  /** The name the archive gives the image (a RepoTag or an OCI ref.name), if any... */
  name?: string;
  /** ...and all of them (a docker save archive may give an image several RepoTags). */
  tags?: string[];
  /** How many images the archive holds (only the first is imported). */
  images: number;
}

/** Small JSON members (manifests, configs) are kept in memory during the first reading... */
const SMALL = 1 << 20;
/** ...up to this much in all (a root filesystem tar has many small files near its top). */
const KEPT_LIMIT = 64 << 20;
/**
 * The top-level names of Docker's and OCI's own layouts. An archive with other names is still an
 * image when it has a manifest.json (podman and skopeo write layers as <digest>.tar, hand-made
 * archives layer1/layer.tar), so these names alone decide nothing; without a manifest, any other
 * name (bin, etc, usr) means a root filesystem.
 */
const IMAGE_TOP = /^(manifest\.json|repositories|index\.json|oci-layout|blobs|[0-9a-f]{64}(\.json|\.tar)?)$/;
/** No image archive nests deeper than blobs/sha256/<hex>: a deeper path is a root filesystem's. */
const IMAGE_DEPTH = 3;

const bad = (input: string, why: string) => new UserError(`${input}: ${why}`);

/** A member's name as written in the tar, without "./" in front or "/" behind. */
const memberName = (raw: string) => posix.normalize(raw).replace(/^(\.\/)+/, '').replace(/\/$/, '');

/** A path a manifest names inside the archive, cleaned; one that would leave the archive is refused. */
function memberPath(input: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw bad(input, `a manifest names an invalid path ${JSON.stringify(raw)}`);
  const p = memberName(raw);
  if (p.startsWith('/') || p === '..' || p.startsWith('../')) throw bad(input, `a manifest names the path "${raw}", outside the archive`);
  return p;
}

/** The members of an image archive: read as JSON, or copied out as files for unpacking. */
interface Members {
  has(path: string): boolean;
  read(path: string): Buffer;
  /** Each path as a file on disk (copied out of a tar into `scratch`). */
  files(paths: string[]): Promise<string[]>;
}

/** An OCI layout (or a docker save's files) given as a directory. */
function dirMembers(input: string): Members {
  const root = realpathSync(input);
  const inside = (path: string): string => {
    const real = realpathSync(join(root, memberPath(input, path)));
    if (!real.startsWith(root + '/')) throw bad(input, `"${path}" leads outside the directory`);
    return real;
  };
  return {
    has: (path) => { try { return statSync(inside(path)).isFile(); } catch { return false; } },
    read: (path) => readFileSync(inside(path)),
    files: async (paths) => paths.map(inside),
  };
}

/**
 * A tar archive: the first reading notes every member and keeps the small ones that can be a
 * manifest or a config in memory. It stops early only at a member no image archive has (a path
 * deeper than blobs/sha256/<hex>, a device or a FIFO): then the archive is a root filesystem.
 */
async function tarMembers(input: string, scratch: string): Promise<Members & { rootfs: boolean }> {
  const links = new Map<string, string>();
  const kept = new Map<string, Buffer>();
  const files = new Set<string>();
  let keptBytes = 0;
  let rootfs = false;
  await readTar(input, (entry) => {
    const path = memberName(entry.path);
    if (path === '.' || path === '') return;
    const parts = path.split('/');
    if (parts.length > IMAGE_DEPTH || !['File', 'OldFile', 'Directory', 'SymbolicLink', 'Link'].includes(entry.type)) {
      rootfs = true;
      return 'stop';
    }
    if (!IMAGE_TOP.test(parts[0])) rootfs = true; // unless a manifest.json turns up
    if (entry.type === 'SymbolicLink' && entry.linkpath) links.set(path, entry.linkpath);
    if (entry.type !== 'File' && entry.type !== 'OldFile') return;
    files.add(path);
    const base = parts[parts.length - 1];
    const mayBeJson = parts.length === 1 || parts[0] === 'blobs' || base.endsWith('.json') || base === 'json';
    if (entry.size <= SMALL && mayBeJson && keptBytes + entry.size <= KEPT_LIMIT) {
      keptBytes += entry.size;
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => kept.set(path, Buffer.concat(chunks)));
    }
  });

  // Older docker save archives link identical layers: a/layer.tar -> ../b/layer.tar.
  const resolve = (raw: string): string => {
    let path = memberPath(input, raw);
    for (let hops = 0; hops < 16; hops++) {
      const parts = path.split('/');
      const i = parts.findIndex((_, n) => links.has(parts.slice(0, n + 1).join('/')));
      if (i < 0) return path;
      const link = parts.slice(0, i + 1).join('/');
      const target = links.get(link)!;
      if (target.startsWith('/')) throw bad(input, `the link "${link}" points outside the archive`);
      path = memberPath(input, posix.join(posix.dirname(link), target, ...parts.slice(i + 1)));
    }
    throw bad(input, `too many symbolic links in "${raw}"`);
  };

  return {
    rootfs,
    has: (raw) => files.has(resolve(raw)),
    read: (raw) => {
      const path = resolve(raw);
      const data = kept.get(path);
      if (!data) throw bad(input, files.has(path) ? `"${path}" is too large for a manifest or config` : `"${path}" is missing from the archive`);
      return data;
    },
    async files(raws) {
      const paths = raws.map(resolve);
      for (const p of paths) if (!files.has(p)) throw bad(input, `the layer "${p}" is missing from the archive`);
      mkdirSync(scratch, { recursive: true, mode: 0o700 });
      const out = new Map([...new Set(paths)].map((p, i) => [p, join(scratch, `layer-${i}`)]));
      // Layers kept in memory are written at once; the others are copied out in a second reading.
      const pending = new Set<string>();
      for (const [p, file] of out) {
        const data = kept.get(p);
        if (data) writeFileSync(file, data, { mode: 0o600 });
        else pending.add(p);
      }
      if (pending.size) {
        await readTar(input, (entry) => {
          const path = memberName(entry.path);
          if ((entry.type !== 'File' && entry.type !== 'OldFile') || !pending.delete(path)) return;
          const fd = openSync(out.get(path)!, 'w', 0o600);
          entry.on('data', (c: Buffer) => writeSync(fd, c));
          entry.on('end', () => closeSync(fd));
        });
      }
      return paths.map((p) => out.get(p)!);
    },
  };
}

function json(input: string, members: Members, path: string): any {
  try {
    return JSON.parse(members.read(path).toString('utf8'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw bad(input, `${path} is not valid JSON`);
  }
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined);

/** A config member: its exact text, and the layers' diff ids it lists (the text must be an image config). */
function configOf(input: string, members: Members, path: string, data?: Buffer): { configText: string; diffIds?: string[] } {
  const bytes = data ?? members.read(path);
  let config: any;
  try { config = JSON.parse(bytes.toString('utf8')); } catch { throw bad(input, `${path} is not valid JSON`); }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw bad(input, `${path} is not an image config`);
  return { configText: bytes.toString('utf8'), diffIds: strings(config?.rootfs?.diff_ids) };
}

/** Pair each layer file with the diff id the config gives it: one per layer, or none at all. */
function pairLayers(input: string, files: string[], diffIds: string[] | undefined): ImageSource['layers'] {
  if (diffIds && diffIds.length !== files.length) throw bad(input, `the config lists ${diffIds.length} layer digests for ${files.length} layers`);
  return files.map((file, i) => ({ file, diffId: diffIds?.[i] }));
}

async function dockerSave(input: string, members: Members, index: number): Promise<ImageSource> {
  const list = json(input, members, 'manifest.json');
  if (!Array.isArray(list) || !list.length || !Array.isArray(list[0]?.Layers)) throw bad(input, 'manifest.json lists no image');
  const m = list[index];
  if (!m || !Array.isArray(m.Layers)) throw bad(input, `manifest.json lists no image ${index + 1}`);
  const { configText, diffIds } = configOf(input, members, memberPath(input, m.Config));
  const files = await members.files(m.Layers);
  return { format: 'docker-save', layers: pairLayers(input, files, diffIds), configText, name: strings(m.RepoTags)?.[0], tags: strings(m.RepoTags) ?? [], images: list.length };
}

/** An OCI blob's path, from a digest checked to be one ("sha256:" and 64 hex digits, nothing else). */
function blob(input: string, digest: unknown): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(String(digest));
  if (!m) throw bad(input, `unsupported or malformed digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${m[1]}`;
}

/** A small blob, checked against its digest: in an OCI layout every blob is named by its sha256. */
function verifiedBlob(input: string, members: Members, digest: string): Buffer {
  const path = blob(input, digest);
  const data = members.read(path);
  if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) throw bad(input, `${path} does not match its digest`);
  return data;
}

function verifiedJson(input: string, members: Members, digest: string): any {
  return JSON.parse(verifiedBlob(input, members, digest).toString('utf8'));
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** From an index's manifests, the one for this machine (or the only one). */
function pick(input: string, manifests: unknown): any {
  if (!Array.isArray(manifests) || !manifests.length) throw bad(input, 'the OCI index lists no manifest');
  const here = manifests.find((d: any) => d?.platform?.os === 'linux' && d?.platform?.architecture === ARCH[process.arch]);
  return here ?? manifests[0];
}

async function ociLayout(input: string, members: Members): Promise<ImageSource> {
  const index = json(input, members, 'index.json');
  const top = pick(input, index?.manifests);
  const ann = top?.annotations ?? {};
  let desc = top;
  // A multi-platform image: the index points to another index, one manifest per platform.
  for (let depth = 0; INDEX_TYPES.includes(desc?.mediaType); depth++) {
    if (depth > 4) throw bad(input, 'OCI indexes nested too deep');
    desc = pick(input, verifiedJson(input, members, desc.digest)?.manifests);
  }
  const manifest = verifiedJson(input, members, desc?.digest);
  if (!Array.isArray(manifest?.layers)) throw bad(input, 'the OCI manifest lists no layers');
  const configDigest = manifest.config?.digest;
  const { configText, diffIds } = configOf(input, members, blob(input, configDigest), verifiedBlob(input, members, configDigest));
  const files = await members.files(manifest.layers.map((l: any) => blob(input, l?.digest)));
  return {
    format: 'oci',
    layers: pairLayers(input, files, diffIds),
    configText,
    name: ann['org.opencontainers.image.ref.name'] ?? ann['io.containerd.image.name'],
    images: Array.isArray(index.manifests) ? index.manifests.length : 1,
  };
}

/** A manifest.json that lists at least one image with its layers: Docker's `docker save` index. */
function isSaveManifest(members: Members): boolean {
  try {
    const list = JSON.parse(members.read('manifest.json').toString('utf8'));
    return Array.isArray(list) && Array.isArray(list[0]?.Layers);
  } catch {
    return false;
  }
}

/** Open what `image import` was given. `scratch` is a private directory for copied-out layers. */
export async function openSource(input: string, scratch: string, index = 0): Promise<ImageSource> {
  const members = statSync(input).isDirectory() ? { ...dirMembers(input), rootfs: false } : await tarMembers(input, scratch);
  const rootfs = { format: 'rootfs' as const, layers: [{ file: input }], images: 1 };
  // A root filesystem that happens to hold a file called manifest.json is still a root filesystem.
  if (members.has('manifest.json') && (!members.rootfs || isSaveManifest(members))) return dockerSave(input, members, index);
  if (members.rootfs) return rootfs;
  if (members.has('oci-layout') && members.has('index.json')) return ociLayout(input, members);
  throw bad(input, 'neither a docker save archive (manifest.json), an OCI layout (oci-layout, index.json) nor a root filesystem');
}
