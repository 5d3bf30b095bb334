// The image store: libDir()/images/<name>/manifest.json names an image's layers, bottom first;
// libDir()/layers/<id>/ holds each layer, unpacked once, whichever images list it. An image is
// only its manifest: removing one removes the layers no other image lists.
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { libDir } from '../host/paths.js';
import { isAlive } from '../kernel/proc.js';
import { UserError } from '../errors.js';
import { withLock, LockTimeout } from '../host/lock.js';
import {
  findImage, IMAGE_NAME, imageKey, imagesDir, layersDir, readManifest, withTag, type ImageManifest, type StoredImage,
} from '../runtime/images.js';
import { imageId } from './config.js';
import { cachedLayers, pruneCache } from '../build/cache.js';
import { allConfigs, listContainers, writeJson } from '../runtime/store.js';
import { byCodePoint } from '../order.js';

/** A layer being unpacked: layersDir()/.partial-<pid>-<digest>, renamed to <digest> when complete. */
export const PARTIAL_PREFIX = '.partial-';

/**
 * A name as the store keeps it: checked, and with Docker's default tag (app -> app:latest). It
 * becomes a directory under images/ (imageKey in src/runtime/images.ts).
 */
export function checkImageName(name: string, flag = '--name'): string {
  if (!IMAGE_NAME.test(name) || name.length > 255) {
    throw new UserError(`invalid image name "${name.replace(/[\x00-\x1f\x7f]/g, '?')}": use lower-case letters, digits, '_', '.' and '-', starting with a letter or digit, path components split by '/', and an optional :tag (for example alpine:3.19 or alice/web:v1)`);
  }
  if (name === 'default' || name === 'default:latest') throw new UserError(`"default" names the built-in root filesystem: choose another image name with ${flag}`);
  if (name === 'scratch' || name === 'scratch:latest') throw new UserError(`"scratch" is the empty image (FROM scratch): choose another image name with ${flag}`);
  return withTag(name);
}

/**
 * The name an archive suggests, made fit for the store: "docker.io/library/alpine:3.19" is
 * stored as "alpine:3.19" (the registry and its path are dropped: images here never leave the host).
 */
export function nameFromRef(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const [repo, tag] = last.split(':');
  const name = tag ? `${repo.toLowerCase()}:${tag}` : repo.toLowerCase();
  return IMAGE_NAME.test(name) && !['default', 'scratch'].includes(repo.toLowerCase()) ? withTag(name) : undefined;
}

/** "/tmp/My Image.tar.gz" -> "my-image". */
export function nameFromFile(path: string): string {
  const base = path.replace(/\/+$/, '').split('/').pop()!.replace(/\.(tar\.gz|tgz|tar|oci)$/i, '');
  const name = base.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name || 'image';
}

export function listImages(): StoredImage[] {
  if (!existsSync(imagesDir())) return [];
  const out: StoredImage[] = [];
  for (const key of readdirSync(imagesDir())) {
    if (key.startsWith('.')) continue;
    try {
      const m = readManifest(key);
      if (m) out.push(m);
    } catch { /* a manifest being written: not listed */ }
  }
  return out.sort((a, b) => byCodePoint(a.name, b.name));
}

/** The image a reference names, or a one-line error that says where to look. */
export function requireImage(ref: string): StoredImage {
  const found = findImage(ref);
  if (!found) throw new UserError(`no such image: ${ref} (see nestbox image ls)`);
  return found;
}

/** Fails when the name is taken (by this name, or by one stored under the same directory). */
export function checkNameFree(name: string): void {
  const existing = readManifest(imageKey(name));
  if (existing) throw new UserError(`an image named "${existing.name}" already exists: remove it first (nestbox image rm ${existing.name}) or choose another --name`);
}

/**
 * Write a new image: its manifest and its config. The directory is created exclusively, so two
 * imports cannot share a name; with `replace`, an image already under the name is replaced (as
 * `docker build -t` and `docker tag` move a name to the new image), and its layers no other
 * image uses are removed.
 */
