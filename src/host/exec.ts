// Running host tools (ip, iptables) from the CLI's main thread, which is in the host's namespaces.
import { createRequire } from 'node:module';
import { ToolError, UserError } from '../errors.js';
import { pick } from '../i18n/lang.js';
import { accessSync, statSync, constants as fsConstants } from 'node:fs';

/**
 * Node's child_process module, loaded on first use: loading it takes about 2.5 ms, which a
 * command that starts no program (`run --net none`) need not pay.
 */
export function childProcess(): typeof import('node:child_process') {
  return createRequire(import.meta.url)('node:child_process');
}

export interface RunResult { stdout: string; stderr: string; code: number; timedOut?: boolean }

/**
 * Run a program and collect its output; never throws for a non-zero exit. `timeoutMs` bounds it
 * (SIGKILL on expiry, exit code 124 as timeout(1) reports it): every command that sends traffic has
 * one, so a lost packet costs a fraction of a second, not a hang. A program not found is 127.
 */
export function run(file: string, args: string[], opts: string | { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const { input, timeoutMs } = typeof opts === 'string' ? { input: opts, timeoutMs: undefined } : opts;
  return new Promise((resolve) => {
    const child = childProcess().execFile(which(file) ?? file, args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: timeoutMs ?? 0, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      const timedOut = Boolean(e?.killed);
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : timedOut ? 124 : 127;
      resolve({ stdout, stderr: stderr || (e && typeof e.code !== 'number' && !timedOut ? String(e.message) : ''), code, timedOut });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Run a program and return stdout; throws a ToolError with its last words on failure. */
export async function runOk(file: string, args: string[], input?: string): Promise<string> {
  const r = await run(file, args, { input });
  if (r.code !== 0) throw new ToolError([file, ...args], r.code, r.stderr || (r.timedOut ? 'timed out' : ''));
  return r.stdout;
}

/**
 * Where a program is on PATH (like `command -v`), or undefined. A scan of PATH's directories, not a
 * shell: nestbox asks this on hot paths, where starting `sh` would cost milliseconds each time. The
 * answers are kept for the run (programs do not move while nestbox works).
 */
export function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  if (found.has(name)) return found.get(name);
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  // sbin directories too: root's tools (ip, iptables) live there even when a sudo PATH lacks them.
  const path = [...dirs, '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).map((dir) => `${dir}/${name}`).find(isExecutable);
  found.set(name, path);
  return path;
}
const found = new Map<string, string | undefined>();

/** A program nestbox cannot do without here: its path, or an error that says which package has it. */
export function requireTool(name: string, pkg = 'util-linux or coreutils'): string {
  const path = which(name);
  if (!path) throw new UserError(pick(`${name} was not found on this host (it comes with ${pkg}): see nestbox doctor`, `这台宿主机上找不到 ${name}（它属于 ${pkg}）：请看 nestbox doctor`));
  return path;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
