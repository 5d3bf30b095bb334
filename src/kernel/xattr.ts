// Extended attributes: name=value pairs the filesystem stores beside a file's inode. Namespaces
// set who may touch them: "user." any owner, "security." the LSMs and file capabilities, and
// "trusted." only CAP_SYS_ADMIN. overlayfs keeps its own bookkeeping in "trusted.overlay.*" so
// that no unprivileged user can forge it (an opaque directory, a redirect, a metacopy).
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

/**
 * lsetxattr(2): set the attribute `name` on `path` itself. The "l" variant never follows a
 * symbolic link, so a path inside an untrusted tree cannot be aimed at a file elsewhere.
 */
export function setXattr(path: string, name: string, value: string): void {
  const fn = libcFunc('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)');
  const bytes = Buffer.from(value);
  if (fn(path, name, bytes, bytes.length, 0) === -1) {
    throw new KernelError('lsetxattr', `${JSON.stringify(path)}, ${JSON.stringify(name)}, ${JSON.stringify(value)}`, libc().errno(),
      name.startsWith('trusted.') ? 'trusted.* attributes need root (CAP_SYS_ADMIN) and a filesystem that stores them (ext4, xfs, btrfs, tmpfs).' : undefined);
  }
}

const ENODATA = 61;

/** lgetxattr(2): the attribute's value, or undefined when the file has no such attribute. */
export function getXattr(path: string, name: string): string | undefined {
  const fn = libcFunc('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)');
  const buf = Buffer.alloc(256);
  const n = Number(fn(path, name, buf, buf.length));
  if (n >= 0) return buf.subarray(0, n).toString();
  const errno = libc().errno();
  if (errno === ENODATA) return undefined;
  throw new KernelError('lgetxattr', `${JSON.stringify(path)}, ${JSON.stringify(name)}`, errno);
}
