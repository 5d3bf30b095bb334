// Unpacking one layer: a tar of files that were added, changed or deleted, into a directory
// overlayfs can use as a lower layer.
//
// A layer is named by the sha256 of its uncompressed tar (its "diff id"), so the same layer from
// two images (a shared base) is unpacked once and both images' overlays list the same directory.
// Lower layers are never written, so sharing them is safe.
//
// It takes two readings of the archive. The first checks every entry (check.ts) and computes the
// digest, writing nothing: a hostile entry anywhere in the archive is refused before the first
// file exists. The second writes, into a ".partial-" directory renamed to its final name only when
// complete, so a half-unpacked layer is never mistaken for a whole one.
import {
  closeSync, existsSync, fchmodSync, fchownSync, futimesSync, linkSync, lstatSync, lchownSync, lutimesSync,
  mkdirSync, openSync, renameSync, rmSync, symlinkSync, writeSync, chmodSync, chownSync, utimesSync, constants as fsc,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { mknod } from '../kernel/syscalls.js';
import { setXattr } from '../kernel/xattr.js';
import { layersDir } from '../runtime/images.js';
import { Checker } from './check.js';
import { readTar, type ReadEntry } from './tar.js';
import { PARTIAL_PREFIX } from './store.js';

const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

export interface UnpackedLayer { id: string; reused: boolean }

/**
 * Unpack the layer tar `file` (plain or gzip) into layersDir()/<diff id>, or reuse that directory
 * when an earlier import unpacked the same layer. `label` names the layer in messages; `diffId`
 * ("sha256:...") is what the image's config says the layer is, and must match its content.
 */
export async function unpackLayer(file: string, label: string, diffId?: string): Promise<UnpackedLayer> {
  const checker = new Checker(label);
  const { digest } = await readTar(file, (entry) => { checker.check(entry); });
  if (diffId !== undefined && diffId !== `sha256:${digest}`) {
    // Layer directories are shared by name: a layer that lied about its digest could take the place
    // of another image's layer. So the name is always the digest of what was actually read.
    throw new UserError(`${label}: its content has sha256:${digest.slice(0, 12)}..., but the image's config says ${String(diffId).slice(0, 19)}...: the archive is damaged or altered`);
  }
  const final = join(layersDir(), digest);
  if (existsSync(final)) return { id: digest, reused: true };

  mkdirSync(layersDir(), { recursive: true, mode: 0o755 });
  const partial = join(layersDir(), `${PARTIAL_PREFIX}${process.pid}-${digest.slice(0, 12)}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    mkdirSync(partial, { mode: 0o755 });
    const again = await writeLayer(file, label, partial);
    if (again !== digest) throw new UserError(`${label}: the file changed while it was being imported`);
    try {
      renameSync(partial, final);
    } catch (err) {
      // Another import finished the same layer first: theirs is as good as ours.
      if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      rmSync(partial, { recursive: true, force: true });
      return { id: digest, reused: true };
    }
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  return { id: digest, reused: false };
}

/**
 * Unpack the tar `file` into the directory `dir` (ADD's archives), with a layer's checks: every
 * entry is checked before the first is written.
 */
export async function unpackInto(file: string, label: string, dir: string): Promise<void> {
  const checker = new Checker(label);
  await readTar(file, (entry) => { checker.check(entry); });
  await writeLayer(file, label, dir);
}

/** Make room for a new entry at `abs`: its parent directories, and no older entry of that name. */
function prepare(abs: string): void {
  mkdirSync(dirname(abs), { recursive: true, mode: 0o755 });
  rmSync(abs, { recursive: true, force: true }); // an archive may name a path twice: the last one wins
}

/** Owner, then mode (chown clears setuid and setgid bits, so the mode is set after it). */
function ownAndMode(abs: string, entry: ReadEntry): void {
  chownSync(abs, entry.uid ?? 0, entry.gid ?? 0);
  chmodSync(abs, (entry.mode ?? 0o755) & 0o7777);
}

/** The second reading: write every entry under `root`, returning the digest read this time. */
async function writeLayer(file: string, label: string, root: string): Promise<string> {
  const checker = new Checker(label);
  const dirTimes: [string, Date][] = [];
  let failure: unknown;
  // Data arrives in 'data' events emitted from inside the tar parser: an exception there is kept
  // here and rethrown, rather than thrown through the parser.
  const guard = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
    try { fn(...a); } catch (err) { failure ??= err; }
  };

  const { digest } = await readTar(file, (entry) => {
    if (failure !== undefined) throw failure;
    const plan = checker.check(entry);
    const abs = join(root, plan.path);
    const mtime = entry.mtime ?? new Date(0);
    switch (plan.kind) {
      case 'skip':
        return;
      case 'dir':
        if (!lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
          prepare(abs);
          mkdirSync(abs);
        }
        ownAndMode(abs, entry);
        dirTimes.push([abs, mtime]); // set last: creating entries inside changes a directory's mtime
        return;
      case 'file': {
        prepare(abs);
        // O_EXCL: create, never reuse; O_NOFOLLOW: never through a link (prepare removed any).
        const fd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        const finish = guard(() => {
          try {
            fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
            fchmodSync(fd, (entry.mode ?? 0o644) & 0o7777);
            futimesSync(fd, mtime, mtime);
          } finally {
            closeSync(fd);
          }
        });
        entry.on('end', finish); // a stream that has already ended calls it at once (an empty file)
        entry.on('data', guard((chunk: Buffer) => {
          for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
        }));
        return;
      }
      case 'symlink':
        prepare(abs);
        symlinkSync(plan.target, abs);
        lchownSync(abs, entry.uid ?? 0, entry.gid ?? 0);
        lutimesSync(abs, mtime, mtime);
        return;
      case 'hardlink':
        prepare(abs);
        linkSync(join(root, plan.target), abs);
        return;
      case 'fifo':
        prepare(abs);
        mknod(abs, S_IFIFO | 0o600, 0, 0);
        ownAndMode(abs, entry);
        utimesSync(abs, mtime, mtime);
        return;
      case 'whiteout':
        // overlayfs's own form of "deleted": a character device with device number 0/0. It hides
        // the name in every layer below; nothing can be opened through it (0/0 is no device).
        prepare(abs);
        mknod(abs, S_IFCHR, 0, 0);
        // The .wh. file's owner and time, kept on the device: packed again (layer-tar.ts), the
        // layer gives the same bytes, and so the same diff id.
        lchownSync(abs, entry.uid ?? 0, entry.gid ?? 0);
        utimesSync(abs, mtime, mtime);
        return;
      case 'opaque':
        // The directory hides the same directory in the layers below, whatever they hold; its own
        // entries in this layer stay visible.
        mkdirSync(abs, { recursive: true, mode: 0o755 });
        setXattr(abs, 'trusted.overlay.opaque', 'y');
        return;
    }
  });
  if (failure !== undefined) throw failure;
  for (const [abs, time] of dirTimes.reverse()) utimesSync(abs, time, time);
  return digest;
}
