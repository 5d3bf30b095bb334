// --net bridge, Docker's default: every container on one bridge (nb0, the docker0 of nestbox), with
// its own veth pair, an address from the bridge's pool, a default route through the bridge,
// MASQUERADE for traffic leaving, and a DNAT rule per published port. This is the veth, bridge, nat
// and ports labs, done by src/net for a container's PID 1.
import type { Ledger } from '../host/ledger.js';
import type { NetCtx } from '../net/exec.js';
import { joinBridgeNetwork, leaveBridgeNetwork, connect, publish } from '../net/network.js';
import { claimHostPort, reserveHostPort, ephemeralPortRange } from '../net/pool.js';
import { UserError } from '../errors.js';
import { linkName } from '../host/paths.js';
import { EXIT_RUNTIME, type ContainerSpec } from './spec.js';
import { findContainer } from './store.js';

export async function setupBridgeNetwork(spec: ContainerSpec, pid: number, ledger: Ledger): Promise<{ ip?: string; hostVeth?: string; gateway?: string }> {
  const net: NetCtx = { ledger, trace: process.env.NESTBOX_TRACE ? (c) => process.stderr.write(`           $ ${c}\n`) : undefined };
  // Ports first: a port already taken fails the run before anything else is made for it.
  for (const p of spec.ports) {
    // -p 80: the first free port of the kernel's ephemeral range, as Docker chooses one.
    if (!p.hostPort) {
      p.hostPort = reserveHostPort(net, ...ephemeralPortRange(), p.proto);
      continue;
    }
    const claim = claimHostPort(net, p.hostPort, p.proto);
    if (claim.result === 'published') throw new UserError(`port ${p.hostPort}/${p.proto} is already published by ${holder(claim.by)}: choose another host port`, EXIT_RUNTIME);
    if (claim.result === 'listening') throw new UserError(`port ${p.hostPort}/${p.proto} is already in use on the host: choose another host port`, EXIT_RUNTIME);
  }
  const network = await joinBridgeNetwork(net);
  const hostVeth = linkName('', spec.id.slice(0, 10));
  const attached = await connect(net, network, { pid }, hostVeth);
  for (const p of spec.ports) await publish(net, network, p.hostPort, attached.address, p.containerPort, p.proto, p.hostIp);
  return { ip: attached.address, hostVeth, gateway: network.gateway };
}

/** "container web" from a claim's ledger name (ctr-ID), or what else holds it (a lab). */
function holder(ledgerName: string): string {
  const id = /^ctr-([0-9a-f]{12})$/.exec(ledgerName)?.[1];
  if (!id) return ledgerName ? `another nestbox user (${ledgerName})` : 'another container';
  try {
    return `container ${findContainer(id).spec.name}`;
  } catch {
    return 'another container';
  }
}

/**
 * Leave the shared bridge network: the last container out removes nb0, its rules and ip_forward.
 * Only the process that joined can leave (the foreground nestbox, or the monitor of a -d container,
 * which keeps its PID); if that process died, `nestbox cleanup` finds the network unused.
 */
export async function leaveBridge(ledger: Ledger): Promise<void> {
  await leaveBridgeNetwork({ ledger });
}
