// Helpers every kind of lab uses: run a short command and capture what it printed (in other
// namespaces, another root or as another uid), start a helper that ends up as `sleep`, stop and
// collect the long-running processes a lab started, find a host tool, wait a little.
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from '../src/lab/types.js';
import type { NamespaceType } from '../src/kernel/constants.js';
import { baseEnv, waitForExit, ExitStatus, SpawnRequest } from '../src/kernel/spawn.js';
import { isAlive, childrenOf } from '../src/kernel/proc.js';
import { tryReap } from '../src/kernel/reap.js';
import { startTime } from '../src/host/ledger.js';
import { requireTool } from '../src/host/exec.js';
import { pick } from '../src/i18n/lang.js';

import { setTimeout as sleep } from 'node:timers/promises';
export { sleep };

/** A host program's path: util-linux and coreutils live in /usr/bin today, /bin on older systems. */
export const hostTool = (name: string) => requireTool(name);

/** How a short command ended, and what it printed (stdout and stderr together, trimmed). */
export interface Ran { code: number; exit: ExitStatus; out: string }

let outputs = 0;

/**
 * Start a short command as `req` describes (namespaces to join or unshare, a root, a uid...), wait
 * for it to end, and return how it ended and what it printed. Its stdin is /dev/null; its output
 * goes to a file under the lab's work directory, opened here and handed down, so the command can
 * write it whatever root or uid it runs with.
 */
export async function runCaptured(ctx: LabContext<object>, req: Omit<SpawnRequest, 'env' | 'stdio'>, note?: string): Promise<Ran> {
  const file = join(ctx.workDir, `output-${++outputs}.txt`);
  const out = openSync(file, 'w', 0o600);
  const nul = openSync('/dev/null', 'r');
  try {
    const pid = await ctx.spawn({ ...req, env: baseEnv(), stdio: [nul, out, out] }, note);
    const exit = await waitForExit(pid);
    return { code: exit.code, exit, out: readFileSync(file, 'utf8').trim() };
  } finally {
    closeSync(out);
    closeSync(nul);
    rmSync(file, { force: true });
  }
}

/** Run a short command in the namespaces of `pid`, like `nsenter --target PID --net ...`. */
export function runJoined(ctx: LabContext<object>, pid: number, types: NamespaceType[], argv: string[]): Promise<Ran> {
  return runCaptured(ctx, { argv, join: { pid, types } });
}

/**
 * SIGKILL processes the lab started and collect them (waitpid): a killed child stays a zombie until
 * its parent collects it, and only nestbox, the parent, can. A PID is acted on only while it names
 * the very process the lab started, with the start time the ledger recorded for it (a PID that was
 * collected already may belong to another process by now).
 */
export async function stopAndReap(ctx: LabContext<object>, ...pids: (number | undefined)[]): Promise<void> {
  for (const pid of pids) {
    if (!pid) continue;
    const recorded = ctx.ledger.entries().filter((e) => e.kind === 'process' && e.pid === pid).pop();
    if (recorded?.kind !== 'process' || recorded.starttime === undefined || startTime(pid) !== recorded.starttime) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // gone already
    }
    // Polled rather than a blocking waitpid: a process that cannot die yet (one frozen by the
    // cgroup v1 freezer holds SIGKILL until it is thawed) must not keep one of Node's threads.
    for (let i = 0; i < 400; i++) {
      let state: ReturnType<typeof tryReap>;
      try {
        state = tryReap(pid);
      } catch {
        break;
      }
      if (state !== 'running') break;
      await sleep(5);
    }
  }
}

/** The short name the kernel keeps for a process (/proc/PID/comm): it changes at execve. */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Start a helper that ends by exec'ing `sleep infinity` (util-linux `unshare ... sleep`), and wait
 * until it has: only then is its namespace set up. Its error messages go to a log under workDir.
 * The PID is remembered in ctx.state.sleepers, so the lab's cleanup can stop *and* collect it
 * (reapHelpers).
 */
export async function startSleeper(ctx: LabContext<object>, req: Omit<SpawnRequest, 'env' | 'stdio'>, note: string): Promise<number> {
  const { pid, log } = await startHelper(ctx, req, note);
  await until(req, log, pid, () => commOf(pid) === 'sleep');
  return pid;
}

/**
 * The same for a helper that forks its program instead of becoming it (`unshare --fork
 * --kill-child ... sleep`): resolves to the PID of the child once it is `sleep`. Both are recorded,
 * and stopping the helper kills the child (--kill-child).
 */
export async function startForkedSleeper(ctx: LabContext<object>, req: Omit<SpawnRequest, 'env' | 'stdio'>, note: string): Promise<number> {
  const { pid, log } = await startHelper(ctx, req, note);
  let child: number | undefined;
  await until(req, log, pid, () => (child = childrenOf(pid).find((c) => commOf(c) === 'sleep')) !== undefined);
  ctx.ledger.record({ kind: 'process', pid: child!, starttime: startTime(child!), note: `${note} (the helper's child)` });
  return child!;
}

async function startHelper(ctx: LabContext<object>, req: Omit<SpawnRequest, 'env' | 'stdio'>, note: string): Promise<{ pid: number; log: string }> {
  const log = join(ctx.workDir, `helper-${++outputs}.log`);
  const err = openSync(log, 'w', 0o644);
  const nul = openSync('/dev/null', 'r+');
  let pid: number;
  try {
    pid = await ctx.spawn({ env: baseEnv(), cwd: '/', ...req, stdio: [nul, nul, err] }, note);
  } finally {
    closeSync(err);
    closeSync(nul);
  }
  (ctx.state.sleepers ??= []).push(pid);
  return { pid, log };
}

/** Poll until `ready`; a helper that dies or takes over 3 s fails with what it printed. */
async function until(req: { argv: string[] }, log: string, pid: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!ready()) {
    if (!isAlive(pid) || Date.now() > deadline) {
      const why = readFileSync(log, 'utf8').trim() || pick('no message', '没有任何信息');
      throw new Error(pick(`${req.argv.join(' ')} did not start: ${why}`, `${req.argv.join(' ')} 没能启动：${why}`));
    }
    await sleep(2);
  }
}

/** Stop and collect the helpers startSleeper started. */
export async function reapHelpers(ctx: LabContext<object>): Promise<void> {
  await stopAndReap(ctx, ...(ctx.state.sleepers ?? []));
  ctx.state.sleepers = [];
}

/** "1 mount", "3 mounts": a count with its noun in the right number. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
