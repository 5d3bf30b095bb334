// Undo what a ledger recorded, newest first, and sweep the host for objects named by nestbox's
// rules that no ledger accounts for (a ledger can be lost, e.g. /run/nestbox removed by hand).
import { existsSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, LedgerEntry, startTime } from './ledger.js';
import { run, which } from './exec.js';
import { umount2 } from '../kernel/syscalls.js';
import { tryReap } from '../kernel/reap.js';
import { MNT_DETACH } from '../kernel/constants.js';
import { mountTable } from '../kernel/proc.js';
import { removeCgroupDirs, CGROUP_PARENT } from '../kernel/cgroup.js';
import { detectCgroupLayout } from '../kernel/cgroup-layout.js';
import { LINK_PREFIX, CHAIN_PREFIX, runDir, libDir, labsWorkRoot } from './paths.js';
import { splitRule, shellQuote } from './shell-words.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CleanupReport { removed: string[]; failed: string[] }

/** Undo one ledger's entries in reverse order; keeps going past failures and reports them. */
export async function undoLedger(ledger: Ledger, opts: { keepFile?: boolean } = {}): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], failed: [] };
  const entries = ledger.entries().reverse();
  // Processes first, whatever their place: nothing else can be removed while they hold it.
  const ordered = [...entries.filter((e) => e.kind === 'process'), ...entries.filter((e) => e.kind !== 'process')];
  for (const entry of ordered) {
    try {
      const what = await undo(entry);
      if (what) report.removed.push(what);
    } catch (err) {
      report.failed.push(`${describe(entry)}: ${(err as Error).message}`);
    }
  }
  if (!report.failed.length && !opts.keepFile) ledger.clear();
  return report;
}

function describe(e: LedgerEntry): string {
  switch (e.kind) {
    case 'owner': return `owner ${e.pid}`;
    case 'process': return `process ${e.pid}`;
    case 'cgroup': return `cgroup ${e.dirs[0]}`;
    case 'mount': return `mount ${e.target}`;
    case 'link': return `link ${e.name}`;
    case 'netns': return `netns ${e.name}`;
    // Quoted as a shell would need it: the line can be pasted back (with -A) to recreate the rule.
    case 'iptables': return `iptables -t ${e.table} -A ${e.args.map(shellQuote).join(' ')}`;
    case 'chain': return `iptables chain ${e.chain}`;
    case 'sysctl': return `sysctl ${e.path}`;
    case 'dir': return `directory ${e.path}`;
    case 'file': return `file ${e.path}`;
    case 'container': return `container ${e.ref}`;
  }
}

async function undo(e: LedgerEntry): Promise<string | undefined> {
  switch (e.kind) {
    case 'owner':
      return undefined;
    case 'process': {
      // Only the process we started: a recycled PID has another start time.
      if (e.starttime !== undefined && startTime(e.pid) !== e.starttime) return undefined;
      if (startTime(e.pid) === undefined) return undefined;
      try { process.kill(e.pid, 'SIGKILL'); } catch { return undefined; }
      // A child of this process stays a zombie (same start time) until reaped: reap it here.
      for (let i = 0; i < 200 && startTime(e.pid) === e.starttime; i++) {
        if (tryReap(e.pid) !== 'running' && startTime(e.pid) !== e.starttime) break;
        await sleep(5);
      }
      return describe(e);
    }
    case 'cgroup': {
      const live = e.dirs.filter((d) => existsSync(d));
      if (!live.length) return undefined;
      for (let i = 0; i < 300; i++) {
        // Never this process: it may be inside for a moment, making the container's first process there.
        const pids = live.flatMap((d) => readPids(d)).filter((p) => p !== process.pid);
        if (!pids.length) break;
        for (const d of live) thawV1(d);
        for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
        await sleep(10);
      }
      removeCgroupDirs(live);
      return describe(e);
    }
    case 'mount': {
      if (!mountTable().some((m) => m.mountPoint === e.target)) return undefined;
      umount2(e.target, MNT_DETACH);
      return describe(e);
    }
    case 'link': {
      const r = await run('ip', ['link', 'del', e.name]);
      return r.code === 0 ? describe(e) : undefined;
    }
    case 'netns': {
      const r = await run('ip', ['netns', 'del', e.name]);
      return r.code === 0 ? describe(e) : undefined;
    }
    case 'iptables': {
      const bin = e.backend ?? 'iptables';
      const present = await run(bin, ['-w', '-t', e.table, '-C', ...e.args]);
      if (present.code !== 0) return undefined;
      const r = await run(bin, ['-w', '-t', e.table, '-D', ...e.args]);
      if (r.code !== 0) throw new Error(r.stderr.trim());
      return describe(e);
    }
    case 'chain': {
      const bin = e.backend ?? 'iptables';
      if ((await run(bin, ['-w', '-t', e.table, '-L', e.chain, '-n'])).code !== 0) return undefined;
      await run(bin, ['-w', '-t', e.table, '-F', e.chain]);
      const r = await run(bin, ['-w', '-t', e.table, '-X', e.chain]);
      if (r.code !== 0) throw new Error(r.stderr.trim());
      return describe(e);
    }
    case 'sysctl': {
      if (readFileSync(e.path, 'utf8').trim() === e.value) return undefined;
      writeFileSync(e.path, e.value);
      return `${describe(e)} restored to ${e.value}`;
    }
    case 'dir':
    case 'file': {
      if (!existsSync(e.path)) return undefined;
      rmSync(e.path, { recursive: true, force: true });
      return describe(e);
    }
    case 'container': {
      // As `nestbox rm -f -v`: stopped (its monitor records the end and releases its cgroup and
      // network), then its directory, name and anonymous volumes go. Loaded only when one is recorded.
      const { removeContainer } = await import('../runtime/lifecycle.js');
      const { NoSuchContainer } = await import('../runtime/store.js');
      try {
        await removeContainer(e.ref, true, true);
      } catch (err) {
        if (err instanceof NoSuchContainer) return undefined; // removed already (by the lab, or by hand)
        throw err;
      }
      return describe(e);
    }
  }
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function thawV1(dir: string): void {
  const f = join(dir, 'freezer.state');
  try { if (readFileSync(f, 'utf8').trim() !== 'THAWED') writeFileSync(f, 'THAWED'); } catch { /* not a freezer dir */ }
  const g = join(dir, 'cgroup.freeze');
  try { if (readFileSync(g, 'utf8').trim() !== '0') writeFileSync(g, '0'); } catch { /* not v2 */ }
}


/**
 * Undo every ledger whose owner is gone, then sweep by the naming rules. Ledgers of a running
 * lab or command are left alone unless `force`.
 */
export async function cleanupHost(opts: { force?: boolean; sweep?: boolean } = {}): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], failed: [] };
  for (const owner of Ledger.owners()) {
    const ledger = new Ledger(owner);
    if (!opts.force && ledger.ownerAlive()) continue;
    const r = await undoLedger(ledger);
    report.removed.push(...r.removed);
    report.failed.push(...r.failed);
  }
  if (opts.sweep !== false) {
    const r = await sweepByName(opts.force ?? false);
    report.removed.push(...r.removed);
    report.failed.push(...r.failed);
  }
  return report;
}

