import { NestboxError } from '../errors.js';
import { constants } from 'node:os';

/** errno number -> name (EPERM, EINVAL, ...), built from Node's own table. */
const ERRNO_NAMES = new Map<number, string>([
  // Linux errnos Node's table leaves out.
  [87, 'EUSERS'],
  ...Object.entries(constants.errno).map(([name, num]) => [num as number, name] as [number, string]),
]);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

const DESCRIPTIONS: Record<string, string> = {
  EPERM: 'Operation not permitted',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
  EBUSY: 'Device or resource busy',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ESRCH: 'No such process',
  ENOSYS: 'Function not implemented',
  EUSERS: 'Too many users',
  ENOMEM: 'Cannot allocate memory',
  ENODEV: 'No such device',
  EBADF: 'Bad file descriptor',
  ENOTEMPTY: 'Directory not empty',
};

/**
 * A failed libc call. The message names the call, its arguments, the errno and one hint a learner
 * can act on, e.g.
 *   unshare(CLONE_NEWUSER) failed: EINVAL (Invalid argument). Node is multithreaded ...
 */
export class KernelError extends NestboxError {
  readonly call: string;
  readonly args: string;
  readonly errno: number;
  readonly code: string;
  readonly hint: string;

  constructor(call: string, args: string, errno: number, hint?: string) {
    const code = errnoName(errno);
    const why = hint ?? hintFor(call, args, code);
    super(`${call}(${args}) failed: ${code} (${DESCRIPTIONS[code] ?? 'error'}).${why ? ' ' + why : ''}`);
    this.name = 'KernelError';
    this.call = call;
    this.args = args;
    this.errno = errno;
    this.code = code;
    this.hint = why;
  }
}

/** The one-line hint for a failed call: the kernel's most likely reason, in a learner's terms. */
export function hintFor(call: string, args: string, code: string): string {
  if (call === 'posix_spawn' && code === 'EACCES') {
    // execve's EACCES: the file is not executable, or its filesystem is mounted noexec (systemd's /run).
    return 'The program cannot be run from there: it is not executable, or its filesystem is mounted noexec (see `nestbox doctor`, "work directories").';
  }
  if (code === 'EPERM' || code === 'EACCES') {
    if (process.getuid?.() !== 0) return 'Run nestbox as root (sudo): this needs CAP_SYS_ADMIN.';
    return 'Root is not enough here: the host (a container or a security module) forbids it.';
  }
  if (code === 'EINVAL') {
    if (call === 'unshare' && args.includes('CLONE_NEWUSER')) {
      return 'The calling process is multithreaded, as every Node process is; a user namespace needs a single-threaded caller.';
    }
    if (call === 'setns' && /mnt|CLONE_NEWNS/.test(args)) {
      return 'The calling thread shares its filesystem info (as Node threads do); call unshare(CLONE_FS) first.';
    }
    if (call === 'setns' && /user|CLONE_NEWUSER/.test(args)) {
      return 'The calling process is multithreaded, as every Node process is; only a single-threaded process can join a user namespace.';
    }
    if (call === 'pivot_root') {
      return 'The new root must be a mount point, not on a shared mount: make "/" private (MS_REC|MS_PRIVATE) and bind the root on itself first.';
    }
    if (call === 'umount2') return 'The path is not a mount point.';
    if (call === 'posix_spawn') {
      // kernel/fork.c before 6.2: a CLONE_VM child may not enter a time namespace other than its parent's.
      return 'If the spawning thread made a new time namespace: Linux before 6.2 refuses a vfork-style child (what posix_spawn makes) into it; only a fork()ed child of a single-threaded helper (unshare --time --fork) enters it there.';
    }
    if (call === 'unshare' || call === 'setns' || call === 'clone') {
      return 'This kernel does not know one of these namespace types; see `nestbox doctor`.';
    }
    return '';
  }
  if (code === 'ENOENT') return 'A path in the arguments does not exist.';
  if (code === 'EBUSY') return 'Something is still using it: a process, or a mount below it.';
  if (code === 'ENOSPC' && (call === 'unshare' || call === 'clone')) {
    return 'The per-user namespace limit was reached: see /proc/sys/user/max_*_namespaces.';
  }
  if (code === 'ESRCH') return 'That process has already exited.';
  if (code === 'ENOSYS') return 'This kernel lacks the call; see `nestbox doctor`.';
  return '';
}
