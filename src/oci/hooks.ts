// Hooks: programs an engine asks the runtime to run at moments of a container's life, with the
// container's state as JSON on their standard input (config.md, "POSIX-platform Hooks"). Podman
// and CNI plugins, NVIDIA's container toolkit and many more set up what the runtime does not know
// about this way (a GPU, a network), while the container's process is still held.
//
//   prestart, createRuntime   during create, in the runtime's namespaces, after the container's
//                             namespaces exist and before its root is pivoted
//   createContainer           then, inside the container's namespaces, before pivot_root
//   startContainer            during start, inside the container, just before its program runs
//   poststart                 after start, in the runtime's namespaces
//   poststop                  during delete
import { spawnInNamespaces, waitForExit } from '../kernel/spawn.js';
import { pipe } from '../kernel/process.js';
import { closeSync, writeSync } from 'node:fs';
import { NestboxError } from '../errors.js';
import type { OciHook, OciState } from './types.js';
import { childProcess } from '../host/exec.js';

/** Run one hook on the host; resolves when it has ended, rejects when it failed or ran past its timeout. */
function runHook(kind: string, hook: OciHook, state: OciState): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path];
    const child = childProcess().spawn(hook.path, args, { argv0, env: envOf(hook), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = hook.timeout ? setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000) : undefined;
    child.on('error', (err) => { clearTimeout(timer); reject(new NestboxError(`${kind} hook ${hook.path}: ${err.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal === 'SIGKILL' && hook.timeout ? `ran past its timeout of ${hook.timeout} s` : signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(new NestboxError(`${kind} hook ${hook.path} ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
    // The hook may not read its input: a closed pipe is not its failure.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(state));
  });
}

/**
 * Run one hook inside the namespaces of `pid` (createContainer, startContainer): a thread joins them
 * and starts the hook there, so its path resolves in the container's mount namespace.
 */
async function runHookInside(kind: string, hook: OciHook, state: OciState, pid: number): Promise<void> {
  const [read, write] = pipe();
  let child: number;
  try {
    child = await spawnInNamespaces({
      join: { pid, types: ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'] },
      path: hook.path, argv: hook.args?.length ? hook.args : [hook.path], env: hook.env ?? [], stdio: [read, 2, 2],
    });
  } finally {
    closeSync(read);
  }
  try { writeSync(write, JSON.stringify(state)); } catch { /* it did not read */ } finally { closeSync(write); }
  const timer = hook.timeout ? setTimeout(() => { try { process.kill(child, 'SIGKILL'); } catch { /* ended */ } }, hook.timeout * 1000) : undefined;
  const { code } = await waitForExit(child);
  clearTimeout(timer);
  if (code !== 0) throw new NestboxError(`${kind} hook ${hook.path} exited with status ${code}`);
}

/** A hook's environment is exactly its `env` (nothing of the runtime's). */
function envOf(hook: OciHook): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of hook.env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  return env;
}

/** Run every hook of a kind, in order; the first failure stops the list and is thrown. */
export async function runHooks(kind: string, hooks: OciHook[] | undefined, state: OciState, inside?: number): Promise<void> {
  for (const h of hooks ?? []) await (inside ? runHookInside(kind, h, state, inside) : runHook(kind, h, state));
}
