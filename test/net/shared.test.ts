// src/net's shared objects on the real kernel: the O_EXCL lock, the address pool under 20 concurrent
// processes, and a bridge network joined by two users, created by the first and removed by the last.
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite } from '../helpers.js';
import { Ledger } from '../../src/host/ledger.js';
import { undoLedger } from '../../src/host/cleanup.js';
import { withLock, lockDir } from '../../src/host/lock.js';
import { AddressPool, reserveSubnet } from '../../src/net/pool.js';
import { joinBridgeNetwork, leaveBridgeNetwork, connect, publish } from '../../src/net/network.js';
import { sharedUsers } from '../../src/net/shared.js';
import { link, routes } from '../../src/net/link.js';
import { listSpecs } from '../../src/net/iptables.js';
import { readSysctl, IP_FORWARD } from '../../src/net/sysctl.js';
import { spawnInNamespaces, baseEnv, waitForExit } from '../../src/kernel/spawn.js';
import { CLONE_NEWNET } from '../../src/kernel/constants.js';

const test = kernelSuite('net shared objects');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 4)}`;

test('the lock lets one task in at a time, and takes over a lock left by a dead process', async () => {
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 10 }, () => withLock(`test-${tag}`, async () => {
    inside++;
    most = Math.max(most, inside);
    await sleep(2);
    inside--;
  })));
  assert.is(most, 1);
  mkdirSync(lockDir(), { recursive: true });
  writeFileSync(join(lockDir(), `stale-${tag}.lock`), '999999999 1 1'); // no such process
  const t0 = Date.now();
  assert.is(await withLock(`stale-${tag}`, () => 'got it', 2000), 'got it');
  assert.ok(Date.now() - t0 < 1000);
  assert.not.ok(existsSync(join(lockDir(), `stale-${tag}.lock`)));
});

test('20 processes take addresses from one pool at once: 20 different addresses', async () => {
  const owner = Ledger.forThisProcess(`test-pool-${tag}`, 'net shared test');
  const subnet = await reserveSubnet({ ledger: owner });
  const pool = new AddressPool(subnet);
  const poolUrl = new URL('../../src/net/pool.js', import.meta.url).href;
  const ledgerUrl = new URL('../../src/host/ledger.js', import.meta.url).href;
  const script = `const { AddressPool } = await import(${JSON.stringify(poolUrl)}); const { Ledger } = await import(${JSON.stringify(ledgerUrl)});
    const l = new Ledger('test-pool-child-' + process.pid); console.log(new AddressPool(${JSON.stringify(subnet)}).allocate({ ledger: l }) + ' ' + l.owner);`;
  const lines = await Promise.all(Array.from({ length: 20 }, () => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}`))));
  })));
  // Each child's ledger holds its claim, as a container's would while it runs.
  const results = lines.map((l) => l.split(' ')[0]);
  const childLedgers = lines.map((l) => new Ledger(l.split(' ')[1]));
  try {
    assert.is(new Set(results).size, 20, results.join(' '));
    assert.ok(results.every((a) => a !== pool.gateway && a.startsWith(subnet.split('.').slice(0, 3).join('.') + '.')));
    assert.is(pool.taken().length, 20);
  } finally {
    for (const l of childLedgers) await undoLedger(l);
    await undoLedger(owner);
  }
  assert.is(pool.taken().length, 0);
});

