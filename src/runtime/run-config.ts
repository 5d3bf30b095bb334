// What `nestbox run` asks for, written as an OCI runtime config: the same file podman or Docker
// hands to runc. Docker's daemon does exactly this translation (its daemon/oci_linux.go) before it
// calls runc, and nestbox does it before it calls its own runtime (create.ts), so a container of
// `nestbox run` and one of `nestbox oci create` are made by the same code. The result is saved
// beside the container's state as bundle.json; a learner can read it, and compare it with what
// podman writes.
//
// Pure: everything the translation needs from the host (the image's layers, the container's
// directories, the /etc files) is given, so a test reads the config without root.
import type { OciSpec, OciMount, OciDeviceRule } from '../oci/types.js';
import { COPY_UP } from '../oci/mount-options.js';
import { containerEnv, type ContainerSpec } from './spec.js';
import { INIT_PATH } from './init-binary.js';
import { mergeTmpfsOptions, volumeData } from './mount-spec.js';
import { MASKED_PATHS, READONLY_PATHS, DEFAULT_SHM_SIZE } from '../recipes/rootfs.js';
import { seccompProfile } from './seccomp-profile.js';
import { DEFAULT_DEVICE_RULES } from './resources.js';
import { deviceNumbers } from './run-flags.js';
import { OCI_VERSION } from '../oci/types.js';

export interface RunConfigInput {
  spec: ContainerSpec;
  /** Where the overlay root is mounted (the container's rootfs directory). */
  rootfs: string;
  /** The container's /etc/hostname, /etc/hosts and /etc/resolv.conf on the host. */
  etc: { hostname: string; hosts: string; resolvConf: string };
  /** The host's tini (--init), found beforehand. */
  init?: string;
  /** PID 1 of the container whose network namespace --net container:NAME shares. */
  sharesNetWith?: number;
  /** Volumes still empty, which get the image's files first (Docker's copy-up). */
  emptyVolumes?: Set<string>;
}

/** The container's cgroup, below each tree's root. */
export const runCgroupPath = (id: string) => `/nestbox/${id}`;

