// How this host lays out its cgroups: pure v2 (one tree), v1 (a tree per controller) or hybrid
// (v1 controllers plus an empty v2 tree, as on this project's VMs and older systemd distributions).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MountInfo, mountTable, Pid } from './proc.js';

export const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'io', 'blkio', 'devices', 'freezer', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export type CgroupMode = 'v2' | 'v1' | 'hybrid' | 'none';

export interface CgroupLayout {
  mode: CgroupMode;
  /** Where the v2 tree is mounted, if anywhere (/sys/fs/cgroup or /sys/fs/cgroup/unified). */
  v2Root?: string;
  /** Controllers the v2 tree offers (its root cgroup.controllers); empty on a hybrid host. */
  v2Controllers: string[];
  /** v1 hierarchies: mount point -> controllers bound to it. */
  v1Mounts: { path: string; controllers: string[] }[];
  /** Every usable controller and the tree it lives in. */
  usable: Record<string, { version: 1 | 2; path: string }>;
}

function cgroupRoot(): string {
  return process.env.NESTBOX_CGROUP_ROOT ?? '/sys/fs/cgroup';
}

/**
 * Read the layout from the mount table. `root` may point at a directory laid out like a v2 cgroupfs
 * (tests do that through NESTBOX_CGROUP_ROOT); it counts as v2 when it has a cgroup.controllers file.
 */
export function detectCgroupLayout(root = cgroupRoot(), mounts: MountInfo[] = mountTable()): CgroupLayout {
  const v1Mounts: CgroupLayout['v1Mounts'] = [];
  let v2Root: string | undefined;
  for (const m of mounts) {
    if (!m.mountPoint.startsWith(root)) continue;
    if (m.fstype === 'cgroup2') {
      if (!v2Root || m.mountPoint.length < v2Root.length) v2Root = m.mountPoint;
    } else if (m.fstype === 'cgroup') {
      const controllers = m.superOptions.filter((o) => (CONTROLLERS as readonly string[]).includes(o));
      if (controllers.length) v1Mounts.push({ path: m.mountPoint, controllers });
    }
  }
  if (!v2Root && !v1Mounts.length && existsSync(join(root, 'cgroup.controllers'))) v2Root = root;

  const v2Controllers = v2Root ? readWords(join(v2Root, 'cgroup.controllers')) : [];
  const usable: CgroupLayout['usable'] = {};
  for (const c of v2Controllers) usable[c] = { version: 2, path: v2Root! };
  for (const m of v1Mounts) for (const c of m.controllers) usable[c] = { version: 1, path: m.path };

  let mode: CgroupMode = 'none';
  if (v2Root && v1Mounts.length) mode = 'hybrid';
  else if (v2Root) mode = 'v2';
  else if (v1Mounts.length) mode = 'v1';
  return { mode, v2Root, v2Controllers, v1Mounts, usable };
}

function readWords(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** One line of /proc/PID/cgroup: "hierarchy-id:controllers:path" (v2's line is "0::/path"). */
export interface ProcessCgroup { hierarchy: number; controllers: string[]; path: string }

export function parseProcCgroup(text: string): ProcessCgroup[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    return {
      hierarchy: Number(line.slice(0, first)),
      controllers: line.slice(first + 1, second).split(',').filter(Boolean),
      path: line.slice(second + 1),
    };
  });
}

/**
 * The line of /proc/PID/cgroup for the tree a controller lives in on this host: v2's single "0::"
 * line, or the line of the v1 hierarchy that carries the controller.
 */
export function lineForController(lines: ProcessCgroup[], controller: Controller, layout = detectCgroupLayout()): ProcessCgroup | undefined {
  const v2 = (layout.usable[controller]?.version ?? (layout.mode === 'v2' ? 2 : 1)) === 2;
  return lines.find((l) => (v2 ? l.hierarchy === 0 : l.controllers.includes(controller)));
}

export function processCgroups(pid: Pid = 'self'): ProcessCgroup[] {
  return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
}
