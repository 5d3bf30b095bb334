// Flag values from the kernel's uapi headers (linux/sched.h, linux/mount.h, linux/prctl.h).
// They are the same on every architecture nestbox runs on (x86-64, arm64).

/** clone(2)/unshare(2)/setns(2) flags: one per namespace type. */
export const CLONE_NEWNS = 0x00020000; // mount
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_NEWTIME = 0x00000080;
/** Not a namespace: gives the calling thread its own root/cwd/umask (needed before setns into a mount namespace). */
export const CLONE_FS = 0x00000200;

/** The namespace types, as named in /proc/PID/ns/ and by lsns. */
export const NAMESPACES = {
  mnt: CLONE_NEWNS,
  uts: CLONE_NEWUTS,
  ipc: CLONE_NEWIPC,
  pid: CLONE_NEWPID,
  net: CLONE_NEWNET,
  user: CLONE_NEWUSER,
  cgroup: CLONE_NEWCGROUP,
  time: CLONE_NEWTIME,
} as const;
export type NamespaceType = keyof typeof NAMESPACES;
export const NAMESPACE_TYPES = Object.keys(NAMESPACES) as NamespaceType[];

/** Names of a flag set, for messages: CLONE_NEWUTS|CLONE_NEWPID. */
export function cloneFlagNames(flags: number): string {
  const names: string[] = [];
  const table: Record<string, number> = {
    CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME, CLONE_FS,
  };
  let rest = flags;
  for (const [name, bit] of Object.entries(table)) {
    if (flags & bit) { names.push(name); rest &= ~bit; }
  }
  if (rest) names.push('0x' + rest.toString(16));
  return names.join('|') || '0';
}

/** mount(2) flags. */
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_STRICTATIME = 0x1000000;

export const MNT_DETACH = 0x2;

export const PR_CAPBSET_DROP = 24;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_CAP_AMBIENT = 47;

/** Capabilities, by number (linux/capability.h). */
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Docker's default capability set (14), the set `nestbox run` keeps. CapEff reads 00000000a80425fb. */
export const DOCKER_DEFAULT_CAPS: Capability[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** Turn a capability bit mask (as in /proc/PID/status CapEff) into names. */
export function capabilityNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (mask & (1n << BigInt(bit))) names.push(CAPABILITIES[bit] ?? `CAP_${bit}`);
  }
  return names;
}

/** Turn capability names into a bit mask. Unknown names throw. */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const raw of names) {
    const name = raw.toUpperCase().replace(/^CAP_/, '');
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) throw new Error(`unknown capability "${raw}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** Syscall numbers for calls glibc does not wrap (pivot_root) or wraps per process (setuid family). */
export const SYS = process.arch === 'arm64'
  ? { pivot_root: 41, capget: 90, capset: 91, setresuid: 147, setresgid: 149, setgroups: 159, pidfd_open: 434, bpf: 280, openat2: 437 }
  : { pivot_root: 155, capget: 125, capset: 126, setresuid: 117, setresgid: 119, setgroups: 116, pidfd_open: 434, bpf: 321, openat2: 437 };

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26,
  SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

/** The rest of mount(2)'s flags, for the options an OCI config may give a mount. */
export const MS_SYNCHRONOUS = 0x10;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_SILENT = 0x8000;
export const MS_UNBINDABLE = 0x20000;
export const MS_RELATIME = 0x200000;
export const MS_I_VERSION = 0x800000;
export const MS_LAZYTIME = 0x2000000;
