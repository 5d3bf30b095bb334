// nestbox's errors, one family. Each ends as one line on the user's screen (cli/report-error.ts),
// with an exit code; context is added as an error climbs by wrapping it (Error.cause), so the line
// still carries what failed underneath: the system call and its errno, the tool and its message.
//
//   NestboxError          anything nestbox reports; exitCode
//   ├─ UserError          the input or the machine is not as it must be: says what to do
//   ├─ ToolError          a host program (ip, iptables) failed: which, and what it printed
//   └─ KernelError        a system call failed: call, arguments, errno, a hint (src/kernel/errors.ts)
export class NestboxError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/**
 * An error meant for the learner: a problem with their input or their machine, printed as one line
 * (with the fix) and no stack trace. `exitCode` follows Docker's habits where they apply.
 */
export class UserError extends NestboxError {
  constructor(message: string, exitCode = 1) {
    super(message, { exitCode });
  }
}

/** A host program ended badly: its command line, exit status and last words. */
export class ToolError extends NestboxError {
  constructor(readonly argv: string[], readonly code: number, readonly stderr: string) {
    super(`${argv.join(' ')}: ${stderr.trim().split('\n').pop() || `exit ${code}`}`);
  }
}

/**
 * Add what was being done to an error as it climbs: "could not make the cgroup: write(...) failed:
 * EBUSY (...)". The original stays as `cause`, with its errno or exit code; the exit code is kept.
 */
export function withContext(context: string, err: unknown): NestboxError {
  const e = err as Error & { exitCode?: number };
  return new NestboxError(`${context}: ${e?.message ?? String(err)}`, { exitCode: e?.exitCode, cause: err });
}

