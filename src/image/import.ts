// `nestbox image import`: from an archive to an image a container can start from.
//
//   1. find out what the file is and where its layers are (archive.ts)
//   2. unpack each layer once, checked entry by entry before anything is written (unpack.ts);
//      a layer another image already brought is reused, not unpacked again
//   3. write the manifest: the image's name, its layer ids bottom first, its config
// If any step fails, the layers this import unpacked are removed again: nothing is left half-made.
import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { layersDir, type ImageManifest } from '../runtime/images.js';
import { openSource, type ArchiveFormat } from './archive.js';
import { unpackLayer, type UnpackedLayer } from './unpack.js';
import { bareConfig, diffIdOf, imageId, serializeConfig } from './config.js';
import {
  checkImageName, checkNameFree, nameFromFile, nameFromRef, removeLayers, saveImage, scratchDir, sweepLeftovers, treeSize, withImageStore,
} from './store.js';

export interface Imported { name: string; id: string; format: ArchiveFormat; layers: UnpackedLayer[]; size: number; images: number; tags: string[] }

export interface ImportOptions {
  name?: string;
  /** Which image of a docker save archive (from 0). */
  index?: number;
  /** `image load`, as docker load: a name already taken moves to the loaded image, and an image the archive names not is kept without a name. */
  load?: boolean;
}

/** `progress` is told about each layer as it is done (index from 1). */
export async function importImage(input: string, opts: ImportOptions = {}, progress?: (i: number, of: number, layer: UnpackedLayer) => void): Promise<Imported> {
  const path = resolve(input);
  if (!existsSync(path)) throw new UserError(`${input}: no such file`);
  checkKind(path, input);
  if (opts.name !== undefined) checkNameFree(checkImageName(opts.name));
  // Held for the whole import (minutes for a large image): `image rm` waits rather than deleting a
  // layer this import has decided to reuse.
  return withImageStore(() => importLocked(path, input, opts, progress), 10 * 60_000);
}

/**
 * Only a regular file or a directory can be an image: a device or a pipe never ends (/dev/zero
 * reads zeros forever, and a tar reader waits for the end of the archive), so it is refused first.
 */
function checkKind(path: string, input: string): void {
  const st = statSync(path);
  if (st.isFile() || st.isDirectory()) return;
  const kind = st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a pipe (FIFO)' : st.isSocket() ? 'a socket' : 'not a regular file';
  throw new UserError(`${input} is ${kind}, not an image archive: give a tar file (docker save, OCI layout or docker export) or an OCI layout directory`);
}

async function importLocked(path: string, input: string, opts: ImportOptions, progress?: (i: number, of: number, layer: UnpackedLayer) => void): Promise<Imported> {
  sweepLeftovers();

  const scratch = scratchDir();
  const done: UnpackedLayer[] = [];
  try {
    const source = await openSource(path, scratch, opts.index ?? 0);
    if (opts.load && source.format === 'rootfs') throw new UserError(`${input} is not a docker save archive or an OCI layout (no manifest.json or index.json): for a root filesystem tar (docker export), use nestbox image import`);
    const suggested = opts.name ?? nameFromRef(source.name);
    const name = suggested === undefined && opts.load ? '<none>:<none>' : checkImageName(suggested ?? nameFromFile(path));
    if (!opts.load) checkNameFree(name);
    if (!source.layers.length) throw new UserError(`${input}: the image has no layers`);
    for (const [i, layer] of source.layers.entries()) {
      const label = source.layers.length > 1 ? `${basename(path)} (layer ${i + 1} of ${source.layers.length})` : basename(path);
      const unpacked = await unpackLayer(layer.file, label, layer.diffId);
      done.push(unpacked);
      progress?.(i + 1, source.layers.length, unpacked);
    }
    const created = new Date().toISOString();
    const manifest: ImageManifest = {
      name,
      layers: done.map((l) => l.id),
      created,
      source: path,
      format: source.format,
      size: done.reduce((sum, l) => sum + treeSize(join(layersDir(), l.id)), 0),
    };
    // A docker export tar comes without a config: one is made, as `docker import` makes one.
    const configText = source.configText ?? serializeConfig(bareConfig(manifest.layers.map(diffIdOf), created, '', `Imported from ${path}`));
    saveImage(manifest, configText, opts.load ? { replace: true, dangling: suggested === undefined } : {});
    const tags = (source.tags ?? []).map(nameFromRef).filter((t): t is string => !!t);
    return { name, id: imageId(configText), format: source.format, layers: done, size: manifest.size!, images: source.images, tags };
  } catch (err) {
    removeLayers(done.filter((l) => !l.reused).map((l) => l.id));
    throw err;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
