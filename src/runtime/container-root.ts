// A container's root filesystem, as a directory descriptor the host can work from (`nestbox cp`).
//
// Running (or paused): /proc/PID/root. That link is the root of PID 1 inside its own mount
// namespace, so a walk from it sees what the container sees: its overlay root and every mount on
// it (volumes, tmpfs, /etc/hosts).
//
// Stopped: its root is mounted nowhere. A throwaway thread makes a mount namespace of its own,
// mounts the container's overlay there (image layers below, its own writable layer on top) with its
// volumes and binds, and hands back a descriptor of that root and one of the namespace. No process
// lives in that namespace and nothing is mounted on the host, so there is nothing to record in a
// ledger: closing the two descriptors unmounts it all, and so does nestbox's end, however it ends.
import { existsSync, mkdirSync, constants as fsc } from 'node:fs';
import { UserError } from '../errors.js';
import { startTime } from '../host/ledger.js';
import { openPath, closeFd, O_PATH } from '../kernel/at.js';
import { privateMountTree, ThreadStep } from '../kernel/spawn.js';
import { MS_BIND, MS_RDONLY, MS_REMOUNT } from '../kernel/constants.js';
import { privateRoot, overlayRoot, bindIntoRoot } from '../recipes/rootfs.js';
import { volumeData } from './mount-spec.js';
import { containerLayers } from './images.js';
import { Container, paths } from './store.js';

export interface OpenRoot {
  /** A descriptor of the container's "/" (O_PATH), for openInRoot. */
  fd: number;
  running: boolean;
  close(): void;
}

export async function openContainerRoot(c: Container): Promise<OpenRoot> {
  const { Pid, PidStart } = c.state;
  if (Pid && PidStart && startTime(Pid) === PidStart) {
    const fd = openPath(`/proc/${Pid}/root`, O_PATH | fsc.O_DIRECTORY);
    // Still the same process once opened: a PID can be reused by another the moment it ends.
    if (startTime(Pid) === PidStart) return { fd, running: true, close: () => closeFd(fd) };
    closeFd(fd);
    throw new UserError(`container ${c.spec.name} stopped during the copy: try again`, 1);
  }
  const p = paths(c.id);
  let lower: string[];
  try {
    lower = await containerLayers(c.spec);
  } catch (err) {
    throw new UserError(`container ${c.spec.name} is stopped and its image (${c.spec.image}) is gone, so its root cannot be mounted: ${(err as Error).message}`, 1);
  }
  // A container created but never started may not have its layer yet: the same directories start makes.
  for (const d of [p.upper, p.work, p.rootfs]) mkdirSync(d, { recursive: true });
  const R = p.rootfs;
  const steps: ThreadStep[] = [
    privateRoot(),
    overlayRoot({ lower, upper: p.upper, work: p.work }, R),
    // Its volumes and binds, where they are when it runs: a file copied to /data lands in the volume.
    // (One not made yet, of a container never started, is left out: what is copied to its path now
    // is copied up into it when the container starts.)
    ...c.spec.volumes.filter((m) => m.type !== 'tmpfs').map((m) => ({ ...m, source: m.type === 'volume' ? volumeData(m.source) : m.source }))
      .filter((m) => existsSync(m.source))
      .sort((a, b) => a.target.split('/').length - b.target.split('/').length)
      .map((m) => bindIntoRoot(R, m.source, m.target, { readOnly: m.readOnly, recursive: true })),
    // --read-only: the root refuses writes as it does when the container runs.
    ...(c.spec.readOnly ? [{ call: 'mount', source: null, target: R, fstype: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY } as ThreadStep] : []),
  ];
  const { root, ns } = await privateMountTree(steps, R);
  return { fd: root, running: false, close: () => { closeFd(root); closeFd(ns); } };
}
