// Two small things `create` and `exec` both do with files an engine hands them.
import { fstatSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Our descriptor `fd`, opened again through /proc when it is a pipe or a terminal, so the container
 * gets an open file description of its own: Node puts the pipes it writes to in non-blocking mode,
 * and that flag belongs to the description, shared by every process holding it. Files (the
 * validation suite hands create two) keep the description, and with it their offset.
 */
export function ownDescription(fd: number, mode: number): number {
  try {
    const st = fstatSync(fd);
    if (!st.isFIFO() && !st.isCharacterDevice()) return fd;
    return openSync(`/proc/self/fd/${fd}`, mode);
  } catch {
    return fd;
  }
}

/** The PID, as runc writes it (no newline), through a temporary file and a rename: never half-written. */
export function writePidFile(path: string, pid: number): void {
  const tmp = join(dirname(resolve(path)), `.${process.pid}.pid`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}
