// Network namespaces, veth pairs, addresses and routes: the pieces of a container's network.
// Each creating function writes the ledger first, then asks the kernel (through `ip`, which speaks
// rtnetlink), so a crash at any point leaves a record of what may exist.
import { NetCtx, Netns, ip, ipJson, runArgv, ipArgv } from './exec.js';
import { parseIpLinks, parseNetnsList, parseRoutes, LinkInfo, NetnsEntry, RouteInfo } from './parse.js';

/** The kernel's limit for an interface name: IFNAMSIZ is 16 bytes with the final NUL. */
export const IFNAMSIZ = 16;

export function checkIfName(name: string): void {
  if (name.length >= IFNAMSIZ || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`"${name}" is not a valid interface name (at most 15 characters)`);
}

/**
 * `ip netns add NAME`: a new network namespace, kept alive by a bind mount of its
 * /proc/self/ns/net on /run/netns/NAME, so it outlives the `ip` process that made it.
 */
export async function createNetns(net: NetCtx, name: string): Promise<Netns> {
  checkIfName(name);
  net.ledger.record({ kind: 'netns', name });
  await ip('host', ['netns', 'add', name], net.trace);
  return { name };
}

/** Named namespaces (the files in /run/netns) and the id the host's namespace gave each, if any. */
export async function listNetns(): Promise<NetnsEntry[]> {
  return parseNetnsList(await ipJson('host', ['netns', 'list']));
}

/**
 * `ip link add A type veth peer name B`: two virtual Ethernet devices joined back to back; a frame
 * sent into one comes out of the other. Both start in the caller's namespace (here the host's).
 * Deleting either end deletes both, so the ledger records one name.
 */
export async function createVethPair(net: NetCtx, hostEnd: string, peer: string): Promise<void> {
  checkIfName(hostEnd);
  checkIfName(peer);
  net.ledger.record({ kind: 'link', name: hostEnd });
  await ip('host', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peer], net.trace);
}

/**
 * `ip link set DEV netns NS [name NEW]`: move an interface into another network namespace
 * (by name, or by the PID of a process in it) and rename it there in the same netlink message.
 * Moved, it disappears from the host's view; its addresses and "up" state do not travel.
 */
export async function moveLink(net: NetCtx, dev: string, to: Netns, newName?: string, from: Netns = 'host'): Promise<void> {
  if (to === 'host') throw new Error('moving back to the host is not needed by nestbox');
  if (newName) checkIfName(newName);
  const target = 'name' in to ? to.name : String(to.pid);
  await ip(from, ['link', 'set', 'dev', dev, 'netns', target, ...(newName ? ['name', newName] : [])], net.trace);
}

/** `ip addr add CIDR dev DEV`: an address, and with it the kernel adds the route to its subnet. */
export async function addAddress(net: NetCtx, ns: Netns, dev: string, cidr: string): Promise<void> {
  await ip(ns, ['addr', 'add', cidr, 'dev', dev], net.trace);
}

/** `ip link set DEV up`: sets IFF_UP; the link carries traffic once its peer (or carrier) is up too. */
export async function setUp(net: NetCtx, ns: Netns, dev: string): Promise<void> {
  await ip(ns, ['link', 'set', 'dev', dev, 'up'], net.trace);
}

/**
 * `ip link set DEV addrgenmode none`: no IPv6 link-local address, so the interface sends no IPv6
 * neighbour discovery of its own; the only frames on it are the ones a lab sends.
 */
export async function quietIpv6(net: NetCtx, ns: Netns, dev: string): Promise<void> {
  await ip(ns, ['link', 'set', 'dev', dev, 'addrgenmode', 'none'], net.trace);
}

/** `ip route add DST [via GW] [dev DEV]`; DST "default" is 0.0.0.0/0. */
export async function addRoute(net: NetCtx, ns: Netns, dst: string, opts: { via?: string; dev?: string }): Promise<void> {
  await ip(ns, ['route', 'add', dst, ...(opts.via ? ['via', opts.via] : []), ...(opts.dev ? ['dev', opts.dev] : [])], net.trace);
}

/** Every interface of a namespace with its addresses, kind, master, peer index and counters. */
export async function links(ns: Netns): Promise<LinkInfo[]> {
  return parseIpLinks(await ipJson(ns, ['-s', '-d', 'addr', 'show']));
}

export async function link(ns: Netns, dev: string): Promise<LinkInfo | undefined> {
  const r = await runArgv(ipArgv(ns, ['-json', '-s', '-d', 'addr', 'show', 'dev', dev]));
  if (r.code !== 0 || !r.stdout.trim()) return undefined;
  return parseIpLinks(JSON.parse(r.stdout))[0];
}

/** The routes of a namespace's main table (`ip -json route`). */
export async function routes(ns: Netns, table = 'main'): Promise<RouteInfo[]> {
  return parseRoutes(await ipJson(ns, ['route', 'show', 'table', table]));
}

/** `ip route get ADDR`: which route the kernel would choose, without sending anything. */
export async function routeGet(ns: Netns, addr: string): Promise<{ ok: boolean; text: string; via?: string; dev?: string }> {
  const r = await runArgv(ipArgv(ns, ['-json', 'route', 'get', addr]));
  if (r.code !== 0) return { ok: false, text: r.stderr.trim() };
  const route = JSON.parse(r.stdout)[0] ?? {};
  return { ok: true, text: `${addr}${route.gateway ? ` via ${route.gateway}` : ''} dev ${route.dev}`, via: route.gateway, dev: route.dev };
}

/** The prefixes already routed anywhere on the host (all tables) and its own addresses. */
export async function usedPrefixes(): Promise<string[]> {
  const [all, addrs] = await Promise.all([ipJson('host', ['route', 'show', 'table', 'all']), links('host')]);
  const prefixes = parseRoutes(all).filter((r) => r.dst && r.dst !== 'default' && !r.dst.includes(':')).map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/32`));
  return [...prefixes, ...addrs.flatMap((l) => l.inet)];
}
