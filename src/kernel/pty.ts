// Pseudo-terminals: a pair of character devices. Whatever is written to the master comes out of the
// slave as if typed on a keyboard, through the kernel's line discipline (echo, Ctrl-C to SIGINT,
// line editing); what a program writes to the slave comes out of the master. `docker run -t` gives
// the container a slave and keeps the master, copying between it and the user's own terminal.
//
// Each devpts filesystem mounted with `newinstance` numbers its own terminals. Opening the ptmx of
// the container's devpts (reached from the host through /proc/PID/root) makes a pair inside the
// container's instance, so in there it is /dev/pts/0, not one of the host's terminals.
import { openSync, constants } from 'node:fs';
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

// ioctl request numbers from <asm-generic/ioctls.h> (the same on x86_64 and aarch64).
const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const TIOCSWINSZ = 0x5414;

const ioctlInt = () => libcFunc('int ioctl(int fd, unsigned long request, _Inout_ int *arg)');
const ioctlPtr = () => libcFunc('int ioctl(int fd, unsigned long request, void *arg)');

/**
 * A new pair from the devpts instance whose ptmx is `ptmx`: the master's descriptor (close-on-exec,
 * and never this process's controlling terminal) and the slave's number in that instance.
 */
export function openPty(ptmx: string): { master: number; number: number } {
  const master = openSync(ptmx, constants.O_RDWR | constants.O_NOCTTY);
  // A new slave is locked until its master says otherwise (so nobody opens it before it is set up).
  if (ioctlInt()(master, TIOCSPTLCK, [0]) !== 0) throw new KernelError('ioctl', `${ptmx}, TIOCSPTLCK`, libc().errno());
  const n = [0];
  if (ioctlInt()(master, TIOCGPTN, n) !== 0) throw new KernelError('ioctl', `${ptmx}, TIOCGPTN`, libc().errno());
  return { master, number: n[0] };
}

/** TIOCSWINSZ: the size programs on the slave read (stty size); they get SIGWINCH when it changes. */
export function setWindowSize(fd: number, rows: number, columns: number): void {
  const winsize = Buffer.alloc(8); // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
  winsize.writeUInt16LE(rows, 0);
  winsize.writeUInt16LE(columns, 2);
  if (ioctlPtr()(fd, TIOCSWINSZ, winsize) !== 0) throw new KernelError('ioctl', `${fd}, TIOCSWINSZ`, libc().errno());
}
