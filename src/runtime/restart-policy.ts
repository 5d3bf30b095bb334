// --restart, decided as Docker's restart manager decides it: after each end of PID 1, from the
// policy, the exit code, how many restarts there have been and whether a person stopped it.
// Restarts are spaced out: 100 ms after the first, twice as long after each next one (at most a
// minute), back to 100 ms once the container has run for 10 s. A container that fails at once is
// then not restarted in a tight loop that would eat the machine.
import type { RestartPolicy } from './spec.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long counts as a success for the backoff: the next delay starts again from 100 ms. */
const STABLE_MS = 10_000;

export interface LastRun {
  exitCode: number;
  /** Restarts so far, since it was last started by hand. */
  restartCount: number;
  stoppedByUser: boolean;
}

export function shouldRestart(policy: RestartPolicy | undefined, last: LastRun): boolean {
  if (!policy || policy.name === 'no' || last.stoppedByUser) return false;
  if (policy.name === 'on-failure') {
    return last.exitCode !== 0 && (policy.maximumRetryCount === 0 || last.restartCount < policy.maximumRetryCount);
  }
  // always and unless-stopped: the same while nestbox runs. Docker tells them apart only when its
  // daemon starts again (after a reboot), and nestbox has no daemon: neither comes back after one.
  return true;
}

/** How long to wait before the next start, given the previous wait and how long the last run lasted. */
export function nextDelay(previousMs: number | undefined, ranForMs: number): number {
  if (!previousMs || ranForMs >= STABLE_MS) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}
