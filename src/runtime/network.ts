// The container's network, set up from the host while its first process is held:
//   none       its own namespace with only lo (brought up, as Docker does)
//   host       no namespace of its own: the host's interfaces
//   container  the namespace of another container (joined when the namespaces were created)
//   bridge     its own namespace, a veth pair to the bridge, an address, NAT and published ports
import type { Ledger } from '../host/ledger.js';
import type { ContainerSpec } from './spec.js';

/** `gateway`: the host's address on the bridge (the container's default route, --add-host's host-gateway). */
export interface NetResult { ip?: string; hostVeth?: string; gateway?: string }


export async function setupNetwork(spec: ContainerSpec, pid: number, ledger: Ledger): Promise<NetResult> {
  switch (spec.net.mode) {
    case 'host':
    case 'container':
      return {};
    case 'none':
      return {}; // lo was brought up by the thread that created the namespace
    case 'bridge':
      // Loaded only here: the networking code is not on the path of a container without a bridge.
      return (await import('./bridge.js')).setupBridgeNetwork(spec, pid, ledger);
  }
}
