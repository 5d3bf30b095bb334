// A Linux bridge: a software layer-2 switch inside the kernel (Docker's docker0, nestbox's nb0).
// Interfaces "attached" to it become its ports; it learns which MAC address sits behind which port
// from the source address of every frame it receives (its forwarding database, the fdb), and
// forwards frames only to the right port, flooding when it does not know yet.
import { readdirSync } from 'node:fs';
import { NetCtx, Netns, ip, runArgvOk } from './exec.js';
import { parseFdb, FdbEntry } from './parse.js';
import { checkIfName } from './link.js';

/** `ip link add NAME type bridge` (what `brctl addbr` did); the ledger records it first. */
export async function createBridge(net: NetCtx, name: string): Promise<void> {
  checkIfName(name);
  net.ledger.record({ kind: 'link', name });
  await ip('host', ['link', 'add', 'name', name, 'type', 'bridge'], net.trace);
}

/** `ip link set DEV master BRIDGE` (what `brctl addif` did): DEV becomes a port of the bridge. */
export async function attach(net: NetCtx, dev: string, bridge: string, ns: Netns = 'host'): Promise<void> {
  await ip(ns, ['link', 'set', 'dev', dev, 'master', bridge], net.trace);
}

/** The bridge's ports as sysfs lists them: /sys/class/net/BRIDGE/brif/ has one entry per port. */
export function bridgePorts(bridge: string): string[] {
  try {
    return readdirSync(`/sys/class/net/${bridge}/brif`).sort();
  } catch {
    return [];
  }
}


/**
 * The bridge's forwarding database (`bridge -json fdb show br BRIDGE`): learned entries (a MAC seen
 * as a frame's source on a port) and the bridge's own permanent ones.
 */
export async function fdb(bridge: string): Promise<FdbEntry[]> {
  const out = await runArgvOk(['bridge', '-json', 'fdb', 'show', 'br', bridge]);
  return parseFdb(out.trim() ? JSON.parse(out) : [], bridge);
}
