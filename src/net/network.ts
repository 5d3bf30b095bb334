// A bridge network the way Docker builds its default one, for `nestbox run`: one bridge (nb0, the
// docker0 of nestbox) shared by every container, with a /24 of its own, MASQUERADE for traffic
// leaving it, a NESTBOX chain for published ports, ACCEPT rules in FORWARD (a NESTBOX-FORWARD
// chain) and net.ipv4.ip_forward on. The first container
// creates all of it, the last one out removes it (shared.ts); each container adds its own veth,
// address and published ports, recorded in its own ledger.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetCtx, Netns } from './exec.js';
import { acquireShared, releaseShared } from './shared.js';
import { createBridge, attach } from './bridge.js';
import { createVethPair, moveLink, addAddress, setUp, addRoute, checkIfName } from './link.js';
import { addRule, addRules, Rule } from './iptables.js';
import { AddressPool, reserveSubnet, poolDir } from './pool.js';
import { setSysctl, IP_FORWARD, routeLocalnet } from './sysctl.js';

export interface BridgeNetwork {
  bridge: string;
  /** NAT chain for published ports (Docker's is DOCKER). */
  chain: string;
  subnet: string;
  gateway: string;
}

/** The comment on every rule nestbox puts in a built-in chain: `nestbox cleanup` and residue checks find them by it. */
const RULE_COMMENT = 'nestbox';
const comment = (text: string) => ['-m', 'comment', '--comment', text];

/** Turn on net.ipv4.ip_forward for as long as any nestbox user needs it; the last one restores it. */
export async function useIpForward(net: NetCtx): Promise<void> {
  await acquireShared(net, 'ip_forward', async (shared) => void setSysctl(shared, IP_FORWARD, '1'));
}

export async function leaveIpForward(net: NetCtx): Promise<string[]> {
  return releaseShared(net, 'ip_forward');
}

const networkFile = (bridge: string) => join(poolDir(), `${bridge}.json`);

/**
 * Join the shared bridge network (creating it when first): returns its names and addresses.
 * What is created, in order: a free /24, the bridge with the /24's first address, MASQUERADE for
 * the /24 leaving by any other interface, the NAT chain with its jumps from PREROUTING and OUTPUT
 * for local destinations, route_localnet and a MASQUERADE for 127.0.0.1 (ports published on
 * localhost), and ip_forward.
 */
export async function joinBridgeNetwork(net: NetCtx, bridge = 'nb0', chain = 'NESTBOX'): Promise<BridgeNetwork> {
  checkIfName(bridge);
  await useIpForward(net);
  await acquireShared(net, `network-${bridge}`, async (shared) => {
    const subnet = await reserveSubnet(shared);
    const pool = new AddressPool(subnet);
    const file = networkFile(bridge);
    shared.ledger.record({ kind: 'file', path: file });
    mkdirSync(poolDir(), { recursive: true });
    writeFileSync(file, JSON.stringify({ bridge, chain, subnet, gateway: pool.gateway } satisfies BridgeNetwork));
    await createBridge(shared, bridge);
    await addAddress(shared, 'host', bridge, pool.cidr(pool.gateway));
    await setUp(shared, 'host', bridge);
    setSysctl(shared, routeLocalnet(bridge), '1');
    await addRules(shared, 'nat', [
      { table: 'nat', chain: 'POSTROUTING', spec: ['-s', subnet, '!', '-o', bridge, ...comment(RULE_COMMENT), '-j', 'MASQUERADE'] },
      { table: 'nat', chain: 'POSTROUTING', spec: ['-o', bridge, '-m', 'addrtype', '--src-type', 'LOCAL', ...comment(RULE_COMMENT), '-j', 'MASQUERADE'] },
      { table: 'nat', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(RULE_COMMENT), '-j', chain] },
      { table: 'nat', chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(RULE_COMMENT), '-j', chain] },
    ], [chain]);
    await allowForwarding(shared, bridge, `${chain}-FORWARD`);
  });
  return JSON.parse(readFileSync(networkFile(bridge), 'utf8'));
}

