// How src/net talks to the kernel: through the same tools a learner types (ip, bridge, iptables),
// run from the CLI's main thread, which never leaves the host's network namespace. A command meant
// for another namespace names it: `ip -n NAME` for a named one (/run/netns/NAME), or
// `nsenter --net=/proc/PID/ns/net` for the namespace of a process (a container's first process).
// Every function here can narrate the exact command line it ran, so a lab can show it.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Ledger } from '../host/ledger.js';
import { which } from '../host/exec.js';

/** A network namespace: the host's, a named one (`ip netns add NAME`), or the one a process is in. */
export type Netns = 'host' | { name: string } | { pid: number };

/** What every function that creates something needs: the ledger to record it in, and an optional narrator. */
export interface NetCtx {
  ledger: Ledger;
  /** Called with each command line run, as a learner would type it. */
  trace?: (command: string) => void;
}

export interface ToolResult { stdout: string; stderr: string; code: number; timedOut: boolean }

/** Where a tool lives, looked up once (sbin may be missing from a sudo PATH). */
const paths = new Map<string, string>();
export function toolPath(name: string): string {
  if (!paths.has(name)) {
    const found = which(name) ?? ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => `${d}/${name}`).find((p) => exists(p));
    paths.set(name, found ?? name);
  }
  return paths.get(name)!;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Run a program; never throws for a non-zero exit. `timeoutMs` bounds it (SIGKILL on expiry):
 * every command that sends traffic has one, so a lost packet costs a fraction of a second, not a hang.
 */
export function tool(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(toolPath(file), args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: opts.timeoutMs ?? 10_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        const timedOut = Boolean(e?.killed);
        const code = !e ? 0 : typeof e.code === 'number' ? e.code : timedOut ? 124 : 127;
        resolve({ stdout, stderr: stderr || (e && typeof e.code !== 'number' && !timedOut ? String(e.message) : ''), code, timedOut });
      });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Quote one argument the way a shell would need it (for display only). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./!-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
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

/** Display form of a namespace ("host", "netns nbak3x9", "the netns of PID 4312"). */
export function describeNetns(ns: Netns): string {
  return ns === 'host' ? 'the host' : 'name' in ns ? `netns ${ns.name}` : `the netns of PID ${ns.pid}`;
}

/** Run an argv built above; narrated through `trace` when given. */
export async function runArgv(argv: string[], opts: { trace?: (c: string) => void; input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  opts.trace?.(argv.map(shellQuote).join(' '));
  return tool(argv[0], argv.slice(1), opts);
}

/** Like runArgv, but a failure throws with the tool's own message. */
export async function runArgvOk(argv: string[], opts: { trace?: (c: string) => void; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runArgv(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.map(shellQuote).join(' ')}: ${r.stderr.trim() || (r.timedOut ? 'timed out' : `exit ${r.code}`)}`);
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
