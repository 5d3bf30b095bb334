// Starting a program inside a cgroup before it runs a single instruction of its own (used by the
// memory, cpu and pids labs).
//
// A process joins a cgroup when its PID is written to cgroup.procs, and a PID exists only once the
// process does. So the process must wait until it is in: it is held (src/kernel/held.ts), a shell
// blocked reading a pipe whose write end only nestbox holds. nestbox writes the PID to cgroup.procs
// (in every tree on v1), reads each cgroup.procs back to be sure, and only then lets it go: the
// shell execs the program, which starts inside the cgroup, and so does every child it forks. runc
// holds a container's first process the same way (its init blocks on a FIFO until `runc start`),
// and so does `nestbox run`. Had we added the PID after the program started instead, its first
// allocations or forks would have been charged to the wrong cgroup, or not limited at all.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext, Text } from '../src/lab/types.js';
import { t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import type { Cgroup, Knob } from '../src/kernel/cgroup.js';
import { baseEnv, ExitStatus } from '../src/kernel/spawn.js';
import { hold, type HeldProcess } from '../src/kernel/held.js';
import { startTime } from '../src/kernel/proc.js';
import { describeExit } from '../src/kernel/reap.js';
import { sayWrites } from './cgroup-lab-kit.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Held {
  pid: number;
  /** Close the pipe: the shell's `read` returns and it execs the program, inside the cgroup. */
  release(): void;
  /** Wait for it to end (waitpid) and collect it. */
  wait(): Promise<ExitStatus>;
  /** SIGKILL it if it still runs, and collect it. */
  stop(): Promise<void>;
  /** What it wrote to stdout and stderr. */
  output(): string;
}

/** Is `pid` listed in cgroup.procs of every directory of the cgroup (each tree on v1)? */
function isMember(cg: Cgroup, pid: number): boolean {
  return cg.allDirs().every((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
}

/** Start `argv` held at the door of `cg`; it runs once release() is called. Output goes to WORKDIR/NAME.log; the cgroup.procs write is narrated. */
export async function startHeld<S extends object>(ctx: LabContext<S>, cg: Cgroup, argv: string[], name: string): Promise<Held> {
  const log = join(ctx.workDir, `${name}.log`);
  const out = openSync(log, 'w');
  const nul = openSync('/dev/null', 'r');
  let held: HeldProcess;
  try {
    held = await hold({ command: argv, workdir: '/', env: baseEnv(), stdio: [nul, out, out] });
  } finally {
    closeSync(out);
    closeSync(nul);
  }
  ctx.ledger.record({ kind: 'process', pid: held.pid, starttime: startTime(held.pid), note: name });
  try {
    held.joinCgroup(cg);
    if (!isMember(cg, held.pid)) throw new Error(pick(`PID ${held.pid} is not listed in ${cg.name}'s cgroup.procs`, `${cg.name} 的 cgroup.procs 里没有 PID ${held.pid}`));
    sayWrites(ctx, cg);
  } catch (err) {
    // Never let it go outside the cgroup: SIGKILL takes effect before it runs another instruction.
    await held.kill();
    throw err;
  }
  const released = () => held.release().catch(() => undefined);
  return {
    pid: held.pid,
    release: () => void released(),
    wait: async () => {
      await released();
      return held.exited();
    },
    stop: () => held.kill(),
    output: () => readFileSync(log, 'utf8'),
  };
}

/** "killed by SIGKILL (status 137)" / "exited with code 0": what waitpid reported. */
export function exitText(e: ExitStatus): string {
  return e.signal === null ? describeExit(e) : `${describeExit(e)} (status ${e.code})`;
}

/** describeExit in both languages: "killed by SIGKILL" / "被 SIGKILL 杀死", "exited with code 0" / "以退出码 0 退出". */
export function exitWords(e: ExitStatus): Text {
  const en = describeExit(e);
  return e.signal === null ? t(en, `以退出码 ${e.code} 退出`) : t(en, `被 ${en.replace(/^killed by /, '')} 杀死`);
}

/**
 * exitText in both languages, for a summary or an observed value: "killed by SIGKILL (status 137)" /
 * "被 SIGKILL 杀死（状态 137）". Compared by its English, so it equals exitText's string.
 */
export function exitShown(e: ExitStatus): Text {
  const words = exitWords(e);
  return e.signal === null ? words : t(exitText(e), `${words.zh}（状态 ${e.code}）`);
}

/** Poll `test` every 10 ms until it holds or `ms` pass; returns whether it held. */
export async function until(test: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (test()) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

/** A knob's file here and on the other cgroup version, for observation labels: "memory.limit_in_bytes (v2: memory.max)". */
export function bothNames(cg: Cgroup, knob: Knob): string {
  return `${cg.file(knob)} (v${3 - cg.version}: ${cg.otherFile(knob)})`;
}
