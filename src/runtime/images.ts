// Images: read-only layers under /var/lib/nestbox/images/NAME, each layer a directory unpacked once
// and shared by every container made from it (an overlay's lower layers are never written).
// A plain root filesystem directory is an image of one layer.
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { libDir, rootfsDir } from '../host/paths.js';
import { checkRootfsDir, EXIT_RUNTIME } from './spec.js';
import { UserError } from '../errors.js';
import { getXattr } from '../kernel/xattr.js';

export const imagesDir = () => join(libDir(), 'images');
export const layersDir = () => join(libDir(), 'layers');

export interface ImageManifest {
  name: string;
  /** Layer ids (the sha256 of each layer's tar), bottom first. */
  layers: string[];
  created: string;
  /** The file or directory it was imported from. */
  source: string;
  /** docker-save, oci or rootfs (a docker export). */
  format?: string;
  /** Bytes of its unpacked layers (a layer shared with other images counts in each). */
  size?: number;
  config?: { Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string };
}

export function readManifest(name: string): ImageManifest | undefined {
  const file = join(imagesDir(), name, 'manifest.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * The lower layers for a container, top first (overlayfs's lowerdir order): an imported image's
 * layers, or one directory. "default" is the default rootfs, built on first use.
 */
export async function resolveImage(ref: string): Promise<string[]> {
  const manifest = /^[a-z0-9][a-z0-9_.-]*(:[a-z0-9_.-]+)?$/i.test(ref) ? readManifest(ref.replace(':', '_')) : undefined;
  if (manifest) return [...manifest.layers].reverse().map((l) => join(layersDir(), l));
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
