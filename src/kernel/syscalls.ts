// Typed wrappers over the libc calls nestbox teaches. Each one either succeeds or throws a
// KernelError that names the call, its arguments, the errno and a hint.
//
// Namespaces belong to threads, not processes. Every call here acts on the *calling thread*:
// from Node's main thread that is the CLI itself, which must stay in the host's namespaces, so
// namespace-changing calls (unshare, setns, sethostname in a new UTS namespace, mounts in a new
// mount namespace) are made from a throwaway worker thread or from a short-lived child process
// that then execs (see spawn.ts and src/runtime/init.ts).
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';
import { cloneFlagNames, CLONE_FS, SYS, CAPABILITIES, NAMESPACES, NamespaceType, capabilityMask } from './constants.js';
import { openSync, closeSync, constants as fsc } from 'node:fs';

function check(rc: number | bigint, call: string, args: string): void {
  if (Number(rc) === -1) throw new KernelError(call, args, libc().errno());
}
const q = (s: string | null) => (s === null ? 'NULL' : JSON.stringify(s));

/** unshare(2): give the calling thread new namespaces of the types in `flags`. */
export function unshare(flags: number): void {
  check(libc().unshare(flags), 'unshare', cloneFlagNames(flags));
}

/** setns(2): move the calling thread into the namespace that `fd` refers to. */
export function setns(fd: number, nstype = 0, label = `${fd}`): void {
  check(libc().setns(fd, nstype), 'setns', `${label}, ${nstype ? cloneFlagNames(nstype) : '0'}`);
}

/**
 * Join namespaces of a running process (what nsenter --target PID does). Every /proc/PID/ns/* file
 * is opened first: once the mount namespace is joined, paths resolve in the process's root, where
 * /proc may show other PIDs. The mount namespace is joined last, and only after the thread takes a
 * private copy of its root and cwd (Node's threads share one fs_struct, and the kernel refuses
 * setns into a mount namespace while it is shared).
 */
export function joinNamespaces(pid: number, types: NamespaceType[]): void {
  const ordered = [...types.filter((t) => t !== 'mnt'), ...types.filter((t) => t === 'mnt')];
  const fds = ordered.map((type) => [type, openSync(`/proc/${pid}/ns/${type}`, fsc.O_RDONLY | 0o2000000 /* O_CLOEXEC */)] as const);
  try {
    for (const [type, fd] of fds) {
      if (type === 'mnt') unshare(CLONE_FS);
      setns(fd, NAMESPACES[type], `/proc/${pid}/ns/${type}`);
    }
  } finally {
    for (const [, fd] of fds) closeSync(fd);
  }
}


export function sethostname(name: string): void {
  check(libc().sethostname(name, Buffer.byteLength(name)), 'sethostname', q(name));
}

export function gethostname(): string {
  const buf = Buffer.alloc(256);
  check(libc().gethostname(buf, buf.length), 'gethostname', '');
  return buf.toString('utf8', 0, buf.indexOf(0));
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(libc().mount(source, target, fstype, flags, data), 'mount',
    `${q(source)}, ${q(target)}, ${q(fstype)}, 0x${flags.toString(16)}${data ? ', ' + q(data) : ''}`);
}

export function umount2(target: string, flags = 0): void {
  check(libc().umount2(target, flags), 'umount2', `${q(target)}, ${flags}`);
}

/** pivot_root(2) has no glibc wrapper; it is called through syscall(2). */
export function pivotRoot(newRoot: string, putOld: string): void {
  check(libc().syscallStrStr(SYS.pivot_root, newRoot, putOld), 'pivot_root', `${q(newRoot)}, ${q(putOld)}`);
}

