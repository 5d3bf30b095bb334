// Images: read-only layers under /var/lib/nestbox/images/NAME, each layer a directory unpacked once
// and shared by every container made from it (an overlay's lower layers are never written).
// A plain root filesystem directory is an image of one layer.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { libDir, rootfsDir } from '../host/paths.js';
import { checkRootfsDir, EXIT_RUNTIME } from './spec.js';
import { UserError } from '../errors.js';
import { getXattr } from '../kernel/xattr.js';
import { bareConfig, diffIdOf, imageId, parseConfig, runConfigOf, serializeConfig, type ImageConfigFile, type RunConfig } from '../image/config.js';

export const imagesDir = () => join(libDir(), 'images');
export const layersDir = () => join(libDir(), 'layers');

/** What images/<key>/manifest.json holds: the image's name and layers; its config is config.json beside it. */
export interface ImageManifest {
  /** name:tag (`docker build -t app` and `image import` without a tag give app:latest). */
  name: string;
  /** The image's ID: sha256 of config.json (absent in manifests written before configs were kept). */
  id?: string;
  /** Layer ids (the sha256 of each layer's tar), bottom first. */
  layers: string[];
  created: string;
  /** The file or directory it was imported from, or what made it (build, commit). */
  source: string;
  /** docker-save, oci, rootfs (a docker export), build or commit. */
  format?: string;
  /** Bytes of its unpacked layers (a layer shared with other images counts in each). */
  size?: number;
  /** Kept by nestbox before config.json existed: the run fields only. */
  config?: RunConfig;
}

/** An image as read from the store: its manifest, its config (text and parsed), its ID and directory. */
export interface StoredImage extends ImageManifest {
  id: string;
  /** The directory name under images/ (the name, made fit for a file name). */
  key: string;
  configText: string;
  configFile: ImageConfigFile;
  config: RunConfig;
}

/**
 * A name: lower-case path components (alice/web), then an optional tag, as Docker allows them.
 * A registry with a port (host:5000/app) is not one nestbox stores: images never leave this host.
 */
export const IMAGE_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}(\/[a-z0-9][a-z0-9_.-]{0,127}){0,3}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** As Docker reads a reference: "app" means "app:latest". */
export const withTag = (name: string) => (/:[^/]*$/.test(name) ? name : `${name}:latest`);

/** A name as a directory of images/: alice/web:v1 -> alice+web_v1. */
export const imageKey = (name: string) => name.replace(/\//g, '+').replace(':', '_');

export function readManifest(key: string): StoredImage | undefined {
  const dir = join(imagesDir(), key);
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  const m = JSON.parse(readFileSync(file, 'utf8')) as ImageManifest;
  const configPath = join(dir, 'config.json');
  // An image stored before nestbox kept configs gets one made from what it kept (stable: same ID each time).
  const configText = existsSync(configPath) ? readFileSync(configPath, 'utf8')
    : serializeConfig({ ...bareConfig(m.layers.map(diffIdOf), m.created, `nestbox image import ${m.source}`), config: m.config ?? {} });
  const configFile = parseConfig(configText);
  return { ...m, key, id: imageId(configText), configText, configFile, config: runConfigOf(configFile.config) };
}

/**
 * The image a reference names: name[:tag] ("app" is "app:latest"; an image stored by an older
 * nestbox without a tag is found by its bare name too), or an ID or a unique prefix of one (at least
 * 4 hex digits, "sha256:" allowed), as Docker accepts them.
 */
export function findImage(ref: string): StoredImage | undefined {
  if (IMAGE_NAME.test(ref)) {
    const found = readManifest(imageKey(withTag(ref))) ?? (ref.includes(':') ? undefined : readManifest(imageKey(ref)));
    if (found) return found;
  }
  const hex = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(ref)?.[1];
  if (!hex || !existsSync(imagesDir())) return undefined;
  const matches = new Map<string, StoredImage>();
  for (const key of readdirSync(imagesDir())) {
    if (key.startsWith('.')) continue;
    try {
      const m = readManifest(key);
      if (m?.id.startsWith(hex)) matches.set(m.id, matches.get(m.id) ?? m);
    } catch { /* being written */ }
  }
  if (matches.size > 1) throw new UserError(`"${ref}" matches ${matches.size} images: give more of the ID`);
  return [...matches.values()][0];
}

/**
 * The lower layers for a container, top first (overlayfs's lowerdir order): an image's layers, or
 * one directory. "default" is the default rootfs, built on first use.
 */
async function resolveImage(ref: string): Promise<string[]> {
  const manifest = findImage(ref);
  if (manifest) return layerDirs(manifest.layers);
  if (ref === 'default') {
    if (existsSync(rootfsDir())) return [rootfsDir()];
    const { ensureDefaultRootfs } = await import('../rootfs/build.js'); // built on first use only
    return [ensureDefaultRootfs()];
  }
  if (!ref.includes('/')) throw new UserError(`no image "${ref}" (see nestbox image ls), and no directory of that name: give a rootfs path such as /var/lib/nestbox/rootfs/default`, EXIT_RUNTIME);
  const dir = resolve(ref);
  checkRootfsDir(dir);
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is not a directory`, EXIT_RUNTIME);
  return [dir];
}

/** Layer ids, bottom first, as overlayfs's lowerdir lists them: directories, top first. */
export function layerDirs(layers: string[]): string[] {
  return [...layers].reverse().map((l) => join(layersDir(), l));
}

/** A container's lower layers: those a build step names itself (spec.layers), else its image's. */
export async function containerLayers(spec: { image: string; layers?: string[] }): Promise<string[]> {
  if (!spec.layers) return resolveImage(spec.image);
  const dirs = layerDirs(spec.layers);
  const missing = dirs.find((d) => !existsSync(d));
  if (missing) throw new UserError(`the layer ${missing} is gone (removed while the build ran?): build again`, EXIT_RUNTIME);
  return dirs;
}

/** The container's /etc/passwd and /etc/group as its layers show them, for -u names. */
export function userFiles(layers: string[]): { passwd?: string; group?: string } {
  return { passwd: readThroughLayers(layers, 'etc/passwd'), group: readThroughLayers(layers, 'etc/group') };
}

/**
 * A small file as the container will see it through the overlay of `layers` (top first), read
 * before the overlay exists: the topmost layer that has it wins; a whiteout (a 0/0 character
 * device) or an opaque directory above it hides it. Only plain files in plain directories are
 * read: a symbolic link would resolve against the host's root from here.
 */
export function readThroughLayers(layers: string[], path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const layer of layers) {
    let dir = layer;
    for (const [i, part] of parts.entries()) {
      const here = join(dir, part);
      const st = lstatSync(here, { throwIfNoEntry: false });
      if (!st) break; // not in this layer: look below
      if (st.isCharacterDevice() && st.rdev === 0) return undefined; // whiteout
      if (i === parts.length - 1) return st.isFile() ? readFileSync(here, 'utf8') : undefined;
      if (!st.isDirectory()) return undefined;
      dir = here;
    }
    // An opaque directory on the way hides everything below this layer.
    if (layers.length > 1 && parts.slice(0, -1).some((_, i) => {
      const d = join(layer, ...parts.slice(0, i + 1));
      return existsSync(d) && getXattr(d, 'trusted.overlay.opaque') === 'y';
    })) return undefined;
  }
  return undefined;
}
