// Small helpers shared by the cgroup labs: create a cgroup and write it in the ledger at once, show
// every file written under its name on both cgroup versions, start a process inside a cgroup, run a
// short script in one.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext, Text } from '../src/lab/types.js';
import { t } from '../src/lab/types.js';
import { pick, tr } from '../src/i18n/lang.js';
import { Cgroup, createCgroup as makeCgroup } from '../src/kernel/cgroup.js';
import type { Controller } from '../src/kernel/cgroup-layout.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { Ran, runCaptured } from './kit.js';

/**
 * Create nestbox/<lab>-<unique><suffix> and write it in the ledger straight away: from then on the
 * cleanup removes it (killing what is inside first), whatever happens to the lab.
 */
export function createCgroup<S extends object>(ctx: LabContext<S>, controllers: Controller[], suffix = ''): Cgroup {
  const cg = makeCgroup(`${ctx.labId}-${ctx.unique}${suffix}`, controllers);
  ctx.ledger.record({ kind: 'cgroup', dirs: cg.allDirs() });
  if (cg.version === 2) {
    // v2 hands a controller to children only when the parent lists it in cgroup.subtree_control.
    const parent = join(cg.dir(), '..');
    const enabled = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').trim();
    const file = join(parent, 'cgroup.subtree_control');
    ctx.say(t(`${file} reads "${enabled}": the controllers its children get (v1 needs no such step: a controller is always on in its hierarchy's tree)`,
      `${file} 的内容是 "${enabled}"：这些就是它交给子组的控制器（v1 不需要这一步：控制器在它所在层级的那棵树里总是开着的）`));
  }
  return cg;
}

/** A nested cgroup inside `parent`, recorded after it so that the cleanup removes it first. */
export function createChild<S extends object>(ctx: LabContext<S>, parent: Cgroup, name: string): Cgroup {
  const cg = parent.child(name);
  ctx.ledger.record({ kind: 'cgroup', dirs: cg.allDirs() });
  return cg;
}

const shown = new WeakMap<Cgroup, number>();

/** "on cgroup vN: NAME" in Chinese; the one name that is words rather than a file is put in Chinese. */
function otherVersionZh(version: number, name: string): string {
  return name === 'a BPF_CGROUP_DEVICE program, no file'
    ? `在 cgroup v${version} 上是一个 BPF_CGROUP_DEVICE 程序，没有对应的文件`
    : `在 cgroup v${version} 上是 ${name}`;
}

/** Narrate the files written since the last call: the path on this host, and the same knob's name on the other version. */
export function sayWrites<S extends object>(ctx: LabContext<S>, ...groups: Cgroup[]): void {
  for (const cg of groups) {
    const from = shown.get(cg) ?? 0;
    for (const w of cg.writes.slice(from)) {
      const other = w.otherVersion ? `; on cgroup v${3 - cg.version}: ${w.otherVersion}` : '';
      const otherZh = w.otherVersion ? `；${otherVersionZh(3 - cg.version, w.otherVersion)}` : '';
      ctx.say(t(`wrote "${w.value}" to ${w.path}  (cgroup v${cg.version}${other})`,
        `把 "${w.value}" 写入了 ${w.path}（cgroup v${cg.version}${otherZh}）`));
    }
    shown.set(cg, cg.writes.length);
  }
}

/** "/sys/fs/cgroup/cpuset/nestbox/x (cgroup v1, host layout hybrid)", in both languages. */
export function whereText(cg: Cgroup): Text {
  return t(`${cg.allDirs().join(', ')} (cgroup v${cg.version}, host layout ${cg.layout.mode})`,
    `${cg.allDirs().join('、')}（cgroup v${cg.version}，宿主机的布局：${({ v2: '纯 v2', v1: 'v1', hybrid: '混合', none: '无' } as Record<string, string>)[cg.layout.mode] ?? cg.layout.mode}）`);
}

/** The same as whereText, in this run's language (for a message built in place). */
export function where(cg: Cgroup): string {
  return tr(whereText(cg));
}

/** "0-2,5" -> [0, 1, 2, 5] (the kernel's CPU list format). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

export { statField } from '../src/kernel/proc.js';

/** /proc/PID/status "Key:" value, or "(gone)". */
export function statusField(pid: number, key: string): string {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(key + ':'));
    return line ? line.slice(key.length + 1).trim() : pick('(absent)', '（没有这一行）');
  } catch {
    return pick('(gone)', '（进程已不在）');
  }
}

/** Start a long-running host program and move it into the cgroup (the shell's `echo PID > cgroup.procs`). */
export async function startIn<S extends object>(ctx: LabContext<S>, cg: Cgroup, argv: string[], note: string): Promise<number> {
  const devnull = openSync('/dev/null', 'r+');
  let pid: number;
  try {
    pid = await ctx.spawn({ argv, env: baseEnv(), stdio: [devnull, devnull, devnull] }, note);
  } finally {
    closeSync(devnull);
  }
  cg.addProcess(pid);
  return pid;
}

/**
 * Start `script` with /bin/sh, which first moves itself into the cgroup (see joinSelf): use this
 * when what the process allocates from its first instruction on must count in the cgroup.
 */
export async function startJoined<S extends object>(ctx: LabContext<S>, cg: Cgroup, script: string, note: string): Promise<number> {
  const devnull = openSync('/dev/null', 'r+');
  try {
    return await ctx.spawn({ argv: ['/bin/sh', '-c', joinSelf(cg) + script], env: baseEnv(), stdio: [devnull, devnull, devnull] }, note);
  } finally {
    closeSync(devnull);
  }
}

/**
 * The shell words that put the shell itself into the cgroup before it runs anything else, as a
 * container runtime's init does: whatever it allocates or opens afterwards is the cgroup's.
 */
function joinSelf(cg: Cgroup): string {
  return `for d in ${cg.allDirs().join(' ')}; do echo $$ > "$d/cgroup.procs"; done; `;
}

/** Run `script` with /bin/sh inside the cgroup and wait for it: how it ended, and what it printed. */
export function runInCgroup<S extends object>(ctx: LabContext<S>, cg: Cgroup, script: string, name: string): Promise<Ran> {
  return runCaptured(ctx, { argv: ['/bin/sh', '-c', joinSelf(cg) + script] }, name);
}

/** "33554432" -> "32.0 MiB". */
export function mib(bytes: number | 'max' | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes === 'max') return 'max';
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
