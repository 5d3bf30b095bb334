// `nestbox diff`: what a container changed in its root filesystem, read from its writable layer,
// the overlay's upper directory, as `docker diff` reads it. Everything the container wrote is there
// and nothing else: a file copied up from the image and changed (C), a new one (A), and for a
// deleted one, a whiteout, a character device 0:0 that hides the image's file (D). The image's
// layers below are never written.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getXattr } from '../kernel/xattr.js';
import { findContainer, paths } from './store.js';
import { containerLayers } from './images.js';

export interface Change { kind: 'A' | 'C' | 'D'; path: string }

/** The changes under `upper` against the image's layers (`lower`, top first), sorted by path. */
function layerChanges(upper: string, lower: string[]): Change[] {
  const out: Change[] = [];
  const inImage = (path: string) => lower.some((l) => !!lstatSync(join(l, path), { throwIfNoEntry: false }));
  const walk = (rel: string) => {
    let names: string[];
    try { names = readdirSync(join(upper, rel)).sort(); } catch { return; }
    for (const name of names) {
      const path = `${rel}/${name}`;
      const st = lstatSync(join(upper, path));
      // A whiteout: overlayfs's mark for "deleted from the layers below".
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ kind: 'D', path });
        continue;
      }
      out.push({ kind: inImage(path) ? 'C' : 'A', path });
      if (!st.isDirectory()) continue;
      // An opaque directory was deleted and made again: what the image had in it is gone.
      if (getXattr(join(upper, path), 'trusted.overlay.opaque') === 'y') {
        for (const l of lower) {
          for (const gone of (readdirSafe(join(l, path)))) {
            if (!lstatSync(join(upper, path, gone), { throwIfNoEntry: false }) && !out.some((c) => c.path === `${path}/${gone}`)) out.push({ kind: 'D', path: `${path}/${gone}` });
          }
        }
      }
      walk(path);
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function readdirSafe(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/**
 * Leave out the mount points nestbox made in the layer for its own mounts (the container's
 * /etc/hosts, /etc/hostname, /etc/resolv.conf, volume and tmpfs targets, /dev...), and directories
 * that changed only to hold them: Docker keeps these in an "init" layer of its own, below the
 * container's, so a fresh container shows no change.
 */
function withoutMountPoints(changes: Change[], mountPoints: string[]): Change[] {
  const points = new Set(mountPoints);
  const kept = changes.filter((c) => !points.has(c.path));
  const holdsMountPoint = (dir: string) => mountPoints.some((m) => m.startsWith(dir + '/'));
  const holdsOther = (dir: string) => kept.some((c) => c.path.startsWith(dir + '/'));
  return kept.filter((c) => !(holdsMountPoint(c.path) && !holdsOther(c.path) && c.kind !== 'D'));
}

export async function containerChanges(ref: string): Promise<Change[]> {
  const c = findContainer(ref);
  const mountPoints = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', '/proc', '/sys', ...c.spec.volumes.map((v) => v.target)];
  return withoutMountPoints(layerChanges(paths(c.id).upper, await containerLayers(c.spec)), mountPoints);
}
