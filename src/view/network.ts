// A live picture of the machine's networks, read from the kernel alone: the host's interfaces,
// each bridge with the ports attached to it, every veth pair (host end ⇄ peer, matched through
// iflink, the "@ifN" number), and every network namespace (named ones in /run/netns and those of
// running processes) with its interfaces, addresses and default route. It shows what the kernel
// holds now, not what a lab or container believes.
import { statSync, readdirSync } from 'node:fs';
import { listPids, namespaceId, commandLine } from '../kernel/proc.js';
import { links, routes, listNetns } from '../net/link.js';
import type { Netns } from '../net/exec.js';
import type { LinkInfo } from '../net/parse.js';
import { readSysctl, IP_FORWARD, BRIDGE_NF_CALL_IPTABLES, routeLocalnet } from '../net/sysctl.js';
import { listSpecs } from '../net/iptables.js';
import { readOwners } from './owners.js';
import { tr, pick } from '../i18n/lang.js';
import { glyphs, asciiMode } from '../render/glyphs.js';

export interface NetPeer { namespace: string; ifname: string; ifindex: number; inet: string[] }
export interface NetIface {
  ifindex: number;
  name: string;
  kind?: string;
  operstate: string;
  up: boolean;
  mac: string;
  inet: string[];
  /** The bridge this interface is a port of. */
  master?: string;
  /** veth: the other end, when it could be found in a namespace shown here. */
  peer?: NetPeer;
  /** veth: the peer's index and, when in another namespace, that namespace's id as seen from here. */
  iflink?: number;
  linkNetnsid?: number;
}
export interface NetNamespace {
  /** "host", the netns name, or "net:[INODE]" for an unnamed one. */
  label: string;
  inode?: number;
  /** Name under /run/netns, if any. */
  name?: string;
  processes: { pid: number; command: string }[];
  interfaces: NetIface[];
  defaultRoute?: string;
  /** Why it could not be read (not root, gone meanwhile). */
  error?: string;
  /** The container or lab it belongs to, when nestbox made it. */
  owner?: string;
}
/** What forwards and rewrites packets on the host: the switches and nestbox's own nat rules. */
export interface NatView {
  ipForward?: string;
  /** bridge-nf-call-iptables: bridged frames pass iptables (br_netfilter loaded) or not. */
  bridgeNfCallIptables?: string;
  /** Interfaces with route_localnet=1 (127.0.0.1 may be routed out of them, for published ports). */
  routeLocalnet: string[];
  /** nestbox's rules in the nat table, as `iptables -t nat -S` prints them; undefined without iptables. */
  rules?: string[];
}
export interface NetworkView { host: NetNamespace; namespaces: NetNamespace[]; nat: NatView }

const RUN_NETNS = '/run/netns';

function inodeOf(path: string): number | undefined {
  try { return statSync(path).ino; } catch { return undefined; }
}

async function readNamespace(ns: NetNamespace, target: Netns): Promise<void> {
  try {
    const [ifaces, table] = await Promise.all([links(target), routes(target)]);
    ns.interfaces = ifaces.map(toIface);
    const def = table.find((r) => r.dst === 'default');
    if (def) ns.defaultRoute = `default${def.gateway ? ` via ${def.gateway}` : ''}${def.dev ? ` dev ${def.dev}` : ''}`;
  } catch (err) {
    ns.error = (err as Error).message.split('\n')[0];
  }
}

const toIface = (l: LinkInfo): NetIface => ({
  ifindex: l.ifindex, name: l.name, kind: l.kind, operstate: l.operstate, up: l.up, mac: l.mac, inet: l.inet,
  master: l.master, iflink: l.iflink, linkNetnsid: l.linkNetnsid,
});

