// docker cp: files and directories between a container and the host, either way, for running and
// stopped containers alike (container-root.ts gives the container's "/" as a descriptor).
//
// Every path inside the container is resolved with openat2(RESOLVE_IN_ROOT) from that descriptor
// (src/kernel/at.ts), so a link the container planted (`ln -s / /tmp/evil`, `ln -s ../../../etc x`)
// is followed inside the container's root and never out to the host's, whichever way the copy
// goes. Below the paths given, the copy goes entry by entry through descriptors and copies links as
// links (src/kernel/copy-tree.ts). The host's paths are the user's own and resolved as usual.
//
// Docker's rules for the two paths:
//   SRC a file:   DEST missing -> a file DEST; DEST/ missing -> error; DEST a file -> overwritten;
//                 DEST a directory -> DEST/basename(SRC)
//   SRC a dir:    DEST missing -> made, with SRC's contents; DEST a file -> error;
//                 DEST a directory -> DEST/basename(SRC), or SRC's contents for SRC/. (SRC ending in /.)
//   SRC a link:   copied as the link, unless -L (follow it) or SRC ends in / or /.
// DEST a link is followed (inside the container for a container's path).
import { fstatSync, constants as fsc } from 'node:fs';
import { basename, dirname, posix } from 'node:path';
import { UserError } from '../errors.js';
import { KernelError } from '../kernel/errors.js';
import { openInRoot, openPath, closeFd, hasOpenat2, O_PATH } from '../kernel/at.js';
import { copyTo, copyContents, copyData, truncateOpen, newReport, CopyReport } from '../kernel/copy-tree.js';
import { findContainer } from './store.js';
import { openContainerRoot } from './container-root.js';

const { O_DIRECTORY, O_NOFOLLOW } = fsc;

export interface CpOptions {
  /** -a: keep owners (uid, gid) as in the source; otherwise files belong to root, as Docker makes them. */
  archive?: boolean;
  /** -L: a link given as SRC is followed. */
  followLink?: boolean;
}

/** One side of the copy: how its paths are opened, and how they are written in messages. */
interface Side {
  open(path: string, flags: number): number;
  label(path: string): string;
  /** The error for a source that is not there, as Docker words it for each side. */
  notFound(path: string): string;
}

/**
 * CONTAINER:PATH or a host path, as Docker splits them: an absolute path, or one starting with ".",
 * is the host's even with a colon in it (./a:b).
 */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i < 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** Copy `srcArg` to `dstArg` (one of them CONTAINER:PATH); what was copied, and where to. */
export async function copyPaths(srcArg: string, dstArg: string, opts: CpOptions = {}): Promise<CopyReport & { dest: string }> {
  const src = splitCpArg(srcArg), dst = splitCpArg(dstArg);
  if (srcArg === '-' || dstArg === '-') throw new UserError('nestbox cp does not read or write tar streams ("-"): give a path on the host', 1);
  if (src.container !== undefined && dst.container !== undefined) throw new UserError('copying between containers is not supported', 1);
  if (src.container === undefined && dst.container === undefined) throw new UserError('must specify at least one container source: CONTAINER:PATH', 1);
  const inside = (src.container ?? dst.container)!;
  const containerPath = src.container !== undefined ? src.path : dst.path;
  if (!containerPath) throw new UserError(`"${src.container !== undefined ? srcArg : dstArg}": give a path in the container after the colon (for example ${inside}:/etc)`, 1);
  const c = findContainer(inside);
  if (!hasOpenat2()) throw new UserError('nestbox cp needs openat2 (Linux 5.6 or later) to keep every path inside the container: this kernel is older', 1);
  const root = await openContainerRoot(c);
  try {
    const container: Side = {
      open: (path, flags) => openInRoot(root.fd, path, flags),
      label: (path) => `${c.spec.name}:${path}`,
      notFound: (path) => `Could not find the file ${path} in container ${c.spec.name}`,
    };
    const host: Side = { open: (path, flags) => openPath(path, flags), label: (path) => path, notFound: (path) => `${path}: no such file or directory` };
    const [from, to] = src.container !== undefined ? [container, host] : [host, container];
    const report = copyBetween(from, asPath(src), to, asPath(dst), opts);
    return { ...report, dest: dst.container !== undefined ? `${c.spec.name}:${dst.path}` : dst.path };
  } catch (err) {
    throw explain(err);
  } finally {
    root.close();
  }
}