/** mknod(2): a device node (mode carries the type, S_IFCHR = 0o020000, and the permissions). */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  // makedev() packs major and minor the way glibc does (the kernel's new_encode_dev).
  const dev = (BigInt(minor & 0xff) | (BigInt(major & 0xfff) << 8n) | (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n));
  check(libcFunc('int mknod(const char *path, uint32_t mode, uint64_t dev)')(path, mode, dev), 'mknod', `${q(path)}, 0${mode.toString(8)}, ${major}:${minor}`);
}

export function chroot(path: string): void {
  check(libc().chroot(path), 'chroot', q(path));
}

export function chdir(path: string): void {
  check(libc().chdir(path), 'chdir', q(path));
}

export function fchdir(fd: number): void {
  check(libc().fchdir(fd), 'fchdir', `${fd}`);
}

export function prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  const rc = libc().prctl(option, a2, a3, a4, a5);
  check(rc, 'prctl', `${option}, ${a2}`);
  return rc;
}

export function kill(pid: number, signal: number): void {
  check(libc().kill(pid, signal), 'kill', `${pid}, ${signal}`);
}

/**
 * setresuid/setresgid/setgroups through syscall(2), not glibc's wrappers: glibc changes the ids of
 * every thread of the process (it signals each one), the raw call changes only the calling thread,
 * which is what a thread about to spawn a container's process wants.
 */
export function setThreadIds(uid: number, gid: number, groups: number[] = []): void {
  const l = libc();
  const list = Buffer.alloc(4 * Math.max(groups.length, 1));
  groups.forEach((g, i) => list.writeUInt32LE(g, 4 * i));
  check(l.syscallIntPtr(SYS.setgroups, groups.length, groups.length ? list : null), 'setgroups', `${groups.length}, [${groups.join(', ')}]`);
  check(l.syscallUint3(SYS.setresgid, gid, gid, gid), 'setresgid', `${gid}, ${gid}, ${gid}`);
  check(l.syscallUint3(SYS.setresuid, uid, uid, uid), 'setresuid', `${uid}, ${uid}, ${uid}`);
}

/** Capability sets of one thread, as capget(2) returns them (version 3: 64 bits each). */
export interface CapSets { effective: bigint; permitted: bigint; inheritable: bigint }

const CAP_V3 = 0x20080522;

export function capget(pid = 0): CapSets {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(CAP_V3, 0);
  header.writeInt32LE(pid, 4);
  const data = Buffer.alloc(24); // two __user_cap_data_struct {effective, permitted, inheritable}
  check(libc().syscallPtrPtr(SYS.capget, header, data), 'capget', `${pid}`);
  const read = (off: number) => BigInt(data.readUInt32LE(off)) | (BigInt(data.readUInt32LE(off + 12)) << 32n);
  return { effective: read(0), permitted: read(4), inheritable: read(8) };
}

/** capset(2) on the calling thread. */
export function capset(sets: CapSets): void {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(CAP_V3, 0);
  const data = Buffer.alloc(24);
  const write = (off: number, v: bigint) => {
    data.writeUInt32LE(Number(v & 0xffffffffn), off);
    data.writeUInt32LE(Number((v >> 32n) & 0xffffffffn), off + 12);
  };
  write(0, sets.effective);
  write(4, sets.permitted);
  write(8, sets.inheritable);
  check(libc().syscallPtrPtr(SYS.capset, header, data), 'capset', `eff=0x${sets.effective.toString(16)}`);
}

/**
 * Keep only `keep` capabilities on the calling thread: drop the rest from the bounding set (so no
 * exec can regain them), clear ambient, and set permitted/effective/inheritable to `keep`.
 */
export function limitCapabilities(keep: readonly string[]): void {
  const mask = capabilityMask(keep);
  for (let bit = 0; bit < CAPABILITIES.length; bit++) {
    if (mask & (1n << BigInt(bit))) continue;
    const rc = libc().prctl(24 /* PR_CAPBSET_DROP */, bit, 0, 0, 0);
    if (rc === -1 && libc().errno() !== 22 /* EINVAL: the kernel does not know this one */) {
      throw new KernelError('prctl', `PR_CAPBSET_DROP, CAP_${CAPABILITIES[bit]}`, libc().errno());
    }
  }
  libc().prctl(47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0, 0);
  // Inheritable stays empty, as in Docker 23+ and runc: nothing passes through exec by inheritance.
  capset({ effective: mask, permitted: mask, inheritable: 0n });
}

/** PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities no longer raise privileges after exec. */
export function setNoNewPrivs(): void {
  prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1);
}

/** The five capability sets of a process, by name (without CAP_), as an OCI config lists them. */
export interface CapabilitySets {
  bounding: readonly string[];
  effective: readonly string[];
  permitted: readonly string[];
  inheritable: readonly string[];
  ambient: readonly string[];
}

const PR_SET_KEEPCAPS = 8;
const PR_CAP_AMBIENT_RAISE = 2;

/**
 * Set all five sets on the calling thread, switching to `user` on the way, in the order runc
 * follows: the bounding set is cut first (that needs CAP_SETPCAP, still held); then the ids change,
 * with "keep capabilities" on so the kernel does not empty the permitted set when a uid leaves 0;
 * then capset writes effective, permitted and inheritable; ambient last, since a capability may be
 * raised there only when it is both permitted and inheritable. A capability the kernel refuses to
 * raise as ambient is left out, as runc does.
 */
export function applyCapabilitySets(sets: CapabilitySets, user?: { uid: number; gid: number; groups?: number[] }): void {
  const bounding = capabilityMask(sets.bounding);
  for (let bit = 0; bit < CAPABILITIES.length; bit++) {
    if (bounding & (1n << BigInt(bit))) continue;
    const rc = libc().prctl(24 /* PR_CAPBSET_DROP */, bit, 0, 0, 0);
    if (rc === -1 && libc().errno() !== 22 /* EINVAL: the kernel does not know this one */) {
      throw new KernelError('prctl', `PR_CAPBSET_DROP, CAP_${CAPABILITIES[bit]}`, libc().errno());
    }
  }
  if (user) {
    prctl(PR_SET_KEEPCAPS, 1);
    setThreadIds(user.uid, user.gid, user.groups ?? []);
    prctl(PR_SET_KEEPCAPS, 0);
  }
  libc().prctl(47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0, 0);
  capset({ effective: capabilityMask(sets.effective), permitted: capabilityMask(sets.permitted), inheritable: capabilityMask(sets.inheritable) });
  for (const name of sets.ambient) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name.toUpperCase().replace(/^CAP_/, ''));
    libc().prctl(47 /* PR_CAP_AMBIENT */, PR_CAP_AMBIENT_RAISE, bit, 0, 0);
  }
}

/**
 * Join namespaces named by paths (an OCI config's `linux.namespaces[].path`, a bind mount such as
 * /run/netns/NAME, or /proc/PID/ns/TYPE), as joinNamespaces does for a process's. setns checks that
 * each file is a namespace of the type given, so a wrong path fails with EINVAL.
 */
export function joinNamespacePaths(list: readonly { type: NamespaceType; path: string }[]): void {
  const ordered = [...list.filter((n) => n.type !== 'mnt'), ...list.filter((n) => n.type === 'mnt')];
  const fds = ordered.map((n) => [n, openSync(n.path, fsc.O_RDONLY | 0o2000000 /* O_CLOEXEC */)] as const);
  try {
    for (const [n, fd] of fds) {
      if (n.type === 'mnt') unshare(CLONE_FS);
      setns(fd, NAMESPACES[n.type], n.path);
    }
  } finally {
    for (const [, fd] of fds) closeSync(fd);
  }
}

/** mkfifo(3): a named pipe at `path`. */
export function mkfifo(path: string, mode: number): void {
  check(libcFunc('int mkfifo(const char *path, uint32_t mode)')(path, mode), 'mkfifo', `${q(path)}, 0${mode.toString(8)}`);
}
