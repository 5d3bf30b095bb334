// Which system calls a container may not make: the refusals of Docker's default seccomp profile,
// written as a deny list. Docker's profile is an allow list of some 350 calls, so a call added to
// the kernel tomorrow is refused there until someone looks at it; here it is allowed until someone
// adds it. A deny list is shorter to read and teaches the same thing, what is dangerous and why;
// a production runtime should prefer the allow list.
//
// Most refusals depend on capabilities, as in Docker: a container given CAP_SYS_ADMIN with
// --cap-add may mount and unshare, so the filter lets those through. The rest are refused whatever
// the capabilities: they reach kernel state that no namespace isolates.
import type { ArgumentRule, SeccompPolicy } from '../kernel/seccomp.js';
import { CLONE_NAMESPACE_FLAGS } from '../kernel/seccomp.js';
import type { OciSeccomp } from '../oci/types.js';

/** Refused unless the container holds one of `unlessAny`. */
const UNLESS_CAPABILITY: { unlessAny: string[]; calls: string[] }[] = [
  // New namespaces (a user namespace gives every capability inside it, and with them kernel code
  // that was written for root only), mounts, the new mount API, swap, quotas.
  {
    unlessAny: ['SYS_ADMIN'],
    calls: ['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'mount_setattr', 'move_mount', 'open_tree', 'open_tree_attr',
      'fsopen', 'fsconfig', 'fsmount', 'fspick', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'fanotify_init', 'swapon', 'swapoff'],
  },
  { unlessAny: ['SYS_ADMIN', 'BPF'], calls: ['bpf'] },
  { unlessAny: ['SYS_ADMIN', 'PERFMON'], calls: ['perf_event_open'] },
  { unlessAny: ['SYS_ADMIN', 'SYSLOG'], calls: ['syslog'] },
  { unlessAny: ['SYS_MODULE'], calls: ['init_module', 'finit_module', 'delete_module'] },
  { unlessAny: ['SYS_BOOT'], calls: ['reboot'] },
  // Setting the clock (reading it through clock_adjtime stays allowed: the kernel checks CAP_SYS_TIME
  // itself before any change).
  { unlessAny: ['SYS_TIME'], calls: ['settimeofday', 'clock_settime'] },
  { unlessAny: ['SYS_PACCT'], calls: ['acct'] },
  { unlessAny: ['SYS_RAWIO'], calls: ['iopl', 'ioperm'] },
  { unlessAny: ['SYS_TTY_CONFIG'], calls: ['vhangup'] },
  // Comparing or taking another process's kernel objects (file descriptors, memory advice).
  { unlessAny: ['SYS_PTRACE'], calls: ['kcmp', 'pidfd_getfd', 'process_madvise'] },
  // NUMA memory placement: reveals and moves memory across the whole machine.
  { unlessAny: ['SYS_NICE'], calls: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'] },
  // open_by_handle_at opens any file of a filesystem by its handle, ignoring the container's root:
  // the "shocker" escape of 2014.
  { unlessAny: ['DAC_READ_SEARCH'], calls: ['open_by_handle_at'] },
];

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
  // Moving another process's pages between NUMA nodes.
  'move_pages', 'migrate_pages',
  // Obsolete calls nobody needs.
  'create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl',
];

const AF_VSOCK = 40;
/** The personas Docker allows: Linux, 32-bit Linux, the 2.6-style uname of each, and a query. */
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** Every call name the profile mentions (the tests check each is in nestbox's syscall tables). */
export const PROFILE_CALLS = [...UNLESS_CAPABILITY.flatMap((g) => g.calls), ...ALWAYS, 'clone', 'clone3', 'socket', 'personality'];

/** The filter for a container with these capabilities. */
export function seccompPolicy(capabilities: readonly string[]): SeccompPolicy {
  const held = new Set(capabilities);
  const refuse = [...ALWAYS];
  for (const g of UNLESS_CAPABILITY) if (!g.unlessAny.some((c) => held.has(c))) refuse.push(...g.calls);
  const admin = held.has('SYS_ADMIN');
  const argumentRules: ArgumentRule[] = [
    // vsock reaches the hypervisor (or other VMs) and belongs to no network namespace.
    { call: 'socket', refuseWhen: { oneOf: [AF_VSOCK] } },
    // personality(ADDR_NO_RANDOMIZE) and friends would turn address randomisation off.
    { call: 'personality', refuseWhen: { noneOf: PERSONAS } },
  ];
  // clone(2) makes namespaces too; clone3 hides its flags in memory, so it is answered "not
  // implemented" and the C library falls back to clone, whose flags the filter can read.
  if (!admin) argumentRules.unshift({ call: 'clone', refuseWhen: { anyBitOf: CLONE_NAMESPACE_FLAGS } });
  return { refuse, notImplemented: admin ? [] : ['clone3'], argumentRules };
}

/**
 * The same profile in the OCI config's words (linux.seccomp), which is how `nestbox run` hands it to
 * the code that makes every container: allowed by default; refused calls answer EPERM, clone3
 * ENOSYS; each argument rule becomes rules on that call's first argument, the specific ones tested
 * before the plain ones (src/kernel/seccomp.ts assembleProgram).
 */
export function seccompProfile(capabilities: readonly string[]): OciSeccomp {
  const policy = seccompPolicy(capabilities);
  const errno = (names: string[], errnoRet = 1) => ({ names, action: 'SCMP_ACT_ERRNO', errnoRet });
  const syscalls: NonNullable<OciSeccomp['syscalls']> = [errno(policy.refuse)];
  if (policy.notImplemented?.length) syscalls.push(errno(policy.notImplemented, 38));
  for (const rule of policy.argumentRules ?? []) {
    const w = rule.refuseWhen;
    if ('anyBitOf' in w) {
      // No "masked not equal" in OCI's words: allowed when none of the bits is set, refused otherwise.
      syscalls.push({ names: [rule.call], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: w.anyBitOf, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }, errno([rule.call]));
    } else if ('oneOf' in w) {
      for (const v of w.oneOf) syscalls.push({ ...errno([rule.call]), args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] });
    } else {
      for (const v of w.noneOf) syscalls.push({ names: [rule.call], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] });
      syscalls.push(errno([rule.call]));
    }
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: [process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64'], syscalls };
}
