// The container's filesystem and settings, from its OCI config, as the list of system calls a
// thread makes inside the container's namespaces before its first process runs (ThreadStep,
// src/kernel/spawn.ts). The order is runc's (libcontainer/rootfs_linux.go):
//
//   1. propagation: nothing mounted from here on reaches the host (lab mnt)
//   2. the root: the bundle's directory bound on itself, or an overlay of image layers (lab overlay),
//      so that it is a mount point pivot_root can swap in
//   3. the hostname, and lo up in a new network namespace
//   4. config.mounts, in their order: /proc (by a process inside the PID namespace: lab pid),
//      /dev, /dev/pts, /sys, cgroups, volumes and binds (labs volumes, cgroupns)
//   5. the default devices (bound from the host's /dev) and config.linux.devices (mknod), the
//      links /dev/fd, /dev/stdin... /dev/ptmx
//   6. sysctls, masked paths, read-only paths (lab hardening)
//   7. pivot_root into the root (lab chroot), the root read-only if asked, its propagation last
//
// Each step is data: a test can read the list without root, and --trace shows what it did.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ThreadStep } from '../kernel/spawn.js';
import type { CgroupLayout } from '../kernel/cgroup-layout.js';
import { which } from '../host/exec.js';
import { MS_BIND, MS_REC, MS_RDONLY, MS_REMOUNT, MS_PRIVATE, MS_SLAVE } from '../kernel/constants.js';
import { pivotInto, overlayRoot, mountPointOf, copyUpInto } from '../recipes/rootfs.js';
import { parseMountOptions, rootPropagation } from '../oci/mount-options.js';
import type { OciSpec, OciMount } from '../oci/types.js';
import { cgroupSteps, type OwnCgroups } from './mounts.js';

/** The devices every container gets (runc's default set), bound from the host's /dev. */
const DEFAULT_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

export interface FsPlanOptions {
  /** The root as an overlay of image layers (`nestbox run`), mounted at config.root.path. */
  overlay?: { lower: string[]; upper: string; work: string; flags?: number };
  /** The cgroup layout, for a mount of type cgroup. */
  layout: CgroupLayout;
  /** The container's devices are bound from the host (a user namespace cannot mknod). */
  bindDevices?: boolean;
  /** false: no mount namespace of its own, so nothing is mounted (the process was chrooted instead). */
  mountNamespace?: boolean;
  /** Without a cgroup namespace of its own: the container's cgroup in each tree, bound over the tree's root. */
  ownCgroups?: OwnCgroups;
}

