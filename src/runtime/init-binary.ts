// --init: a small init as the container's PID 1, the command its child, as `docker run --init`.
//
// Why: PID 1 of a PID namespace has two jobs most programs do not expect. Orphans are re-parented to
// it, and only it can collect them, so a PID 1 that never calls wait() fills the process table with
// zombies. And the kernel delivers to it only the signals it has a handler for, so a program that
// relies on SIGTERM's default action (dying) ignores `stop` until the SIGKILL. tini does both jobs:
// it reaps every child, and passes the signals it gets on to the command.
//
// Docker's docker-init is tini, statically linked, bind-mounted read-only at /sbin/docker-init: a
// static binary runs in any root filesystem, whatever libc the image has (or none).
import { existsSync } from 'node:fs';
import { readElf } from '../rootfs/elf.js';

/** Where the init appears in the container, as in Docker. */
export const INIT_PATH = '/sbin/docker-init';

/** Debian's tini package (tini-static), Debian's docker.io, Docker's own packages. */
const CANDIDATES = ['/usr/bin/tini-static', '/usr/sbin/docker-init', '/usr/libexec/docker/docker-init'];

export const INIT_MISSING = '--init needs tini, statically linked, on the host (/usr/bin/tini-static): apt-get install tini';

/** The first statically linked tini on the host (a dynamic one would not start in most images). */
export function findInitBinary(): string | undefined {
  for (const path of CANDIDATES) {
    if (!existsSync(path)) continue;
    const elf = readElf(path);
    if (elf && !elf.interpreter && elf.needed.length === 0) return path;
  }
  return undefined;
}
