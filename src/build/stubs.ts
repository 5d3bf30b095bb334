// What the runtime itself adds to a container's upper directory, and a layer must not carry.
//
// To mount /proc, /sys and /dev, to bind its own /etc/hosts, /etc/hostname and /etc/resolv.conf
// over the image's, and to mount volumes and tmpfs, nestbox needs a directory or a file at each
// path: where the image has none (an image built FROM scratch), it makes an empty one, in the upper
// directory. Those empty "mount stubs" are the runtime's, not the command's: Docker keeps them in a
// separate "-init" layer, and BuildKit removes them after each step (`nestbox diff` leaves them out
// too). Here they are left out when the upper directory is packed (a running container's stubs are
// mount points, and stay where they are), and so is a directory that only held them (etc/) and
// that the image already had, with the same owner and mode.
import { lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { LayerView } from '../image/union.js';

/** The mount points every container has. */
const STUBS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'dev', 'proc', 'sys', 'tmp'];

/**
 * The paths of `upper` (relative) to leave out of its layer; `image` is the layers below it, and
 * `mountPoints` the container's own (volumes, tmpfs: absolute paths).
 */
export function upperExclusions(upper: string, image: LayerView, mountPoints: string[] = []): Set<string> {
  const out = new Set<string>();
  const stubs = [...new Set([...STUBS, ...mountPoints.map((m) => posix.normalize(m).replace(/^\/+|\/+$/g, '')).filter(Boolean)])];
  for (const stub of stubs) {
    if (image.lookup(stub, false)) continue; // the image has it: a mount over it changed nothing
    const st = lstatSync(join(upper, stub), { throwIfNoEntry: false });
    if (!st) continue;
    const empty = st.isFile() ? st.size === 0 : st.isDirectory() ? readdirSync(join(upper, stub)).length === 0 : false;
    if (empty) out.add(stub);
  }
  // The directories above them (deepest first), made or copied up only to hold them.
  const parents = [...new Set(stubs.flatMap((s) => s.split('/').slice(0, -1).map((_, i, p) => p.slice(0, i + 1).join('/'))))]
    .sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of parents) {
    const st = lstatSync(join(upper, dir), { throwIfNoEntry: false });
    if (!st?.isDirectory() || !readdirSync(join(upper, dir)).every((n) => out.has(`${dir}/${n}`))) continue;
    const before = image.lookup(dir, false);
    if (!before || (before.st.isDirectory() && before.st.mode === st.mode && before.st.uid === st.uid && before.st.gid === st.gid)) out.add(dir);
  }
  return out;
}
