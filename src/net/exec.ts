// How src/net talks to the kernel: through the same tools a learner types (ip, bridge, iptables),
// run from the CLI's main thread, which never leaves the host's network namespace. A command meant
// for another namespace names it: `ip -n NAME` for a named one (/run/netns/NAME), or
// `nsenter --net=/proc/PID/ns/net` for the namespace of a process (a container's first process).
// Every function here can narrate the exact command line it ran, so a lab can show it.
import type { Ledger } from '../host/ledger.js';
import { which, run, type RunResult } from '../host/exec.js';
import { shellQuote } from '../host/shell-words.js';
export { shellQuote };
import { ToolError } from '../errors.js';

/** A network namespace: the host's, a named one (`ip netns add NAME`), or the one a process is in. */
export type Netns = 'host' | { name: string } | { pid: number };

/** What every function that creates something needs: the ledger to record it in, and an optional narrator. */
export interface NetCtx {
  ledger: Ledger;
  /** Called with each command line run, as a learner would type it. */
  trace?: (command: string) => void;
}

export type ToolResult = RunResult;

/** Where a tool lives (sbin may be missing from a sudo PATH); its bare name when it is nowhere. */
export function toolPath(name: string): string {
  return which(name) ?? name;
}

/** Run a program; never throws for a non-zero exit; 10 s at most unless told otherwise. */
export function tool(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return run(file, args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 10_000 });
}

/** The argv that runs `program args` inside a namespace, as a learner would type it. */
export function inNetnsArgv(ns: Netns, argv: string[]): string[] {
  if (ns === 'host') return argv;
  if ('name' in ns) return ['ip', 'netns', 'exec', ns.name, ...argv];
  return ['nsenter', `--net=/proc/${ns.pid}/ns/net`, ...argv];
}

/** `ip ARGS` aimed at a namespace: `ip -n NAME ARGS` or `nsenter --net=/proc/PID/ns/net ip ARGS`. */
export function ipArgv(ns: Netns, args: string[]): string[] {
  if (ns !== 'host' && 'name' in ns) return ['ip', '-n', ns.name, ...args];
  return inNetnsArgv(ns, ['ip', ...args]);
}


/** Run an argv built above; narrated through `trace` when given. */
export async function runArgv(argv: string[], opts: { trace?: (c: string) => void; input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  opts.trace?.(argv.map(shellQuote).join(' '));
  return tool(argv[0], argv.slice(1), opts);
}

/** Like runArgv, but a failure throws with the tool's own message. */
export async function runArgvOk(argv: string[], opts: { trace?: (c: string) => void; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runArgv(argv, opts);
  if (r.code !== 0) throw new ToolError(argv.map(shellQuote), r.code, r.stderr || (r.timedOut ? 'timed out' : ''));
  return r.stdout;
}

/** `ip ARGS` in a namespace; throws on failure. */
export function ip(ns: Netns, args: string[], trace?: (c: string) => void): Promise<string> {
  return runArgvOk(ipArgv(ns, args), { trace });
}

/** `ip -json ARGS` in a namespace, parsed. Never narrated: reading state back is not a step. */
export async function ipJson<T = any>(ns: Netns, args: string[]): Promise<T[]> {
  const out = await runArgvOk(ipArgv(ns, ['-json', ...args]));
  return out.trim() ? JSON.parse(out) : [];
}
