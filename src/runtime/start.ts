// Starting a container in the background: `run -d`, `start`, `restart`. The nestbox the user runs
// starts a second one (the creator, src/runtime/monitor.ts) in a session of its own, waits for its
// one-line report, and returns; the creator has become the container's monitor by then.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { EXIT_RUNTIME } from './spec.js';
import { findContainer, updateState, setStoppedByUser, type Container } from './store.js';
import type { StartOptions, StartReport } from './monitor.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { childProcess } from '../host/exec.js';
import { nestboxBin } from '../host/paths.js';

const BIN = nestboxBin();

/** Start the container `id` in the background; throws with the creator's own error (and exit code). */
export async function startInBackground(id: string, opts: StartOptions = {}): Promise<void> {
  const args = ['--', BIN, 'internal', 'start', id];
  if (opts.waitForClient) args.push('--wait-for-client', String(opts.waitForClient));
  if (opts.discardOnFailure) args.push('--discard-on-failure');
  const child = childProcess().spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const report = JSON.parse(line) as StartReport;
  if (report.error) throw new UserError(report.error, report.code ?? EXIT_RUNTIME);
  // The creator closes its end of the pipes a moment before it execs the monitor: return once it
  // has, so whoever looks next (ps, a lab's check) finds perl waiting for PID 1, not nestbox.
  await monitorInPlace(child.pid!);
  // --trace: the steps were printed by the creator; pass them on.
  if (process.env.NESTBOX_TRACE) process.stderr.write(err);
}

async function monitorInPlace(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    let comm: string;
    try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return; } // gone
    if (comm !== 'node' && comm !== 'nestbox') return;
    await sleep(2);
  }
}

/**
 * `nestbox start`: a created or exited container runs again, with its writable layer as it was
 * left (files it changed are still changed) and its name, log and settings. Started by a person, it
 * is no longer "stopped by hand" and its restart count starts again from 0.
 */
export async function startContainer(ref: string, opts: StartOptions = {}): Promise<Container> {
  const c = findContainer(ref);
  if (c.state.Status === 'running' || c.state.Status === 'paused') return c; // as Docker: nothing to do
  if (c.state.Status === 'restarting') throw new UserError(`container ${c.spec.name} is restarting: wait for it, or stop it first`, 1);
  setStoppedByUser(c.id, false);
  updateState(c.id, { RestartCount: 0, RestartDelayMs: undefined });
  await startInBackground(c.id, opts);
  return c;
}
