// Bridge networking for containers (the docker0 model): filled in on top of src/net.
import type { Ledger } from '../host/ledger.js';
import type { ContainerSpec } from './spec.js';
import { UserError } from '../kernel/errors.js';

export async function setupBridgeNetwork(_spec: ContainerSpec, _pid: number, _ledger: Ledger): Promise<{ ip?: string; hostVeth?: string }> {
  throw new UserError('--net bridge is not available yet: use --net none or --net host', 125);
}