test('a shared bridge network: created by the first user, kept while another uses it, removed by the last', async () => {
  const bridge = `nbt${tag}`.slice(0, 15);
  const chain = `NESTBOX-T${tag}`;
  const forwardBefore = readSysctl(IP_FORWARD);
  const alice = { ledger: Ledger.forThisProcess(`test-alice-${tag}`, 'net shared test') };
  const bob = { ledger: Ledger.forThisProcess(`test-bob-${tag}`, 'net shared test') };
  let box = 0;
  try {
    const [a, b] = await Promise.all([joinBridgeNetwork(alice, bridge, chain), joinBridgeNetwork(bob, bridge, chain)]);
    assert.equal(a, b, 'both users see the same network');
    assert.is(sharedUsers(`network-${bridge}`).length, 2);
    assert.is((await link('host', bridge))?.kind, 'bridge');
    assert.is(readSysctl(IP_FORWARD), '1');
    const nat = await listSpecs('nat');
    assert.ok(nat.chains.includes(chain));
    assert.ok(nat.rules.some((r) => r.chain === 'POSTROUTING' && r.args.includes(a.subnet) && r.args.includes('MASQUERADE')));

    // A container: a process in a network namespace of its own, wired up by PID.
    box = await spawnInNamespaces({ argv: ['/bin/sleep', '30'], env: baseEnv(), unshare: CLONE_NEWNET });
    const att = await connect(alice, a, { pid: box }, `nbtc${tag}`.slice(0, 15));
    const eth0 = await link({ pid: box }, 'eth0');
    assert.equal(eth0?.inet, [att.cidr]);
    assert.is((await routes({ pid: box })).find((r) => r.dst === 'default')?.gateway, a.gateway);
    assert.is((await link('host', att.hostEnd))?.master, bridge);
    await publish(alice, a, 18999, att.address, 80);
    assert.ok((await listSpecs('nat', chain)).rules.some((r) => r.args.includes(`${att.address}:80`)));

    // Alice leaves (her own objects go with her ledger): the network stays for Bob.
    assert.equal(await leaveBridgeNetwork(alice, bridge), []);
    await undoLedger(alice.ledger);
    assert.is((await link('host', bridge))?.kind, 'bridge');
    assert.not.ok((await listSpecs('nat', chain)).rules.some((r) => r.args.includes(`${att.address}:80`)), "alice's published port is gone");
    assert.is(readSysctl(IP_FORWARD), '1');
    // Bob is the last: everything shared goes, and ip_forward is restored.
    const removed = await leaveBridgeNetwork(bob, bridge);
    assert.ok(removed.includes(`link ${bridge}`), removed.join(', '));
    assert.is(await link('host', bridge), undefined);
    assert.not.ok((await listSpecs('nat')).chains.includes(chain));
    assert.is(readSysctl(IP_FORWARD), forwardBefore);
    assert.not.ok(existsSync(new Ledger(`shared-network-${bridge}`).path), 'the shared ledger is gone');
  } finally {
    if (box) { process.kill(box, 'SIGKILL'); await waitForExit(box); }
    for (const user of [alice, bob]) await leaveBridgeNetwork(user, bridge).catch(() => undefined);
    await undoLedger(alice.ledger);
    await undoLedger(bob.ledger);
  }
});

test('a user killed without leaving: the next first user undoes what was left, then starts afresh', async () => {
  const bridge = `nbs${tag}`.slice(0, 15);
  const chain = `NESTBOX-S${tag}`;
  const ghost = { ledger: new Ledger(`test-ghost-${tag}`) };
  const carol = { ledger: Ledger.forThisProcess(`test-carol-${tag}`, 'net shared test') };
  try {
    await joinBridgeNetwork(ghost, bridge, chain);
    // Make the ghost look dead: its owner line names a PID with another start time.
    for (const key of [`network-${bridge}`, 'ip_forward']) {
      const shared = new Ledger(`shared-${key}`);
      const text = readFileSync(shared.path, 'utf8').replace(/"pid":\d+,"starttime":\d+,"what":"user test-ghost/g, '"pid":1,"starttime":1,"what":"user test-ghost');
      writeFileSync(shared.path, text);
    }
    assert.is(sharedUsers(`network-${bridge}`).length, 0, 'nobody alive uses it');
    assert.not.ok(new Ledger(`shared-network-${bridge}`).ownerAlive(), 'so `nestbox cleanup` would undo it');
    const net = await joinBridgeNetwork(carol, bridge, chain);
    assert.is((await link('host', bridge))?.inet.join(), `${net.gateway}/24`);
    assert.equal(sharedUsers(`network-${bridge}`), [`test-carol-${tag}`]);
    await leaveBridgeNetwork(carol, bridge);
    assert.is(await link('host', bridge), undefined);
  } finally {
    await leaveBridgeNetwork(carol, bridge).catch(() => undefined);
    await undoLedger(carol.ledger);
    ghost.ledger.clear();
  }
});

test.run();
