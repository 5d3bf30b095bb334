// Every lab, in syllabus order. `nestbox tutorial` walks this list from the top.
import type { Lab } from '../src/lab/types.js';

/** id -> loader, in syllabus order; labs are imported only when listed or run. */
const LAB_LOADERS: Record<string, () => Promise<{ default: Lab }>> = {
  processes: () => import('./processes.js'),
  namespaces: () => import('./namespaces.js'),
  timens: () => import('./timens.js'),
  uts: () => import('./uts.js'),
  pid: () => import('./pid.js'),
  mnt: () => import('./mnt.js'),
  ipc: () => import('./ipc.js'),
  net: () => import('./net.js'),
  user: () => import('./user.js'),
  chroot: () => import('./chroot.js'),
  overlay: () => import('./overlay.js'),
  build: () => import('./build.js'),
  volumes: () => import('./volumes.js'),
  memory: () => import('./memory.js'),
  cpu: () => import('./cpu.js'),
  pids: () => import('./pids.js'),
  cpuset: () => import('./cpuset.js'),
  freezer: () => import('./freezer.js'),
  'cgroup-tree': () => import('./cgroup-tree.js'),
  'io-devices': () => import('./io-devices.js'),
  cgroupns: () => import('./cgroupns.js'),
  veth: () => import('./veth.js'),
  bridge: () => import('./bridge.js'),
  nat: () => import('./nat.js'),
  ports: () => import('./ports.js'),
  netmodes: () => import('./netmodes.js'),
  run: () => import('./run.js'),
  hardening: () => import('./hardening.js'),
  oci: () => import('./oci.js'),
  lifecycle: () => import('./lifecycle.js'),
};

/** Syllabus order. */
export const LAB_ORDER: string[] = Object.keys(LAB_LOADERS);

export async function loadLab(id: string): Promise<Lab | undefined> {
  const loader = LAB_LOADERS[id];
  return loader ? (await loader()).default : undefined;
}

export async function loadAllLabs(): Promise<Lab[]> {
  const labs = await Promise.all(LAB_ORDER.map((id) => loadLab(id)));
  return (labs.filter(Boolean) as Lab[]).sort((a, b) => a.module - b.module || LAB_ORDER.indexOf(a.id) - LAB_ORDER.indexOf(b.id));
}
