// FROM: the image a build starts from. `scratch` is the empty image; `default` is nestbox's own
// root filesystem (a static busybox), which is a directory, not an image: it is packed as one layer
// the first time a build starts from it (the same files give the same tar, so the same layer and
// the same base ID every time, and the build cache holds); anything else is an image of the store.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { layersDir } from '../runtime/images.js';
import { bareConfig, diffIdOf, scratchConfig, serializeConfig } from '../image/config.js';
import { directoryTree, packToFile } from '../image/layer-tar.js';
import { unpackLayer } from '../image/unpack.js';
import { requireImage } from '../image/store.js';

/** The marker nestbox keeps in a root filesystem it built: not part of the image. */
const ROOTFS_MARKER = '.nestbox-rootfs.json';

export interface Base { configText: string; name: string }

/** Called with the image store held (the builder holds it, and notes the layers before letting go). */
export async function resolveBase(ref: string, scratch: string): Promise<Base> {
  if (ref === 'scratch') return { configText: serializeConfig(scratchConfig()), name: 'scratch' };
  if (ref === 'default' || ref === 'default:latest') return defaultBase(scratch);
  try {
    const image = requireImage(ref);
    return { configText: image.configText, name: image.name };
  } catch {
    throw new UserError(`FROM ${ref}: no such image here (nestbox builds offline: use one from nestbox image ls, default or scratch)`);
  }
}

/** The default rootfs as a one-layer image. */
async function defaultBase(scratch: string): Promise<Base> {
  const { ensureDefaultRootfs } = await import('../rootfs/build.js');
  const dir = ensureDefaultRootfs();
  let info: { created?: string; kind?: string } = {};
  try { info = JSON.parse(readFileSync(join(dir, ROOTFS_MARKER), 'utf8')); } catch { /* built by hand */ }
  const tar = join(scratch, 'default-rootfs.tar');
  const { digest } = packToFile(directoryTree(dir), tar, { exclude: (rel) => rel === ROOTFS_MARKER });
  if (!existsSync(join(layersDir(), digest))) await unpackLayer(tar, 'the default rootfs', diffIdOf(digest));
  rmSync(tar, { force: true });
  const created = info.created ?? new Date(0).toISOString();
  return { configText: serializeConfig(bareConfig([diffIdOf(digest)], created, `nestbox rootfs create (${info.kind ?? 'busybox'})`)), name: 'default' };
}
