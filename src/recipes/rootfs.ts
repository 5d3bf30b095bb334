// The filesystem steps the course teaches, as lists of system calls for the thread that makes a
// new mount namespace (ThreadStep, src/kernel/spawn.ts). Each is a pure function: it returns what to
// do, and does nothing, so the same recipe serves the lab that teaches it and `nestbox run`, and a
// test can read the list without root. The lab that teaches each one is named beside it.
import { statSync } from 'node:fs';
import type { ThreadStep } from '../kernel/spawn.js';
import {
  MS_REC, MS_PRIVATE, MS_BIND, MS_RDONLY, MS_REMOUNT, MS_NODEV, MNT_DETACH,
} from '../kernel/constants.js';

/**
 * Lab mnt: `mount --make-rprivate /` in the new mount namespace, before anything else. Its mounts
 * start as copies of the host's, peers of them where the host's are shared (systemd makes / shared),
 * so every mount made afterwards would show up on the host too.
 */
export function privateRoot(): ThreadStep {
  return { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE };
}

/** Lab chroot: bind a directory on itself, making it a mount point (pivot_root swaps mounts, not directories). */
export function mountPointOf(dir: string): ThreadStep {
  return { call: 'mount', source: dir, target: dir, fstype: null, flags: MS_BIND | MS_REC };
}

/**
 * Lab overlay: the root as an overlay of image layers, read-only, under a writable layer of its own.
 * `lower` lists the top layer first: a layer shadows those below it.
 */
export function overlayRoot(layers: { lower: string[]; upper: string; work: string }, target: string, flags = 0): ThreadStep {
  return { call: 'mount', source: 'overlay', target, fstype: 'overlay', flags,
    data: `lowerdir=${layers.lower.join(':')},upperdir=${layers.upper},workdir=${layers.work}` };
}

/**
 * Lab volumes: a host directory bound into the root. A bind takes its flags from a second call only
 * (the first ignores MS_RDONLY), hence the remount for a read-only one.
 */
export function bindVolume(source: string, target: string, readOnly = false): ThreadStep[] {
  const steps: ThreadStep[] = [{ call: 'mount', source, target, fstype: null, flags: MS_BIND }];
  if (readOnly) steps.push({ call: 'mount', source: null, target, fstype: null, flags: MS_REMOUNT | MS_BIND | MS_RDONLY });
  return steps;
}

/**
 * The same as the runtime needs it for an image it did not make: the target is resolved inside the
 * root, so a link in the image never leads the mount out to the host, and made when missing.
 */
export function bindIntoRoot(root: string, source: string, target: string, opts: { readOnly?: boolean; nodev?: boolean; recursive?: boolean } = {}): ThreadStep {
  const kind = statSync(source).isDirectory() ? 'dir' : 'file';
  return { call: 'bindInRoot', root, source, path: target, kind, recursive: opts.recursive, remount: (opts.readOnly ? MS_RDONLY : 0) | (opts.nodev ? MS_NODEV : 0) };
}

/**
 * Docker's copy-up: a new, empty volume mounted where the image has a directory starts as a copy of
 * it, so `-v data:/etc` begins with the image's /etc. Done once the root is mounted, before the
 * volume is bound over the path (which would hide what is to be copied).
 */
export function copyUpInto(root: string, target: string, volumeDir: string): ThreadStep {
  return { call: 'copyUp', root, path: target, dest: volumeDir };
}

/** /dev/shm's size when none is asked for: Docker's 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's masked paths: files get /dev/null bound over them, directories an empty read-only tmpfs. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
/** Docker's read-only paths: writable knobs of the whole kernel that a container must not turn. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * Lab chroot: make `dir` the root of the mount namespace, in the order runc and crun use.
 * pivot_root(".", ".") puts the new root at "/" and stacks the old one on top of it; detaching
 * that leaves nothing of the host reachable (where chroot alone can be escaped). `dir` must be a
 * mount point, and the namespace private (pivot_root refuses shared mounts).
 */
export function pivotInto(dir: string): ThreadStep[] {
  return [
    { call: 'chdir', path: dir },
    { call: 'pivot_root', newRoot: '.', putOld: '.' },
    { call: 'umount2', target: '.', flags: MNT_DETACH },
    { call: 'chdir', path: '/' },
  ];
}
