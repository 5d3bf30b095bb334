// The safety rules for a layer's entries, checked for the whole archive before anything is written.
//
// An image is someone else's archive, unpacked by root. Each rule stops one way a hostile archive
// could write outside the layer directory or hand the container something it should never have:
//   - an absolute path (/etc/cron.d/x) or a ".." component (../../root/.ssh/authorized_keys)
//     names a file outside the layer;
//   - an entry below a symbolic link (x -> /etc, then x/passwd) would be written through the link;
//   - a relative link that climbs out of the layer (x -> ../../../etc) points at the host from the
//     host's side; a hard link to a path that is not an earlier file of this archive (/etc/shadow)
//     would give the container the host's own inode;
//   - a device node (c 1:3, b 8:0) is a door to hardware: the container's /dev is made by nestbox,
//     never taken from an image.
// An absolute symbolic link (/bin/sh -> /bin/busybox) is allowed: it is only ever followed inside
// the container, after pivot_root, where "/" is the container's root. On the host, nestbox never
// follows a link inside a layer: entries below a link are refused and the writer uses lstat.
import { posix } from 'node:path';
import { UserError } from '../errors.js';
import type { ReadEntry } from './tar.js';

/** OCI and Docker mark a deletion with an empty file ".wh.NAME" beside NAME... */
const WHITEOUT_PREFIX = '.wh.';
/** ...and "this directory replaces the lower one entirely" with ".wh..wh..opq" inside it. */
const OPAQUE_MARKER = '.wh..wh..opq';

export type Planned =
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'hardlink'; path: string; target: string }
  | { kind: 'fifo'; path: string }
  /** A deletion of `path` in the layers below. */
  | { kind: 'whiteout'; path: string }
  /** `path` (a directory) hides the same directory of the layers below. */
  | { kind: 'opaque'; path: string }
  /** Nothing to write: the layer's root itself, or another tool's bookkeeping (.wh..wh.plnk). */
  | { kind: 'skip'; path: string };

type Seen = 'dir' | 'file' | 'symlink' | 'whiteout';

/**
 * Checks one archive's entries in order. What came earlier matters (a link, then a path through
 * it), so one Checker is used per archive, and each entry is checked before it is written.
 */
export class Checker {
  private seen = new Map<string, Seen>();

  constructor(private readonly archive: string) {}

  private refuse(entry: string, why: string): never {
    const shown = JSON.stringify(entry.replace(/[\x00-\x1f\x7f]/g, '?'));
    throw new UserError(`${this.archive}: refused entry ${shown}: ${why}; nothing was imported`);
  }

  /** A path of the archive as a clean relative path ("" for the root), or a refusal. */
  private clean(raw: string, entry: string, what = 'its path'): string {
    if (raw.startsWith('/')) this.refuse(entry, `${what} is absolute`);
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) this.refuse(entry, `${what} has a ".." component`);
    return parts.join('/');
  }

  /** Every directory above `path` must be a real directory of this layer (or not named yet). */
  private checkParents(path: string, entry: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const kind = this.seen.get(dir);
      if (kind === 'symlink') this.refuse(entry, `it lies below the symbolic link "${dir}"`);
      if (kind && kind !== 'dir') this.refuse(entry, `"${dir}" above it is not a directory`);
    }
  }

  check(entry: ReadEntry): Planned {
    const raw = entry.path;
    const path = this.clean(raw, raw);
    if (path === '') {
      if (entry.type !== 'Directory') this.refuse(raw, 'the root of the layer must be a directory');
      return { kind: 'skip', path };
    }
    this.checkParents(path, raw);
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const base = posix.basename(path);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (entry.type !== 'File' && entry.type !== 'OldFile') this.refuse(raw, 'a whiteout must be a plain file');
      if (base === OPAQUE_MARKER) return { kind: 'opaque', path: dir };
      if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return { kind: 'skip', path };
      const name = base.slice(WHITEOUT_PREFIX.length);
      if (name === '' || name === '.' || name === '..') this.refuse(raw, 'a whiteout that names no file');
      const hidden = dir ? `${dir}/${name}` : name;
      if (this.seen.has(hidden)) this.refuse(raw, `"${hidden}" is both added and deleted by this layer`);
      this.seen.set(hidden, 'whiteout');
      return { kind: 'whiteout', path: hidden };
    }
    if (this.seen.get(path) === 'whiteout') this.refuse(raw, 'this layer also deletes it');

    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir':
        this.seen.set(path, 'dir');
        return { kind: 'dir', path };
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.seen.set(path, 'file');
        return { kind: 'file', path };
      case 'FIFO':
        this.seen.set(path, 'file');
        return { kind: 'fifo', path };
      case 'SymbolicLink': {
        const target = entry.linkpath ?? '';
        if (!target) this.refuse(raw, 'a symbolic link with no target');
        if (!target.startsWith('/')) {
          // Resolved from the link's own directory, as the kernel will.
          const resolved = posix.normalize(posix.join(dir || '.', target));
          if (resolved === '..' || resolved.startsWith('../')) this.refuse(raw, `the symbolic link's target "${target}" points outside the layer`);
        }
        this.seen.set(path, 'symlink');
        return { kind: 'symlink', path, target };
      }
      case 'Link': {
        // A hard link names another entry of the same archive, by its path from the archive's root.
        const target = this.clean(entry.linkpath ?? '', raw, 'the hard link\'s target');
        const kind = this.seen.get(target);
        if (kind !== 'file' && kind !== 'symlink') this.refuse(raw, `the hard link's target "${target}" is not an earlier file of this layer`);
        this.checkParents(target, raw);
        this.seen.set(path, 'file');
        return { kind: 'hardlink', path, target };
      }
      case 'CharacterDevice':
      case 'BlockDevice': {
        const h = entry.header;
        this.refuse(raw, `a device node (${entry.type === 'BlockDevice' ? 'b' : 'c'} ${h.devmaj ?? 0}:${h.devmin ?? 0}), which an image may not carry`);
      }
      // eslint-disable-next-line no-fallthrough
      default:
        this.refuse(raw, `unsupported entry type ${entry.type}`);
    }
  }
}
