// `nestbox wait` on a container run with --rm. Docker's daemon keeps the exit code for whoever
// waits; nestbox keeps nothing of such a container once it has ended: its directory goes. So each
// waiter leaves a named pipe in the container's directory and holds it open, and whoever records
// the end (finish.ts) writes the exit code into every pipe there before removing the directory. A
// waiter reads it from its open end, which outlives the file. Nothing stays behind: the pipes go
// with the directory, and an open pipe is only the waiter's descriptor.
import { closeSync, constants as fsc, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mkfifo } from '../kernel/syscalls.js';
import { paths } from './store.js';

const waitersDir = (id: string) => join(paths(id).dir, 'waiters');

export interface ExitNotice {
  /** The exit code, once written; undefined until then. */
  read(): number | undefined;
  close(): void;
}

/** Start listening for the end of container `id` (whose directory exists); undefined when it is gone already. */
export function listenForExit(id: string): ExitNotice | undefined {
  const file = join(waitersDir(id), String(process.pid));
  let fd: number;
  try {
    // Not recursive: a container removed meanwhile must not get its directory back.
    try { mkdirSync(waitersDir(id)); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; }
    mkfifo(file, 0o600);
    // Read and write: opening never waits for a writer, and the writer finds a reader.
    fd = openSync(file, fsc.O_RDWR | fsc.O_NONBLOCK);
  } catch {
    return undefined;
  }
  let text = '';
  const buf = Buffer.alloc(32);
  return {
    read() {
      try {
        const n = readSync(fd, buf);
        text += buf.toString('utf8', 0, n);
      } catch { /* EAGAIN: nothing written yet */ }
      const end = text.indexOf('\n');
      return end < 0 ? undefined : Number(text.slice(0, end));
    },
    close() {
      closeSync(fd);
      rmSync(file, { force: true });
    },
  };
}

/** Write the exit code into every waiter's pipe (before an --rm container's directory goes). */
export function tellWaiters(id: string, code: number): void {
  let names: string[];
  try { names = readdirSync(waitersDir(id)); } catch { return; }
  for (const name of names) {
    try {
      // O_NONBLOCK: a pipe whose waiter has gone has no reader, and the open fails (ENXIO) at once.
      const fd = openSync(join(waitersDir(id), name), fsc.O_WRONLY | fsc.O_NONBLOCK);
      try { writeSync(fd, `${code}\n`); } finally { closeSync(fd); }
    } catch { /* that waiter has gone */ }
  }
}
