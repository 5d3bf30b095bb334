// The image store: libDir()/images/<name>/manifest.json names an image's layers, bottom first;
// libDir()/layers/<id>/ holds each layer, unpacked once, whichever images list it. An image is
// only its manifest: removing one removes the layers no other image lists.
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { libDir } from '../host/paths.js';
import { isAlive } from '../kernel/proc.js';
import { UserError } from '../errors.js';
import { withLock, LockTimeout } from '../host/lock.js';
import { imagesDir, layersDir, readManifest, type ImageManifest } from '../runtime/images.js';
import { listContainers, writeJson } from '../runtime/store.js';

/** A layer being unpacked: layersDir()/.partial-<pid>-<digest>, renamed to <digest> when complete. */
export const PARTIAL_PREFIX = '.partial-';

/** name[:tag]: the name in lower case (it becomes a directory), the tag as Docker allows. */
const NAME = /^[a-z0-9][a-z0-9_.-]{0,127}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** On disk the ':' becomes '_' (resolveImage in src/runtime/images.ts does the same). */
const imageKey = (name: string) => name.replace(':', '_');

export function checkImageName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(`invalid image name "${name.replace(/[\x00-\x1f\x7f]/g, '?')}": use lower-case letters, digits, '_', '.' and '-', starting with a letter or digit, and an optional :tag (for example alpine:3.19)`);
  }
  if (name === 'default') throw new UserError('"default" names the built-in root filesystem: choose another image name with --name');
  return name;
}

/**
 * The name an archive suggests, made fit for the store: "docker.io/library/alpine:3.19" is
 * stored as "alpine:3.19" (a name is one directory, so the registry and path are dropped).
 */
export function nameFromRef(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const [repo, tag] = last.split(':');
  const name = tag ? `${repo.toLowerCase()}:${tag}` : repo.toLowerCase();
  return NAME.test(name) && name !== 'default' ? name : undefined;
}

/** "/tmp/My Image.tar.gz" -> "my-image". */
export function nameFromFile(path: string): string {
  const base = path.replace(/\/+$/, '').split('/').pop()!.replace(/\.(tar\.gz|tgz|tar|oci)$/i, '');
  const name = base.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name || 'image';
}

export function listImages(): ImageManifest[] {
  if (!existsSync(imagesDir())) return [];
  const out: ImageManifest[] = [];
  for (const key of readdirSync(imagesDir())) {
    if (key.startsWith('.')) continue;
    try {
      const m = readManifest(key);
      if (m) out.push(m);
    } catch { /* a manifest being written: not listed */ }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The image a `run` argument names, if it names one. */
function findImage(ref: string): ImageManifest | undefined {
  return NAME.test(ref) ? readManifest(imageKey(ref)) : undefined;
}

/** What `run` takes from an image's config when the user does not say: command, Env, WorkingDir. */
export function imageConfig(ref: string): ImageManifest['config'] {
  return findImage(ref)?.config;
}

/** Fails when the name is taken (by this name, or by one stored under the same directory). */
export function checkNameFree(name: string): void {
  const existing = readManifest(imageKey(name));
  if (existing) throw new UserError(`an image named "${existing.name}" already exists: remove it first (nestbox image rm ${existing.name}) or choose another --name`);
}

/** Write a new image's manifest; the directory is created exclusively, so two imports cannot share a name. */
export function saveManifest(manifest: ImageManifest): void {
  mkdirSync(imagesDir(), { recursive: true, mode: 0o755 });
  const dir = join(imagesDir(), imageKey(manifest.name));
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') checkNameFree(manifest.name);
    throw err;
  }
  writeJson(join(dir, 'manifest.json'), manifest);
}

/** Bytes of the regular files below `dir` (links and directories count nothing). */
export function treeSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) total += treeSize(join(dir, e.name));
    else if (e.isFile()) total += lstatSync(join(dir, e.name)).size;
  }
  return total;
}

/** Layers no image lists any more. */
function unusedLayers(candidates: string[]): string[] {
  const used = new Set(listImages().flatMap((m) => m.layers));
  return [...new Set(candidates)].filter((l) => !used.has(l));
}

export function removeLayers(ids: string[]): void {
  for (const id of ids) if (/^[0-9a-f]{64}$/.test(id)) rmSync(join(layersDir(), id), { recursive: true, force: true });
}

export interface Removed { name: string; removedLayers: string[]; keptLayers: string[] }

/**
 * Remove an image and the layers only it used. Containers made from it keep using its layers as
 * the lower layers of their overlay, so while one exists the image stays, unless `force`; a
 * running container blocks it even then (its root would lose files under it).
 */
export function removeImage(name: string, force = false): Promise<Removed> {
  return withImageStore(() => removeImageLocked(name, force), 60_000);
}

/**
 * Imports and removals one at a time: an import reuses layers other images brought, and a removal
 * deletes the layers no image lists; at the same moment, the second could delete what the first
 * is about to list.
 */
export async function withImageStore<T>(fn: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  try {
    return await withLock('images', fn, timeoutMs);
  } catch (err) {
    if (err instanceof LockTimeout) throw new UserError(`another image import or removal (PID ${err.holder ?? '?'}) is still running: try again when it has finished`);
    throw err;
  }
}

function removeImageLocked(name: string, force: boolean): Removed {
  const manifest = NAME.test(name) ? readManifest(imageKey(name)) : undefined;
  if (!manifest) throw new UserError(`no image "${name}" (see nestbox image ls)`);
  const users = listContainers().filter((c) => NAME.test(c.spec.image) && imageKey(c.spec.image) === imageKey(manifest.name));
  const running = users.find((c) => c.state.Status === 'running' || c.state.Status === 'paused');
  if (running) throw new UserError(`container ${running.spec.name} is running from image ${manifest.name}: stop and remove it first (nestbox rm -f ${running.spec.name})`);
  if (users.length && !force) {
    throw new UserError(`image ${manifest.name} is used by container${users.length > 1 ? 's' : ''} ${users.map((c) => c.spec.name).join(', ')}: remove ${users.length > 1 ? 'them' : 'it'} first (nestbox rm ${users[0].spec.name}), or pass -f`);
  }
  rmSync(join(imagesDir(), imageKey(manifest.name)), { recursive: true, force: true });
  const removedLayers = unusedLayers(manifest.layers);
  removeLayers(removedLayers);
  return { name: manifest.name, removedLayers, keptLayers: manifest.layers.filter((l) => !removedLayers.includes(l)) };
}

/** Where an import copies layers out of an archive: a directory of its own, named by its PID. */
export function scratchDir(): string {
  return join(libDir(), 'tmp', `import-${process.pid}-${Date.now().toString(36)}`);
}

/**
 * Remove what imports that were killed mid-way left behind (a SIGKILL runs no cleanup): partial
 * layers and scratch directories whose PID no longer runs.
 */
export function sweepLeftovers(): void {
  const dead = (name: string, prefix: string) => {
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    return pid > 0 && pid !== process.pid && !isAlive(pid);
  };
  for (const [dir, prefix] of [[layersDir(), PARTIAL_PREFIX], [join(libDir(), 'tmp'), 'import-']] as const) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && dead(name, prefix)) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}
