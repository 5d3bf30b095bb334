// Commands over several containers (start, stop, rm, wait...) behave as Docker's: each one is done
// and reported on its own line, a failure is one line on stderr and does not stop the rest, and the
// exit status is 1 if any failed.
import { reportError } from './report-error.js';

export async function forEachContainer(refs: string[], act: (ref: string) => Promise<string | undefined>): Promise<void> {
  let failed = false;
  for (const ref of refs) {
    try {
      const line = await act(ref);
      if (line !== undefined) console.log(line);
    } catch (err) {
      failed = true;
      reportError(err as Error, 1);
    }
  }
  if (failed) process.exitCode = 1;
}
