// linux.seccomp, as an OCI config writes it (libseccomp's names: SCMP_ACT_ERRNO, SCMP_ARCH_X86_64,
// SCMP_CMP_MASKED_EQ), turned into the program spec the kernel layer assembles
// (src/kernel/seccomp.ts assembleProgram). runc hands the same profile to libseccomp.
import { SECCOMP_RET, type SeccompArch, type SeccompProgramSpec, type ArgumentCondition } from '../kernel/seccomp.js';
import type { OciSeccomp } from './types.js';

const EPERM = 1;

/** An action's SECCOMP_RET_* value, with its errno where it takes one; undefined for a name nestbox does not know. */
export function seccompActionValue(action: string, errnoRet?: number): number | undefined {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.allow;
    case 'SCMP_ACT_ERRNO': return SECCOMP_RET.errno | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.killThread;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.killProcess;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.trap;
    case 'SCMP_ACT_TRACE': return SECCOMP_RET.trace | ((errnoRet ?? 0) & 0xffff);
    case 'SCMP_ACT_LOG': return SECCOMP_RET.log;
    default: return undefined; // SCMP_ACT_NOTIFY needs a listener nestbox does not have
  }
}

/** An architecture's name; undefined for one nestbox cannot run (ignored), null for no such name. */
export function seccompArch(name: string): SeccompArch | undefined | null {
  const known: Record<string, SeccompArch | undefined> = {
    SCMP_ARCH_X86_64: 'x64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'arm64',
    SCMP_ARCH_ARM: undefined, SCMP_ARCH_MIPS: undefined, SCMP_ARCH_MIPS64: undefined, SCMP_ARCH_MIPS64N32: undefined,
    SCMP_ARCH_MIPSEL: undefined, SCMP_ARCH_MIPSEL64: undefined, SCMP_ARCH_MIPSEL64N32: undefined, SCMP_ARCH_PPC: undefined,
    SCMP_ARCH_PPC64: undefined, SCMP_ARCH_PPC64LE: undefined, SCMP_ARCH_S390: undefined, SCMP_ARCH_S390X: undefined,
    SCMP_ARCH_PARISC: undefined, SCMP_ARCH_PARISC64: undefined, SCMP_ARCH_RISCV64: undefined,
  };
  return name in known ? known[name] : null;
}

export const SECCOMP_OPS: Record<string, ArgumentCondition['op']> = {
  SCMP_CMP_NE: 'NE', SCMP_CMP_LT: 'LT', SCMP_CMP_LE: 'LE', SCMP_CMP_EQ: 'EQ', SCMP_CMP_GE: 'GE', SCMP_CMP_GT: 'GT', SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

/**
 * The program spec for this machine. The native ABI is always one of the sections (libseccomp adds
 * it too); the others listed are added where the machine can run them (x86_64 runs i386 and x32
 * code); a call through any other ABI kills the process.
 */
export function seccompProgram(s: OciSeccomp, arch: string = process.arch): SeccompProgramSpec {
  const native: SeccompArch = arch === 'arm64' ? 'arm64' : 'x64';
  const runnable: SeccompArch[] = native === 'x64' ? ['x64', 'x86', 'x32'] : ['arm64'];
  const arches = new Set<SeccompArch>([native]);
  for (const a of s.architectures ?? []) {
    const x = seccompArch(a);
    if (x && runnable.includes(x)) arches.add(x);
  }
  const rules = (s.syscalls ?? []).flatMap((rule) => rule.names.map((call) => ({
    call,
    action: seccompActionValue(rule.action, rule.errnoRet)!,
    conditions: (rule.args ?? []).map((a) => ({ index: a.index, op: SECCOMP_OPS[a.op], value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0) })),
  })));
  const defaultAction = seccompActionValue(s.defaultAction, s.defaultErrnoRet)!;
  // clone3 passes its flags in memory, where no filter can look: a profile that does not name it
  // gets "not implemented" for it, as Docker's does, so the C library falls back to clone, whose
  // flags the profile's rules can check. (nestbox itself spawns the container's first process
  // after the filter is in place: with EPERM there, posix_spawn would fail.)
  if (defaultAction !== SECCOMP_RET.allow && !rules.some((r) => r.call === 'clone3')) rules.push({ call: 'clone3', action: SECCOMP_RET.errno | 38, conditions: [] });
  // The same posix_spawn closes every descriptor above the ones it hands down with close_range;
  // refused, the C library would walk /proc/self/fd instead, which a chrooted process may not
  // have. close_range only ever closes the caller's own descriptors.
  if (defaultAction !== SECCOMP_RET.allow && !rules.some((r) => r.call === 'close_range')) rules.push({ call: 'close_range', action: SECCOMP_RET.allow, conditions: [] });
  return { defaultAction, arches: [...arches], badArchAction: SECCOMP_RET.killProcess, rules, newerAreEnosys: true };
}
