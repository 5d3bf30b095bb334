// A detached container's life, with no Node process kept for it. `nestbox start` (and `run -d`)
// start a second nestbox process, the creator: it makes the container (src/runtime/create.ts),
// reports to the nestbox the user is waiting on, and then replaces itself with execve() by the
// monitor, bin/nestbox-monitor, a small Perl program (perl-base is part of every Debian and Ubuntu
// system) that does what conmon does for podman and containerd-shim for Docker:
//
//   - it is PID 1's parent (execve keeps the PID), the only process that can collect its exit status;
//   - it reads the container's stdout and stderr (pipes, or a terminal with -t) into its log;
//   - it serves the attach socket (`nestbox attach`), and feeds stdin (-i) from there.
//
// When PID 1 ends, the monitor execs `nestbox internal exited ID`, which records the exit, releases
// what the container held on the host and, when --restart says so, makes the container again and
// becomes its monitor again: the same process, from the first start to the last exit.
import { closeSync, openSync, rmSync } from 'node:fs';
import { Ledger, startTime } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { waitForExit, threadsSettled } from '../kernel/spawn.js';
import { execWithFds, pipe } from '../kernel/process.js';
import { which } from '../host/exec.js';
import { EXIT_RUNTIME } from './spec.js';
import { createRunContainer, Created } from './run-create.js';
import { openContainerPty } from './terminal.js';
import { finishContainer, readMonitorStatus, removeContainerFiles } from './finish.js';
import { containerLedger, load, paths, updateState, stoppedByUser } from './store.js';
import { shouldRestart, nextDelay } from './restart-policy.js';
import { interruptible } from './interrupt.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { nestboxBin } from '../host/paths.js';

const MONITOR = nestboxBin('nestbox-monitor');
const BIN = nestboxBin();

export interface StartOptions {
  /** Hold the container's output until the first `attach` client connects (start -a), at most this many seconds. */
  waitForClient?: number;
  /** A container made by `run -d`: if it cannot start, nothing of it is kept (as if run had failed). */
  discardOnFailure?: boolean;
}

/** What the creator tells the nestbox that started it: one JSON line on its stdout. */
export interface StartReport { id?: string; error?: string; code?: number }

function report(r: StartReport): Promise<void> {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(r) + '\n', () => resolve()));
}

/** `nestbox internal start ID`: make the container, report, become its monitor. Never returns. */
export async function startAndMonitor(id: string, opts: StartOptions = {}): Promise<never> {
  const { spec } = load(id);
  const p = paths(id);
  // What the previous run left: its exit status must not be read as this one's.
  rmSync(p.exit, { force: true });
  rmSync(p.socket, { force: true });
  const ledger = Ledger.forThisProcess(`ctr-${id}`, `nestbox monitor of ${spec.name}`);
  const devNull = openSync('/dev/null', 'r+');
  const interrupt = interruptible();
  // The container's standard streams: pipes the monitor reads (and, with -i, writes), or with -t one
  // terminal for all three, opened by PID 1 itself when it is released.
  const out = spec.tty ? undefined : pipe();
  const err = spec.tty ? undefined : pipe();
  const input = spec.interactive && !spec.tty ? pipe() : undefined;
  let created: Created;
  let terminal: { master: number; path: string } | undefined;
  try {
    created = await createRunContainer(spec, { stdin: input?.[0] ?? devNull, stdout: out?.[1] ?? devNull, stderr: err?.[1] ?? devNull }, ledger, interrupt.signal);
    interrupt.signal.throwIfAborted();
    if (spec.tty) terminal = openContainerPty(created.pid, spec.ids);
  } catch (e) {
    await giveUp(id, ledger, opts, undefined, (interrupt.error() ?? e) as Error & { exitCode?: number });
  } finally {
    // The container has its ends; the monitor keeps only its own.
    for (const fd of [input?.[0], out?.[1], err?.[1]]) if (fd !== undefined) closeSync(fd);
  }
  interrupt.stop();
  // Stopped by hand while it was being made again (--restart): it must not run. (A person's own
  // `start` clears the mark before it starts this.)
  if (stoppedByUser(id)) {
    try { process.kill(created!.pid, 'SIGKILL'); } catch { /* gone */ }
    await finishContainer(id, await waitForExit(created!.pid), ledger);
    process.exit(0);
  }
  updateState(id, { Status: 'running', StartedAt: new Date().toISOString(), MonitorPid: process.pid, MonitorStart: startTime(process.pid) });
  try {
    await created!.release(terminal?.path);
  } catch (e) {
    // It ended before its command ran (exit 125: a working directory that is a file): say why.
    await giveUp(id, ledger, opts, await waitForExit(created!.pid), e as Error);
  }
  await report({ id });
  const moves: [number, number][] = [[devNull, 0], [devNull, 1], [devNull, 2]];
  if (terminal) moves.push([terminal.master, 3], ...(spec.interactive ? [[terminal.master, 5] as [number, number]] : []));
  else moves.push([out![0], 3], [err![0], 4], ...(input ? [[input[1], 5] as [number, number]] : []));
  await threadsSettled(); // execve must not meet a thread still loading libc
  const perl = which('perl') ?? '/usr/bin/perl';
  return execWithFds(perl, ['perl', MONITOR, String(created!.pid), p.log, p.exit, p.socket, spec.tty ? '1' : '0', String(opts.waitForClient ?? 0),
    '--', process.execPath, BIN, 'internal', 'exited', id], monitorEnv(), moves);
}

