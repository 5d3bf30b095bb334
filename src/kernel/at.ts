// Calls relative to a directory descriptor: openat2(2) and the *at family (mkdirat, symlinkat,
// readlinkat, unlinkat, fchownat).
//
// A path given to open(2) is walked by the kernel from the caller's root, following every symbolic
// link on the way. Reading or writing a container's files from the host that way is dangerous: a
// process in the container can plant `ln -s / /tmp/evil`, and the host's /etc/shadow is then one
// path away. openat2 (Linux 5.6) with RESOLVE_IN_ROOT walks the path as if the directory given were
// "/": an absolute link starts again there, and ".." stops there, so nothing the container plants
// leads the walk out of it. A walk is atomic in the kernel, so no swap of a link half-way helps
// either. The rest work on one name in one directory already opened, which never follows a link.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';
import { constants as fsc } from 'node:fs';
import { SYS } from './constants.js';

const { O_NOFOLLOW } = fsc;

/** open(2) flags the copy needs that Node's fs.constants leaves out (the same on x86-64 and arm64). */
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** openat2's `resolve` field (linux/openat2.h): the two flags a walk inside a container's root needs. */
const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_IN_ROOT = 0x10;

const q = (s: string) => JSON.stringify(s);

/**
 * openat2(2): open `path` relative to `dirfd`, with `resolve` restricting the walk. The call takes a
 * struct open_how { u64 flags; u64 mode; u64 resolve; }; O_CLOEXEC is always added.
 */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | O_CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  const call = libcFunc('long syscall(long nr, int dirfd, const char *path, void *how, size_t size)');
  let fd: number;
  let errno = 0;
  let tries = 0;
  do {
    fd = Number(call(SYS.openat2, dirfd, path, how, how.length));
    if (fd === -1) errno = libc().errno();
    // EAGAIN: a rename or mount elsewhere raced the walk, and the kernel would rather not guess: again.
  } while (fd === -1 && errno === 11 && ++tries < 16);
  if (fd === -1) {
    throw new KernelError('openat2', `${dirfd}, ${q(path)}, 0${flags.toString(8)}, resolve=0x${resolve.toString(16)}`, errno,
      errno === 38 /* ENOSYS */ ? 'openat2 came with Linux 5.6: this kernel is older.' : errno === 18 /* EXDEV */ ? 'The path tried to leave the directory it must stay in.' : undefined);
  }
  return fd;
}

/**
 * `path` as a process whose root is `rootfd` would open it: links followed inside that root, never
 * out of it (and no /proc magic links, which lead anywhere). `flags` may hold O_NOFOLLOW, which
 * keeps a link in the last place as the link itself (with O_PATH: a descriptor of the link).
 */
export function openInRoot(rootfd: number, path: string, flags: number, mode = 0): number {
  return openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/**
 * openat(2) of one name in an open directory, never following a link (O_NOFOLLOW; with O_PATH the
 * descriptor is of the link itself). One name has no other place a link could be followed, so this
 * is as safe as openat2 and works on any kernel.
 */
export function openChild(dirfd: number, name: string, flags: number, mode = 0): number {
  if (name.includes('/') || name === '..' || name === '') throw new Error(`${q(name)} is not a name in a directory`);
  return openat(dirfd, name, flags | O_NOFOLLOW, mode);
}

/** A path as the caller sees it, the way open(2) walks it (the host's side of a copy). */
export function openPath(path: string, flags: number, mode = 0): number {
  return openat(AT_FDCWD, path, flags, mode);
}

function openat(dirfd: number, path: string, flags: number, mode: number): number {
  const fd = libcFunc('int openat(int dirfd, const char *path, int flags, uint32_t mode)')(dirfd, path, flags | O_CLOEXEC, mode);
  if (fd === -1) throw new KernelError('openat', `${dirfd === AT_FDCWD ? 'AT_FDCWD' : dirfd}, ${q(path)}, 0${flags.toString(8)}`, libc().errno());
  return fd;
}

/**
 * close(2) of a descriptor opened here. Not Node's closeSync: in a worker thread Node warns about
 * closing a descriptor its own fs did not open there.
 */
export function closeFd(fd: number): void {
  libc().close(fd);
}

export function mkdirat(dirfd: number, name: string, mode: number): void {
  if (libcFunc('int mkdirat(int dirfd, const char *path, uint32_t mode)')(dirfd, name, mode) === -1) {
    throw new KernelError('mkdirat', `${dirfd}, ${q(name)}, 0${mode.toString(8)}`, libc().errno());
  }
}

export function symlinkat(target: string, dirfd: number, name: string): void {
  if (libcFunc('int symlinkat(const char *target, int dirfd, const char *path)')(target, dirfd, name) === -1) {
    throw new KernelError('symlinkat', `${q(target)}, ${dirfd}, ${q(name)}`, libc().errno());
  }
}

/** The target of the link `fd` was opened on (O_PATH|O_NOFOLLOW): readlinkat(fd, ""). */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4097);
  const n = Number(libcFunc('long readlinkat(int dirfd, const char *path, _Out_ uint8_t *buf, size_t size)')(fd, '', buf, buf.length));
  if (n === -1) throw new KernelError('readlinkat', `${fd}, ""`, libc().errno());
  return buf.subarray(0, n).toString();
}

export function unlinkat(dirfd: number, name: string, flags = 0): void {
  if (libcFunc('int unlinkat(int dirfd, const char *path, int flags)')(dirfd, name, flags) === -1) {
    throw new KernelError('unlinkat', `${dirfd}, ${q(name)}, ${flags}`, libc().errno());
  }
}

/** The owner of `name` in `dirfd` itself, a link included (fchownat with AT_SYMLINK_NOFOLLOW). */
export function lchownAt(dirfd: number, name: string, uid: number, gid: number): void {
  if (libcFunc('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)')(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) === -1) {
    throw new KernelError('fchownat', `${dirfd}, ${q(name)}, ${uid}, ${gid}, AT_SYMLINK_NOFOLLOW`, libc().errno());
  }
}

/** Does this kernel have openat2? (ENOSYS before 5.6.) */
export function hasOpenat2(): boolean {
  try {
    libc().close(openat2(AT_FDCWD, '/', O_PATH, 0, 0));
    return true;
  } catch (err) {
    if ((err as KernelError).errno === 38) return false;
    throw err;
  }
}
