// One cgroup API over the kernel's two interfaces. A cgroup is made under the parent "nestbox", as a
// CgroupV2 (one directory in the one tree) or a CgroupV1 (a directory in each controller's tree),
// whichever version holds the controllers it needs on this host; both answer the same interface
// (cgroup-base.ts). Every write is logged with the file's name on the other version, so a lab can
// show both.
import { detectCgroupLayout, type CgroupLayout, type Controller } from './cgroup-layout.js';
import { UserError } from '../errors.js';
import { Cgroup, checkName } from './cgroup-base.js';
import { CgroupV1 } from './cgroup-v1.js';
import { CgroupV2 } from './cgroup-v2.js';

export { Cgroup, CGROUP_PARENT, FILE_NAMES, removeCgroupDirs, parseFlatKeyed, sharesToWeight } from './cgroup-base.js';
export type { CgroupWrite, MemoryEvents, Knob } from './cgroup-base.js';

/**
 * Create nestbox/NAME with the given controllers. Throws a UserError naming a controller the host
 * lacks. On v2 the controllers are first enabled for children in the root's and the parent's
 * cgroup.subtree_control.
 */
export function createCgroup(name: string, controllers: Controller[], layout = detectCgroupLayout()): Cgroup {
  checkName(name);
  return versionFor(controllers, layout) === 2 ? CgroupV2.create(name, controllers, layout) : CgroupV1.create(name, controllers, layout);
}

/**
 * A cgroup anywhere in the trees, as an OCI config's cgroupsPath places it: `path` below each
 * tree's root, or a function giving it per v1 mount (a relative cgroupsPath lies below the
 * runtime's own cgroup, which may differ from tree to tree). Parents are made as needed.
 */
export function createCgroupAt(path: string | ((mount: string) => string), controllers: Controller[], layout = detectCgroupLayout()): Cgroup {
  const at = typeof path === 'string' ? () => path : path;
  for (const part of at(layout.v2Root ?? '').split('/').filter(Boolean)) checkName(part);
  return versionFor(controllers, layout) === 2 ? CgroupV2.createAt(at(layout.v2Root!), controllers, layout) : CgroupV1.createAt(at, controllers, layout);
}

/**
 * Open a cgroup from its directories (one per v1 tree, or the one on v2), as a runtime recorded
 * them: each directory's tree tells its controllers.
 */
export function openCgroupDirs(dirs: string[], layout = detectCgroupLayout()): Cgroup {
  if (layout.v2Root && dirs.length === 1 && (layout.mode === 'v2' || !layout.v1Mounts.some((m) => dirs[0].startsWith(m.path + '/')))) {
    const map = new Map<string, string>([['', dirs[0]]]);
    for (const c of [...layout.v2Controllers, 'freezer', 'devices']) map.set(c, dirs[0]);
    return new CgroupV2(dirs[0], layout, map);
  }
  const map = new Map<string, string>();
  for (const dir of dirs) {
    const mount = layout.v1Mounts.find((m) => dir.startsWith(m.path + '/'));
    for (const c of mount?.controllers ?? []) map.set(c, dir);
  }
  map.set('', dirs[0]);
  return new CgroupV1(dirs[0], layout, map);
}

/** Open an existing nestbox/NAME (for `cleanup`, `stats`, `exec`). */
export function openCgroup(name: string, controllers: Controller[], layout = detectCgroupLayout()): Cgroup {
  return versionFor(controllers, layout) === 2 ? CgroupV2.open(name, controllers, layout) : CgroupV1.open(name, controllers, layout);
}

/** All controllers must live in one version's tree(s); hybrid hosts use v1 for everything. */
function versionFor(controllers: Controller[], layout: CgroupLayout): 1 | 2 {
  for (const c of controllers) {
    const where = layout.usable[c] ?? (layout.mode === 'v2' && (c === 'freezer' || c === 'devices' || c === 'cpuacct') ? { version: 2 as const, path: layout.v2Root! } : undefined);
    if (!where) throw new UserError(`the cgroup controller "${c}" is not available on this host (cgroup mode: ${layout.mode}); see \`nestbox doctor\``);
  }
  if (layout.mode === 'v2') return 2;
  const versions = new Set(controllers.map((c) => layout.usable[c]?.version));
  if (versions.size > 1) throw new UserError(`the controllers ${controllers.join(', ')} are split between cgroup v1 and v2 on this host; nestbox needs them in one version`);
  return [...versions][0] === 2 ? 2 : 1;
}