export function saveImage(manifest: ImageManifest, configText: string, opts: { replace?: boolean; dangling?: boolean } = {}): StoredImage {
  mkdirSync(imagesDir(), { recursive: true, mode: 0o755 });
  // An image without a name (a build without -t: Docker's "<none>:<none>") is filed by its ID.
  const key = opts.dangling ? danglingKey(imageId(configText)) : imageKey(manifest.name);
  const dir = join(imagesDir(), key);
  const old = opts.replace ? readManifest(key) : undefined;
  if (old) {
    // Written beside, then renamed over: the name never points at half an image.
    const tmp = join(imagesDir(), `.new-${process.pid}-${key}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { mode: 0o755 });
    writeFileSync(join(tmp, 'config.json'), configText);
    writeJson(join(tmp, 'manifest.json'), { ...manifest, id: imageId(configText) });
    const gone = join(imagesDir(), `.old-${process.pid}-${key}`);
    renameSync(dir, gone);
    renameSync(tmp, dir);
    rmSync(gone, { recursive: true, force: true });
    removeLayers(unusedLayers(old.layers));
  } else {
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') checkNameFree(manifest.name);
      throw err;
    }
    writeFileSync(join(dir, 'config.json'), configText);
    writeJson(join(dir, 'manifest.json'), { ...manifest, id: imageId(configText) });
  }
  return readManifest(key)!;
}

/** Where an image with no name is kept: "@" and its ID ("@" is in no name). */
const danglingKey = (id: string) => `@${id}`;
export const isDangling = (image: StoredImage) => image.key.startsWith('@');
/** The nameless entry of an image that now has a name. */
export const removeDangling = (id: string) => rmSync(join(imagesDir(), danglingKey(id)), { recursive: true, force: true });

/** `image tag SOURCE TARGET`: a second name for the same image (same config, same layers, same ID). */
export function tagImage(source: string, target: string): Promise<StoredImage> {
  const name = checkImageName(target, 'the target name');
  return withImageStore(() => {
    const image = requireImage(source);
    const { key: _k, id: _i, configText, configFile: _c, config: _r, ...manifest } = image;
    if (readManifest(imageKey(name))?.id === image.id) return image; // already that image
    const tagged = saveImage({ ...manifest, name, config: undefined }, configText, { replace: true });
    // A nameless image that gets a name is no longer "<none>".
    if (isDangling(image)) rmSync(join(imagesDir(), image.key), { recursive: true, force: true });
    return tagged;
  }, 60_000);
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

/**
 * Layers nothing lists any more: no image, no entry of the build cache (`docker rmi` keeps what
 * the cache holds, until `builder prune`), no build running now.
 */
function unusedLayers(candidates: string[]): string[] {
  const used = usedLayers();
  return [...new Set(candidates)].filter((l) => !used.has(l));
}

/** What holds layers: images, the build cache and builds running now, and containers (their lower layers). */
function usedLayers(): Set<string> {
  return new Set([...listImages().flatMap((m) => m.layers), ...cachedLayers(), ...allConfigs().flatMap((c) => c.layers ?? [])]);
}

/**
 * Remove every layer nothing holds: those a removed container or a forgotten cache entry left.
 * Called with the image store held. Returns how many were removed.
 */
export function pruneLayers(): string[] {
  if (!existsSync(layersDir())) return [];
  const used = usedLayers();
  const unused = readdirSync(layersDir()).filter((l) => /^[0-9a-f]{64}$/.test(l) && !used.has(l));
  removeLayers(unused);
  return unused;
}

export function removeLayers(ids: string[]): void {
  for (const id of ids) if (/^[0-9a-f]{64}$/.test(id)) rmSync(join(layersDir(), id), { recursive: true, force: true });
}

export interface Removed { name: string; id: string; removedLayers: string[]; keptLayers: string[]; untagged?: boolean }

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
  const manifest = findImage(name);
  if (!manifest) throw new UserError(`no image "${name}" (see nestbox image ls)`);
  // Another name for the same image: only this name goes (Docker's "Untagged").
  if (listImages().some((m) => m.id === manifest.id && m.key !== manifest.key)) {
    rmSync(join(imagesDir(), manifest.key), { recursive: true, force: true });
    return { name: manifest.name, id: manifest.id, removedLayers: [], keptLayers: manifest.layers, untagged: true };
  }
  // Containers made from it: they recorded its ID (older ones only its name).
  const users = listContainers().filter((c) => {
    if (c.spec.imageId) return c.spec.imageId === manifest.id;
    try { return findImage(c.spec.image)?.key === manifest.key; } catch { return false; }
  });
  const running = users.find((c) => c.state.Status === 'running' || c.state.Status === 'paused');
  if (running) throw new UserError(`container ${running.spec.name} is running from image ${manifest.name}: stop and remove it first (nestbox rm -f ${running.spec.name})`);
  if (users.length && !force) {
    throw new UserError(`image ${manifest.name} is used by container${users.length > 1 ? 's' : ''} ${users.map((c) => c.spec.name).join(', ')}: remove ${users.length > 1 ? 'them' : 'it'} first (nestbox rm ${users[0].spec.name}), or pass -f`);
  }
  rmSync(join(imagesDir(), manifest.key), { recursive: true, force: true });
  const removedLayers = unusedLayers(manifest.layers);
  removeLayers(removedLayers);
  pruneLayers(); // and any that removed containers left
  return { name: manifest.name, id: manifest.id, removedLayers, keptLayers: manifest.layers.filter((l) => !removedLayers.includes(l)) };
}

/** `builder prune`: the cache's entries, then the layers nothing holds any more. */
export function pruneBuildCache(): Promise<{ entries: number; bytes: number }> {
  return withImageStore(() => {
    const entries = pruneCache();
    const unused = existsSync(layersDir()) ? readdirSync(layersDir()).filter((l) => !usedLayers().has(l) && /^[0-9a-f]{64}$/.test(l)) : [];
    const bytes = unused.reduce((sum, l) => sum + treeSize(join(layersDir(), l)), 0);
    removeLayers(unused);
    return { entries, bytes };
  }, 60_000);
}

/** Where an import copies layers out of an archive (a build, a save: their tars): a directory of its own, named by its PID. */
export function scratchDir(what: 'import' | 'build' | 'save' | 'commit' = 'import'): string {
  return join(libDir(), 'tmp', `${what}-${process.pid}-${Date.now().toString(36)}`);
}

/**
 * Remove what imports that were killed mid-way left behind (a SIGKILL runs no cleanup): partial
 * layers and scratch directories whose PID no longer runs.
 */
export function sweepLeftovers(): void {
  const dead = (pid: number) => pid > 0 && pid !== process.pid && !isAlive(pid);
  for (const [dir, pattern] of [[layersDir(), /^\.partial-(\d+)-/], [join(libDir(), 'tmp'), /^(?:import|build|save|commit)-(\d+)-/], [imagesDir(), /^\.(?:new|old)-(\d+)-/]] as const) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const m = pattern.exec(name);
      if (m && dead(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}
