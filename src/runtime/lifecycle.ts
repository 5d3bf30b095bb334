// A container's life after `run`: stop, kill, pause, rm, exec, and the views of it (ps, inspect,
// logs, stats, top), all read from the kernel where the kernel knows (cgroup files, /proc), from
// the state files where only nestbox does (names, exit codes).
import { assembleFilter } from '../kernel/seccomp.js';
import { seccompPolicy } from './seccomp-profile.js';
import { containerTerminal } from './terminal.js';
import { closeSync, existsSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { SIGNALS, NamespaceType } from '../kernel/constants.js';
import { processStatus, commandLine, netDev } from '../kernel/proc.js';
import { startTime } from '../host/ledger.js';
import { spawnInNamespaces, waitForExit, warmThreads } from '../kernel/spawn.js';
import { hold } from '../kernel/held.js';
import { Container, findContainer, listContainers, updateState, paths, containerCgroup, containerLedger, setStoppedByUser } from './store.js';
import { finishContainer, removeContainerFiles, readMonitorStatus } from './finish.js';
import { listenForExit } from './exit-notice.js';
import { bornInside } from './cgroups.js';
import { userFiles } from './images.js';
import { resolveUser, addGroups } from './users.js';
import { signalNumber } from './run-flags.js';
import { setProcessLimits } from '../kernel/rlimit.js';
import { setNonBlocking } from '../kernel/fcntl.js';
import { setTimeout as sleep } from 'node:timers/promises';


export function isRunning(c: Container): boolean {
  return c.state.Status === 'running' || c.state.Status === 'paused';
}

function requireRunning(c: Container, what: string): void {
  if (!isRunning(c)) throw new UserError(`container ${c.spec.name} is not running (${c.state.Status}): nothing to ${what}`, 1);
}

/** A signal by name (KILL, SIGKILL, kill) or number; checked once before `kill` touches any container. */
export function killSignalNumber(signal: string): number {
  const name = /^\d+$/.test(signal) ? undefined : 'SIG' + signal.toUpperCase().replace(/^SIG/, '');
  const num = name ? SIGNALS[name] : Number(signal);
  if (!num || num > 64) throw new UserError(`unknown signal "${signal}" (for example TERM, KILL, HUP or 9)`, 1);
  return num;
}

/** Send a signal to PID 1 (by name or number). A paused container is thawed first for SIGKILL. */
function signalContainer(c: Container, signal: string): void {
  const num = killSignalNumber(signal);
  requireRunning(c, 'signal');
  if (startTime(c.state.Pid) !== c.state.PidStart) throw new UserError(`container ${c.spec.name} is no longer running`, 1);
  process.kill(c.state.Pid, num);
}

/**
 * Wait until the container's end has been fully handled: its ledger is gone once whoever waited for
 * PID 1 (the foreground nestbox, or the monitor of a -d container) has recorded the exit and
 * released the cgroup and network. If that waiter is gone too (killed), do its job here.
 * `ms` bounds only the wait for PID 1 to end. Once it has, the waiter's work (a nestbox process that
 * undoes the ledger) is waited for as long as the waiter lives: a slow machine makes it slower, and
 * must not make it fail.
 */
async function waitFinished(id: string, ms: number): Promise<boolean> {
  const ledger = containerLedger(id);
  const deadline = Date.now() + ms;
  const patience = Date.now() + ms + 300_000;
  for (;;) {
    if (!ledger.exists()) return true;
    // A --rm container's directory goes while its end is still being handled (its ledger removes
    // it before the bridge is left): gone from the store is not finished yet.
    let c: Container | undefined;
    try { c = findContainer(id); } catch { c = undefined; }
    const pid1 = !!c?.state.PidStart && startTime(c.state.Pid) === c.state.PidStart;
    if (!ledger.ownerAlive() && !pid1) {
      await finishContainer(id, readMonitorStatus(id), ledger);
      return true;
    }
    if (Date.now() >= (pid1 ? deadline : patience)) return false;
    await sleep(20);
  }
}

/**
 * docker stop: SIGTERM to PID 1, then, after `seconds`, SIGKILL to every process in the cgroup.
 * A PID 1 without a SIGTERM handler ignores it (the kernel protects a namespace's init), which is
 * why many containers only stop at the SIGKILL. The container's --stop-signal replaces SIGTERM, and
 * its --stop-timeout is the wait when `seconds` (-t) is not given; Docker's default is 10 s.
 */
export async function stopContainer(ref: string, seconds?: number, say: (line: string) => void = () => {}): Promise<void> {
  const c = findContainer(ref);
  // Stopped by hand: --restart leaves it stopped (and a restart waiting to happen does not happen).
  markStoppedByUser(c);
  if (c.state.Status === 'restarting') return waitForRestarter(c);
  if (!isRunning(c)) return;
  seconds ??= c.spec.stopTimeout ?? 10;
  const signal = c.spec.stopSignal ?? 'SIGTERM';
  const signo = signalNumber(signal) ?? 15;
  const cg = containerCgroup(c.id, c.state.Controllers ?? []);
  if (c.state.Status === 'paused') cg.thaw();
  try { process.kill(c.state.Pid, signo); } catch { /* already gone */ }
  if (await waitFinished(c.id, Math.min(1000, seconds * 1000))) return;
  if (seconds > 1) {
    // SigCgt in /proc/PID/status: the signals the process has handlers for (bit N-1 for signal N).
    let caught = 0n;
    try { caught = BigInt('0x' + (/^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${c.state.Pid}/status`, 'utf8'))?.[1] ?? '0')); } catch { /* gone meanwhile */ }
    const why = caught & (1n << BigInt(signo - 1))
      ? `it handles ${signal} and is still running`
      : `it has no handler for ${signal}, and the kernel drops signals a namespace's init does not handle`;
    say(`${c.spec.name}: PID 1 has not stopped: ${why}; SIGKILL in ${seconds - 1} s (-t sets the wait)`);
    if (await waitFinished(c.id, (seconds - 1) * 1000)) return;
  }
  cg.kill();
  if (!(await waitFinished(c.id, 10_000))) throw new UserError(`container ${c.spec.name} did not stop: see nestbox cleanup`, 1);
}

export async function killContainer(ref: string, signal = 'KILL'): Promise<void> {
  const c = findContainer(ref);
  if (c.state.Status === 'restarting') {
    markStoppedByUser(c);
    return waitForRestarter(c);
  }
  requireRunning(c, 'signal');
  // As Docker: a container killed by hand is not restarted by its --restart policy.
  markStoppedByUser(c);
  signalContainer(c, signal);
}

function markStoppedByUser(c: Container): void {
  setStoppedByUser(c.id, true);
}

/** A container waiting to be started again (--restart) was stopped: its restarter gives up within 100 ms. */
async function waitForRestarter(c: Container): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const s = findContainer(c.id).state.Status;
    if (s !== 'restarting') {
      // It was already being made again: stop that run too.
      if (s === 'running' || s === 'paused') return stopContainer(c.id, 0);
      return;
    }
    await sleep(50);
  }
}

/**
 * docker wait: until the container is not running (its run ends, or it was not running), then its
 * exit code, once its end has been recorded.
 */
export async function waitContainer(ref: string): Promise<number> {
  const c = findContainer(ref);
  const started = c.state.StartedAt;
  // Run with --rm, it leaves no state to read its exit code from: it is handed over (exit-notice.ts).
  const notice = c.spec.autoRemove ? listenForExit(c.id) : undefined;
  try {
    for (;;) {
      const told = notice?.read();
      if (told !== undefined) return told;
      // Gone: an --rm container whose code came through its pipe, or one removed by someone else.
      const gone = (): number => {
        const late = notice?.read();
        if (late !== undefined) return late;
        throw new UserError(`container ${c.spec.name} was removed while waiting for it`, 1);
      };
      let now: Container;
      try { now = findContainer(c.id); } catch { return gone(); }
      const running = now.state.Status === 'running' || now.state.Status === 'paused';
      if (!running || now.state.StartedAt !== started) {
        await waitFinished(c.id, 0);
        try { return findContainer(c.id).state.ExitCode; } catch { return gone(); }
      }
      await sleep(50);
    }
  } finally {
    notice?.close();
  }
}

/** docker rm; `volumes` (-v): its anonymous volumes too. */
export async function removeContainer(ref: string, force: boolean, volumes = false): Promise<string> {
  const c = findContainer(ref);
  if (c.state.Status === 'restarting') {
    if (!force) throw new UserError(`container ${c.spec.name} is restarting: stop it first (nestbox stop ${c.spec.name}) or use rm -f`, 1);
    await stopContainer(c.id, 0);
  }
  if (isRunning(findContainer(c.id))) {
    if (!force) throw new UserError(`container ${c.spec.name} is running: stop it first (nestbox stop ${c.spec.name}) or use rm -f`, 1);
    await stopContainer(c.id, 0);
  }
  // Exited, but its end may still be being recorded (or was never, if its waiter was killed).
  await waitFinished(c.id, 10_000);
  // Started with --rm, it has removed itself as it ended: nothing is left to remove.
  if (c.spec.autoRemove && !existsSync(paths(c.id).config)) return c.spec.name;
  const now = findContainer(c.id);
  if (isRunning(now)) throw new UserError(`container ${c.spec.name} did not stop`, 1);
  removeContainerFiles(c.id, c.spec.name, !volumes);
  return c.spec.name;
}

export function pauseContainer(ref: string, pause: boolean): void {
  const c = findContainer(ref);
  requireRunning(c, pause ? 'pause' : 'unpause');
  if (pause && c.state.Status === 'paused') throw new UserError(`container ${c.spec.name} is already paused`, 1);
  if (!pause && c.state.Status !== 'paused') throw new UserError(`container ${c.spec.name} is not paused`, 1);
  const cg = containerCgroup(c.id, c.state.Controllers ?? []);
  if (pause) cg.freeze(); else cg.thaw();
  updateState(c.id, { Status: pause ? 'paused' : 'running' });
}

/**
 * nsenter for containers: a thread joins every namespace of PID 1 (the mount namespace brings the
 * container's root), the process is created inside the container's cgroup, with its capabilities,
 * its ulimits and its extra groups (Docker's exec copies the container's process settings).
 * `detach` (-d): returns once the command runs, without waiting for it. Its parent, this process,
 * then ends, and the kernel hands it to the host's init (or the nearest subreaper), which collects
 * its exit: no nestbox process stays behind for it (Docker's containerd-shim plays that part).
 */
export async function execInContainer(ref: string, command: string[], opts: { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string; user?: string; detach?: boolean }): Promise<number> {
  const c = findContainer(ref);
  requireRunning(c, 'exec into');
  if (c.state.Status === 'paused') throw new UserError(`container ${c.spec.name} is paused: unpause it first`, 1);
  if (!command.length) throw new UserError('exec needs a command, for example: nestbox exec -it NAME /bin/sh', 1);
  if (opts.detach && opts.tty) throw new UserError('exec -d and -t cannot be combined: nothing would hold the terminal of a detached exec (attach joins a container\'s first process, not an exec); drop -t', 1);
  const pid = c.state.Pid;
  const path = resolveInContainer(pid, command[0]);
  warmThreads(1);
  const types: NamespaceType[] = ['mnt', 'uts', 'ipc', 'pid', 'cgroup', ...(c.spec.net.mode === 'host' ? [] : ['net' as const])];
  const devNull = openSync('/dev/null', 'r+');
  // -i without -t hands this process's own standard input to the command. Node may have made that
  // descriptor non-blocking (it does as soon as anything touches process.stdin), and the flag
  // belongs to the open file, which the command shares: its first read of a pipe that has nothing
  // yet would fail with EAGAIN. Node never reads it here, so it goes back to blocking.
  if (opts.interactive && !opts.tty && !opts.detach) setNonBlocking(0, false);
  const cg = containerCgroup(c.id, c.state.Controllers ?? []);
  // -u is looked up in the container's /etc/passwd and /etc/group as they are now, and gets the
  // container's --group-add groups too (without -u, the container's ids already have them).
  const files = () => userFiles([`/proc/${pid}/root`]);
  const user = opts.user !== undefined ? addGroups(resolveUser(opts.user, files()), c.spec.groupAdd ?? [], files()) : c.spec.ids;
  // The process is held, like a container's first process, by the container's own shell reading a
  // pipe: nestbox moves it into the container's cgroup by its PID, then lets it go. (Moving this
  // whole Node process in for the spawn instead, as run must, would charge its threads to the
  // container's pids limit and its memory to the container's, while the command already runs.)
  // -t: the shell is told a terminal (/dev/pts/N) instead of "go" and opens it itself: only a
  // process can make a terminal its controlling one (after setsid).
  const shell = lstatSync(`/proc/${pid}/root/bin/sh`, { throwIfNoEntry: false });
  const terminal = opts.tty && shell ? containerTerminal(pid, user) : undefined;
  const workdir = opts.workdir ?? c.spec.workdir;
  const request = {
    env: [`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, `HOSTNAME=${c.spec.hostname}`, `HOME=${user?.home ?? '/root'}`, ...(opts.tty ? ['TERM=xterm'] : []), ...c.spec.env, ...(opts.env ?? [])],
    join: { pid, types },
    // -d: nothing of this terminal; the output goes nowhere, as with docker exec -d.
    stdio: (opts.detach ? [devNull, devNull, devNull] : [opts.interactive && !terminal ? 0 : devNull, 1, 2]) as [number, number, number],
    capabilities: c.spec.capabilities,
    noNewPrivs: !c.spec.privileged,
    // A container saved before nestbox had seccomp has no `seccomp`: exec adds the filter anyway.
    seccomp: c.spec.seccomp !== false && !c.spec.privileged ? assembleFilter(seccompPolicy(c.spec.capabilities)) : undefined,
    user,
  };
  try {
    let child: number;
    if (shell) {
      // With -t the holder leads a session of its own, which its terminal then controls.
      const held = await hold({ ...request, shell: '/bin/sh', command: [path, ...command.slice(1)], workdir, setsid: !!terminal, limits: c.spec.ulimits });
      child = held.pid;
      try {
        held.joinCgroup(cg);
      } catch (err) {
        await held.kill();
        throw err;
      }
      await held.release(terminal?.path).catch(async (err) => { await held.exited(); throw err; });
    } else {
      // No shell in the container to hold it: the process is created from inside the cgroup.
      child = await bornInside(cg, (cgroupTasks) => spawnInNamespaces({ ...request, cgroupTasks, path, argv: command, cwd: workdir }));
      // Nothing holds it: its ulimits come as soon as it runs.
      if (c.spec.ulimits?.length) setProcessLimits(child, c.spec.ulimits);
    }
    if (opts.detach) return 0;
    terminal?.attach(!!opts.interactive);
    const { code } = await waitForExit(child);
    // Whatever it started in the background may still hold the terminal: stop copying after a moment.
    if (terminal) await Promise.race([terminal.closed, sleep(300)]);
    return code;
  } finally {
    terminal?.detach();
    closeSync(devNull);
  }
}

/**
 * Find a command in the container's root (PATH), looking from the host through /proc/PID/root.
 * lstat, not stat: an absolute symlink in there would resolve against the host's root from here.
 */
function resolveInContainer(pid: number, cmd: string): string {
  if (cmd.includes('/')) return cmd;
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (lstatSync(join(`/proc/${pid}/root`, dir, cmd), { throwIfNoEntry: false })) return join(dir, cmd);
  }
  throw new UserError(`${cmd}: not found in the container`, 127);
}

export interface Stats { name: string; id: string; cpuPercent: number; memUsage: number; memLimit: number | 'max'; pids: number; netRx: number; netTx: number }

/** docker stats: CPU from the cgroup's usage over an interval, memory and pids from the cgroup, network from PID 1's /proc/PID/net/dev. */
export async function containerStats(c: Container, intervalMs = 500): Promise<Stats> {
  const cg = containerCgroup(c.id, c.state.Controllers ?? []);
  const u0 = cg.cpuUsageUsec();
  const t0 = performance.now();
  await sleep(intervalMs);
  const cpu = (cg.cpuUsageUsec() - u0) / ((performance.now() - t0) * 1000);
  let rx = 0, tx = 0;
  try {
    for (const d of netDev(c.state.Pid)) {
      if (d.name === 'lo') continue;
      rx += d.rxBytes; tx += d.txBytes;
    }
  } catch { /* it ended meanwhile */ }
  return { name: c.spec.name, id: c.id, cpuPercent: cpu * 100, memUsage: cg.memoryCurrent(), memLimit: cg.memoryMax(), pids: cg.pidsCurrent(), netRx: rx, netTx: tx };
}

/** The container's processes: every PID in its cgroup, with its PID inside the container too. */
export function containerTop(ref: string): { pid: number; inside: number; user: number; command: string }[] {
  const c = findContainer(ref);
  requireRunning(c, 'list');
  const cg = containerCgroup(c.id, c.state.Controllers ?? []);
  return cg.procs().map((pid) => {
    try {
      const s = processStatus(pid);
      return { pid, inside: s.nspid.at(-1)!, user: s.uid[0], command: commandLine(pid) || s.name };
    } catch {
      return undefined;
    }
  }).filter((x): x is NonNullable<typeof x> => !!x);
}

// docker inspect's shape lives in inspect.ts; imported from here by older callers.
export { inspect } from './inspect.js';

export { listContainers };
