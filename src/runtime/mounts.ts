// The container's filesystem, as lists of system calls for the thread that builds it (ThreadStep):
// the same order runc follows in rootfs_linux.go.
//
//   1. make every mount private, so nothing below leaks to the host (systemd makes / shared)
//   2. the root: an overlay of read-only lower layers and the container's own writable layer
//   3. volumes: bind mounts of host directories into that root
//   4. /dev: a small tmpfs with the handful of devices a program expects, /dev/pts, /dev/shm
//   5. /sys read-only
//
// Device nodes: root in a container keeps CAP_MKNOD (Docker's default set has it), so it can make a
// node for any device number. What stops it opening the host's disks or console is that every
// filesystem it can write to is mounted nodev (device nodes there cannot be opened), and the few
// devices it needs are the host's own nodes bind-mounted in, as runc does without a devices cgroup.
// --privileged lifts the nodev, as Docker lifts its device rules.
// /proc comes later (it must be mounted from inside the new PID namespace), then the masks over
// /proc, then pivot_root.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CgroupLayout } from '../kernel/cgroup-layout.js';
import type { ThreadStep } from '../kernel/spawn.js';
import { MS_BIND, MS_RDONLY, MS_REMOUNT, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME, MS_NODIRATIME, MS_STRICTATIME } from '../kernel/constants.js';
import type { ContainerSpec, VolumeSpec } from './spec.js';
import { UserError } from '../errors.js';
import { findInitBinary, INIT_MISSING, INIT_PATH } from './init-binary.js';
import { mergeTmpfsOptions, volumeData } from './mount-spec.js';
import { isEmptyDir } from './volumes.js';
import { privateRoot, overlayRoot, bindIntoRoot, tmpfsIntoRoot, copyUpInto, minimalDev, maskKernelFiles, pivotInto } from '../recipes/rootfs.js';

export interface RootLayers { lower: string[]; upper: string; work: string; target: string }

/**
 * Steps 1-5, made by the thread that creates the namespaces, before the first process exists: each
 * a recipe a lab teaches (src/recipes/rootfs.ts).
 */
