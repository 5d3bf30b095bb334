// A process held at the door: created (in its namespaces, with its root, its user, its filters),
// but not yet running its program. It is a shell blocked reading a pipe whose write end only nestbox
// holds, so nestbox can finish what must be done from outside first (move it into a cgroup by its
// PID, connect its network, mount /proc from inside its PID namespace) and only then let it go:
// release() writes "go" and the shell execs the program. runc holds a container's init the same
// way between `runc create` and `runc start` (its init blocks on a FIFO), for the same reasons.
//
// Why a shell and not the program itself: a process can only be put into a cgroup once it exists,
// and a program that started would have run, allocated and forked outside its limits first.
//
// The shell reports its own failures on a second pipe (fd 4), one line saying what failed, and closes it
// just before the exec: so release() tells a working directory that does not exist or a terminal
// that cannot be opened from the program's own exit status, as runc's init reports over its sync
// pipe. An exec that fails leaves the shell's own 126/127, as docker run reports them.
import { closeSync, read, writeSync } from 'node:fs';
import { spawnInNamespaces, waitForExit, type ExitStatus, type SpawnRequest } from './spawn.js';
import { pipe } from './process.js';
import { kill as killProcess } from './syscalls.js';
import { setProcessLimits, type ProcessLimit } from './rlimit.js';
import { NestboxError } from '../errors.js';

/**
 * What the holding shell runs: $0 is the working directory, "$@" the program. fd 3 brings "go" or a
 * terminal (/dev/pts/N, opened as the controlling terminal: the first terminal a session leader
 * opens is), fd 4 takes a failure back. OLDPWD and PWD are the shell's, not the program's.
 */
const HOLD = [
  'read -r go <&3 || exit 125',
  'exec 3<&-',
  'case $go in /dev/pts/*) exec <>"$go" >&0 2>&0 || { echo "the terminal $go could not be opened" >&4; exit 125; };; esac',
  'cd "$0" 2>/dev/null || { echo "the working directory $0 is not a directory in the container" >&4; exit 125; }',
  'unset OLDPWD PWD',
  'exec 4>&-',
  'exec "$@"',
].join('; ');

export interface HeldProcess {
  /** Its PID, as the host sees it. */
  readonly pid: number;
  /** Move it into a cgroup (every tree on v1), by its PID; it is not running anything of its own yet. */
  joinCgroup(cg: { addProcess(pid: number): void }): void;
  /**
   * Let it run: it execs its program (on `terminal`, a /dev/pts/N of its own devpts, when given).
   * Resolves once the program runs; rejects with the holder's own failure (a missing working
   * directory, a terminal it could not open).
   */
  release(terminal?: string): Promise<void>;
  /** Wait for it to end and collect it. */
  exited(): Promise<ExitStatus>;
  /** SIGKILL it, held or running, and collect it. */
  kill(): Promise<void>;
}

export interface HoldRequest extends Omit<SpawnRequest, 'argv' | 'path' | 'extraFds'> {
  /** The program and its arguments, run once released. */
  command: string[];
  /** Where it starts (inside its root). */
  workdir: string;
  /** The holding shell, as seen from where the process starts (its new root, or the host's). */
  shell?: string;
  /**
   * Resource limits (ulimits), set on the held shell with prlimit before it runs anything: its
   * program inherits them across the exec, and every process the program starts inherits them.
   */
  limits?: readonly ProcessLimit[];
}

/** A new process, in new namespaces or existing ones (req.unshare / req.join), held. */
export async function hold(req: HoldRequest): Promise<HeldProcess> {
  const [goRead, goWrite] = pipe();
  const [failRead, failWrite] = pipe();
  const { limits, command, workdir, shell, ...spawn } = req;
  let pid: number;
  try {
    pid = await spawnInNamespaces({
      ...spawn,
      path: shell ?? '/bin/sh',
      argv: ['sh', '-c', HOLD, workdir, ...command],
      extraFds: [[goRead, 3], [failWrite, 4]],
    });
    if (limits?.length) {
      try {
        setProcessLimits(pid, limits);
      } catch (err) {
        // Not released: the holder dies before its program ever ran.
        try { killProcess(pid, 9); } catch { /* gone */ }
        await waitForExit(pid).catch(() => undefined);
        throw err;
      }
    }
  } catch (err) {
    closeSync(goWrite);
    closeSync(failRead);
    throw err;
  } finally {
    closeSync(goRead);
    closeSync(failWrite);
  }
  let open = true;
  let collected: Promise<ExitStatus> | undefined;
  const exited = () => (collected ??= waitForExit(pid));
  const letGo = (word: string) => {
    if (!open) return;
    open = false;
    // A holder killed meanwhile has no reader left: the write fails (EPIPE), and that is all.
    try { writeSync(goWrite, `${word}\n`); } catch { /* gone */ } finally { closeSync(goWrite); }
  };
  return {
    pid,
    joinCgroup(cg) {
      cg.addProcess(pid);
    },
    async release(terminal) {
      letGo(terminal ?? 'go');
      const failure = await readAll(failRead);
      if (failure) throw new NestboxError(failure, { exitCode: 125 });
    },
    exited,
    async kill() {
      try { killProcess(pid, 9); } catch { /* already ended */ }
      // A held shell dies at the SIGKILL; an EOF on its pipe would also end it.
      if (open) { open = false; closeSync(goWrite); }
      closeQuietly(failRead);
      await exited().catch(() => undefined);
    },
  };
}

/**
 * Read a pipe to its end (every writer closed it), on libuv's thread pool: the holder closes its
 * end just before the exec, or writes why it could not get there and exits.
 */
function readAll(fd: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(512);
    const next = () => read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err || n === 0) {
        closeQuietly(fd);
        return resolve(Buffer.concat(chunks).toString('utf8').trim());
      }
      chunks.push(Buffer.from(buf.subarray(0, n)));
      next();
    });
    next();
  });
}

function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* closed already */ }
}
