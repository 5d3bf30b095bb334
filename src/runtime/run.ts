// `nestbox run`: in the foreground (nestbox waits, and the container's exit status becomes
// nestbox's) or detached (-d: the container is registered here, then started in the background by
// a creator that becomes its monitor, src/runtime/monitor.ts).
//
// In the foreground, this process is PID 1's parent: it copies the container's stdout and stderr
// (pipes, as Docker gives them) to the terminal and into the container's log, so `logs` works for
// every container. With -t, the container has a terminal of its own instead (src/runtime/terminal.ts).
import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { Ledger } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { waitForExit } from '../kernel/spawn.js';
import { pipe } from '../kernel/process.js';
import type { ContainerSpec } from './spec.js';
import { createRunContainer, registerContainer, Created } from './run-create.js';
import { trace, traceClock } from './create.js';
import { containerTerminal, ContainerTerminal } from './terminal.js';
import { finishContainer, removeContainerFiles } from './finish.js';
import { LogWriter, type Stream } from './log.js';
import { paths, updateState, load, stoppedByUser } from './store.js';
import { interruptible } from './interrupt.js';
import { shouldRestart } from './restart-policy.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { setNonBlocking } from '../kernel/fcntl.js';
import { childProcess } from '../host/exec.js';
import { nestboxBin } from '../host/paths.js';

/** Where a foreground container's output goes besides its log: nestbox's own, unless a build says otherwise. */
export interface Output { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }

/** Create, release, wait: the exit code is the container's (125-127 for nestbox's own failures). */
export async function runForeground(spec: ContainerSpec, output: Output = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const ledger = Ledger.forThisProcess(`ctr-${spec.id}`, `nestbox run ${spec.name}`);
  const devNull = openSync('/dev/null', 'r');
  // -i hands this process's standard input to PID 1 as it is: blocking, whatever Node made of it
  // (see execInContainer).
  if (spec.interactive && !spec.tty) setNonBlocking(0, false);
  const interrupt = interruptible();
  // Without -t: a pipe per stream, read here. With -t the terminal carries all three.
  const out = spec.tty ? undefined : pipe();
  const err = spec.tty ? undefined : pipe();
  let created: Created;
  try {
    created = await createRunContainer(spec, { stdin: spec.interactive && !spec.tty ? 0 : devNull, stdout: out?.[1] ?? 1, stderr: err?.[1] ?? 2 }, ledger, interrupt.signal);
    interrupt.signal.throwIfAborted();
  } catch (e) {
    for (const fd of [out?.[0], err?.[0]]) if (fd !== undefined) closeSync(fd);
    await discard(spec, ledger);
    interrupt.stop();
    throw interrupt.error() ?? e;
  } finally {
    closeSync(devNull);
    for (const fd of [out?.[1], err?.[1]]) if (fd !== undefined) closeSync(fd);
  }
  const log = new LogWriter(paths(spec.id).log);
  let terminal: ContainerTerminal | undefined;
  try {
    if (spec.tty) terminal = containerTerminal(created.pid, spec.ids);
  } catch (e) {
    try { process.kill(created.pid, 'SIGKILL'); } catch { /* gone */ }
    log.close();
    await finishContainer(spec.id, await waitForExit(created.pid), ledger);
    interrupt.stop();
    throw e;
  }
  // From here a signal is the container's: forwarded to PID 1 (the handlers overlap, so none is lost).
  const forward = forwardSignals(created.pid);
  interrupt.stop();
  const copied = terminal ? undefined : [relay(out![0], 'stdout', log, output.stdout), relay(err![0], 'stderr', log, output.stderr)];
  if (terminal) {
    const decoder = new StringDecoder('utf8');
    terminal.attach(spec.interactive, (d) => log.write('stdout', decoder.write(d)));
  }
  // The holder's own failure (a working directory that is a file) ends it with 125; say why.
  let t = traceClock();
  const released = created.release(terminal?.path).then(() => undefined, (e: Error) => e);
  // Running only once "go" is in PID 1's pipe: from then on it runs its command even if nestbox
  // dies, while a nestbox killed before would take the held container with it.
  updateState(spec.id, { Status: 'running', StartedAt: new Date().toISOString() });
  const exit = await waitForExit(created.pid);
  const failed = await released;
  if (failed) process.stderr.write(`nestbox: ${failed.message}\n`);
  forward();
  // PID 1 is gone, and the kernel kills the rest of its PID namespace: the pipes (or the terminal)
  // close once the last of them has. Their remaining output is copied first.
  await Promise.race([terminal ? terminal.closed : Promise.all(copied!), sleep(1000)]);
  terminal?.detach();
  log.close();
  t = trace(`released: the command ran, PID 1 exited (${exit ? `status ${exit.code}` : 'status lost'})`, `放行：命令运行完，1 号进程退出（${exit ? `状态 ${exit.code}` : '状态丢失'}）`, t);
  const { code } = await finishContainer(spec.id, exit, ledger);
  trace(spec.autoRemove ? 'cleaned up: cgroup, mounts and the container\'s files removed (--rm)' : 'cleaned up: cgroup and mounts removed, state saved',
    spec.autoRemove ? '清理完毕：控制组、挂载和容器的文件都已删除（--rm）' : '清理完毕：控制组和挂载已删除，状态已保存', t);
  restartInBackground(spec.id);
  return code;
}

/** Copy one of the container's output pipes to the same stream of nestbox, and into the log. */
function relay(fd: number, stream: Stream, log: LogWriter, target: NodeJS.WritableStream): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const source = new Socket({ fd, readable: true, writable: false });
  return new Promise((resolve) => {
    source.on('data', (d: Buffer) => {
      target.write(d);
      log.write(stream, decoder.write(d));
    });
    source.on('error', () => resolve());
    source.on('close', () => resolve());
  });
}

/**
 * --restart after a foreground run: nestbox returns the exit code, and a detached nestbox starts the
 * container again and becomes its monitor (Docker's daemon restarts it the same way, in the
 * background, after `docker run` has returned).
 */
function restartInBackground(id: string): void {
  let c;
  try { c = load(id); } catch { return; }
  const { state } = c;
  if (!shouldRestart(c.spec.restart, { exitCode: state.ExitCode, restartCount: state.RestartCount ?? 0, stoppedByUser: stoppedByUser(id) })) return;
  const bin = nestboxBin();
  childProcess().spawn(process.execPath, ['--', bin, 'internal', 'restart', id], { detached: true, stdio: 'ignore' }).unref();
}

/** `run -d`: register the container here, start it in the background, print its id. */
export async function runDetached(spec: ContainerSpec): Promise<number> {
  registerContainer(spec);
  const { startInBackground } = await import('./start.js');
  await startInBackground(spec.id, { discardOnFailure: true });
  console.log(spec.id);
  return 0;
}

/** A run that failed while being created leaves nothing: undo the ledger, drop the directory and name. */
async function discard(spec: ContainerSpec, ledger: Ledger): Promise<void> {
  await undoLedger(ledger);
  if (spec.net.mode === 'bridge') await (await import('./bridge.js')).leaveBridge(ledger).catch(() => undefined); // a no-op unless it had joined
  ledger.clear();
  removeContainerFiles(spec.id, spec.name);
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
