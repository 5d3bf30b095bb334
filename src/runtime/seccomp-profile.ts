// Which system calls a container may not make: the refusals of Docker's default seccomp profile,
// written as a deny list. (Docker's profile is an allow list of some 350 calls, so a call added to
// the kernel tomorrow is refused until someone looks at it; a deny list is shorter to read and
// teaches the same thing: what is dangerous, and why.)
//
// Most refusals depend on a capability, as in Docker: a container given CAP_SYS_ADMIN with
// --cap-add may mount and unshare, so the filter lets those through. The rest are refused whatever
// the capabilities: they reach kernel state that no namespace isolates.
import type { SeccompPolicy } from '../kernel/seccomp.js';
import { CLONE_NAMESPACE_FLAGS } from '../kernel/seccomp.js';

/** Refused unless the container holds the capability. */
const UNLESS_CAPABILITY: Record<string, string[]> = {
  // New namespaces (a user namespace gives every capability inside it, and with them kernel code
  // that was written for root only), mounts, and the new mount API.
  SYS_ADMIN: ['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'mount_setattr', 'move_mount', 'open_tree',
    'fsopen', 'fsconfig', 'fsmount', 'fspick', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'perf_event_open',
    'bpf', 'swapon', 'swapoff'],
  SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  SYS_BOOT: ['reboot'],
  SYS_TIME: ['settimeofday', 'clock_settime', 'clock_adjtime'],
  SYS_PACCT: ['acct'],
  SYS_RAWIO: ['iopl', 'ioperm'],
  SYS_TTY_CONFIG: ['vhangup'],
  SYSLOG: ['syslog'],
  // Comparing or taking another process's kernel objects (file descriptors, memory advice).
  SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise'],
  // NUMA memory placement: reveals and moves memory across the whole machine.
  SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'mbind'],
  // open_by_handle_at opens any file of a filesystem by its handle, ignoring the container's root:
  // the "shocker" escape of 2014.
  DAC_READ_SEARCH: ['open_by_handle_at'],
};

/** Refused whatever the capabilities. */
const ALWAYS = [
  // The kernel's keyrings are not namespaced: keys of the host and of other containers.
  'keyctl', 'add_key', 'request_key',
  // Booting another kernel.
  'kexec_load', 'kexec_file_load',
  // Lets a process stall the kernel on a page fault it controls, a favourite of exploit writers.
  'userfaultfd',
  // Docker refuses io_uring since 2023: a large, young interface with many privilege bugs.
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  // Obsolete calls nobody needs.
  'create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl',
];

/** The filter for a container with these capabilities. */
export function seccompPolicy(capabilities: readonly string[]): SeccompPolicy {
  const held = new Set(capabilities);
  const refuse = [...ALWAYS];
  for (const [cap, calls] of Object.entries(UNLESS_CAPABILITY)) if (!held.has(cap)) refuse.push(...calls);
  const admin = held.has('SYS_ADMIN');
  return {
    refuse,
    // clone(2) can make namespaces too; clone3 hides its flags in memory, so it is answered "not
    // implemented" and the C library falls back to clone, whose flags the filter can read.
    refuseCloneFlags: admin ? undefined : CLONE_NAMESPACE_FLAGS,
    notImplemented: admin ? [] : ['clone3'],
  };
}
