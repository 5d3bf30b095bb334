// The LabContext a lab's steps receive: a ledger-backed way to create things, and its cleanup.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, startTime } from '../host/ledger.js';
import { undoLedger, CleanupReport } from '../host/cleanup.js';
import { labsWorkRoot } from '../host/paths.js';
import { run, runOk } from '../host/exec.js';
import { spawnInNamespaces } from '../kernel/spawn.js';
import { ensureDefaultRootfs } from '../rootfs/build.js';
import type { LabContext, Shown } from './types.js';

/** The engine runs every lab, whatever its state: the session holds any. */
export interface LabSession extends LabContext<any> {
  /** Lines said by the steps since the last take(). */
  takeSaid(): Shown[];
  /** Undo everything the ledger recorded (processes first), newest first. */
  cleanup(): Promise<CleanupReport>;
}

/** A short token unique on this host for the lab's lifetime: base-36 PID plus a random letter pair. */
function uniqueToken(): string {
  return (process.pid % 46656).toString(36) + Math.random().toString(36).slice(2, 4);
}

export function createLabContext(labId: string): LabSession {
  const unique = uniqueToken();
  const ledger = Ledger.forThisProcess(`lab-${labId}-${unique}`, `nestbox lab ${labId}`);
  const workDir = join(labsWorkRoot(), `${labId}-${unique}`);
  ledger.record({ kind: 'dir', path: workDir });
  mkdirSync(workDir, { recursive: true, mode: 0o755 });
  let said: Shown[] = [];
  return {
    labId,
    unique,
    state: {},
    ledger,
    workDir,
    rootfs: () => ensureDefaultRootfs(),
    async spawn(req, note) {
      const pid = await spawnInNamespaces(req);
      ledger.record({ kind: 'process', pid, starttime: startTime(pid), note });
      return pid;
    },
    exec: (file, args, input) => run(file, args, input),
    execOk: (file, args, input) => runOk(file, args, input),
    say: (line) => void said.push(line),
    takeSaid() {
      const out = said;
      said = [];
      return out;
    },
    cleanup: () => undoLedger(ledger),
  };
}
