// Passing a descriptor to another process over a Unix socket (SCM_RIGHTS): the kernel installs a
// copy of the open file in the receiver, as if it had opened it itself. This is how an OCI runtime
// hands the master side of a container's terminal to the engine that asked for one: podman's
// conmon listens on a socket and passes its path as `--console-socket`, and runc (or nestbox)
// connects, sends the master, and forgets it. Node's own sockets cannot send a descriptor.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

let types: { msghdr: unknown } | undefined;

/** Connect to the Unix socket at `path` and send `fd` with `name` (the terminal's path) as the message. */
export function sendFd(path: string, fd: number, name: string): void {
  const l = libc();
  types ??= {
    msghdr: (l.koffi.struct('iovec_nb', { base: 'void *', len: 'size_t' }),
      l.koffi.struct('msghdr_nb', { name: 'void *', namelen: 'uint32_t', iov: 'iovec_nb *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int' })),
  };
  const sock = libcFunc('int socket(int domain, int type, int protocol)')(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock === -1) throw new KernelError('socket', 'AF_UNIX, SOCK_STREAM', l.errno());
  try {
    // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    if (Buffer.byteLength(path) > 107) throw new KernelError('connect', JSON.stringify(path), 36, 'a Unix socket path has at most 107 bytes');
    addr.write(path, 2);
    if (libcFunc('int connect(int fd, const void *addr, uint32_t len)')(sock, addr, addr.length) === -1) {
      throw new KernelError('connect', JSON.stringify(path), l.errno());
    }
    const payload = Buffer.from(name);
    // One cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by the descriptor:
    // CMSG_LEN(4) = 20, padded to CMSG_SPACE(4) = 24.
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    const sendmsg = libcFunc('long sendmsg(int fd, const msghdr_nb *msg, int flags)');
    const rc = Number(sendmsg(sock, { name: null, namelen: 0, iov: { base: payload, len: payload.length }, iovlen: 1, control, controllen: control.length, flags: 0 }, 0));
    if (rc === -1) throw new KernelError('sendmsg', `${JSON.stringify(path)}, SCM_RIGHTS ${fd}`, l.errno());
  } finally {
    l.close(sock);
  }
}
