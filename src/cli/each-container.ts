// Docker's way with commands that take several containers (stop, kill, rm, pause, unpause): each
// one is done, all at once; the name is printed as it was given, in the order given, once its
// container is done; a container that fails is one line on stderr and does not stop the others;
// the exit status is 1 if any failed. So `nestbox rm -f $(nestbox ps -aq)` removes every container
// it can, and says which it could not.
import { reportError } from './report-error.js';

export interface EachOptions {
  /** A failure that is reported on stderr but does not make the command fail (rm -f: no such container). */
  harmless?: (err: unknown) => boolean;
  /** What to print for a container done (default: the name or id as given). */
  line?: (ref: string, result: unknown) => string;
}

export async function eachContainer(refs: string[], action: (ref: string) => Promise<unknown>, opts: EachOptions = {}): Promise<void> {
  // Started together (a stop can wait its grace period for each container at the same time);
  // the results are then read in the order given.
  const results = refs.map((ref) => action(ref).then((result) => ({ result }), (err: unknown) => ({ err: err ?? new Error('failed') })));
  let failed = false;
  for (const [i, ref] of refs.entries()) {
    const r = await results[i];
    if (!('err' in r)) {
      console.log(opts.line ? opts.line(ref, r.result) : ref);
      continue;
    }
    const err = r.err;
    reportError(err as Error, 1);
    if (!opts.harmless?.(err)) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}
