// seccomp: a small classic-BPF program the kernel runs on every system call a process makes, before
// the call itself. It sees the call's number, the ABI (architecture) it came through and its six
// arguments, and answers allow, fail with an errno, or kill. The filter is inherited across fork and
// kept across execve, and it can never be removed, only narrowed by adding more filters.
//
// This module assembles such a program from a list of refused calls (the policy is the runtime's:
// src/runtime/seccomp-profile.ts) and installs it on the calling thread. The kernel accepts a filter
// only from a thread with no_new_privs set (or CAP_SYS_ADMIN), so that no setuid program can be
// started under a filter that makes its own checks fail in ways it never expected.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';
import { syscallTable } from './syscall-table.js';

/** System call numbers of the two ABIs nestbox runs on (from the kernel's uapi headers). */
const TABLES = {
  x64: {
    arch: 0xc000003e, // AUDIT_ARCH_X86_64
    seccomp: 317,
    numbers: {
      acct: 163, add_key: 248, fanotify_init: 300, migrate_pages: 256, move_pages: 279, open_tree_attr: 467,
      personality: 135, set_mempolicy_home_node: 450, socket: 41, bpf: 321, clock_adjtime: 305, clock_settime: 227, clone: 56, clone3: 435,
      create_module: 174, delete_module: 176, finit_module: 313, fsconfig: 431, fsmount: 432, fsopen: 430,
      fspick: 433, get_kernel_syms: 177, get_mempolicy: 239, init_module: 175, io_uring_enter: 426,
      io_uring_register: 427, io_uring_setup: 425, ioperm: 173, iopl: 172, kcmp: 312, kexec_file_load: 320,
      kexec_load: 246, keyctl: 250, lookup_dcookie: 212, mbind: 237, mount: 165, mount_setattr: 442,
      move_mount: 429, nfsservctl: 180, open_by_handle_at: 304, open_tree: 428, perf_event_open: 298,
      pidfd_getfd: 438, pivot_root: 155, process_madvise: 440, query_module: 178, quotactl: 179,
      quotactl_fd: 443, reboot: 169, request_key: 249, set_mempolicy: 238, setns: 308, settimeofday: 164,
      swapoff: 168, swapon: 167, syslog: 103, sysfs: 139, _sysctl: 156, umount2: 166, unshare: 272,
      uselib: 134, userfaultfd: 323, ustat: 136, vhangup: 153,
    } as Record<string, number>,
  },
  arm64: {
    arch: 0xc00000b7, // AUDIT_ARCH_AARCH64
    seccomp: 277,
    numbers: {
      acct: 89, add_key: 217, fanotify_init: 262, migrate_pages: 238, move_pages: 239, open_tree_attr: 467,
      personality: 92, set_mempolicy_home_node: 450, socket: 198, bpf: 280, clock_adjtime: 266, clock_settime: 112, clone: 220, clone3: 435,
      delete_module: 106, finit_module: 273, fsconfig: 431, fsmount: 432, fsopen: 430, fspick: 433,
      get_mempolicy: 236, init_module: 105, io_uring_enter: 426, io_uring_register: 427, io_uring_setup: 425,
      kcmp: 272, kexec_file_load: 294, kexec_load: 104, keyctl: 219, lookup_dcookie: 18, mbind: 235,
      mount: 40, mount_setattr: 442, move_mount: 429, nfsservctl: 42, open_by_handle_at: 265, open_tree: 428,
      perf_event_open: 241, pidfd_getfd: 438, pivot_root: 41, process_madvise: 440, quotactl: 60,
      quotactl_fd: 443, reboot: 142, request_key: 218, set_mempolicy: 237, setns: 268, settimeofday: 170,
      swapoff: 225, swapon: 224, syslog: 116, umount2: 39, unshare: 97, userfaultfd: 282, vhangup: 58,
    } as Record<string, number>,
  },
};

