/** Refuse early, with the fix, when not running as root. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    const err = new Error(`${what} needs root: run it with sudo`) as Error & { exitCode: number };
    err.exitCode = 1;
    throw err;
  }
}
