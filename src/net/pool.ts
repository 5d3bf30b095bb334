// Handing out subnets and addresses without collisions, between any number of nestbox processes.
// Each subnet or address taken is a file created with O_EXCL under the run directory: the kernel
// lets exactly one creator win, so 20 containers starting at once still get 20 distinct addresses.
// A file is created first and written in the ledger right after (it is the only object here that
// must not be recorded before it exists: a record of a file that another process won would make
// cleanup delete *its* reservation). A claim is freed only by its owner's ledger, at its cleanup;
// the files live in /run, so a reboot frees everything. What the host routes is never handed out.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from '../host/paths.js';
import { UserError } from '../errors.js';
import { startTime } from '../host/ledger.js';
import type { NetCtx } from './exec.js';
import { usedPrefixes } from './link.js';
import { parseCidr, formatCidr, overlaps, nthAddress, hostCount, Cidr } from './ipv4.js';
import { parseListeningPorts } from './parse.js';

export function poolDir(): string {
  return join(runDir(), 'net');
}

/** Where nestbox looks for free /24 subnets: 10.213.0.0/16 .. 10.219.0.0/16, a /24 at a time. */
export function* subnetCandidates(firstOctet2 = 213, lastOctet2 = 219): Generator<string> {
  for (let b = firstOctet2; b <= lastOctet2; b++) for (let c = 0; c < 256; c++) yield `10.${b}.${c}.0/24`;
}

/** Create `path` only if it does not exist; true when this call created it. */
function claim(path: string, owner: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try { writeSync(fd, owner); } finally { closeSync(fd); }
  return true;
}

/** The owner written in a claim file: "PID STARTTIME LEDGER". */
const claimText = (net: NetCtx) => `${process.pid} ${startTime(process.pid) ?? 0} ${net.ledger.owner}\n`;

function readdirSafe(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/**
 * Reserve a /24 that overlaps no route or address on the host and no other nestbox reservation.
 * The check of the routing table happens now: a subnet added to the host later is the admin's call.
 */
export async function reserveSubnet(net: NetCtx, candidates: Iterable<string> = subnetCandidates()): Promise<string> {
  const dir = join(poolDir(), 'subnets');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const used = (await usedPrefixes()).map(parseCidr);
  for (const candidate of candidates) {
    const c = parseCidr(candidate);
    if (used.some((u) => u.prefix > 0 && overlaps(u, c))) continue;
    const file = join(dir, formatCidr(c).replace('/', '_'));
    if (!claim(file, claimText(net))) continue;
    net.ledger.record({ kind: 'file', path: file });
    return formatCidr(c);
  }
  throw new Error('no free /24 subnet left in 10.213.0.0-10.219.255.0: remove unused networks or run `nestbox cleanup`');
}

/**
 * An address pool over one subnet: host number 1 is the gateway (the bridge's own address), the
 * others go to whoever asks first. One file per address taken, under net/pools/SUBNET/.
 */
export class AddressPool {
  readonly subnet: Cidr;
  readonly dir: string;

  constructor(subnet: string) {
    this.subnet = parseCidr(subnet);
    this.dir = join(poolDir(), 'pools', formatCidr(this.subnet).replace('/', '_'));
  }

  /** The gateway: the first usable address, given to the bridge. */
  get gateway(): string {
    return nthAddress(this.subnet, 1);
  }

  /** `ADDR/PREFIX` for an address of this subnet. */
  cidr(address: string): string {
    return `${address}/${this.subnet.prefix}`;
  }

  /** Take the lowest free address (2, 3, ...). O_EXCL makes concurrent callers skip each other's. */
  allocate(net: NetCtx): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    for (let n = 2; n <= hostCount(this.subnet); n++) {
      const address = nthAddress(this.subnet, n);
      const file = join(this.dir, address);
      if (!claim(file, claimText(net))) continue;
      net.ledger.record({ kind: 'file', path: file });
      return address;
    }
    throw new Error(`the pool ${formatCidr(this.subnet)} is full`);
  }

  /** Give an address back at once (the ledger would also remove the file at cleanup). */
  release(address: string): void {
    rmSync(join(this.dir, address), { force: true });
  }

  /** Addresses taken right now. */
  taken(): string[] {
    return readdirSafe(this.dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  }
}

/** TCP ports something listens on in the host's namespace right now (/proc/self/net/tcp and tcp6). */
export function listeningPorts(): number[] {
  const text = ['tcp', 'tcp6'].map((f) => { try { return readFileSync(`/proc/self/net/${f}`, 'utf8'); } catch { return ''; } }).join('\n');
  return parseListeningPorts(text);
}

/**
 * Claim one given host port for publishing (`-p 8080:80`): false when another nestbox user has
 * published it already or a program on the host listens on it.
 */
export function claimHostPort(net: NetCtx, port: number, proto: 'tcp' | 'udp' = 'tcp'): { result: 'ok' | 'listening' } | { result: 'published'; by: string } {
  const dir = join(poolDir(), 'ports');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (proto === 'tcp' && listeningPorts().includes(port)) return { result: 'listening' };
  const file = join(dir, portFile(port, proto));
  if (!claim(file, claimText(net))) {
    // The claim names its owner's ledger ("PID STARTTIME LEDGER").
    let by = '';
    try { by = readFileSync(file, 'utf8').trim().split(' ')[2] ?? ''; } catch { /* released meanwhile */ }
    return { result: 'published', by };
  }
  net.ledger.record({ kind: 'file', path: file });
  return { result: 'ok' };
}

const portFile = (port: number, proto: 'tcp' | 'udp') => (proto === 'tcp' ? String(port) : `${port}-udp`);

/**
 * A host port to publish: nothing listens on it, and no other nestbox user has published it (two
 * DNAT rules for one port would send every connection to whichever rule comes first).
 */
export function reserveHostPort(net: NetCtx, first = 18080, last = 18999, proto: 'tcp' | 'udp' = 'tcp'): number {
  const dir = join(poolDir(), 'ports');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const busy = new Set(proto === 'tcp' ? listeningPorts() : []);
  for (let port = first; port <= last; port++) {
    if (busy.has(port)) continue;
    const file = join(dir, portFile(port, proto));
    if (!claim(file, claimText(net))) continue;
    net.ledger.record({ kind: 'file', path: file });
    return port;
  }
  throw new UserError(`no free host port between ${first} and ${last}: give one with -p HOSTPORT:CONTAINERPORT`, 125);
}

/**
 * The kernel's range for ports it picks itself (net.ipv4.ip_local_port_range): Docker takes a port
 * from it for `-p 80`, where no host port is given.
 */
export function ephemeralPortRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a > 0 && b >= a && b <= 65535) return [a, b];
  } catch { /* no procfs value: the kernel's default */ }
  return [32768, 60999];
}