/** A container's path is relative to its "/" (as Docker's); the host's to the working directory. */
function asPath(p: { container?: string; path: string }): string {
  return p.container !== undefined && !p.path.startsWith('/') ? `/${p.path}` : p.path;
}

/** Docker's rules (see the top of this file), on two sides whose paths are opened by `open`. */
function copyBetween(from: Side, srcPath: string, to: Side, dstPath: string, opts: CpOptions): CopyReport {
  const contentsOnly = basename(srcPath) === '.' || srcPath.endsWith('/.');
  const srcMustBeDir = contentsOnly || srcPath.endsWith('/');
  const copyOpts = { owners: !!opts.archive };
  const src = openOr(from, srcPath, O_PATH | (opts.followLink || srcMustBeDir ? 0 : O_NOFOLLOW), from.notFound(srcPath));
  try {
    const st = fstatSync(src);
    if (srcMustBeDir && !st.isDirectory()) throw new UserError(`${from.label(srcPath)}: not a directory`, 1);
    const name = basename(normal(srcPath));
    const dstMustBeDir = dstPath.endsWith('/') || basename(dstPath) === '.';
    const dst = openOr(to, dstPath, O_PATH, undefined);
    if (dst !== undefined) {
      try {
        const dt = fstatSync(dst);
        if (dt.isDirectory()) {
          if (st.isDirectory() && (contentsOnly || !name)) return copyContents(src, dst, copyOpts);
          return copyTo(src, dst, name, copyOpts, newReport(), to.label(posix.join(dstPath, name)));
        }
        if (st.isDirectory()) throw new UserError(`cannot copy a directory to a file: ${to.label(dstPath)} is not a directory`, 1);
        if (dstMustBeDir) throw new UserError(`${to.label(dstPath)}: not a directory`, 1);
        if (st.isFile()) {
          // Written in place: the file may be a mount of its own (a container's /etc/hosts).
          const out = truncateOpen(dst);
          const report = newReport();
          try { copyData(src, out, st, copyOpts, report); } finally { closeFd(out); }
          return report;
        }
      } finally {
        closeFd(dst);
      }
    }
    if (dstMustBeDir && !st.isDirectory()) throw new UserError(`${to.label(dstPath)}: no such directory (the destination directory must exist)`, 1);
    const parentPath = dirname(normal(dstPath));
    const parent = openOr(to, parentPath, O_PATH | O_DIRECTORY, `no such directory: ${to.label(parentPath)}`);
    try {
      return copyTo(src, parent, basename(normal(dstPath)), copyOpts, newReport(), to.label(dstPath));
    } finally {
      closeFd(parent);
    }
  } finally {
    closeFd(src);
  }
}

/** A path without trailing "/" or "/." (the rules above have read them already). */
function normal(path: string): string {
  const p = posix.normalize(path).replace(/\/\.?$/, '');
  return p === '' ? (path.startsWith('/') ? '/' : '.') : p;
}

/** Open; when nothing is there: undefined, or the error `missing` when one is given. */
function openOr(side: Side, path: string, flags: number, missing: string): number;
function openOr(side: Side, path: string, flags: number, missing: undefined): number | undefined;
function openOr(side: Side, path: string, flags: number, missing: string | undefined): number | undefined {
  try {
    return side.open(path, flags);
  } catch (err) {
    if ((err as KernelError).code !== 'ENOENT') throw err;
    if (missing === undefined) return undefined;
    throw new UserError(missing, 1);
  }
}

/** The kernel's refusals, in the words a learner looks for. */
function explain(err: unknown): unknown {
  if (!(err instanceof KernelError)) return err;
  const why: Record<string, string> = {
    EROFS: 'the destination is on a read-only filesystem (--read-only, or a volume mounted :ro)',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many levels of symbolic links',
    ENOSPC: 'no space left on the device',
    EXDEV: 'the path leads out of the container',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
  };
  return why[err.code] ? new UserError(`nestbox cp: ${why[err.code]} (${err.call} ${err.code})`, 1) : err;
}
