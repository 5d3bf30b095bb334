// Pure parsers for what the networking tools print: `ip -json` (links, addresses, routes, netns),
// `bridge -json fdb`, `iptables -nvxL` and `iptables -S`, `iptables -V`, /proc/net/dev and
// /proc/net/tcp. No I/O here, so each is tested on saved output (test/net-parsers.test.ts).
import { splitRule } from '../host/shell-words.js';
export { splitRule };
export { parseProcNetDev, type DevCounters } from '../kernel/proc.js';

/** One network interface as the kernel describes it over netlink (`ip -json -details addr show`). */
export interface LinkInfo {
  ifindex: number;
  name: string;
  flags: string[];
  /** IFF_UP: an administrator said "up". */
  up: boolean;
  /** RFC 2863 state: UP only when it is up *and* has a carrier (for a veth: the peer is up too). */
  operstate: string;
  mac: string;
  mtu: number;
  /** rtnl_link_ops kind: "veth", "bridge", ...; undefined for a physical or loopback device. */
  kind?: string;
  /** The bridge this interface is a port of (IFLA_MASTER). */
  master?: string;
  /** IFLA_LINK: for a veth, the peer's ifindex (the N of "@ifN"), in the namespace linkNetnsid names. */
  iflink?: number;
  /** The peer's name, when it lives in the same namespace (ip prints "@name" then). */
  peerName?: string;
  /** IFLA_LINK_NETNSID: which namespace (numbered by this one) holds the peer; absent when it is this one. */
  linkNetnsid?: number;
  /** IPv4 addresses as CIDR ("10.213.0.2/24"). */
  inet: string[];
  inet6: string[];
  stats?: { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number };
}

export function parseIpLinks(data: any[]): LinkInfo[] {
  const links: LinkInfo[] = data.map((l) => {
    const addrs = (l.addr_info ?? []) as any[];
    const s = l.stats64 ?? l.stats;
    return {
      ifindex: l.ifindex,
      name: l.ifname,
      flags: l.flags ?? [],
      up: (l.flags ?? []).includes('UP'),
      operstate: l.operstate ?? 'UNKNOWN',
      mac: l.address ?? '',
      mtu: l.mtu ?? 0,
      kind: l.linkinfo?.info_kind,
      master: l.master,
      iflink: l.link_index,
      peerName: typeof l.link === 'string' ? l.link : undefined,
      linkNetnsid: l.link_netnsid,
      inet: addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      inet6: addrs.filter((a) => a.family === 'inet6').map((a) => `${a.local}/${a.prefixlen}`),
      stats: s ? { rxPackets: s.rx?.packets ?? 0, txPackets: s.tx?.packets ?? 0, rxBytes: s.rx?.bytes ?? 0, txBytes: s.tx?.bytes ?? 0 } : undefined,
    };
  });
  // A peer in the same namespace is printed by name: resolve it to its index as well.
  for (const l of links) if (l.iflink === undefined && l.peerName) l.iflink = links.find((p) => p.name === l.peerName)?.ifindex;
  return links;
}

/** One route (`ip -json route show table all`). */
export interface RouteInfo { dst: string; gateway?: string; dev?: string; table: string; type: string; scope?: string; prefsrc?: string }

export function parseRoutes(data: any[]): RouteInfo[] {
  return data.map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev, table: r.table ?? 'main', type: r.type ?? 'unicast', scope: r.scope, prefsrc: r.prefsrc }));
}

/** A named network namespace (`ip -json netns list`) and the id this namespace gave it, if any. */
export interface NetnsEntry { name: string; nsid?: number }

export function parseNetnsList(data: any[]): NetnsEntry[] {
  return data.map((n) => ({ name: n.name, nsid: typeof n.id === 'number' ? n.id : undefined }));
}

/** One entry of a bridge's forwarding database (`bridge -json fdb show br X`). */
export interface FdbEntry {
  mac: string;
  /** The port (interface) behind which this MAC was seen. */
  port: string;
  /** Learned from traffic (ages out after ageing_time), rather than a permanent/own entry. */
  learned: boolean;
  /** One of the bridge's own addresses (delivered to the host, not forwarded). */
  local: boolean;
}

export function parseFdb(data: any[], bridge?: string): FdbEntry[] {
  return data
    // "self" entries belong to the port device's own table (multicast filters), not the bridge's
    .filter((e) => !(e.flags ?? []).includes('self') && (!bridge || e.master === bridge || e.ifname === bridge))
    .map((e) => ({ mac: e.mac, port: e.ifname, learned: !e.state || e.state === 'reachable' || e.state === 'stale', local: e.state === 'permanent' }));
}

