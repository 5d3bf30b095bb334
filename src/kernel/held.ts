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
//
// The door can also outlive nestbox: `nestbox oci create` returns while the container waits, and a
// later `nestbox oci start` opens it. The two pipes are then named pipes (FIFOs) in the container's
// state directory, which the held shell keeps open for reading and writing itself, so they never
// see an end while it waits, and anyone who can open the files can let it go (runc's exec.fifo).
import { closeSync, constants as fsc, openSync, read, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnInNamespaces, waitForExit, type ExitStatus, type SpawnRequest } from './spawn.js';
import { pipe } from './process.js';
import { kill as killProcess, mkfifo } from './syscalls.js';
import { setNonBlocking } from './fcntl.js';
import { setProcessLimits, type ProcessLimit } from './rlimit.js';
import { spawnInUserNamespace, type UserNamespace } from './userns.js';
import { holdsCapability } from './proc.js';
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
  /** The program and its arguments, run once released (none: the holder just ends, status 0). */
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
  /** The file mode creation mask the program starts with (process.user.umask). */
  umask?: number;
  /**
   * Make the door of named pipes in this directory (`go` and `fail`), for a release by another
   * process (releaseDoor); without it, the door is two pipes only this process holds.
   */
  doorDir?: string;
  /**
   * A user namespace of its own, with these id mappings: the namespaces in `unshare` are then
   * made inside it, by a single-threaded helper (userns.ts), and owned by it. Or a running
   * process's, entered with its other namespaces by the same helper (an exec).
   */
  userns?: UserNamespace;
}

/** A new process, in new namespaces or existing ones (req.unshare / req.join), held. */
export async function hold(req: HoldRequest): Promise<HeldProcess> {
  const { limits, command, workdir, shell, umask, doorDir, userns, ...spawn } = req;
  const door = doorDir ? fifoDoor(doorDir) : pipeDoor();
  const [goRead, goWrite] = door.go;
  const [failRead, failWrite] = door.fail;
  // prlimit on a process of another user needs CAP_SYS_RESOURCE, which root lacks on some hosts (a
  // container's): the holder, already that user, then lowers its own limits with `ulimit`.
  const inShell = limits?.length && (userns || (spawn.user && spawn.user.uid !== 0)) && !holdsCapability(24 /* CAP_SYS_RESOURCE */);
  const script = (umask !== undefined ? `umask ${umask.toString(8).padStart(4, '0')}; ` : '') + (inShell ? ulimitCommands(limits!) : '') + HOLD;
  let pid: number;
  try {
    const request = {
      ...spawn,
      path: shell ?? '/bin/sh',
      argv: ['sh', '-c', script, workdir, ...command],
      extraFds: [[goRead, 3], [failWrite, 4]] as [number, number][],
    };
    pid = userns ? await spawnInUserNamespace(request, userns) : await spawnInNamespaces(request);
    if (limits?.length && !inShell) {
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
    if (goWrite >= 0) closeSync(goWrite);
    if (failRead >= 0) closeSync(failRead);
    throw err;
  } finally {
    closeSync(goRead);
    closeSync(failWrite);
  }
  // A door of named pipes: this process keeps no end; the holder keeps both.
  if (doorDir) return heldBehindDoor(pid, doorDir);
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
 * The limits as the shell's `ulimit` sets them, soft first (so the hard limit never goes below it):
 * dash counts memory in KiB and file sizes in 512-byte blocks. A limit dash has no letter for, or a
 * size that is not a whole number of its units, cannot be set this way.
 */
function ulimitCommands(limits: readonly ProcessLimit[]): string {
  const letters: Partial<Record<ProcessLimit['name'], [string, number]>> = {
    cpu: ['t', 1], fsize: ['f', 512], data: ['d', 1024], stack: ['s', 1024], core: ['c', 512], rss: ['m', 1024],
    memlock: ['l', 1024], nproc: ['p', 1], nofile: ['n', 1], as: ['v', 1024], locks: ['w', 1], rtprio: ['r', 1],
  };
  return limits.map((l) => {
    const known = letters[l.name];
    const value = (v: number) => {
      if (v < 0 || v >= 2 ** 63) return 'unlimited';
      if (!known || v % known[1]) throw new NestboxError(`RLIMIT_${l.name.toUpperCase()} of ${v} cannot be set on a process of another user here: that needs CAP_SYS_RESOURCE, which this host does not give root`);
      return String(v / known[1]);
    };
    return `ulimit -S -${known?.[0]} ${value(l.soft)} && ulimit -H -${known?.[0]} ${value(l.hard)} || exit 125; `;
  }).join('');
}

/** The usual door: two pipes, this process holding the ends the holder does not. */
function pipeDoor(): { go: [number, number]; fail: [number, number] } {
  return { go: pipe(), fail: pipe() };
}

/**
 * The door that outlives this process: two FIFOs in `dir`, each opened for reading and writing
 * (which on Linux never blocks, and leaves the pipe with a reader and a writer) and handed to the
 * holder, the only one to keep them. -1 marks the ends this process does not keep.
 */
function fifoDoor(dir: string): { go: [number, number]; fail: [number, number] } {
  const go = join(dir, 'go'), fail = join(dir, 'fail');
  mkfifo(go, 0o600);
  mkfifo(fail, 0o600);
  const goFd = openSync(go, fsc.O_RDWR);
  const failFd = openSync(fail, fsc.O_RDWR);
  return { go: [goFd, -1], fail: [-1, failFd] };
}

/** A held process whose door is in `dir`: release and kill go through the files and the PID. */
function heldBehindDoor(pid: number, dir: string): HeldProcess {
  let collected: Promise<ExitStatus> | undefined;
  const exited = () => (collected ??= waitForExit(pid));
  return {
    pid,
    joinCgroup(cg) { cg.addProcess(pid); },
    release: (terminal) => releaseDoor(dir, terminal ?? 'go'),
    exited,
    async kill() {
      try { killProcess(pid, 9); } catch { /* already ended */ }
      await exited().catch(() => undefined);
    },
  };
}

/**
 * Open the door in `dir` from any process (`nestbox oci start`): the word goes in (`go`, or the
 * terminal to open), then the failure pipe is read to its end, which comes when the holder closes
 * it just before its exec. Fails when nobody holds the door any more (the holder ended).
 */
export async function releaseDoor(dir: string, word: string): Promise<void> {
  let fail: number, go: number;
  // O_NONBLOCK: opening a FIFO waits for the other side otherwise. The holder has both sides open.
  try {
    fail = openSync(join(dir, 'fail'), fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (err) {
    throw new NestboxError(`the container's door is gone (${(err as NodeJS.ErrnoException).code}): it was started already, or never made`);
  }
  try {
    go = openSync(join(dir, 'go'), fsc.O_WRONLY | fsc.O_NONBLOCK);
  } catch (err) {
    closeSync(fail);
    // ENXIO: a FIFO with no reader left: the holder has gone.
    throw new NestboxError((err as NodeJS.ErrnoException).code === 'ENXIO' ? 'the container\'s process is no longer waiting to be started' : `could not open the container's door: ${(err as Error).message}`);
  }
  try { writeSync(go, `${word}\n`); } finally { closeSync(go); }
  setNonBlocking(fail, false);
  const failure = await readAll(fail);
  if (failure) throw new NestboxError(failure, { exitCode: 125 });
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
