// `nestbox image load` (docker load): every image of a `docker save` archive (or an OCI layout),
// with every name the archive gives it. A name that is already taken moves to the loaded image, as
// in Docker; an image the archive does not name is kept without one, found by its ID.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { importImage, type Imported } from './import.js';
import { listImages, removeDangling, scratchDir, tagImage } from './store.js';

export interface Loaded { names: string[]; ids: string[] }

/** Load from `file`, or from standard input when it is undefined. */
export async function loadImages(file: string | undefined): Promise<Loaded> {
  let path = file;
  let scratch: string | undefined;
  if (path === undefined) {
    if (process.stdin.isTTY) throw new UserError('requested load from stdin, but stdin is empty: give -i FILE, or redirect an archive in (nestbox image load < app.tar)');
    scratch = scratchDir('import');
    mkdirSync(scratch, { recursive: true, mode: 0o700 });
    path = join(scratch, 'stdin.tar');
    await pipeline(process.stdin, createWriteStream(path, { mode: 0o600 }));
  }
  try {
    const loaded: Loaded = { names: [], ids: [] };
    const note = async (r: Imported) => {
      if (r.name === '<none>:<none>') {
        // Already here under a name: nothing nameless to keep.
        if (listImages().some((m) => m.id === r.id && !m.key.startsWith('@'))) removeDangling(r.id);
        loaded.ids.push(r.id);
        return;
      }
      loaded.names.push(r.name);
      for (const tag of r.tags.filter((t) => t !== r.name)) loaded.names.push((await tagImage(r.name, tag)).name);
    };
    const first = await importImage(path, { load: true });
    await note(first);
    for (let i = 1; first.format === 'docker-save' && i < first.images; i++) await note(await importImage(path, { load: true, index: i }));
    return loaded;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