/** A system call's number on this machine's ABI (undefined if nestbox's table does not list it). */
export function syscallNumber(name: string, arch: string = process.arch): number | undefined {
  return TABLES[arch as keyof typeof TABLES]?.numbers[name];
}

/** The CLONE_NEW* flags (NS, CGROUP, UTS, IPC, USER, PID, NET): clone(2) with any of them makes namespaces. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/**
 * A call refused or allowed by its first argument (its low 32 bits, which is all the kernel reads
 * of clone's flags, socket's family or personality's persona). BPF can read arguments passed in
 * registers, never memory they point to.
 */
export interface ArgumentRule {
  call: string;
  refuseWhen: { anyBitOf: number } | { oneOf: number[] } | { noneOf: number[] };
}

export interface SeccompPolicy {
  /** Calls that fail with EPERM. Names this architecture does not have are skipped. */
  refuse: string[];
  /**
   * Calls that fail with ENOSYS, "not implemented", so the C library falls back to an older call
   * the filter can inspect: clone3 passes its flags in memory, where BPF cannot look.
   */
  notImplemented?: string[];
  argumentRules?: ArgumentRule[];
}

// Classic BPF, as <linux/filter.h> and <linux/seccomp.h> spell it.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;
const EPERM = 1;
const ENOSYS = 38;
// Offsets into struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }.
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16; // both ABIs are little-endian
/** x32 (ILP32 on x86_64) shares AUDIT_ARCH_X86_64 and marks its numbers with this bit. */
const X32_BIT = 0x40000000;

type Insn = { code: number; k: number; jt?: string | number; jf?: string | number } | { label: string };

