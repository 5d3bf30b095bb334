// Collecting the exit status of a child that has already ended, without blocking.
//
// A process that exits stays in the process table as a zombie (State Z) until its parent calls
// wait(2): the kernel keeps its exit status there for the parent to read. Node's own SIGCHLD
// handler only reaps the children libuv started, so nestbox reaps the ones it spawned itself.
import { libc } from './libc.js';
import { KernelError } from './errors.js';
import { decodeWaitStatus, ExitStatus } from './spawn.js';
import { SIGNALS } from './constants.js';

const WNOHANG = 1;
const WALL = 0x40000000; // __WALL: children however they were created
const ECHILD = 10;

/**
 * waitpid(pid, &status, WNOHANG): the exit status when `pid` was a child of this process that has
 * ended (it is reaped now), 'running' while it runs, 'not-child' when it is not (or no longer) ours.
 */
export function tryReap(pid: number): ExitStatus | 'running' | 'not-child' {
  const status = [0];
  const rc = libc().waitpid(pid, status, WNOHANG | WALL);
  if (rc === 0) return 'running';
  if (rc === -1) {
    const errno = libc().errno();
    if (errno === ECHILD) return 'not-child';
    throw new KernelError('waitpid', `${pid}, WNOHANG`, errno);
  }
  return decodeWaitStatus(status[0]);
}

/** "killed by SIGKILL" or "exited with code 0". */
export function describeExit(e: ExitStatus): string {
  if (e.signal === null) return `exited with code ${e.code}`;
  const name = Object.entries(SIGNALS).find(([, n]) => n === e.signal)?.[0] ?? `signal ${e.signal}`;
  return `killed by ${name}`;
}
