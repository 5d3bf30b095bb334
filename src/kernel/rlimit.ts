// Resource limits of one process (getrlimit/setrlimit), set from outside with prlimit(2).
//
// A limit belongs to a process, not a thread, and is inherited across fork and kept across execve.
// So a container's limits are set on its first process while it is held (src/kernel/held.ts), from
// the host, before its program runs: every process it starts inherits them. Setting them on a
// thread of nestbox would change nestbox's own limits instead. Each limit has two values: the soft
// one, which the kernel enforces, and the hard one, the ceiling up to which the process itself may
// raise the soft one (`ulimit -n 4096`); only CAP_SYS_RESOURCE raises a hard limit.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

/** RLIMIT_* numbers (asm-generic/resource.h, the same on x86-64 and arm64), by Docker's names. */
export const RLIMITS = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
} as const;
export type RlimitName = keyof typeof RLIMITS;

/** Every limit the kernel has: Docker's, and the address space (RLIMIT_AS), which an OCI config may set. */
export const ALL_RLIMITS = { ...RLIMITS, as: 9 } as const;
export type AnyRlimit = keyof typeof ALL_RLIMITS;

/** One limit; -1 is RLIM_INFINITY ("unlimited"), as Docker writes it. */
export interface ProcessLimit { name: AnyRlimit; soft: number; hard: number }

const RLIM_INFINITY = 0xffffffffffffffffn;
const raw = (n: number) => (n < 0 ? RLIM_INFINITY : BigInt(n));

/** prlimit(pid, resource, new, NULL) for each limit: struct rlimit is two unsigned longs, soft then hard. */
export function setProcessLimits(pid: number, limits: readonly ProcessLimit[]): void {
  const prlimit = libcFunc('int prlimit(int pid, int resource, const void *new_limit, void *old_limit)');
  for (const l of limits) {
    const value = Buffer.alloc(16);
    value.writeBigUInt64LE(raw(l.soft), 0);
    value.writeBigUInt64LE(raw(l.hard), 8);
    if (prlimit(pid, ALL_RLIMITS[l.name], value, null) === -1) {
      const errno = libc().errno();
      throw new KernelError('prlimit', `${pid}, RLIMIT_${l.name.toUpperCase()}, {${l.soft}, ${l.hard}}`, errno,
        errno === 1 && l.name === 'nofile' ? 'the kernel allows no more open files than fs.nr_open' : undefined);
    }
  }
}

/** This process's own limit (prlimit(0, resource, NULL, old)): soft and hard, -1 for unlimited. */
function ownLimit(name: AnyRlimit): { soft: number; hard: number } {
  const prlimit = libcFunc('int prlimit(int pid, int resource, const void *new_limit, void *old_limit)');
  const old = Buffer.alloc(16);
  if (prlimit(0, ALL_RLIMITS[name], null, old) === -1) throw new KernelError('prlimit', `0, RLIMIT_${name.toUpperCase()}, NULL`, libc().errno());
  const value = (v: bigint) => (v === RLIM_INFINITY ? -1 : Number(v));
  return { soft: value(old.readBigUInt64LE(0)), hard: value(old.readBigUInt64LE(8)) };
}

/**
 * Limits no higher than this process's own hard limits, for a host whose root lacks
 * CAP_SYS_RESOURCE (a container's root): only that capability raises a hard limit, so asking for
 * more fails with EPERM. Engines ask for a lot by default (podman: 1048576 open files), and runc
 * fails the container there; nestbox gives what the host allows and says so through `lowered`.
 */
export function limitsWithin(limits: readonly ProcessLimit[], lowered: (l: ProcessLimit, to: number) => void): ProcessLimit[] {
  return limits.map((l) => {
    const ceiling = ownLimit(l.name).hard;
    if (ceiling < 0) return l;
    const over = (v: number) => v < 0 || v > ceiling;
    if (!over(l.hard) && !over(l.soft)) return l;
    lowered(l, ceiling);
    return { ...l, soft: over(l.soft) ? ceiling : l.soft, hard: ceiling };
  });
}
