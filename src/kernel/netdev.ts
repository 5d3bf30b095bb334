// Bringing a network interface up: the SIOCSIFFLAGS ioctl on any socket, which is what
// `ip link set lo up` (over netlink) and `ifconfig lo up` ask of the kernel. A socket belongs to
// the network namespace of the thread that opens it, so this acts in the calling thread's namespace.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;

export function setLinkUp(name: string): void {
  const socket = libcFunc('int socket(int domain, int type, int protocol)');
  const ioctl = libcFunc('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *ifreq)');
  const close = libc().close;
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd === -1) throw new KernelError('socket', 'AF_INET, SOCK_DGRAM', libc().errno());
  try {
    // struct ifreq: the interface name (16 bytes), then a union whose first member is short flags.
    const ifreq = Buffer.alloc(40);
    ifreq.write(name, 0, 15, 'utf8');
    if (ioctl(fd, SIOCGIFFLAGS, ifreq) === -1) throw new KernelError('ioctl', `SIOCGIFFLAGS, "${name}"`, libc().errno());
    ifreq.writeInt16LE(ifreq.readInt16LE(16) | IFF_UP, 16);
    if (ioctl(fd, SIOCSIFFLAGS, ifreq) === -1) throw new KernelError('ioctl', `SIOCSIFFLAGS, "${name}", IFF_UP`, libc().errno());
  } finally {
    close(fd);
  }
}
