// What the runtime itself adds to a container's upper directory, and a layer must not carry.
//
// To mount /proc, /sys and /dev, and to bind its own /etc/hosts, /etc/hostname and
// /etc/resolv.conf over the image's, nestbox needs a directory or a file at each path: where the
// image has none (an image built FROM scratch), it makes an empty one, in the upper directory. Those
// empty "mount stubs" are the runtime's, not the command's: Docker keeps them in a separate "-init"
// layer, and BuildKit removes them after each step. Here they are left out when the upper directory
// is packed (a running container's stubs are mount points, and stay where they are), and so is a
// directory that only held them (etc/) and that the image already had, with the same owner and mode.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerView } from '../image/union.js';

const STUBS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'dev', 'proc', 'sys', 'tmp'];

/** The paths of `upper` (relative) to leave out of its layer; `image` is the layers below it. */
export function upperExclusions(upper: string, image: LayerView): Set<string> {
  const out = new Set<string>();
  for (const stub of STUBS) {
    if (image.lookup(stub, false)) continue; // the image has it: a mount over it changed nothing
    const st = lstatSync(join(upper, stub), { throwIfNoEntry: false });
    if (!st) continue;
    const empty = st.isFile() ? st.size === 0 : st.isDirectory() ? readdirSync(join(upper, stub)).length === 0 : false;
    if (empty) out.add(stub);
  }
  // etc/, copied up or made only to hold stubs.
  const etc = lstatSync(join(upper, 'etc'), { throwIfNoEntry: false });
  if (etc?.isDirectory() && readdirSync(join(upper, 'etc')).every((n) => out.has(`etc/${n}`))) {
    const before = image.lookup('etc', false);
    if (!before || (before.st.isDirectory() && before.st.mode === etc.mode && before.st.uid === etc.uid && before.st.gid === etc.gid)) out.add('etc');
  }
  return out;
}
