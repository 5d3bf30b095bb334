// What overlayfs would show for a stack of layers, worked out by reading the layer directories
// themselves, with nothing mounted: for `export` (a container's whole filesystem as one tar), and
// for a build step that must find a path in the image it builds on (where COPY writes, whether a
// WORKDIR exists), following the image's own symbolic links inside the image, never the host's.
//
// The rules are overlayfs's (lesson 9): a name is looked up in the top layer first; a file there
// hides the same name below; a whiteout (a 0/0 character device) hides it and says "absent"; a
// directory is the union of the same directory in every layer down to the first one that is not a
// directory, or that is marked opaque (trusted.overlay.opaque=y), which hides those below it.
import { lstatSync, readdirSync, readlinkSync, Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { getXattr } from '../kernel/xattr.js';
import type { TreeSource } from './layer-tar.js';

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;
/** Marked opaque by overlayfs (a filesystem without trusted.* attributes has no such marks). */
const opaque = (dir: string) => {
  try { return getXattr(dir, 'trusted.overlay.opaque') === 'y'; } catch { return false; }
};

/** A path found in the view: where it is on the host (its top layer), what it is, and for a directory every layer's part of it. */
export interface Found {
  /** The path inside the view with no symbolic link in it ("/" for the root). */
  path: string;
  abs: string;
  st: Stats;
  /** For a directory: the same directory in each layer that adds to it, top first. */
  dirs: string[];
}

export class LayerView implements TreeSource {
  /** `layers`: directories, top first (overlayfs's lowerdir order; a container's upper directory first). */
  constructor(private readonly layers: string[]) {}

  /** The root: every layer's root is part of it (an image of no layers, FROM scratch: an empty directory). */
  private root(): Found {
    const top = this.layers[0];
    if (top === undefined) return { path: '/', abs: '', st: Object.assign(Object.create(Stats.prototype), { mode: 0o40755, uid: 0, gid: 0, mtimeMs: 0, size: 0 }), dirs: [] };
    return { path: '/', abs: top, st: lstatSync(top), dirs: [...this.layers] };
  }

  /** `name` inside the directory `parent` of the view, itself (a link is not followed). */
  private child(parent: Found, name: string): Found | undefined {
    let found: Found | undefined;
    for (const dir of parent.dirs) {
      const abs = join(dir, name);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (isWhiteout(st)) break;
      const path = posix.join(parent.path, name);
      if (!found) {
        if (!st.isDirectory()) return { path, abs, st, dirs: [] };
        found = { path, abs, st, dirs: [abs] };
      } else if (st.isDirectory()) {
        found.dirs.push(abs);
      } else {
        break; // a file below a directory of the same name is hidden by it
      }
      if (opaque(abs)) break;
    }
    return found;
  }

  /**
   * Look `path` up (absolute, or relative to the view's root) as the kernel would inside the
   * container: links on the way are followed inside the view (an absolute target starts again
   * from its root; ".." stops at the root); the last one too when `follow`.
   */
  lookup(path: string, follow = true): Found | undefined {
    let parts = path.split('/').filter((p) => p && p !== '.');
    let here = this.root();
    const stack: Found[] = [];
    for (let hops = 0; parts.length;) {
      const name = parts.shift()!;
      if (name === '..') {
        here = stack.pop() ?? here;
        continue;
      }
      const next = this.child(here, name);
      if (!next) return undefined;
      if (next.st.isSymbolicLink() && (parts.length || follow)) {
        if (++hops > 40) return undefined; // ELOOP
        const target = readlinkSync(next.abs);
        const rest = target.split('/').filter((p) => p && p !== '.');
        if (target.startsWith('/')) {
          here = this.root();
          stack.length = 0;
        }
        parts = [...rest, ...parts];
        continue;
      }
      if (parts.length && !next.st.isDirectory()) return undefined; // ENOTDIR
      stack.push(here);
      here = next;
    }
    return here;
  }

  /** The names a directory of the view lists: every layer's, less what an upper one deletes. */
  private names(dir: Found): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const d of dir.dirs) {
      for (const name of readdirSync(d)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const st = lstatSync(join(d, name), { throwIfNoEntry: false });
        if (st && !isWhiteout(st)) out.push(name);
      }
    }
    return out;
  }

  // As a TreeSource (layer-tar.ts), for packing the whole view: paths are relative, never followed.
  list(rel: string): string[] {
    const dir = this.lookup(rel, false);
    return dir?.st.isDirectory() ? this.names(dir) : [];
  }

  stat(rel: string): { st: Stats; abs: string } | undefined {
    const found = this.lookup(rel, false);
    return found && { st: found.st, abs: found.abs };
  }
}