/** Read everything; namespaces are those named in /run/netns plus those of running processes. */
export async function networkView(): Promise<NetworkView> {
  const hostInode = namespaceId(1, 'net') ?? namespaceId('self', 'net');
  const host: NetNamespace = { label: 'host', inode: hostInode, processes: [], interfaces: [] };
  const byInode = new Map<number, NetNamespace>();
  const all: NetNamespace[] = [];
  let named: string[] = [];
  try {
    named = (await listNetns()).map((n) => n.name);
  } catch {
    try { named = readdirSync(RUN_NETNS); } catch { /* none */ }
  }
  for (const name of named) {
    const inode = inodeOf(`${RUN_NETNS}/${name}`);
    const ns: NetNamespace = { label: name, name, inode, processes: [], interfaces: [] };
    all.push(ns);
    if (inode !== undefined && !byInode.has(inode)) byInode.set(inode, ns);
  }
  for (const pid of listPids()) {
    const inode = namespaceId(pid, 'net');
    if (inode === undefined || inode === hostInode) continue;
    const command = commandLine(pid);
    if (!command) continue; // a kernel thread
    let ns = byInode.get(inode);
    if (!ns) {
      ns = { label: `net:[${inode}]`, inode, processes: [], interfaces: [] };
      byInode.set(inode, ns);
      all.push(ns);
    }
    ns.processes.push({ pid, command });
  }
  await Promise.all([
    readNamespace(host, 'host'),
    ...all.map((ns) => readNamespace(ns, ns.name ? { name: ns.name } : { pid: ns.processes[0].pid })),
  ]);
  pairVeths([host, ...all]);
  const owners = readOwners();
  for (const ns of all) {
    const owned = (ns.name ? owners.byNetns.get(ns.name) : undefined) ?? ns.processes.map((p) => owners.byPid.get(p.pid)).find(Boolean);
    if (owned) ns.owner = tr(owned);
  }
  return { host, namespaces: all, nat: await natView(host) };
}

async function natView(host: NetNamespace): Promise<NatView> {
  const view: NatView = {
    ipForward: readSysctl(IP_FORWARD),
    bridgeNfCallIptables: readSysctl(BRIDGE_NF_CALL_IPTABLES),
    routeLocalnet: host.interfaces.filter((i) => readSysctl(routeLocalnet(i.name)) === '1').map((i) => i.name),
  };
  try {
    const specs = await listSpecs('nat');
    const ours = (text: string) => /NESTBOX|nestbox/.test(text);
    view.rules = [...specs.chains.filter(ours).map((c) => `-N ${c}`), ...specs.rules.filter((r) => ours(r.text)).map((r) => `-A ${r.text}`)];
  } catch { /* no iptables here */ }
  return view;
}

/**
 * Match veth ends: X's iflink is its peer's ifindex and the peer's iflink is X's ifindex.
 * Indexes are per namespace, so both directions must agree; the first match wins.
 */
export function pairVeths(namespaces: NetNamespace[]): void {
  for (const ns of namespaces) {
    for (const x of ns.interfaces) {
      if (x.kind !== 'veth' || x.iflink === undefined) continue;
      const sameNs = x.linkNetnsid === undefined;
      for (const other of sameNs ? [ns] : namespaces.filter((o) => o !== ns && (o.inode !== ns.inode || o.inode === undefined))) {
        const y = other.interfaces.find((i) => i.kind === 'veth' && i.ifindex === x.iflink && i.iflink === x.ifindex && i !== x);
        if (y) {
          x.peer = { namespace: other.label, ifname: y.name, ifindex: y.ifindex, inet: y.inet };
          break;
        }
      }
    }
  }
}

export interface Paint { head: (s: string) => string; dim: (s: string) => string; ns: (s: string) => string; up: (s: string) => string; down: (s: string) => string }
const plain: Paint = { head: (s) => s, dim: (s) => s, ns: (s) => s, up: (s) => s, down: (s) => s };

/** Plain lines (colour is added by the caller through `paint`). */
export function drawNetworkView(view: NetworkView, paint: Paint = plain): string[] {
  const out: string[] = [];
  out.push(paint.head(pick("The host's network namespace", '宿主机的网络命名空间')) + '  ' + paint.ns(`net:[${view.host.inode}]`));
  drawInterfaces(view.host, out, paint, '  ');
  drawNat(view.nat, out, paint);
  if (!view.namespaces.length) {
    out.push('', paint.dim(pick('No other network namespace exists right now.', '现在没有别的网络命名空间。')));
    return out;
  }
  out.push('', paint.head(pick(`Network namespaces (${view.namespaces.length})`, `网络命名空间（${view.namespaces.length} 个）`)));
  for (const ns of view.namespaces) {
    const where = ns.name ? `/run/netns/${ns.name}` : pick('no name', '没有名字');
    const shown = ns.processes.slice(0, 3).map((p) => `${p.pid} ${shortCommand(p.command, 60)}`).join(', ');
    const more = ns.processes.length > 3 ? pick(`, +${ns.processes.length - 3} more`, `，另有 ${ns.processes.length - 3} 个`) : '';
    const procs = ns.processes.length
      ? pick(`; ${ns.processes.length === 1 ? 'process' : 'processes'} ${shown}${more}`, `；进程 ${shown}${more}`)
      : pick('; no process', '；没有进程');
    out.push('', '  ' + paint.ns(ns.name ?? ns.label) + (ns.owner ? '  ' + paint.head(ns.owner) : '') + '  ' + paint.dim(`${ns.name ? `net:[${ns.inode}] ` : ''}${where}${procs}`));
    drawInterfaces(ns, out, paint, '    ');
  }
  return out;
}

