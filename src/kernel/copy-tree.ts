// Copying files, directories and links from one open directory to another, through descriptors
// only: each entry is opened by its one name in a directory already open, never by a path, so a
// link met on the way is copied as a link and never followed (at.ts says why that matters when one
// side is a container's root). Modes and times are kept; owners too when asked (a volume's first
// contents, `cp -a`). Used by `nestbox cp` and by a new volume's copy-up.
import { fchmodSync, fchownSync, fstatSync, futimesSync, readdirSync, readSync, writeSync, constants as fsc, Stats } from 'node:fs';
import { openChild, openInRoot, openPath, closeFd, mkdirat, symlinkat, readlinkFd, unlinkat, lchownAt, O_PATH } from './at.js';
import { lookupInRoot } from './root-path.js';
import { KernelError } from './errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW } = fsc;

export interface CopyOptions {
  /** Keep each file's owner (uid and gid) as in the source; otherwise the copier's own (root). */
  owners?: boolean;
}

export interface CopyReport {
  /** Bytes of file data copied. */
  bytes: number;
  /** What was left out: devices, sockets and fifos are not copied. */
  skipped: string[];
}

export const newReport = (): CopyReport => ({ bytes: 0, skipped: [] });

/**
 * A descriptor opened with O_PATH (which reads nothing, and can name a link itself) opened again for
 * reading, through its /proc/self/fd link: the same inode, with no name looked up again.
 */
function reopen(fd: number, flags: number): number {
  return openPath(`/proc/self/fd/${fd}`, flags & ~O_NOFOLLOW);
}

/** The names in an open directory. */
export function entries(dirfd: number): string[] {
  return readdirSync(`/proc/self/fd/${dirfd}`);
}

/** What `name` in `dirfd` is, itself (a link is not followed); undefined when there is none. */
function statChild(dirfd: number, name: string): Stats | undefined {
  let fd: number;
  try {
    fd = openChild(dirfd, name, O_PATH);
  } catch (err) {
    if ((err as KernelError).code === 'ENOENT') return undefined;
    throw err;
  }
  try { return fstatSync(fd); } finally { closeFd(fd); }
}

/**
 * Copy what `src` (a descriptor, O_PATH|O_NOFOLLOW is enough) is to `name` in directory `dstDir`:
 * a file, a link, or a directory with everything in it. What is in the way is replaced, except a
 * directory, which a directory is merged into and a non-directory may not replace.
 */
export function copyTo(src: number, dstDir: number, name: string, opts: CopyOptions = {}, report = newReport(), shown = name): CopyReport {
  const st = fstatSync(src);
  if (!st.isDirectory() && !st.isFile() && !st.isSymbolicLink()) {
    report.skipped.push(shown);
    return report;
  }
  const there = statChild(dstDir, name);
  if (there?.isDirectory() && !st.isDirectory()) throw new Error(`cannot overwrite directory ${shown} with a non-directory`);
  if (there && !there.isDirectory()) unlinkat(dstDir, name);
  if (st.isSymbolicLink()) {
    symlinkat(readlinkFd(src), dstDir, name);
    if (opts.owners) lchownAt(dstDir, name, st.uid, st.gid);
  } else if (st.isFile()) {
    const out = openChild(dstDir, name, O_WRONLY | O_CREAT | O_EXCL, 0o600);
    try { copyData(src, out, st, opts, report); } finally { closeFd(out); }
  } else {
    if (!there?.isDirectory()) mkdirat(dstDir, name, 0o700);
    const out = openChild(dstDir, name, O_RDONLY | O_DIRECTORY);
    try {
      copyContents(src, out, opts, report, shown);
      keepAttributes(out, st, opts);
    } finally { closeFd(out); }
  }
  return report;
}

/** Everything in directory `src` into directory `dst` (what `cp SRC/. DEST` copies). */
export function copyContents(src: number, dst: number, opts: CopyOptions = {}, report = newReport(), shown = ''): CopyReport {
  const dir = reopen(src, O_RDONLY | O_DIRECTORY);
  try {
    for (const name of entries(dir)) {
      const child = openChild(dir, name, O_PATH);
      try { copyTo(child, dst, name, opts, report, `${shown}/${name}`); } finally { closeFd(child); }
    }
  } finally { closeFd(dir); }
  return report;
}

/** The data of file `src` into the open file `out` (truncated first), then its mode and times. */
export function copyData(src: number, out: number, st: Stats, opts: CopyOptions = {}, report = newReport()): void {
  const input = reopen(src, O_RDONLY);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(input, buf, 0, buf.length, null);
      if (n <= 0) break;
      for (let off = 0; off < n;) off += writeSync(out, buf, off, n - off);
      report.bytes += n;
    }
  } finally { closeFd(input); }
  keepAttributes(out, st, opts);
}

/** Open an existing file in place for a copy over it, emptied (a bind-mounted file cannot be replaced). */
export function truncateOpen(pathFd: number): number {
  return reopen(pathFd, O_WRONLY | O_TRUNC);
}

/** Owner first (a chown clears the set-user-ID bits), then mode, then times. */
function keepAttributes(fd: number, st: Stats, opts: CopyOptions): void {
  if (opts.owners) fchownSync(fd, st.uid, st.gid);
  fchmodSync(fd, st.mode & 0o7777);
  futimesSync(fd, st.atime, st.mtime);
}

/**
 * Docker's copy-up: a new, empty volume mounted where the image has a directory starts with a copy
 * of that directory (its files, owners and modes, and the directory's own owner and mode). `root`
 * is the container's root, mounted, before anything of the container runs; `path` is resolved
 * inside it. Nothing happens when `dest` is no longer empty or the image has no directory there.
 */
export function copyUp(root: string, path: string, dest: string): void {
  const out = openPath(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  let src: number | undefined;
  try {
    if (entries(out).length) return;
    src = openSourceInRoot(root, path);
    if (src === undefined) return;
    copyContents(src, out, { owners: true });
    keepAttributes(out, fstatSync(src), { owners: true });
  } finally {
    closeFd(out);
    if (src !== undefined) closeFd(src);
  }
}

/** A directory inside `root`, by openat2 where the kernel has it (5.6), else by a walk in user space. */
function openSourceInRoot(root: string, path: string): number | undefined {
  const rootFd = openPath(root, O_PATH | O_DIRECTORY);
  try {
    return openInRoot(rootFd, path, O_PATH | O_DIRECTORY);
  } catch (err) {
    const code = (err as KernelError).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined; // nothing there to copy
    if (code !== 'ENOSYS') throw err;
    // No openat2: nothing runs in the container yet, so no link can change after this walk.
    const found = lookupInRoot(root, path);
    if (!found) return undefined;
    try { return openPath(found, O_PATH | O_DIRECTORY | O_NOFOLLOW); } catch { return undefined; }
  } finally {
    closeFd(rootFd);
  }
}
