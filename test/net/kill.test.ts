// A network lab killed with SIGKILL in the middle leaves its links, namespaces, rules and settings
// behind; `nestbox cleanup` removes every one of them from the lab's ledger. The test holds a ledger
// of its own while cleanup runs, so cleanup's sweep by name stays off: what is checked is that the
// ledger alone accounts for everything (and nobody else's nb* objects are touched).
import * as assert from 'uvu/assert';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { kernelSuite, tempDir, patience } from '../helpers.js';
import { Ledger, readLedgerFile, LedgerEntry } from '../../src/host/ledger.js';
import { isAlive } from '../../src/kernel/proc.js';

const test = kernelSuite('network lab killed with SIGKILL');
const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ipt = (table: string) => spawnSync('iptables', ['-w', '-t', table, '-S'], { encoding: 'utf8' }).stdout;
const netnsList = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);

/** Start `nestbox lab start ID --yes --pace 1000`; wait until `ready(entries, unique)` holds for its ledger. */
async function startAndWait(id: string, state: string, ready: (entries: LedgerEntry[], unique: string) => boolean): Promise<{ child: ChildProcess; ledger: Ledger; unique: string }> {
  const child = spawn(process.execPath, [bin, 'lab', 'start', id, '--yes', '--pace', '1000'], { env: { ...process.env, NESTBOX_STATE_DIR: state }, stdio: 'ignore' });
  const until = Date.now() + patience(15_000);
  while (Date.now() < until) {
    await sleep(50);
    const owner = Ledger.owners().find((o) => o.startsWith(`lab-${id}-`) && new Ledger(o).entries().some((e) => e.kind === 'owner' && e.pid === child.pid));
    if (!owner) continue;
    const ledger = new Ledger(owner);
    const unique = owner.slice(`lab-${id}-`.length);
    if (ready(ledger.entries(), unique)) return { child, ledger, unique };
  }
  // Whatever it made so far goes with it: the next tests (and the host) must not inherit it.
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  spawnSync(process.execPath, [bin, 'cleanup'], { stdio: 'ignore' });
  throw new Error(`lab ${id} did not get far enough`);
}

/** Kill the lab, check its objects outlived it, run `nestbox cleanup` (sweep held off), return its output. */
async function killAndCleanup(child: ChildProcess, ledger: Ledger, leftBehind: () => void): Promise<string> {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(ledger.path), 'the killed lab left its ledger');
  leftBehind();
  const guard = Ledger.forThisProcess(`test-net-kill-guard-${process.pid}`, 'keeps cleanup from sweeping by name');
  try {
    const r = spawnSync(process.execPath, [bin, 'cleanup'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.is(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
  } finally {
    guard.clear();
  }
}

test('bridge: links, namespaces, the FORWARD rule and the servers are removed by cleanup', async () => {
  const state = tempDir();
  let child: ChildProcess | undefined;
  try {
    const started = await startAndWait('bridge', state.path, (entries, unique) =>
      entries.some((e) => e.kind === 'iptables') && ipt('filter').includes(`nestbox lab bridge ${unique}`));
    child = started.child;
    const { ledger, unique } = started;
    const entries = readLedgerFile(ledger.path);
    const links = entries.filter((e) => e.kind === 'link').map((e) => (e as { name: string }).name);
    const namespaces = entries.filter((e) => e.kind === 'netns').map((e) => (e as { name: string }).name);
    const pids = entries.filter((e) => e.kind === 'process').map((e) => (e as { pid: number }).pid);
    assert.ok(links.includes(`nbbr${unique}`) && links.length === 4, links.join(' '));
    assert.is(namespaces.length, 3);
    assert.ok(links.every(linkExists), 'the links exist');
    assert.ok(namespaces.every((n) => netnsList().includes(n)), 'the namespaces exist');
    assert.ok(pids.length === 3 && pids.every(isAlive), 'the echo servers run');

    const out = await killAndCleanup(child, ledger, () => {
      assert.ok(links.every(linkExists), 'the links outlived the lab');
      assert.ok(namespaces.every((n) => netnsList().includes(n)), 'and the namespaces');
      assert.ok(ipt('filter').includes(`nestbox lab bridge ${unique}`), 'and the rule');
    });
    assert.match(out, new RegExp(`removed link nbbr${unique}`));
    assert.not.ok(links.some(linkExists), 'cleanup removed the links');
    assert.not.ok(namespaces.some((n) => netnsList().includes(n)), 'and the namespaces');
    assert.not.ok(ipt('filter').includes(`nestbox lab bridge ${unique}`), 'and the FORWARD rule');
    await sleep(50);
    assert.not.ok(pids.some(isAlive), 'and the servers');
    assert.not.ok(existsSync(ledger.path), 'and emptied the ledger');
  } finally {
    try { child?.kill('SIGKILL'); } catch { /* gone */ }
    state.remove();
  }
});

test('nat: ip_forward, held for the killed lab, is restored; its rules and links go', async () => {
  const state = tempDir();
  const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  let child: ChildProcess | undefined;
  try {
    const started = await startAndWait('nat', state.path, (_, unique) =>
      new Ledger('shared-ip_forward').entries().some((e) => e.kind === 'owner' && e.what === `user lab-nat-${unique}`)
      && readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1');
    child = started.child;
    const { ledger, unique } = started;
    assert.ok(linkExists(`nbbr${unique}`) && linkExists(`nbvo${unique}`));
    assert.ok(ipt('filter').includes(`nestbox lab nat ${unique}`));

    const out = await killAndCleanup(child, ledger, () => {
      assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1', 'ip_forward stays on after the kill');
    });
    assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), forwardBefore, out);
    assert.not.ok(existsSync(new Ledger('shared-ip_forward').path), 'the shared ledger is gone');
    assert.not.ok(linkExists(`nbbr${unique}`) || linkExists(`nbvo${unique}`));
    assert.not.ok(netnsList().some((n) => n.endsWith(unique)));
    assert.not.ok(ipt('filter').includes(`nestbox lab nat ${unique}`));
    assert.not.ok(existsSync(ledger.path));
  } finally {
    try { child?.kill('SIGKILL'); } catch { /* gone */ }
    state.remove();
  }
});

test.run();
