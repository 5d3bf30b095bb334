// When a container's PID 1 ends: the exit is recorded (code, signal, OOM kill read from the
// cgroup before it goes), then everything on the host that belonged to the running container is
// undone from its ledger (leftover processes, cgroup, rules, addresses). A container run with --rm
// also loses its directory and name.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Ledger } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { decodeWaitStatus, ExitStatus } from '../kernel/spawn.js';
import { load, updateState, paths, releaseName, containerCgroup } from './store.js';
import { removeAnonymousVolumes } from './volumes.js';
import { tellWaiters } from './exit-notice.js';

export async function finishContainer(id: string, exit: ExitStatus | undefined, ledger = new Ledger(`ctr-${id}`)): Promise<{ code: number; oomKilled: boolean }> {
  const code = exit ? exit.code : 137;
  let oomKilled = false;
  let c;
  try { c = load(id); } catch { /* removed meanwhile (rm -f): still release what it held */ }
  // A container removed at its end (--rm) keeps no state: its files go below (its ledger has its
  // directory), and its waiters (`nestbox wait`) learn the code from their pipes, now.
  if (c?.spec.autoRemove) tellWaiters(id, code);
  if (c && !c.spec.autoRemove) {
    try {
      if (c.state.Controllers?.includes('memory')) oomKilled = containerCgroup(c.id, c.state.Controllers).memoryEvents().oomKill > 0;
    } catch { /* no memory controller here */ }
    updateState(id, {
      Status: 'exited',
      ExitCode: code,
      OOMKilled: oomKilled,
      FinishedAt: new Date().toISOString(),
      Error: exit ? '' : 'its exit status was lost',
    });
  }
  // The ledger file stays until the bridge is left too: its disappearing is what `stop` and `rm`
  // wait for.
  const report = await undoLedger(ledger, { keepFile: true });
  // After the veth is gone: the last container on the bridge removes it.
  if (c?.spec.net.mode === 'bridge') {
    // Loaded only for a bridged container: the networking code is not on the path of the others.
    try { await (await import('./bridge.js')).leaveBridge(ledger); } catch (err) { report.failed.push((err as Error).message); }
  }
  if (!report.failed.length) ledger.clear();
  if (c?.spec.autoRemove) removeContainerFiles(id, c.spec.name);
  if (report.failed.length) throw new Error(`could not remove: ${report.failed.join('; ')} (run: sudo nestbox cleanup)`);
  return { code, oomKilled };
}

/** The exit status the monitor wrote (a raw wait status), for detached containers. */
export function readMonitorStatus(id: string): ExitStatus | undefined {
  const file = paths(id).exit;
  if (!existsSync(file)) return undefined;
  const raw = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(raw) && raw >= 0 ? decodeWaitStatus(raw) : undefined;
}

/**
 * A container's directory and name. Its anonymous volumes go too unless `keepAnonymousVolumes`
 * (`rm` without -v keeps them, as Docker does; --rm and a run that failed do not); named volumes
 * always stay.
 */
export function removeContainerFiles(id: string, name: string, keepAnonymousVolumes = false): void {
  releaseName(name, id);
  rmSync(paths(id).dir, { recursive: true, force: true });
  if (!keepAnonymousVolumes) removeAnonymousVolumes(id);
}
