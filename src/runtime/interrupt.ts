// While a container is being made, SIGINT, SIGTERM and SIGHUP (a `timeout` wrapper, a closed
// terminal, Ctrl-C) must not end nestbox half-way: that would leave the veth pair, the cgroups and
// the rules it has made so far. They abort the creation at its next step instead; the caller then
// undoes the ledger and exits 128+signal, as a killed process would.
import { UserError } from '../errors.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function interruptible(): { signal: AbortSignal; stop(): void; error(): UserError | undefined } {
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    caught ??= sig;
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, handler);
  return {
    signal: controller.signal,
    stop: () => { for (const sig of signals) process.removeListener(sig, handler); },
    error: () => caught && new UserError(`interrupted by ${caught} while the container was being made: nothing of it was kept`, 128 + SIGNAL_NUMBERS[caught]),
  };
}
