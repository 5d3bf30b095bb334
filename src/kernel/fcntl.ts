// File status flags of a descriptor (fcntl(2) F_GETFL / F_SETFL).
//
// Node's libuv puts a terminal's descriptor in non-blocking mode. A shell handed the same terminal
// expects blocking reads (dash says "turning off NDELAY mode" and fixes it itself), so the flag is
// cleared while another program owns the terminal and set again when Node takes it back.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** Set or clear O_NONBLOCK on fd; returns whether it was set before. */
export function setNonBlocking(fd: number, on: boolean): boolean {
  const fcntl = libcFunc('int fcntl(int fd, int cmd, int arg)');
  const flags = fcntl(fd, F_GETFL, 0);
  if (flags === -1) throw new KernelError('fcntl', `${fd}, F_GETFL`, libc().errno());
  const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (next !== flags && fcntl(fd, F_SETFL, next) === -1) throw new KernelError('fcntl', `${fd}, F_SETFL`, libc().errno());
  return (flags & O_NONBLOCK) !== 0;
}