/** What the thread does, in order, with the container's root at config.root.path (absolute). */
export function containerFsSteps(config: OciSpec, opts: FsPlanOptions): ThreadStep[] {
  const R = config.root!.path;
  const linux = config.linux ?? {};
  const newNet = (linux.namespaces ?? []).some((n) => n.type === 'network' && !n.path);
  const propagation = linux.rootfsPropagation ? rootPropagation(linux.rootfsPropagation)! : undefined;
  const names: ThreadStep[] = [
    ...(config.hostname !== undefined && (linux.namespaces ?? []).some((n) => n.type === 'uts') ? [{ call: 'sethostname', name: config.hostname } as ThreadStep] : []),
    ...(newNet ? [{ call: 'linkUp', name: 'lo' } as ThreadStep] : []),
  ];
  if (opts.mountNamespace === false) return names;
  const steps: ThreadStep[] = [
    // 1. Slave, as runc: the host's later mounts still reach the container, nothing goes back. A
    // config that asks for private gets private from the start.
    { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | (propagation !== undefined && propagation & MS_PRIVATE ? MS_PRIVATE : MS_SLAVE) },
    // 2. The root.
    opts.overlay ? overlayRoot(opts.overlay, R, opts.overlay.flags ?? 0) : mountPointOf(R),
    // 3.
    ...names,
  ];
  // 4.
  for (const m of config.mounts ?? []) steps.push(...mountSteps(R, m, opts.layout, opts.ownCgroups));
  // 5.
  const own = new Set((linux.devices ?? []).map((d) => d.path));
  for (const name of DEFAULT_DEVICES) if (!own.has(`/dev/${name}`)) steps.push({ call: 'deviceBindInRoot', root: R, source: `/dev/${name}`, path: `/dev/${name}` });
  for (const d of linux.devices ?? []) {
    steps.push(opts.bindDevices
      ? { call: 'deviceBindInRoot', root: R, source: d.path, path: d.path }
      : { call: 'mknodInRoot', root: R, path: d.path, type: d.type === 'u' ? 'c' : d.type, major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  }
  // Inside the root: the image's /dev may be a link, which must not lead the links out to the host.
  for (const [link, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['ptmx', 'pts/ptmx']]) {
    steps.push({ call: 'symlinkInRoot', root: R, target, path: `/dev/${link}`, ifMissing: true });
  }
  // 6. sysctls go through the container's /proc; the thread has joined its IPC and network
  // namespaces, which decide whose settings /proc/sys shows.
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) steps.push({ call: 'sysctl', proc: join(R, 'proc'), key, value });
  for (const p of linux.maskedPaths ?? []) steps.push({ call: 'maskInRoot', root: R, path: p });
  for (const p of linux.readonlyPaths ?? []) steps.push({ call: 'readonlyInRoot', root: R, path: p });
  if (config.process?.cwd && config.process.cwd !== '/') steps.push({ call: 'mkdirInRoot', root: R, path: config.process.cwd });
  // 7.
  if (config.root?.readonly) steps.push({ call: 'mount', source: null, target: R, fstype: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY });
  steps.push(...pivotInto(R));
  // After pivot_root (which refuses shared mounts), the propagation asked for: "shared" makes the
  // root a peer group of its own, whose binds inside the container see each other's mounts.
  if (propagation !== undefined && !(propagation & MS_PRIVATE)) steps.push({ call: 'mount', source: null, target: '/', fstype: null, flags: propagation });
  return steps;
}

/** One entry of config.mounts. */
export function mountSteps(R: string, m: OciMount, layout: CgroupLayout, own?: OwnCgroups): ThreadStep[] {
  const o = parseMountOptions(m.options);
  const type = m.type ?? (o.bind ? 'bind' : undefined);
  const steps: ThreadStep[] = [];
  if (type === 'proc') {
    // A procfs shows the PID namespace of whoever mounts it: a short `mount` started from the
    // thread, which has joined the container's PID namespace, so the child is inside it. busybox's
    // when there is one (nestbox builds its default root from it): it starts in a fraction of the
    // time util-linux's takes to load its libraries, and this wait is on every container's path.
    const flags = ['nosuid', 'nodev', 'noexec', 'ro'].filter((f) => (m.options ?? []).includes(f));
    const args = ['-t', 'proc', ...(flags.length ? ['-o', flags.join(',')] : []), m.source || 'proc', join(R, m.destination)];
    const busybox = which('busybox');
    steps.push({ call: 'mkdirInRoot', root: R, path: m.destination },
      busybox ? { call: 'run', path: busybox, argv: ['busybox', 'mount', ...args], env: [] } : { call: 'run', path: which('mount') ?? '/bin/mount', argv: ['mount', ...args], env: [] });
  } else if (type === 'cgroup') {
    // One mount per hierarchy (v1) or the one tree (v2), each showing the container's own cgroup
    // as its root: the thread is in the container's cgroup namespace, or, without one, the
    // container's own directory is bound over the tree's root (runc's way).
    steps.push({ call: 'mkdirInRoot', root: R, path: m.destination }, ...cgroupSteps(R, layout, undefined, !(o.flags & MS_RDONLY), m.destination, own));
  } else if (o.bind || type === 'bind') {
    const source = m.source ?? '';
    if (o.copyUp) steps.push(copyUpInto(R, m.destination, source));
    const kind = statSync(source).isDirectory() ? 'dir' : 'file';
    const remount = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    steps.push({ call: 'bindInRoot', root: R, source, path: m.destination, kind, recursive: o.recursive || undefined, remount: remount || undefined });
  } else {
    steps.push({ call: 'mountInRoot', root: R, path: m.destination, source: m.source ?? type ?? 'none', fstype: type ?? 'none', flags: o.flags, ...(o.data ? { data: o.data } : {}) });
  }
  for (const p of o.propagation) steps.push({ call: 'propagateInRoot', root: R, path: m.destination, flags: p });
  return steps;
}