function unledgeredLabDirs(): string[] {
  const root = labsWorkRoot();
  if (!existsSync(root)) return [];
  const named = new Set(Ledger.owners().flatMap((o) => new Ledger(o).entries()).flatMap((e) => (e.kind === 'dir' ? [e.path] : [])));
  // Never one with a mount inside: removing it would reach into the mounted filesystem.
  const mounts = mountTable().map((m) => m.mountPoint);
  return readdirSync(root).map((d) => join(root, d))
    .filter((d) => !named.has(d) && !mounts.some((m) => m === d || m.startsWith(d + '/')));
}

/** Objects named by nestbox's rules but in no ledger (skipped when any ledger still has a live owner). */
async function sweepByName(force: boolean): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], failed: [] };
  const tryUndo = async (e: LedgerEntry) => {
    try {
      const what = await undo(e);
      if (what) report.removed.push(what);
    } catch (err) {
      report.failed.push(`${describe(e)}: ${(err as Error).message}`);
    }
  };
  // Lab work directories outlive a reboot (they are in /var/lib, the ledgers in /run): one that no
  // ledger names is nobody's, whatever else is running (a lab records its directory before making it).
  for (const path of unledgeredLabDirs()) await tryUndo({ kind: 'dir', path });
  const liveOwners = Ledger.owners().map((o) => new Ledger(o)).filter((l) => l.ownerAlive());
  if (liveOwners.length && !force) return report;
  // mounts under nestbox's own directories, deepest first
  const mine = [runDir(), libDir()];
  const mounts = mountTable().filter((m) => mine.some((d) => m.mountPoint.startsWith(d + '/'))).map((m) => m.mountPoint);
  for (const target of [...new Set(mounts)].sort((a, b) => b.length - a.length)) await tryUndo({ kind: 'mount', target });
  // network namespaces and links
  const ns = await run('ip', ['netns', 'list']);
  for (const line of ns.stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (name && (name.startsWith(LINK_PREFIX) || name.includes('nestbox'))) await tryUndo({ kind: 'netns', name });
  }
  const links = await run('ip', ['-o', 'link', 'show']);
  for (const line of links.stdout.split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0];
    if (name && name.startsWith(LINK_PREFIX)) await tryUndo({ kind: 'link', name });
  }
  // iptables rules and chains
  // Both front-ends: rules made through one backend are invisible to the other.
  for (const bin of ['iptables', 'iptables-legacy', 'iptables-nft'].filter((b) => which(b))) {
    for (const table of ['nat', 'filter', 'mangle', 'raw']) {
      const rules = await run(bin, ['-w', '-t', table, '-S']);
      if (rules.code !== 0) continue;
      const lines = rules.stdout.split('\n');
      for (const line of lines) {
        if (!line.startsWith('-A ') || !line.includes(CHAIN_PREFIX) && !line.toLowerCase().includes('nestbox')) continue;
        const args = splitRule(line.slice(3));
        const chain = args[0];
        if (chain.includes(CHAIN_PREFIX)) continue; // whole chain goes below
        await tryUndo({ kind: 'iptables', table, args, backend: bin });
      }
      for (const line of lines) {
        const m = /^-N (\S*NESTBOX\S*)/.exec(line);
        if (m) await tryUndo({ kind: 'chain', table, chain: m[1], backend: bin });
      }
    }
  }
  // cgroups under every "nestbox" parent
  const layout = detectCgroupLayout();
  const parents = new Set<string>();
  if (layout.v2Root) parents.add(join(layout.v2Root, CGROUP_PARENT));
  for (const m of layout.v1Mounts) parents.add(join(m.path, CGROUP_PARENT));
  for (const parent of parents) {
    if (!existsSync(parent)) continue;
    const children = readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(parent, d.name));
    if (children.length) await tryUndo({ kind: 'cgroup', dirs: children });
  }
  return report;
}
