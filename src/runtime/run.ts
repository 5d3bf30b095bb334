// Running a container in the foreground (nestbox waits, its exit status becomes nestbox's) or
// detached (-d: nestbox returns at once and a small monitor waits for the container).
//
// Why a monitor, and why not Node: only a process's parent can collect its exit status, and the
// parent of PID 1 is whoever created it. For -d, a second nestbox process creates the container,
// then replaces itself with execve() by a few lines of Perl (perl-base is part of every Debian and
// Ubuntu system) that wait for PID 1 and write its status, the job conmon or containerd-shim does
// for Docker. So while the container runs, no Node process stays alive for it.
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { Ledger } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { waitForExit, threadsSettled } from '../kernel/spawn.js';
import { execve, dup2 } from '../kernel/process.js';
import { UserError } from '../errors.js';
import { which } from '../host/exec.js';
import type { ContainerSpec } from './spec.js';
import { EXIT_RUNTIME } from './spec.js';
import { createContainer, Created } from './create.js';
import { containerTerminal, ContainerTerminal } from './terminal.js';
import { finishContainer, removeContainerFiles } from './finish.js';
import { paths, updateState, saveConfig } from './store.js';
import { setTimeout as sleep } from 'node:timers/promises';

const MONITOR = [
  '$SIG{$_} = "IGNORE" for qw(HUP INT TERM QUIT PIPE);',
  'my ($pid, $out, @then) = @ARGV;',
  'my $r; do { $r = waitpid($pid, 0) } while ($r == -1 && $!{EINTR});',
  'my $status = $r == $pid ? $? : -1;',
  'if (open(my $f, ">", "$out.tmp")) { print $f "$status\\n"; close $f; rename "$out.tmp", $out }',
  'exec @then if @then;',
].join(' ');

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** Create, release, wait: the exit code is the container's (125-127 for nestbox's own failures). */
export async function runForeground(spec: ContainerSpec): Promise<number> {
  const ledger = Ledger.forThisProcess(`ctr-${spec.id}`, `nestbox run ${spec.name}`);
  const devNull = openSync('/dev/null', 'r');
  const interrupt = interruptible();
  let created: Created;
  try {
    created = await createContainer(spec, { stdin: spec.interactive && !spec.tty ? 0 : devNull, stdout: 1, stderr: 2 }, ledger, interrupt.signal);
    interrupt.signal.throwIfAborted();
  } catch (err) {
    await discard(spec, ledger);
    interrupt.stop();
    throw interrupt.error() ?? err;
  } finally {
    closeSync(devNull);
  }
  let terminal: ContainerTerminal | undefined;
  try {
    if (spec.tty) terminal = containerTerminal(created.pid, spec.ids);
  } catch (err) {
    try { process.kill(created.pid, 'SIGKILL'); } catch { /* gone */ }
    await finishContainer(spec.id, await waitForExit(created.pid), ledger);
    interrupt.stop();
    throw err;
  }
  // From here a signal is the container's: forwarded to PID 1 (the handlers overlap, so none is lost).
  const forward = forwardSignals(created.pid);
  interrupt.stop();
  updateState(spec.id, { Status: 'running', StartedAt: new Date().toISOString() });
  terminal?.attach(spec.interactive);
  // The holder's own failure (a working directory that is a file) ends it with 125; say why.
  const released = created.release(terminal?.path).then(() => undefined, (err: Error) => err);
  const exit = await waitForExit(created.pid);
  const failed = await released;
  if (failed) process.stderr.write(`nestbox: ${failed.message}\n`);
  forward();
  if (terminal) {
    // PID 1 is gone, and the kernel kills the rest of its PID namespace: the terminal closes once the
    // last of them has. Its remaining output is read first.
    await Promise.race([terminal.closed, sleep(1000)]);
    terminal.detach();
  }
  const { code } = await finishContainer(spec.id, exit, ledger);
  return code;
}

/**
 * `run -d`, in the nestbox the user started: validate (done by the caller), start a detached
 * nestbox that creates the container, print what it reports.
 */
export async function runDetached(): Promise<number> {
  // `--`: Node 20 itself reads a `--env-file` anywhere in its arguments unless they follow `--`.
  const child = spawn(process.execPath, ['--', bin, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NESTBOX_DETACHED_CREATOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // Both pipes close together, when the creator turns into the monitor (or exits): wait for both,
  // so nothing it wrote to stderr is missed.
  await Promise.all([child.stdout, child.stderr].map((p) => new Promise<void>((resolve) => p.once('close', () => resolve()))));
  child.unref();
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new UserError(err.trim().split('\n').pop()?.replace(/^nestbox: /, '') || 'the container could not be started', EXIT_RUNTIME);
  const report = JSON.parse(line) as { id?: string; error?: string; code?: number };
  if (report.error) throw new UserError(report.error, report.code ?? EXIT_RUNTIME);
  // The creator closes its end of the pipes a moment before it execs the monitor: return once it
  // has, so whoever looks next (ps, a lab's check) finds perl waiting for PID 1, not nestbox.
  await monitorInPlace(child.pid!);
  // --trace: the steps were printed by the creator; pass them on.
  if (process.env.NESTBOX_TRACE) process.stderr.write(err);
  console.log(report.id);
  return 0;
}

async function monitorInPlace(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    let comm: string;
    try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return; } // gone
    if (comm !== 'node' && comm !== 'nestbox') return;
    await sleep(2);
  }
}

