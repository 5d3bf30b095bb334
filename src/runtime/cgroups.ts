// The container's cgroup: one per container under the "nestbox" parent, with the controllers this
// host offers, and the limits from the command line written through the one cgroup layer.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cgroup } from '../kernel/cgroup.js';
import { parseDeviceRule, DeviceRule } from '../kernel/bpf.js';
import { detectCgroupLayout, processCgroups, Controller } from '../kernel/cgroup-layout.js';
import { mountTable } from '../kernel/proc.js';
import { UserError } from '../errors.js';
import type { ContainerSpec } from './spec.js';
import { deviceNumbers } from './run-flags.js';

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
 * The devices a container may open or create, runc's default list: any node may be made (mknod),
 * only these may be opened. Docker adds nothing for a plain container; --privileged lifts the list.
 */
const CONTAINER_DEVICES: DeviceRule[] = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', // null zero full random urandom
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', // tty console ptmx
  'c 136:* rwm', // the pty slaves, /dev/pts/N
  'c 10:200 rwm', // /dev/net/tun: allowed, as runc does, though nestbox's /dev has no node for it
].map(parseDeviceRule);

export function applyLimits(cg: Cgroup, spec: ContainerSpec): void {
  if (!spec.privileged && cg.dirs.has('devices')) cg.allowOnlyDevices([...CONTAINER_DEVICES, ...deviceRules(spec)]);
  if (spec.memory) {
    cg.setMemoryMax(spec.memory);
    // --memory-swap: Docker's total of memory and swap; without it, nestbox allows no swap on top.
    // (Where the kernel accounts no swap, there is none to limit, as Docker warns.)
    if (spec.memorySwap !== undefined) cg.setMemorySwapMax(spec.memorySwap === -1 ? 'max' : spec.memorySwap, spec.memory);
    else cg.disableSwap(spec.memory);
  }
  // --cpu-shares: cpu.shares on v1; on v2 cpu.weight, converted as runc does (sharesToWeight: v1's
  // default 1024 becomes 39, not v2's own default of 100; only a ratio between groups matters).
  if (spec.cpuShares !== undefined) cg.setCpuShares(spec.cpuShares);
  if (spec.cpus) cg.setCpuMax(spec.cpus.quotaUs, spec.cpus.periodUs);
  if (spec.pidsLimit !== undefined) cg.setPidsMax(spec.pidsLimit);
  if (spec.cpuset) cg.setCpuset(spec.cpuset);
}

/**
 * --device: one more allow rule per device, with the access asked for (r, w, m). The numbers are
 * the host node's, read now.
 */
function deviceRules(spec: ContainerSpec): DeviceRule[] {
  return (spec.devices ?? []).map((d) => {
    const { type, major, minor } = deviceNumbers(d);
    return { type, major, minor, access: d.permissions };
  });
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
    for (const [dir, _] of home) writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  }
}

/** This process's current cgroup directory in each tree the container's cgroup uses. */
function homeCgroups(cg: Cgroup): [string, string][] {
  const mine = processCgroups('self');
  const out: [string, string][] = [];
  for (const dir of cg.allDirs()) {
    const mount = dir.slice(0, dir.indexOf('/nestbox/'));
    // v2: the "0::" line; v1: the line whose controllers are mounted at `mount`.
    const controllers = cg.version === 2 ? [] : readMountControllers(mount);
    const line = mine.find((l) => (cg.version === 2 ? l.hierarchy === 0 : controllers.some((c) => l.controllers.includes(c))));
    if (line) out.push([join(mount, line.path), line.path]);
  }
  return out;
}

/** The controllers a v1 hierarchy mounted at `mount` carries (its super options: "rw,cpu,cpuacct"). */
function readMountControllers(mount: string): string[] {
  return mountTable().find((m) => m.mountPoint === mount)?.superOptions ?? [];
}