/** The program for this machine's ABI: 8 bytes per instruction, ready for seccomp(2). */
export function assembleFilter(policy: SeccompPolicy, arch: string = process.arch): Buffer {
  const table = TABLES[arch as keyof typeof TABLES];
  if (!table) throw new Error(`no system call table for ${arch}`);
  const nr = (name: string) => syscallNumber(name, arch)!;
  const p: Insn[] = [
    // A call through another ABI (int 0x80 on x86_64 reaches the i386 table, with other numbers)
    // would walk around every rule below. Such a program is killed, loudly, rather than left to
    // fail in strange ways.
    { code: LD_W_ABS, k: ARCH },
    { code: JEQ_K, k: table.arch, jt: 0, jf: 'kill' },
    { code: LD_W_ABS, k: NR },
  ];
  if (arch === 'x64') p.push({ code: JGE_K, k: X32_BIT, jt: 'kill', jf: 0 });
  for (const name of policy.refuse) if (nr(name) !== undefined) p.push({ code: JEQ_K, k: nr(name), jt: 'deny', jf: 0 });
  for (const name of policy.notImplemented ?? []) if (nr(name) !== undefined) p.push({ code: JEQ_K, k: nr(name), jt: 'enosys', jf: 0 });
  // Each rule: not this call, on to the next rule (the number is still loaded); this call, load
  // its first argument and decide here.
  (policy.argumentRules ?? []).forEach((rule, i) => {
    if (nr(rule.call) === undefined) return;
    const next = `next${i}`;
    p.push({ code: JEQ_K, k: nr(rule.call), jt: 0, jf: next }, { code: LD_W_ABS, k: ARG0_LOW });
    const when = rule.refuseWhen;
    if ('anyBitOf' in when) p.push({ code: JSET_K, k: when.anyBitOf, jt: 'deny', jf: 'allow' });
    else if ('oneOf' in when) p.push(...when.oneOf.map((v) => ({ code: JEQ_K, k: v, jt: 'deny', jf: 0 })), { code: RET_K, k: RET_ALLOW });
    else p.push(...when.noneOf.map((v) => ({ code: JEQ_K, k: v, jt: 'allow', jf: 0 })), { code: RET_K, k: RET_ERRNO | EPERM });
    p.push({ label: next });
  });
  p.push(
    { label: 'allow' }, { code: RET_K, k: RET_ALLOW },
    { label: 'deny' }, { code: RET_K, k: RET_ERRNO | EPERM },
    { label: 'enosys' }, { code: RET_K, k: RET_ERRNO | ENOSYS },
    { label: 'kill' }, { code: RET_K, k: RET_KILL_PROCESS },
  );

  // Jumps are relative and forward only, counted from the next instruction, at most 255.
  const labels = new Map<string, number>();
  const code: Exclude<Insn, { label: string }>[] = [];
  for (const insn of p) {
    if ('label' in insn) labels.set(insn.label, code.length);
    else code.push(insn);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((insn, i) => {
    const offset = (j: string | number | undefined): number => {
      if (j === undefined || typeof j === 'number') return j ?? 0;
      const d = labels.get(j)! - (i + 1);
      if (d < 0 || d > 255) throw new Error(`seccomp filter: jump to ${j} out of range`);
      return d;
    };
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(offset(insn.jt), i * 8 + 2);
    out.writeUInt8(offset(insn.jf), i * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return out;
}

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) on the calling thread: it and every process it starts
 * from now on run under the filter. Needs no_new_privs first (prctl PR_SET_NO_NEW_PRIVS).
 */
export function installFilter(program: Uint8Array): void {
  const l = libc();
  const table = TABLES[process.arch as keyof typeof TABLES];
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }; koffi passes the program
  // by address for the pointer, and the kernel copies it before the call returns.
  if (!sockFprog) sockFprog = l.koffi.struct('sock_fprog', { len: 'uint16_t', filter: 'void *' });
  const seccomp = libcFunc('long syscall(long nr, unsigned int op, unsigned int flags, const sock_fprog *prog)');
  if (seccomp(table.seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, { len: program.length / 8, filter: program }) !== 0) {
    const errno = l.errno();
    throw new KernelError('seccomp', `SECCOMP_SET_MODE_FILTER, ${program.length / 8} instructions`, errno,
      errno === 13 /* EACCES */ ? 'set no_new_privs first: the kernel takes a filter only from a thread that cannot gain privileges.' : undefined);
  }
}
let sockFprog: unknown;

// ---------------------------------------------------------------------------------------------
// Programs from rules, as an OCI seccomp profile states them (linux.seccomp in config.json, and
// Docker's and podman's profiles): a default answer, a list of architectures, and rules that name
// calls, with conditions on their arguments. libseccomp, which runc uses, compiles the same
// profile into the same kind of program; nestbox does it here, in the open.

/** What the filter answers: the SECCOMP_RET_* values (linux/seccomp.h), with their 16 bits of data. */
export const SECCOMP_RET = {
  killProcess: 0x80000000,
  killThread: 0x00000000,
  trap: 0x00030000,
  errno: 0x00050000,
  trace: 0x7ff00000,
  log: 0x7ffc0000,
  allow: 0x7fff0000,
} as const;

/** One condition on an argument, compared as 64 bits (only the low 32 on a 32-bit ABI). */
export interface ArgumentCondition {
  index: number;
  op: 'EQ' | 'NE' | 'LT' | 'LE' | 'GT' | 'GE' | 'MASKED_EQ';
  value: bigint;
  /** MASKED_EQ: (argument & value) == valueTwo. */
  valueTwo: bigint;
}

/** A call and the answer when every condition holds. */
export interface SeccompRule { call: string; action: number; conditions: ArgumentCondition[] }

export type SeccompArch = 'x64' | 'x86' | 'x32' | 'arm64';

export interface SeccompProgramSpec {
  defaultAction: number;
  /** The ABIs the rules apply to; a call through any other is answered `badArchAction`. */
  arches: SeccompArch[];
  badArchAction: number;
  rules: SeccompRule[];
  /**
   * Calls newer than every call the rules name answer ENOSYS instead of the default, as runc
   * arranges: a profile written before clone3 or close_range existed would otherwise answer EPERM,
   * and the C library falls back to the older call only on ENOSYS ("not implemented").
   */
  newerAreEnosys?: boolean;
}

/** AUDIT_ARCH_* values (linux/audit.h): what seccomp_data.arch holds for each ABI. */
const AUDIT_ARCH: Record<Exclude<SeccompArch, 'x32'>, number> = { x64: 0xc000003e, x86: 0x40000003, arm64: 0xc00000b7 };

/** The number of a call on an ABI, from the full tables (x32 shares x86_64's numbers, marked by X32_BIT). */
function numberOn(arch: SeccompArch, call: string): number | undefined {
  if (arch === 'x32') {
    const n = syscallTable('x64')[call];
    return n === undefined ? undefined : n | X32_BIT;
  }
  return syscallTable(arch)[call] ?? (arch === 'x64' || arch === 'arm64' ? syscallNumber(call, arch) : undefined);
}

type Op = { code: number; k: number; jt?: string | number; jf?: string | number } | { label: string };
const JA = 0x05;
const JGT_K = 0x25;

/**
 * Assemble the program. Its shape: load the ABI and jump to that ABI's section (an unconditional
 * jump, which may go far; a conditional one reaches 255 instructions at most); in a section, load
 * the call number and test the rules in order, each followed at once by its answer, so no jump
 * ever goes further than one rule; the default answer last. A rule with conditions loads the
 * arguments it tests, so the call number is loaded again after it.
 */
export function assembleProgram(spec: SeccompProgramSpec): Buffer {
  const p: Op[] = [{ code: LD_W_ABS, k: ARCH }];
  const sections = new Map<number, SeccompArch[]>();
  for (const arch of spec.arches) {
    const audit = arch === 'x32' ? AUDIT_ARCH.x64 : AUDIT_ARCH[arch];
    sections.set(audit, [...(sections.get(audit) ?? []), arch]);
  }
  for (const audit of sections.keys()) p.push({ code: JEQ_K, k: audit, jt: 0, jf: 1 }, { code: JA, k: 0, jt: `arch${audit}` });
  p.push({ code: RET_K, k: spec.badArchAction });
  let n = 0;
  for (const [audit, arches] of sections) {
    p.push({ label: `arch${audit}` }, { code: LD_W_ABS, k: NR });
    if (audit === AUDIT_ARCH.x64) {
      // x86_64 and x32 share an audit value; x32's numbers carry X32_BIT.
      const native = arches.includes('x64'), x32 = arches.includes('x32');
      if (!x32) p.push({ code: JGE_K, k: X32_BIT, jt: 0, jf: 1 }, { code: RET_K, k: spec.badArchAction });
      if (!native) p.push({ code: JGE_K, k: X32_BIT, jt: 1, jf: 0 }, { code: RET_K, k: spec.badArchAction });
    }
    const wide = audit !== AUDIT_ARCH.x86;
    // Rules with conditions first: a call refused outright and allowed for some arguments (or the
    // reverse) is decided by the specific rule, as libseccomp does.
    const ordered = [...spec.rules.filter((r) => r.conditions.length), ...spec.rules.filter((r) => !r.conditions.length)];
    for (const arch of arches) {
      for (const rule of ordered) {
        const nr = numberOn(arch, rule.call);
        if (nr === undefined) continue;
        const next = `r${n++}`;
        p.push({ code: JEQ_K, k: nr >>> 0, jt: 0, jf: next });
        for (const c of rule.conditions) p.push(...condition(c, wide, next));
        p.push({ code: RET_K, k: rule.action >>> 0 }, { label: next });
        if (rule.conditions.length) p.push({ code: LD_W_ABS, k: NR });
      }
    }
    if (spec.newerAreEnosys && spec.defaultAction !== SECCOMP_RET.allow) {
      // x32's numbers (with X32_BIT) are above x86_64's: its test comes first, and a number
      // below X32_BIT is then compared with the newest x86_64 call.
      const newest = (arch: SeccompArch) => Math.max(...ordered.map((r) => numberOn(arch, r.call) ?? -1));
      for (const arch of [...arches].sort((a) => (a === 'x32' ? -1 : 1))) {
        const top = newest(arch);
        if (top < 0) continue;
        if (arch === 'x64' && arches.includes('x32')) p.push({ code: JGE_K, k: X32_BIT, jt: 2, jf: 0 });
        p.push({ code: JGT_K, k: top >>> 0, jt: 0, jf: 1 }, { code: RET_K, k: RET_ERRNO | ENOSYS });
      }
    }
    p.push({ code: RET_K, k: spec.defaultAction >>> 0 });
  }
  return encode(p);
}

let conditionCount = 0;

/** Instructions that fall through when `c` holds and jump to `fail` when it does not. */
function condition(c: ArgumentCondition, wide: boolean, fail: string): Op[] {
  const lo = ARG0_LOW + 8 * c.index, hi = lo + 4;
  const low = (v: bigint) => Number(v & 0xffffffffn), high = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const out: Op[] = [];
  const pass = `${fail}c${c.index}${c.op}${out.length}${++conditionCount}`;
  switch (c.op) {
    case 'EQ':
    case 'NE': {
      // EQ holds when both halves match; NE when either differs.
      const differ = c.op === 'EQ' ? fail : pass;
      const same = c.op === 'EQ' ? pass : fail;
      if (wide) out.push({ code: LD_W_ABS, k: hi }, { code: JEQ_K, k: high(c.value), jt: 0, jf: differ });
      out.push({ code: LD_W_ABS, k: lo }, { code: JEQ_K, k: low(c.value), jt: same, jf: differ });
      break;
    }
    case 'MASKED_EQ': {
      // A &= mask, then compare with the datum: BPF_ALU|BPF_AND|BPF_K is 0x54.
      if (wide) out.push({ code: LD_W_ABS, k: hi }, { code: 0x54, k: high(c.value) }, { code: JEQ_K, k: high(c.valueTwo), jt: 0, jf: fail });
      out.push({ code: LD_W_ABS, k: lo }, { code: 0x54, k: low(c.value) }, { code: JEQ_K, k: low(c.valueTwo), jt: pass, jf: fail });
      break;
    }
    default: {
      // Unsigned order on 64 bits: the high halves decide unless equal, then the low halves.
      const greater = c.op === 'GT' || c.op === 'GE';
      const above = greater ? pass : fail, below = greater ? fail : pass;
      if (wide) {
        out.push({ code: LD_W_ABS, k: hi }, { code: JGT_K, k: high(c.value), jt: above, jf: 0 }, { code: JEQ_K, k: high(c.value), jt: 0, jf: below });
      }
      // Low halves: GT: lo > v; GE: lo >= v; LT: !(lo >= v); LE: !(lo > v).
      const code = c.op === 'GT' || c.op === 'LE' ? JGT_K : JGE_K;
      out.push({ code: LD_W_ABS, k: lo }, { code, k: low(c.value), jt: greater ? pass : fail, jf: greater ? fail : pass });
    }
  }
  out.push({ label: pass });
  return out;
}

/** Labels resolved into offsets: conditional jumps at most 255 ahead, BPF_JA's k any distance. */
function encode(p: Op[]): Buffer {
  const labels = new Map<string, number>();
  const code: Exclude<Op, { label: string }>[] = [];
  for (const op of p) {
    if ('label' in op) labels.set(op.label, code.length);
    else code.push(op);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((insn, i) => {
    const offset = (j: string | number | undefined): number => {
      if (j === undefined || typeof j === 'number') return j ?? 0;
      const target = labels.get(j);
      if (target === undefined) throw new Error(`seccomp filter: no label ${j}`);
      return target - (i + 1);
    };
    let jt = offset(insn.jt), jf = offset(insn.jf), k = insn.k;
    if (insn.code === JA) { k = jt; jt = 0; }
    if (jt < 0 || jt > 255 || jf < 0 || jf > 255) throw new Error('seccomp filter: a conditional jump out of range');
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  if (code.length > 4096) throw new Error(`seccomp filter: ${code.length} instructions, more than the kernel's 4096`);
  return out;
}