/** The detached creator: make the container, report, then become the monitor. */
export async function createDetachedAndMonitor(spec: ContainerSpec): Promise<never> {
  const ledger = Ledger.forThisProcess(`ctr-${spec.id}`, `nestbox run -d ${spec.name}`);
  const devNull = openSync('/dev/null', 'r+');
  const interrupt = interruptible();
  let created: Created;
  try {
    saveConfig(spec);
    const log = openSync(paths(spec.id).log, 'a');
    created = await createContainer(spec, { stdin: devNull, stdout: log, stderr: log }, ledger, interrupt.signal);
    closeSync(log);
    interrupt.signal.throwIfAborted();
  } catch (err) {
    await discard(spec, ledger);
    await threadsSettled(); // process.exit below must not meet a thread loading libc
    const e = (interrupt.error() ?? err) as Error & { exitCode?: number };
    process.stdout.write(JSON.stringify({ error: e.message.split('\n')[0], code: e.exitCode ?? EXIT_RUNTIME }) + '\n');
    process.exit(e.exitCode ?? EXIT_RUNTIME);
  }
  interrupt.stop();
  updateState(spec.id, { Status: 'running', StartedAt: new Date().toISOString(), MonitorPid: process.pid });
  try {
    await created.release();
  } catch (err) {
    // It ended before its command ran (exit 125): record that, as the monitor would have, and say why.
    await finishContainer(spec.id, await waitForExit(created.pid), ledger);
    await threadsSettled();
    process.stdout.write(JSON.stringify({ error: (err as Error).message, code: EXIT_RUNTIME }) + '\n');
    process.exit(EXIT_RUNTIME);
  }
  await new Promise<void>((r) => process.stdout.write(JSON.stringify({ id: spec.id }) + '\n', () => r()));
  // The monitor inherits descriptors 0-2: point them at /dev/null so the caller's pipes close.
  for (const fd of [0, 1, 2]) dup2(devNull, fd);
  const perl = which('perl') ?? '/usr/bin/perl';
  return execve(perl, ['perl', '-e', MONITOR, String(created.pid), paths(spec.id).exit, process.execPath, bin, 'internal', 'exited', spec.id],
    ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...passEnv()]);
}

/** nestbox's own state locations travel with the monitor, so `internal exited` finds the container. */
function passEnv(): string[] {
  return ['NESTBOX_RUN_DIR', 'NESTBOX_LIB_DIR', 'NESTBOX_CGROUP_ROOT'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
}

/** A run that failed while being created leaves nothing: undo the ledger, drop the directory and name. */
async function discard(spec: ContainerSpec, ledger: Ledger): Promise<void> {
  await undoLedger(ledger);
  if (spec.net.mode === 'bridge') await (await import('./bridge.js')).leaveBridge(ledger).catch(() => undefined); // a no-op unless it had joined
  ledger.clear();
  removeContainerFiles(spec.id, spec.name);
}

/**
 * While a container is being made, SIGINT, SIGTERM and SIGHUP (a `timeout` wrapper, a closed
 * terminal, Ctrl-C) must not end nestbox half-way: that would leave the veth pair, the cgroups and
 * the rules it has made so far. They abort the creation at its next step instead; the caller then
 * undoes the ledger and exits 128+signal, as a killed process would.
 */
function interruptible(): { signal: AbortSignal; stop(): void; error(): UserError | undefined } {
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    caught ??= sig;
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, handler);
  return {
    signal: controller.signal,
    stop: () => { for (const sig of signals) process.removeListener(sig, handler); },
    error: () => caught && new UserError(`interrupted by ${caught} while the container was being made: nothing of it was kept`, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[caught]),
  };
}

/**
 * Ctrl-C and kill reach nestbox, not the container: pass them on to PID 1 (as docker run does).
 * A PID 1 with no handler for a signal ignores it, so a second Ctrl-C kills the container.
 */
function forwardSignals(pid: number): () => void {
  let interrupts = 0;
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]).map((sig) => [sig, () => {
    if (sig === 'SIGINT' && ++interrupts > 1) {
      process.stderr.write('nestbox: killing the container\n');
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      return;
    }
    try { process.kill(pid, sig); } catch { /* gone */ }
  }]);
  for (const [sig, h] of handlers) process.on(sig, h);
  return () => { for (const [sig, h] of handlers) process.removeListener(sig, h); };
}

/** `internal exited ID`, exec'd by the monitor once PID 1 has ended. */
export async function containerExited(id: string): Promise<void> {
  const { readMonitorStatus } = await import('./finish.js');
  await finishContainer(id, readMonitorStatus(id));
}
