// Paths inside a container's root, resolved from the host before the root is pivoted.
//
// Until pivot_root, the thread that builds the container sees the host's root at "/": a symbolic
// link in the image (/etc/hosts -> /etc/shadow, or a volume target below /var/run -> /run) would be
// followed out of the image into the host, and a mkdir or a bind mount would land on the host's
// files. runc resolves such paths with securejoin; this is the same idea: follow each link inside
// the root, never above it.
import { lstatSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINKS = 40; // as the kernel's own path walk (ELOOP)

/**
 * The host path of `path` as a process whose root is `root` would see it. Every symbolic link on
 * the way is followed inside `root` (an absolute target starts again at `root`, ".." stops at it).
 * Missing components are created: directories, and the last one as `last` (a file is created with
 * O_EXCL, which never follows a link).
 */
export function resolveInRoot(root: string, path: string, last: 'file' | 'dir'): string {
  return walkInRoot(root, path, last)!;
}

/**
 * The same walk, creating nothing: the host path of what `path` names inside `root`, or undefined
 * when it does not exist. Safe only while no process can change the tree (a container not yet
 * started): a link swapped in after the walk would be followed. openat2 (at.ts) has no such gap.
 */
export function lookupInRoot(root: string, path: string): string | undefined {
  return walkInRoot(root, path);
}

function walkInRoot(root: string, path: string, create?: 'file' | 'dir'): string | undefined {
  const todo = path.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    const here = join(root, ...done, part);
    const st = lstatSync(here, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new Error(`${path}: too many symbolic links in the container's root`);
      const target = readlinkSync(here);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    if (!st) {
      if (!create) return undefined;
      if (todo.length === 0 && create === 'file') writeFileSync(here, '', { flag: 'wx' });
      else mkdirSync(here);
    } else if (todo.length && !st.isDirectory()) {
      if (!create) return undefined;
      throw new Error(`${path}: /${[...done, part].join('/')} is not a directory in the container's root`);
    }
    done.push(part);
  }
  return join(root, ...done);
}