/**
 * The container could not be started: undo what was made, record why, tell the starter, exit.
 * A container from `run -d` is removed altogether; one started again is kept, exited.
 */
async function giveUp(id: string, ledger: Ledger, opts: StartOptions, exit: Awaited<ReturnType<typeof waitForExit>> | undefined, e: Error & { exitCode?: number }): Promise<never> {
  const code = e.exitCode ?? EXIT_RUNTIME;
  const message = e.message.split('\n')[0];
  if (exit) await finishContainer(id, exit, ledger).catch(() => undefined);
  else await undoLedger(ledger);
  if (opts.discardOnFailure) {
    try { const { spec } = load(id); if (spec.net.mode === 'bridge') await (await import('./bridge.js')).leaveBridge(ledger).catch(() => undefined); removeContainerFiles(id, spec.name); } catch { /* gone */ }
  } else {
    try { updateState(id, { Status: 'exited', ExitCode: code, Error: message, FinishedAt: new Date().toISOString() }); } catch { /* removed meanwhile */ }
  }
  ledger.clear();
  await threadsSettled(); // process.exit must not meet a thread loading libc
  await report({ error: message, code });
  process.exit(code);
}

/** nestbox's own state locations travel with the monitor, so `internal exited` finds the container. */
function monitorEnv(): string[] {
  return ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...['NESTBOX_RUN_DIR', 'NESTBOX_LIB_DIR', 'NESTBOX_CGROUP_ROOT', 'DEBUG'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`)];
}

/**
 * `nestbox internal exited ID`, exec'd by the monitor once PID 1 has ended: record the exit, release
 * what the container held, and start it again if its restart policy says so.
 */
export async function containerExited(id: string): Promise<void> {
  const ledger = containerLedger(id);
  await finishContainer(id, readMonitorStatus(id), ledger);
  await restartIfWanted(id);
}

/**
 * --restart, after an end of PID 1 (recorded already): wait the backoff, then make the container
 * again and become its monitor. Returns when no restart is wanted, or a person stopped it meanwhile.
 */
export async function restartIfWanted(id: string): Promise<void> {
  let c;
  try { c = load(id); } catch { return; } // removed (rm -f, --rm)
  const { state } = c;
  if (!shouldRestart(c.spec.restart, { exitCode: state.ExitCode, restartCount: state.RestartCount ?? 0, stoppedByUser: stoppedByUser(id) })) return;
  const ranFor = Date.parse(state.FinishedAt) - Date.parse(state.StartedAt);
  const delay = nextDelay(state.RestartDelayMs, Number.isFinite(ranFor) ? ranFor : 0);
  updateState(id, { Status: 'restarting', RestartCount: (state.RestartCount ?? 0) + 1, RestartDelayMs: delay, MonitorPid: process.pid, MonitorStart: startTime(process.pid) });
  const until = Date.now() + delay;
  while (Date.now() < until) {
    await sleep(Math.min(100, until - Date.now()));
    try { load(id); } catch { return; } // removed
    if (stoppedByUser(id)) { updateState(id, { Status: 'exited' }); return; }
  }
  await startAndMonitor(id);
}
