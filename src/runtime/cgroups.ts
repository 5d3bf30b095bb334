// The container's cgroup: one per container under the "nestbox" parent, with the controllers this
// host offers (its limits are the OCI config's, written by resources.ts), and the moment the
// creating process spends inside it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cgroup } from '../kernel/cgroup.js';
import { detectCgroupLayout, processCgroups, Controller } from '../kernel/cgroup-layout.js';
import { mountTable } from '../kernel/proc.js';
import { UserError } from '../errors.js';
import type { ContainerSpec } from './spec.js';

/** The controllers a container gets: the ones stats, limits and pause need, where the host has them. */
export function containerControllers(spec: ContainerSpec): Controller[] {
  const layout = detectCgroupLayout();
  const has = (c: string) => c in layout.usable || (layout.mode === 'v2' && (c === 'freezer' || c === 'devices'));
  const wanted: Controller[] = ['memory', 'cpu', 'pids', 'freezer', 'devices'];
  if (layout.mode !== 'v2' && has('cpuacct')) wanted.push('cpuacct');
  if (spec.cpuset) wanted.push('cpuset');
  if (spec.cpuset && !has('cpuset')) throw new UserError('--cpuset-cpus needs the cpuset controller, which this host does not offer (see nestbox doctor)', 125);
  if (spec.memory && !has('memory')) throw new UserError('--memory needs the memory controller, which this host does not offer (see nestbox doctor)', 125);
  if (spec.pidsLimit !== undefined && !has('pids')) throw new UserError('--pids-limit needs the pids controller, which this host does not offer', 125);
  // On a hybrid host every controller must be in the same version's trees (Cgroup.create checks).
  const version = (c: string) => layout.usable[c]?.version ?? (layout.mode === 'v2' ? 2 : 0);
  const main = version('memory') || version('pids') || version('cpu');
  return wanted.filter((c) => has(c) && version(c) === main);
}

/**
 * Start a process that is born in the container's cgroup. On cgroup v1 the thread that spawns it
 * moves itself in and back out (`start` gets the `tasks` files: SpawnRequest.cgroupTasks): one
 * thread moving itself is done without the global lock that moving a whole process takes, whose
 * first taker waits out an RCU grace period (10-15 ms on a busy 2-CPU VM). On v2, which moves whole
 * processes only, nestbox itself goes in for the moment (insideCgroup).
 */
export function bornInside<T>(cg: Cgroup, start: (cgroupTasks?: { enter: string[]; leave: string[] }) => Promise<T>): Promise<T> {
  if (cg.version === 2) return insideCgroup(cg, () => start());
  return start({ enter: cg.allDirs().map((dir) => join(dir, 'tasks')), leave: homeCgroups(cg).map(([dir]) => join(dir, 'tasks')) });
}

/**
 * Run `fn` with this process moved into the container's cgroup, then move it back.
 *
 * Why: a cgroup namespace is rooted at the cgroup its creator is in when it calls
 * unshare(CLONE_NEWCGROUP). The thread that creates the container's namespaces is a thread of this
 * process, and a process moves between cgroups as a whole (cgroup.procs), so the process goes in
 * for the moment of creation. The container's first process is then created inside the cgroup too,
 * so not one instruction of it runs outside its limits. Limits are written afterwards, so this
 * process is never limited by them.
 */
export async function insideCgroup<T>(cg: Cgroup, fn: () => Promise<T>): Promise<T> {
  const home = homeCgroups(cg);
  cg.addProcess(process.pid);
  try {
    return await fn();
  } finally {
    for (const [dir] of home) writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  }
}

/** This process's current cgroup directory in each tree the container's cgroup uses. */
function homeCgroups(cg: Cgroup): [string, string][] {
  const mine = processCgroups('self');
  const table = mountTable();
  const layout = detectCgroupLayout(undefined, table);
  const mounts = [...layout.v1Mounts.map((m) => m.path), ...(layout.v2Root ? [layout.v2Root] : [])];
  const out: [string, string][] = [];
  for (const dir of cg.allDirs()) {
    // The tree's mount: the longest mount point the directory lies below.
    const mount = mounts.filter((m) => dir.startsWith(m + '/')).sort((a, b) => b.length - a.length)[0];
    if (!mount) continue;
    // v2: the "0::" line; v1: the line whose controllers are mounted at `mount` (its super options: "rw,cpu,cpuacct").
    const controllers = cg.version === 2 ? [] : table.find((m) => m.mountPoint === mount)?.superOptions ?? [];
    const line = mine.find((l) => (cg.version === 2 ? l.hierarchy === 0 : controllers.some((c) => l.controllers.includes(c))));
    if (line) out.push([join(mount, line.path), line.path]);
  }
  return out;
}

