// The ledger: every kernel object nestbox creates on the host is written down *before or as* it is
// created, in a file per owner. Cleanup reads the ledger back and undoes each entry in reverse
// order, so a lab or container killed at any moment (SIGKILL included) leaves a list of exactly what
// to remove. Entries are appended with one write each, so a crash mid-way leaves a valid file.
//
// Where: a lab's ledger lives in /run/nestbox/ledger (its objects do not outlive a reboot, and
// neither does the ledger). A container's, and those of the objects containers share (the bridge,
// its rules), live beside the containers' state, in /var/lib/nestbox/ledger: a container runs for
// days, and a tmpfs cleaner or a hand that empties /run meanwhile must not make nestbox forget the
// cgroups and rules it still holds. After a reboot such a ledger lists objects that are gone;
// undoing an entry that is already gone is a no-op.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runDir, libDir } from './paths.js';
import { startTime } from '../kernel/proc.js';

export { startTime };

export type LedgerEntry =
  | { kind: 'owner'; pid: number; starttime: number; what: string }
  | { kind: 'process'; pid: number; starttime?: number; note?: string }
  | { kind: 'cgroup'; dirs: string[] }
  | { kind: 'mount'; target: string }
  | { kind: 'link'; name: string }
  | { kind: 'netns'; name: string }
  | { kind: 'iptables'; table: string; args: string[]; backend?: string }
  | { kind: 'chain'; table: string; chain: string; backend?: string }
  | { kind: 'sysctl'; path: string; value: string }
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string }
  /**
   * A nestbox container (by name or id), recorded before it is made: undone as `nestbox rm -f -v`
   * undoes it. A lab's containers outlive its processes (a stopped container keeps its directory
   * and name), so killing PID 1 is not enough to leave nothing behind.
   */
  | { kind: 'container'; ref: string };

function ledgerDir(): string {
  return join(runDir(), 'ledger');
}

function durableLedgerDir(): string {
  return join(libDir(), 'ledger');
}

/** Containers' ledgers (ctr-ID) and shared objects' (shared-KEY) are durable; the others live in /run. */
const isDurable = (owner: string) => owner.startsWith('ctr-') || owner.startsWith('shared-');

export class Ledger {
  readonly owner: string;
  readonly path: string;

  constructor(owner: string) {
    if (!/^[A-Za-z0-9_.-]+$/.test(owner)) throw new Error(`invalid ledger owner "${owner}"`);
    this.owner = owner;
    this.path = join(isDurable(owner) ? durableLedgerDir() : ledgerDir(), `${owner}.jsonl`);
  }

  /** Open a ledger owned by the calling process: `cleanup` leaves it alone while that process lives. */
  static forThisProcess(owner: string, what: string): Ledger {
    const ledger = new Ledger(owner);
    ledger.record({ kind: 'owner', pid: process.pid, starttime: startTime(process.pid) ?? 0, what });
    return ledger;
  }

  /**
   * Is the process that owns this ledger still running (same PID *and* same start time)? A ledger of
   * shared objects (src/net/shared.ts) lists one owner per user: it is alive while any of them is.
   */
  ownerAlive(): boolean {
    return this.entries().some((e) => e.kind === 'owner' && startTime(e.pid) === e.starttime);
  }

  record(entry: LedgerEntry): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    appendFileSync(this.path, JSON.stringify(entry) + '\n');
  }

  entries(): LedgerEntry[] {
    return readLedgerFile(this.path);
  }

  /** Whether anything is recorded (a ledger is removed once everything in it has been undone). */
  exists(): boolean {
    return existsSync(this.path);
  }

  /** Forget the ledger once everything in it has been undone. */
  clear(): void {
    rmSync(this.path, { force: true });
  }

  static owners(): string[] {
    return [ledgerDir(), durableLedgerDir()].flatMap((dir) => existsSync(dir) ? readdirSync(dir) : [])
      .filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6));
  }
}

export function readLedgerFile(path: string): LedgerEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut short by a crash: nothing was created after it
    }
  }
  return out;
}