function drawNat(nat: NatView | undefined, out: string[], paint: Paint): void {
  if (!nat) return;
  const knobs = [`ip_forward=${nat.ipForward ?? '?'}`];
  if (nat.bridgeNfCallIptables !== undefined) knobs.push(`bridge-nf-call-iptables=${nat.bridgeNfCallIptables}`);
  if (nat.routeLocalnet.length) knobs.push(pick(`route_localnet=1 on ${nat.routeLocalnet.join(', ')}`, `${nat.routeLocalnet.join(', ')} 上 route_localnet=1`));
  out.push('  ' + paint.dim(knobs.join('   ')));
  if (nat.rules === undefined) return void out.push('  ' + paint.dim(pick('(iptables is not installed: no nat rules to read)', '（没有安装 iptables：读不到 nat 规则）')));
  if (!nat.rules.length) return void out.push('  ' + paint.dim(pick('nat table: no rule of nestbox\'s', 'nat 表：没有 nestbox 的规则')));
  out.push(pick('  nat table, nestbox\'s rules (iptables -t nat -S):', '  nat 表里 nestbox 的规则（iptables -t nat -S）：'));
  for (const r of nat.rules) out.push('    ' + r);
}

function drawInterfaces(ns: NetNamespace, out: string[], paint: Paint, indent: string): void {
  if (ns.error) {
    out.push(indent + paint.dim(pick(`(cannot read: ${ns.error})`, `（读不了：${ns.error}）`)));
    return;
  }
  const ports = new Set(ns.interfaces.filter((i) => i.master && ns.interfaces.some((b) => b.name === i.master && b.kind === 'bridge')).map((i) => i.name));
  // Columns: name (ports of a bridge are indented under it), kind, state, addresses, peer.
  const width = Math.max(4, ...ns.interfaces.map((i) => i.name.length + (ports.has(i.name) ? 3 : 0))) + 1;
  const stateWidth = Math.max(4, ...ns.interfaces.map((i) => i.operstate.length));
  const line = (i: NetIface, prefix: string) => {
    const state = (i.operstate === 'UP' || (i.up && i.operstate === 'UNKNOWN') ? paint.up : paint.down)(i.operstate.padEnd(stateWidth));
    const arrow = asciiMode() ? '<->' : '⇄';
    const peer = i.peer
      ? `  ${arrow} ${i.peer.ifname} ${pick('in', '在')} ${i.peer.namespace === 'host' ? pick('the host', '宿主机') : i.peer.namespace}${i.peer.inet.length ? ` (${i.peer.inet.join(' ')})` : ''}`
      : i.kind === 'veth' && i.iflink !== undefined ? paint.dim(`  ${arrow} @if${i.iflink}${i.linkNetnsid !== undefined ? ` in nsid ${i.linkNetnsid}` : ''} ${pick('(not visible here)', '（这里看不到）')}`) : '';
    const master = i.master && !prefix ? paint.dim(pick(`  port of ${i.master}`, `  ${i.master} 的端口`)) : '';
    out.push(`${indent}${(prefix + i.name).padEnd(width)} ${(i.kind ?? '').padEnd(6)} ${state} ${i.inet.join(' ')}`.trimEnd() + peer + master);
  };
  for (const i of ns.interfaces) {
    if (ports.has(i.name)) continue; // drawn under its bridge
    line(i, '');
    if (i.kind === 'bridge') {
      const mine = ns.interfaces.filter((p) => p.master === i.name);
      if (!mine.length) out.push(indent + paint.dim(pick('  (no ports)', '  （没有端口）')));
      mine.forEach((p, k) => line(p, `${k === mine.length - 1 ? glyphs().elbow : glyphs().tee} `));
    }
  }
  if (ns.defaultRoute) out.push(indent + paint.dim(ns.defaultRoute));
}

/** Whole words only: a cut-off argument (":80" of ":8080") would say something false. */
function shortCommand(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  for (const word of s.split(' ')) {
    if ((out ? out.length + 1 : 0) + word.length > n - 2) break;
    out = out ? `${out} ${word}` : word;
  }
  return `${out || s.slice(0, n - 2)} …`;
}