export function rootfsSteps(spec: ContainerSpec, layers: RootLayers, etcFiles: EtcFiles): ThreadStep[] {
  const R = layers.target;
  const nodev = !spec.privileged;
  return [
    // lo, down in a new network namespace; Docker brings it up for --net none and bridge alike.
    ...(spec.net.mode === 'none' || spec.net.mode === 'bridge' ? [{ call: 'linkUp', name: 'lo' } as ThreadStep] : []),
    // 1. Propagation first: from here on no mount in this namespace reaches the host (lab mnt).
    privateRoot(),
    // 2. The root: read-only layers below, this container's writable layer on top (lab overlay).
    overlayRoot(layers, R, nodev ? MS_NODEV : 0),
    // 3. Volumes, binds of host directories (lab volumes), tmpfs mounts, resolved inside the root:
    // a link in the image never leads a mount out to the host.
    ...volumeSteps(spec, R, nodev),
    // The container's own /etc/hostname, /etc/hosts and /etc/resolv.conf, bound over the image's (as Docker does).
    ...(['hostname', 'hosts', 'resolv.conf'] as const).map((name) => bindIntoRoot(R, etcFiles[name === 'resolv.conf' ? 'resolvConf' : name], `/etc/${name}`)),
    // 4. /dev: not the host's, a tmpfs with six character devices bound in (lab run).
    ...minimalDev(R, nodev, spec.shmSize),
    // --init's tini and --device's nodes, bound in from the host (see initAndDeviceBinds below).
    ...initAndDeviceBinds(spec, R),
    // 5. /sys read-only: a fresh sysfs shows the network devices of the namespace that mounts it
    // (--privileged: writable, as Docker gives it).
    { call: 'mountpoint', root: R, name: 'sys' },
    { call: 'mount', source: 'sysfs', target: join(R, 'sys'), fstype: 'sysfs', flags: (spec.privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC },
    { call: 'mountpoint', root: R, name: 'proc' },
    { call: 'mkdirInRoot', root: R, path: '/tmp' },
  ];
}

/**
 * -v, --mount and --tmpfs, parents before children (a mount at /a would hide one made at /a/b
 * before it, so Docker sorts them too). A volume still empty gets the image's files at its path
 * first (Docker's copy-up), then is bound there. Volumes and missing -v directories exist by now
 * (volumes.ts prepareMounts).
 */
export function volumeSteps(spec: ContainerSpec, R: string, nodev: boolean): ThreadStep[] {
  const depth = (m: VolumeSpec) => m.target.split('/').length;
  return [...spec.volumes].sort((a, b) => depth(a) - depth(b)).flatMap((m): ThreadStep[] => {
    if (m.type === 'tmpfs') {
      const { flags, data } = tmpfsMountOptions(m.tmpfsOptions ?? [], nodev);
      return [tmpfsIntoRoot(R, m.target, flags, data)];
    }
    const source = m.type === 'volume' ? volumeData(m.source) : m.source;
    const copy = m.type === 'volume' && !m.noCopy && isEmptyDir(source) ? [copyUpInto(R, m.target, source)] : [];
    return [...copy, bindIntoRoot(R, source, m.target, { readOnly: m.readOnly, nodev, recursive: true })];
  });
}

/** A tmpfs's options as mount(2) takes them: Docker's defaults merged in, flags apart from data; nodev kept unless --privileged. */
export function tmpfsMountOptions(given: string[], nodev: boolean): { flags: number; data: string } {
  const FLAGS: Record<string, number> = { ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC, noatime: MS_NOATIME, nodiratime: MS_NODIRATIME, strictatime: MS_STRICTATIME };
  let flags = nodev ? MS_NODEV : 0;
  const data: string[] = [];
  for (const o of mergeTmpfsOptions(given)) {
    if (o.includes('=')) data.push(o);
    else flags |= FLAGS[o] ?? 0; // rw, exec, suid, dev, atime, relatime: the absence of a flag
  }
  return { flags, data: data.join(',') };
}

/**
 * After /proc is mounted (by a process inside the PID namespace, lab pid): the masks and the
 * read-only knobs (lab hardening), --read-only, the working directory, then pivot_root (lab chroot).
 */
export function finishSteps(spec: ContainerSpec, R: string): ThreadStep[] {
  return [
    // --privileged, as with Docker: no masks and no read-only knobs (it could remount them anyway).
    ...(spec.privileged ? [] : maskKernelFiles(R)),
    ...(spec.workdir !== '/' ? [{ call: 'mkdirInRoot', root: R, path: spec.workdir } as ThreadStep] : []),
    ...(spec.readOnly ? [{ call: 'mount', source: null, target: R, fstype: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY } as ThreadStep] : []),
    ...pivotInto(R),
  ];
}

/**
 * /sys/fs/cgroup, read-only, as Docker gives it. The thread that mounts it has joined the
 * container's cgroup namespace, and a cgroup filesystem shows the cgroup namespace of whoever
 * mounts it: each tree's root is the container's own cgroup, its limits and processes, nothing
 * above. On v1 and hybrid hosts, a small tmpfs holds one mount per hierarchy, named as on the host.
 */
export function cgroupSteps(R: string, layout: CgroupLayout, hostRoot = '/sys/fs/cgroup', writable = false): ThreadStep[] {
  const target = join(R, 'sys/fs/cgroup');
  const ro = (writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (layout.mode === 'v2') return [{ call: 'mount', source: 'cgroup', target, fstype: 'cgroup2', flags: ro }];
  if (layout.mode === 'none') return [];
  const steps: ThreadStep[] = [{ call: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: 'mode=755,size=64k' }];
  // A v1 hierarchy is mounted again by naming exactly its controllers; should a host bind them in
  // a way nestbox does not know, that tree is left out rather than the container refused.
  for (const m of layout.v1Mounts) {
    const dir = join(target, basename(m.path));
    steps.push({ call: 'mkdir', path: dir }, { call: 'mount', source: 'cgroup', target: dir, fstype: 'cgroup', flags: ro, data: m.controllers.join(','), optional: true });
  }
  if (layout.v2Root) {
    const dir = join(target, basename(layout.v2Root)); // "unified" on a hybrid host
    steps.push({ call: 'mkdir', path: dir }, { call: 'mount', source: 'cgroup', target: dir, fstype: 'cgroup2', flags: ro, optional: true });
  }
  // The host's other names for co-mounted trees (cpu -> cpu,cpuacct).
  for (const e of existsSync(hostRoot) ? readdirSync(hostRoot, { withFileTypes: true }) : []) {
    if (e.isSymbolicLink()) steps.push({ call: 'symlink', target: readlinkSync(join(hostRoot, e.name)), path: join(target, e.name) });
  }
  steps.push({ call: 'mount', source: null, target, fstype: null, flags: MS_REMOUNT | ro });
  return steps;
}

export interface EtcFiles { hostname: string; hosts: string; resolvConf: string }

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, written into its directory on
 * the host. `gateway` is the host's address on the bridge (--add-host NAME:host-gateway).
 */
export function writeEtcFiles(dir: string, spec: ContainerSpec, ip?: string, gateway?: string): EtcFiles {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  writeFileSync(files.hostname, spec.hostname + '\n');
  writeFileSync(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${extraHostLines(spec, gateway)}${ip ? `${ip}\t${spec.hostname}\n` : ''}`);
  writeFileSync(files.resolvConf, withDnsFlags(resolvConf(spec.net.mode), spec));
  return files;
}

const readOr = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };

/**
 * The host's resolver settings, as Docker gives them to a container. With --net host, as they are.
 * Otherwise a nameserver on the host's loopback (systemd-resolved's 127.0.0.53 stub, a local
 * dnsmasq) means nothing in the container's own network namespace: systemd-resolved's list of real
 * servers is used instead, loopback servers are dropped, and with none left Docker's fallback,
 * Google's public servers, is written (a file only: nothing is sent until a program asks).
 */
export function resolvConf(net: ContainerSpec['net']['mode'], etc = readOr('/etc/resolv.conf'), resolved = readOr('/run/systemd/resolve/resolv.conf')): string {
  if (net === 'host') return etc;
  const loopback = /^\s*nameserver\s+(127\.|::1\s*$)/;
  const source = etc.split('\n').some((l) => loopback.test(l)) && resolved ? resolved : etc;
  const lines = source.split('\n').filter((l) => !loopback.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4', '');
  return lines.join('\n');
}

// The everyday run flags (src/runtime/run-flags.ts) that change the container's files ----------

/**
 * --init: the host's static tini, read-only at /sbin/docker-init (Docker's place for it).
 * --device: the host's node bound at the path asked for. A bind is a mount of its own with the
 * flags of the host's /dev (not nodev), so the node opens; whether it may be read, written or made
 * is then the device rules' decision (cgroups.ts), as for the default devices.
 */
function initAndDeviceBinds(spec: ContainerSpec, R: string): ThreadStep[] {
  const steps: ThreadStep[] = [];
  if (spec.init) {
    const tini = findInitBinary();
    if (!tini) throw new UserError(INIT_MISSING, 125);
    steps.push(bindIntoRoot(R, tini, INIT_PATH, { readOnly: true }));
  }
  for (const d of spec.devices ?? []) steps.push(bindIntoRoot(R, d.pathOnHost, d.pathInContainer));
  return steps;
}

/** --add-host lines, as Docker writes them: after localhost, before the container's own name. */
export function extraHostLines(spec: Pick<ContainerSpec, 'extraHosts'>, gateway?: string): string {
  let out = '';
  for (const entry of spec.extraHosts ?? []) {
    const i = entry.indexOf(':');
    const name = entry.slice(0, i);
    const ip = entry.slice(i + 1) === 'host-gateway' ? gateway : entry.slice(i + 1);
    // host-gateway before the network is up: written once the gateway is known.
    if (ip) out += `${ip}\t${name}\n`;
  }
  return out;
}

/**
 * --dns, --dns-search and --dns-option replace the servers, the search list and the options of the
 * host's file; what is not given is kept from it. Laid out as Docker's resolvconf.Build: search,
 * nameservers, options (a search list of "." means none).
 */
export function withDnsFlags(base: string, spec: Pick<ContainerSpec, 'dns' | 'dnsSearch' | 'dnsOptions'>): string {
  if (!spec.dns?.length && !spec.dnsSearch?.length && !spec.dnsOptions?.length) return base;
  const lines = base.split('\n');
  const words = (key: string) => lines.filter((l) => new RegExp(`^\\s*${key}\\s`).test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const servers = spec.dns?.length ? spec.dns : words('nameserver');
  // The resolver takes the last search (or domain) line.
  const searchLine = lines.filter((l) => /^\s*(search|domain)\s/.test(l)).pop();
  const search = spec.dnsSearch?.length ? spec.dnsSearch : searchLine?.trim().split(/\s+/).slice(1) ?? [];
  const options = spec.dnsOptions?.length ? spec.dnsOptions : words('options');
  let out = '';
  if (search.length && search.join(' ') !== '.') out += `search ${search.filter((d) => d !== '.').join(' ')}\n`;
  for (const ns of servers) out += `nameserver ${ns}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/**
 * --sysctl: written through the container's own /proc/sys (mounted at R/proc) by a thread that has
 * joined its IPC and network namespaces, which decide what /proc/sys/kernel/shm* and /proc/sys/net
 * show. Before the masks: they make /proc/sys read-only.
 */
export function sysctlSteps(spec: ContainerSpec, R: string): ThreadStep[] {
  return Object.entries(spec.sysctls ?? {}).map(([key, value]) => ({ call: 'sysctl', proc: join(R, 'proc'), key, value }) as ThreadStep);
}