export function runConfig(input: RunConfigInput): OciSpec {
  const { spec } = input;
  const nodev = spec.privileged ? [] : ['nodev'];
  const ro = spec.privileged ? [] : ['ro'];
  const caps = spec.capabilities.map((c) => `CAP_${c}`);
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    // /dev: a small tmpfs, not the host's thousands of devices; the few a program expects are bound in
    // from the host (container-fs.ts). nodev unless --privileged: a node made in there cannot be opened.
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k', ...nodev] },
    // newinstance: the container's ptys are its own, not the host's /dev/pts/*.
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    // POSIX shared memory, --shm-size of it at most (Docker's 64 MiB by default).
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.ceil((spec.shmSize ?? DEFAULT_SHM_SIZE) / 1024)}k`] },
    // POSIX message queues of the container's own IPC namespace.
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // A fresh sysfs shows the network devices of the namespace that mounts it (--privileged: writable).
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    ...volumeMounts(spec, input.emptyVolumes ?? new Set()),
    // The container's own files, bound over the image's, as Docker does.
    ...(['hostname', 'hosts', 'resolvConf'] as const).map((k): OciMount => ({ destination: `/etc/${k === 'resolvConf' ? 'resolv.conf' : k}`, type: 'bind', source: input.etc[k], options: ['bind'] })),
    ...(spec.init && input.init ? [{ destination: INIT_PATH, type: 'bind', source: input.init, options: ['bind', 'ro'] }] : []),
    // --device: the host's node bound at the path asked for. A bind is a mount of its own, with the
    // flags of the host's /dev (not nodev), so the node opens; the device rules decide the rest.
    ...(spec.devices ?? []).map((d): OciMount => ({ destination: d.pathInContainer, type: 'bind', source: d.pathOnHost, options: ['bind'] })),
  ];
  const net = spec.net.mode;
  const namespaces: NonNullable<OciSpec['linux']>['namespaces'] = [
    { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' },
    ...(net === 'bridge' || net === 'none' ? [{ type: 'network' as const }] : []),
    ...(net === 'container' && input.sharesNetWith ? [{ type: 'network' as const, path: `/proc/${input.sharesNetWith}/ns/net` }] : []),
  ];
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: spec.tty,
      user: { uid: spec.ids?.uid ?? 0, gid: spec.ids?.gid ?? 0, additionalGids: spec.ids?.groups ?? [] },
      // --init: tini is PID 1 and starts the command as its child ("--": the command's own flags are not tini's).
      args: spec.init ? [INIT_PATH, '--', ...spec.command] : spec.command,
      env: containerEnv(spec),
      cwd: spec.workdir,
      // As Docker 23+: nothing inheritable, so nothing passes through an exec by inheritance.
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: (spec.ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard })),
      noNewPrivileges: !spec.privileged,
    },
    root: { path: input.rootfs, readonly: spec.readOnly },
    hostname: spec.hostname,
    mounts,
    annotations: { 'org.nestbox.name': spec.name, 'org.nestbox.image': spec.image },
    linux: {
      namespaces,
      cgroupsPath: runCgroupPath(spec.id),
      resources: resources(spec),
      sysctl: spec.sysctls,
      // --privileged, as with Docker: no masks and no read-only knobs (it could remount them anyway).
      maskedPaths: spec.privileged ? [] : MASKED_PATHS,
      readonlyPaths: spec.privileged ? [] : READONLY_PATHS,
      // Nothing the container mounts reaches the host, nor the other way.
      rootfsPropagation: 'rprivate',
      ...(spec.seccomp ? { seccomp: seccompProfile(spec.capabilities) } : {}),
    },
  };
}

/**
 * -v, --mount and --tmpfs, parents before children (a mount at /a would hide one made at /a/b
 * before it, so Docker sorts them too). Writable ones stay nodev unless --privileged.
 */
function volumeMounts(spec: ContainerSpec, empty: Set<string>): OciMount[] {
  const depth = (m: { target: string }) => m.target.split('/').length;
  const nodev = spec.privileged ? [] : ['nodev'];
  return [...spec.volumes].sort((a, b) => depth(a) - depth(b)).map((m): OciMount => {
    if (m.type === 'tmpfs') return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(m.tmpfsOptions ?? [], spec.privileged) };
    const source = m.type === 'volume' ? volumeData(m.source) : m.source;
    const copy = m.type === 'volume' && !m.noCopy && empty.has(source) ? [COPY_UP] : [];
    return { destination: m.target, type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw', ...nodev, 'rprivate', ...copy] };
  });
}

/** A tmpfs's options: Docker's defaults (noexec, nosuid, nodev) merged with those given, nodev kept unless --privileged. */
export function tmpfsOptions(given: string[], privileged: boolean): string[] {
  const options = mergeTmpfsOptions(given).filter((o) => privileged || o !== 'dev');
  return [...new Set([...options, ...(privileged ? [] : ['nodev'])])];
}

/** The limits, in OCI's (v1's) terms: devices, memory with swap as a total, CPU, pids. */
function resources(spec: ContainerSpec): NonNullable<NonNullable<OciSpec['linux']>['resources']> {
  // runc's default list: any node may be made (mknod), only these may be opened, and --device's
  // own, with the access asked for. Docker lifts the list with --privileged.
  const devices: OciDeviceRule[] = spec.privileged ? [{ allow: true, access: 'rwm' }] : [
    { allow: false, access: 'rwm' },
    ...DEFAULT_DEVICE_RULES,
    ...(spec.devices ?? []).map((d): OciDeviceRule => {
      const { type, major, minor } = deviceNumbers(d);
      return { allow: true, type, major, minor, access: d.permissions };
    }),
  ];
  // --memory-swap is Docker's total of memory and swap, as OCI's memory.swap; without it no swap on
  // top of --memory (the total equals the memory).
  const swap = spec.memory ? (spec.memorySwap !== undefined ? spec.memorySwap : spec.memory) : undefined;
  return {
    devices,
    ...(spec.memory ? { memory: { limit: spec.memory, swap } } : {}),
    ...(spec.cpus || spec.cpuShares !== undefined || spec.cpuset ? {
      cpu: {
        ...(spec.cpuShares !== undefined ? { shares: spec.cpuShares } : {}),
        ...(spec.cpus ? { quota: spec.cpus.quotaUs, period: spec.cpus.periodUs } : {}),
        ...(spec.cpuset ? { cpus: spec.cpuset } : {}),
      },
    } : {}),
    ...(spec.pidsLimit !== undefined ? { pids: { limit: spec.pidsLimit === 'max' ? -1 : spec.pidsLimit } } : {}),
  };
}
