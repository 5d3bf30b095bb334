// Objects several nestbox processes share: the bridge nb0 with its MASQUERADE rule and NESTBOX
// chain (every container's), and the host-wide net.ipv4.ip_forward. Each is created by its first
// user and removed when its last user leaves, whichever process that is.
//
// The objects are written in a ledger of their own, "shared-KEY", which lists one `owner` line per
// user. The ledger counts as alive while any listed user runs, so `nestbox cleanup` leaves it alone;
// once every user is gone (even killed with SIGKILL), cleanup undoes it like any other. Joining and
// leaving happen under a lock (lock.ts), so two first users cannot both create, and a user leaving
// cannot remove what another has just joined.
import { renameSync, writeFileSync } from 'node:fs';
import { Ledger, LedgerEntry, startTime } from '../host/ledger.js';
import { undoLedger } from '../host/cleanup.js';
import { withLock } from '../host/lock.js';
import type { NetCtx } from './exec.js';

const sharedLedger = (key: string) => new Ledger(`shared-${key}`);

const userEntry = (user: Ledger): LedgerEntry => ({ kind: 'owner', pid: process.pid, starttime: startTime(process.pid) ?? 0, what: `user ${user.owner}` });

function liveUsers(shared: Ledger): LedgerEntry[] {
  return shared.entries().filter((e) => e.kind === 'owner' && startTime(e.pid) === e.starttime);
}

/**
 * Join the users of KEY. The first user (no live user listed) runs `setup`, which records what it
 * creates in the shared ledger; later users only add their name. Returns true when this call set up.
 */
export async function acquireShared(user: NetCtx, key: string, setup: (shared: NetCtx) => Promise<void>): Promise<boolean> {
  return withLock(`shared-${key}`, async () => {
    const shared = sharedLedger(key);
    if (liveUsers(shared).length) {
      shared.record(userEntry(user.ledger));
      return false;
    }
    // Nobody alive uses it: whatever an earlier, killed user left is undone before starting afresh.
    if (shared.entries().some((e) => e.kind !== 'owner')) await undoLedger(shared);
    shared.clear();
    shared.record(userEntry(user.ledger));
    try {
      await setup({ ledger: shared, trace: user.trace });
    } catch (err) {
      await undoLedger(shared);
      throw err;
    }
    return true;
  });
}

/**
 * Leave the users of KEY; the last one out undoes the shared ledger. Returns what was removed
 * (empty while others still use it).
 */
export async function releaseShared(user: NetCtx, key: string): Promise<string[]> {
  return withLock(`shared-${key}`, async () => {
    const shared = sharedLedger(key);
    const entries = shared.entries();
    const mine = entries.findIndex((e) => e.kind === 'owner' && e.what === `user ${user.ledger.owner}` && e.pid === process.pid);
    if (mine < 0) return [];
    const rest = entries.filter((_, i) => i !== mine);
    // Rewrite the ledger without this user, atomically (rename over the old file).
    writeFileSync(`${shared.path}.tmp`, rest.map((e) => JSON.stringify(e) + '\n').join(''));
    renameSync(`${shared.path}.tmp`, shared.path);
    if (liveUsers(shared).length) return [];
    const report = await undoLedger(shared);
    if (report.failed.length) throw new Error(`could not remove the shared ${key}: ${report.failed.join('; ')}`);
    return report.removed;
  });
}

/** Who uses KEY now (live users only). */
export function sharedUsers(key: string): string[] {
  return liveUsers(sharedLedger(key)).map((e) => (e as Extract<LedgerEntry, { kind: 'owner' }>).what.replace(/^user /, ''));
}