/**
 * What the FORWARD chain of the filter table must let through for the bridge, whatever its policy:
 * Docker sets FORWARD's policy to DROP when it starts (and a host firewall may end the chain in a
 * REJECT), which would stop every routed packet from or to the containers. Docker's own answer is
 * a few ACCEPT rules for docker0; these are the same for BRIDGE, in a chain of nestbox's own
 * reached by one jump at the top of FORWARD, so nothing of Docker's is touched or reordered.
 *   - out of the bridge to anywhere else (the containers' own connections, masqueraded after);
 *   - back into it, for connections already made (replies);
 *   - into it, for connections whose destination a DNAT rule rewrote (published ports);
 *   - from the bridge to the bridge: with br_netfilter loaded (Docker loads it), traffic between
 *     two containers on one bridge passes through FORWARD too.
 */
async function allowForwarding(shared: NetCtx, bridge: string, chain: string): Promise<void> {
  await addRules(shared, 'filter', [
    { table: 'filter', chain, spec: ['-i', bridge, '!', '-o', bridge, '-j', 'ACCEPT'] },
    { table: 'filter', chain, spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'] },
    { table: 'filter', chain, spec: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'] },
    { table: 'filter', chain, spec: ['-i', bridge, '-o', bridge, '-j', 'ACCEPT'] },
  ], [chain]);
  await addRule(shared, { table: 'filter', chain: 'FORWARD', spec: [...comment(RULE_COMMENT), '-j', chain] }, { insert: true });
}

/** Leave the shared bridge network; the last user removes it. */
export async function leaveBridgeNetwork(net: NetCtx, bridge = 'nb0'): Promise<string[]> {
  const removed = await releaseShared(net, `network-${bridge}`);
  return [...removed, ...(await leaveIpForward(net))];
}

export interface Attachment { hostEnd: string; ifname: string; address: string; cidr: string }

/**
 * Give the network namespace `ns` (a container's: { pid }) an interface on the bridge network:
 * a veth pair whose host end (HOSTEND) becomes a port of the bridge and whose other end moves into
 * the namespace as `ifname`, with an address from the pool and a default route via the gateway.
 */
export async function connect(net: NetCtx, network: BridgeNetwork, ns: Netns, hostEnd: string, ifname = 'eth0'): Promise<Attachment> {
  const pool = new AddressPool(network.subnet);
  const address = pool.allocate(net);
  const cidr = pool.cidr(address);
  const temp = `${hostEnd.slice(0, 12)}p`; // the peer's name until it is renamed inside
  await createVethPair(net, hostEnd, temp);
  await attach(net, hostEnd, network.bridge);
  await setUp(net, 'host', hostEnd);
  await moveLink(net, temp, ns, ifname);
  await addAddress(net, ns, ifname, cidr);
  await setUp(net, ns, 'lo');
  await setUp(net, ns, ifname);
  await addRoute(net, ns, 'default', { via: network.gateway });
  return { hostEnd, ifname, address, cidr };
}

/**
 * The DNAT rule that publishes HOSTPORT to ADDRESS:PORT (`-p HOSTPORT:PORT`): on every host address,
 * or only on HOSTIP (`-p HOSTIP:HOSTPORT:PORT`).
 */
function publishRule(network: BridgeNetwork, hostPort: number, address: string, port: number, proto: 'tcp' | 'udp' = 'tcp', hostIp?: string): Rule {
  const only = hostIp && hostIp !== '0.0.0.0' ? ['-d', hostIp] : [];
  return { table: 'nat', chain: network.chain, spec: [...only, '!', '-i', network.bridge, '-p', proto, '-m', proto, '--dport', String(hostPort), ...comment(`${RULE_COMMENT} ${hostPort}:${port}`), '-j', 'DNAT', '--to-destination', `${address}:${port}`] };
}

/** Publish a port: one rule in the NAT chain, recorded in the caller's ledger (gone with the container). */
export async function publish(net: NetCtx, network: BridgeNetwork, hostPort: number, address: string, port: number, proto: 'tcp' | 'udp' = 'tcp', hostIp?: string): Promise<void> {
  await addRule(net, publishRule(network, hostPort, address, port, proto, hostIp));
}

