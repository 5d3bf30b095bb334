// The ledger: every kernel object nestbox creates on the host is written down *before or as* it is
// created, in a file per owner under /run/nestbox/ledger/. Cleanup reads the ledger back and undoes
// each entry in reverse order, so a lab or container killed at any moment (SIGKILL included) leaves
// a list of exactly what to remove. Entries are appended with one write each, so a crash mid-way
// leaves a valid file.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './paths.js';
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
  | { kind: 'file'; path: string };

function ledgerDir(): string {
  return join(runDir(), 'ledger');
}

export class Ledger {
  readonly owner: string;
  readonly path: string;

  constructor(owner: string) {
    if (!/^[A-Za-z0-9_.-]+$/.test(owner)) throw new Error(`invalid ledger owner "${owner}"`);
    this.owner = owner;
    this.path = join(ledgerDir(), `${owner}.jsonl`);
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
    mkdirSync(ledgerDir(), { recursive: true, mode: 0o700 });
    appendFileSync(this.path, JSON.stringify(entry) + '\n');
  }

  entries(): LedgerEntry[] {
    return readLedgerFile(this.path);
  }

  /** Forget the ledger once everything in it has been undone. */
  clear(): void {
    rmSync(this.path, { force: true });
  }

  static owners(): string[] {
    if (!existsSync(ledgerDir())) return [];
    return readdirSync(ledgerDir()).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6));
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