/** A chain in `iptables -nvxL` output, with its policy counters and each rule's. */
export interface ChainListing {
  name: string;
  /** Built-in chains: ACCEPT or DROP; user chains: undefined. */
  policy?: string;
  /** User chains: how many rules jump to it. */
  references?: number;
  packets?: number;
  bytes?: number;
  rules: ListedRule[];
}

export interface ListedRule {
  packets: number;
  bytes: number;
  target: string;
  /** Protocol as printed: "0"/"all", "6"/"tcp", ... */
  prot: string;
  in: string;
  out: string;
  source: string;
  destination: string;
  /** The matches and target options, as printed ("tcp dpt:8080 to:10.213.0.2:8080"). */
  extra: string;
}

/** Parse `iptables -nvxL [CHAIN]` (with -x the counters are exact numbers, not "1K"). */
export function parseIptablesListing(text: string): ChainListing[] {
  const chains: ChainListing[] = [];
  let current: ChainListing | undefined;
  let numbered = false;
  for (const line of text.split('\n')) {
    const head = /^Chain (\S+) \((?:policy (\S+) (\d+) packets, (\d+) bytes|(\d+) references)\)/.exec(line);
    if (head) {
      current = { name: head[1], policy: head[2], packets: num(head[3]), bytes: num(head[4]), references: num(head[5]), rules: [] };
      chains.push(current);
      continue;
    }
    if (!current || !line.trim() || line.startsWith('#')) continue;
    const columns = /^\s*(num\s+)?pkts\s+bytes/.exec(line);
    if (columns) {
      numbered = Boolean(columns[1]);
      continue;
    }
    const f = line.trim().split(/\s+/);
    // With --line-numbers the first column is the rule number.
    if (numbered) f.shift();
    if (f.length < 8) continue;
    // A rule with no target (only counting) prints one column fewer.
    // (the "opt" column, "--" or "-f", then sits where the protocol would be)
    const noTarget = /^(--|!?-?f)$/.test(f[3]);
    const [packets, bytes] = [Number(f[0]), Number(f[1])];
    const rest = noTarget ? ['', ...f.slice(2)] : f.slice(2);
    const [target, prot, , inIf, outIf, source, destination, ...extra] = rest;
    current.rules.push({ packets, bytes, target, prot, in: inIf, out: outIf, source, destination, extra: extra.join(' ') });
  }
  return chains;
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

/** The rules of `iptables -S`: policies, user chains, and each rule's arguments (after "-A"). */
export interface RuleSpecs {
  policies: Record<string, string>;
  chains: string[];
  rules: { chain: string; args: string[]; text: string }[];
}

export function parseIptablesSpecs(text: string): RuleSpecs {
  const out: RuleSpecs = { policies: {}, chains: [], rules: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('-P ')) {
      const [, chain, policy] = line.split(' ');
      out.policies[chain] = policy;
    } else if (line.startsWith('-N ')) {
      out.chains.push(line.slice(3).trim());
    } else if (line.startsWith('-A ')) {
      const args = splitRule(line.slice(3));
      out.rules.push({ chain: args[0], args, text: line.slice(3) });
    }
  }
  return out;
}

/** The value after an option in a rule's arguments ("-s" -> "10.213.0.0/24"); "!" before it is kept as a prefix. */
export function ruleOption(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (names.includes(args[i]) && i + 1 < args.length) return (args[i - 1] === '!' ? '!' : '') + args[i + 1];
  }
  return undefined;
}

/** `iptables -V` -> version and backend: "iptables v1.8.9 (nf_tables)" or "(legacy)". */
export function parseIptablesVersion(text: string): { version: string; backend: 'nft' | 'legacy' } | undefined {
  const m = /iptables v(\S+)(?:\s+\((\w+)\))?/.exec(text);
  if (!m) return undefined;
  return { version: m[1], backend: m[2] === 'nf_tables' ? 'nft' : 'legacy' };
}

/** Ports with a listening TCP socket in /proc/net/tcp or tcp6 (state 0A is LISTEN). */
export function parseListeningPorts(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[3] === '0A') ports.add(parseInt(f[1].split(':').pop()!, 16));
  }
  return [...ports].sort((a, b) => a - b);
}
