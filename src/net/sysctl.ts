// Kernel network settings under /proc/sys/net (what `sysctl -w` writes). Changing one records the
// old value in the ledger first, so cleanup puts it back even after a crash.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { NetCtx } from './exec.js';

export const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
/** Set when br_netfilter is loaded: frames switched inside a bridge then pass through iptables too. */
export const BRIDGE_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/** Per-interface: may packets with a 127.0.0.0/8 address be routed through DEV? (default 0: dropped as martians) */
export const routeLocalnet = (dev: string) => `/proc/sys/net/ipv4/conf/${dev}/route_localnet`;

export function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The `sysctl` name of a /proc/sys path ("net.ipv4.ip_forward"). */
function sysctlName(path: string): string {
  return path.replace(/^\/proc\/sys\//, '').replace(/\//g, '.');
}

/** Write a setting, recording the old value first; nothing is recorded or written when it already holds `value`. */
export function setSysctl(net: NetCtx, path: string, value: string): { old: string; changed: boolean } {
  if (!existsSync(path)) throw new Error(`${path} does not exist on this kernel`);
  const old = readSysctl(path)!;
  if (old === value) return { old, changed: false };
  net.ledger.record({ kind: 'sysctl', path, value: old });
  net.trace?.(`sysctl -w ${sysctlName(path)}=${value}`);
  writeFileSync(path, value);
  return { old, changed: true };
}
