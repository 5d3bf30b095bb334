// A lock between nestbox processes (and between async tasks of one): a file created with O_EXCL.
// open(O_CREAT|O_EXCL) is atomic in the kernel: of several callers exactly one creates the file,
// the others get EEXIST and retry. The file holds the holder's PID and start time, so a lock left
// by a process that was killed (SIGKILL runs no cleanup) is recognised as stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './paths.js';
import { startTime } from './ledger.js';
import { setTimeout as sleep } from 'node:timers/promises';

export function lockDir(): string {
  return join(runDir(), 'locks');
}

let serial = 0;
/** Longer than any critical section takes, even under emulation (a bridge and its rules: ~5 s). */
const HOLDER_LIMIT_MS = 120_000;

/** Try once to take the lock; true when this call created the file. */
function tryTake(path: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600); // O_CREAT|O_EXCL|O_WRONLY
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try { writeSync(fd, token); } finally { closeSync(fd); }
  return true;
}

/** The lock file names a process that no longer runs (or cannot be read): it is stale. */
function isStale(path: string): boolean {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return false; } // just released: retry
  const [pid, start] = text.split(' ').map(Number);
  if (!pid) return false; // being written this instant
  return startTime(pid) !== start;
}

/** Waiting for a lock took longer than the caller allowed; `holder` is the PID that held it. */
export class LockTimeout extends Error {
  constructor(readonly path: string, readonly holder?: number) {
    super(`timed out waiting for the lock ${path} (held by PID ${holder ?? 'unknown'})`);
  }
}

/**
 * Run `fn` holding the lock `name`, polling every few ms until it is free. Held only for short
 * critical sections: check-then-create of a shared bridge, picking an address. With `timeoutMs`,
 * give up after that long. Without it, wait as long as the holders keep changing: on a slow or
 * loaded machine twenty containers starting at once queue up and all start, slower. Only one
 * holder keeping the lock for HOLDER_LIMIT_MS (a process hung inside its section) ends the wait.
 */
export async function withLock<T>(name: string, fn: () => Promise<T> | T, timeoutMs?: number): Promise<T> {
  mkdirSync(lockDir(), { recursive: true, mode: 0o700 });
  const path = join(lockDir(), `${name}.lock`);
  // pid + start time name this process for good; the counter tells this process's tasks apart.
  const token = `${process.pid} ${startTime(process.pid) ?? 0} ${++serial}`;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let holder = '';
  let holderSince = Date.now();
  for (let delay = 1; !tryTake(path, token); delay = Math.min(delay * 2, 20)) {
    if (isStale(path)) {
      breakStale(path, token);
      continue;
    }
    const now = safeRead(path);
    if (now !== holder) [holder, holderSince] = [now, Date.now()];
    if (Date.now() > deadline || Date.now() - holderSince > HOLDER_LIMIT_MS) {
      throw new LockTimeout(path, Number(holder.split(' ')[0]) || undefined);
    }
    await sleep(delay);
  }
  try {
    return await fn();
  } finally {
    // Only remove it if it is still ours.
    if (safeRead(path) === token) rmSync(path, { force: true });
  }
}

/**
 * Remove a stale lock. Two waiters may both find it stale; had both simply removed it, the second
 * could remove the lock the first had just taken. So removing goes through a second lock of its own
 * (held for microseconds), and staleness is checked again under it.
 */
function breakStale(path: string, token: string): void {
  const breaker = `${path}.break`;
  if (!tryTake(breaker, token)) {
    // A breaker whose holder died mid-way: old after a few seconds, since it is held so briefly.
    try { if (Date.now() - statSync(breaker).mtimeMs > 5000) rmSync(breaker, { force: true }); } catch { /* gone */ }
    return;
  }
  try {
    if (isStale(path)) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

function safeRead(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
