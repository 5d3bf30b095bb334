// Device rules for a cgroup v2 group: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.
//
// cgroup v1 kept the allowed devices in files (devices.allow, devices.deny). cgroup v2 has no such
// files: whenever a process of the group opens or mknods a device node, the kernel runs the
// programs attached to its cgroup (and the ones above it) with the device's type, numbers and the
// access asked for, and refuses with EPERM unless every program answers 1. runc, crun and systemd
// (DeviceAllow=) each assemble such a program from their rules; so does this module. The program is
// a handful of compare-and-jump instructions per rule; the kernel's verifier checks it on load.
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';
import { SYS } from './constants.js';

/** One allow rule, as v1's devices.allow writes it: `c 1:3 rwm`, `b *:* m`. */
export interface DeviceRule {
  type: 'c' | 'b' | 'a';
  /** undefined: any (the `*` of the v1 syntax). */
  major?: number;
  minor?: number;
  access: string; // some of r, w, m
  /** A denial (OCI's `allow: false`); rules are allows otherwise. */
  deny?: boolean;
}

/** In v1's syntax, for showing: "c 1:3 rwm". */
export function formatDeviceRule(r: DeviceRule): string {
  return `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
}

/** "c 1:3 rwm" → a rule (the learner's and v1's syntax). */
export function parseDeviceRule(text: string): DeviceRule {
  const m = /^([cba]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a device rule: TYPE MAJOR:MINOR ACCESS, for example "c 1:3 rwm"`);
  const num = (s: string) => (s === '*' ? undefined : Number(s));
  return { type: m[1] as DeviceRule['type'], major: num(m[2]), minor: num(m[3]), access: m[4] };
}

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }: access_type holds the
// device type in its low 16 bits and the access in its high 16 bits.
const DEV_TYPE = { b: 1, c: 2 } as const; // BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR
const ACCESS = { m: 1, r: 2, w: 4 } as const; // BPF_DEVCG_ACC_MKNOD, _READ, _WRITE

// The eBPF instructions used (8 bytes each: opcode, dst and src registers, offset, immediate).
const LDX_W = 0x61; // dst = *(u32 *)(src + off)
const AND_K = 0x57; // dst &= imm (64-bit ALU)
const RSH_K = 0x77; // dst >>= imm
const MOV_X = 0xbf; // dst = src
const MOV_K = 0xb7; // dst = imm
const JNE_K = 0x55; // if dst != imm: skip `off` instructions
const JEQ_K = 0x15; // if dst == imm: skip `off` instructions
const EXIT = 0x95; // return r0

type Insn = [code: number, dst: number, src: number, off: number, imm: number];

/**
 * The program: the first rule that matches answers, 1 (allow) or, for a denial, 0 (EPERM); no rule
 * matching is 0 too. Registers: r1 the context,
 * r2 the type, r3 the access asked for, r4 major, r5 minor; r1 is reused as scratch once read.
 */
export function assembleDeviceProgram(rules: DeviceRule[]): Buffer {
  const p: Insn[] = [
    [LDX_W, 2, 1, 0, 0], [AND_K, 2, 0, 0, 0xffff],
    [LDX_W, 3, 1, 0, 0], [RSH_K, 3, 0, 0, 16],
    [LDX_W, 4, 1, 4, 0],
    [LDX_W, 5, 1, 8, 0],
  ];
  for (const rule of rules) {
    const tests: Insn[] = [];
    if (rule.type !== 'a') tests.push([JNE_K, 2, 0, 0, DEV_TYPE[rule.type]]);
    const allowed = [...rule.access].reduce((m, a) => m | ACCESS[a as keyof typeof ACCESS], 0);
    if (rule.deny) {
      // A denial matches when any access asked for is denied: r1 = r3 & denied, 0 → next rule.
      tests.push([MOV_X, 1, 3, 0, 0], [AND_K, 1, 0, 0, allowed], [JEQ_K, 1, 0, 0, 0]);
    } else if (allowed !== 7) {
      // Access asked for beyond the rule's: r1 = r3 & ~allowed, not 0 → next rule.
      tests.push([MOV_X, 1, 3, 0, 0], [AND_K, 1, 0, 0, ~allowed & 0xffff], [JNE_K, 1, 0, 0, 0]);
    }
    if (rule.major !== undefined) tests.push([JNE_K, 4, 0, 0, rule.major]);
    if (rule.minor !== undefined) tests.push([JNE_K, 5, 0, 0, rule.minor]);
    // Each failed test jumps past what is left of this rule: its remaining tests, r0 = 1, exit.
    tests.forEach((t, i) => { if (t[0] === JNE_K || t[0] === JEQ_K) t[3] = tests.length - i - 1 + 2; });
    p.push(...tests, [MOV_K, 0, 0, 0, rule.deny ? 0 : 1], [EXIT, 0, 0, 0, 0]);
    // A rule without tests (`a *:* rwm`, as --privileged has) answers every access: nothing after
    // it can run, and the verifier refuses a program with an instruction it cannot reach
    // ("unreachable insn": `run --privileged` failed so on every cgroup v2 host).
    if (!tests.length) return encode(p);
  }
  p.push([MOV_K, 0, 0, 0, 0], [EXIT, 0, 0, 0, 0]);
  return encode(p);
}

function encode(p: Insn[]): Buffer {
  const out = Buffer.alloc(p.length * 8);
  p.forEach(([code, dst, src, off, imm], i) => {
    out.writeUInt8(code, i * 8);
    out.writeUInt8((src << 4) | dst, i * 8 + 1);
    out.writeInt16LE(off, i * 8 + 2);
    out.writeInt32LE(imm, i * 8 + 4);
  });
  return out;
}

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** Programs of the cgroups above still run too; a later attach adds to this one, never replaces. */
const BPF_F_ALLOW_MULTI = 2;

let types: { load: unknown; attach: unknown } | undefined;

/**
 * bpf(BPF_PROG_LOAD) then bpf(BPF_PROG_ATTACH) to the cgroup directory `dir` (v2). The cgroup keeps
 * the program: it runs until the cgroup is removed, long after this process has closed its fd.
 */
export function attachDeviceProgram(dir: string, rules: DeviceRule[]): number {
  const l = libc();
  types ??= {
    load: l.koffi.struct('bpf_prog_load_attr', {
      prog_type: 'uint32_t', insn_cnt: 'uint32_t', insns: 'void *', license: 'const char *',
      log_level: 'uint32_t', log_size: 'uint32_t', log_buf: 'void *', kern_version: 'uint32_t', prog_flags: 'uint32_t',
    }),
    attach: l.koffi.struct('bpf_prog_attach_attr', { target_fd: 'uint32_t', attach_bpf_fd: 'uint32_t', attach_type: 'uint32_t', attach_flags: 'uint32_t' }),
  };
  const program = assembleDeviceProgram(rules);
  const load = libcFunc('long syscall(long nr, int cmd, const bpf_prog_load_attr *attr, unsigned int size)');
  const attempt = (log?: Buffer) => Number(load(SYS.bpf, BPF_PROG_LOAD, {
    prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt: program.length / 8, insns: program, license: 'GPL',
    log_level: log ? 1 : 0, log_size: log?.length ?? 0, log_buf: log ?? null, kern_version: 0, prog_flags: 0,
  }, l.koffi.sizeof(types!.load)));
  // Without the verifier's log first: before Linux 6.4 a log that overflows its buffer fails the
  // load with ENOSPC even when the program is fine, and the log of a long rule list is long. The
  // log is asked for only to explain a failure.
  let progFd = attempt();
  if (progFd < 0) {
    const errno = l.errno();
    const log = Buffer.alloc(1 << 20);
    progFd = attempt(log);
    if (progFd < 0) {
      // The log ends with statistics ("processed N insns..."); the reason is the line before them.
      const verifier = log.toString('utf8').replace(/\0.*$/s, '').trim().split('\n').filter((l) => !/^processed \d+ insns/.test(l)).pop();
      throw new KernelError('bpf', `BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, ${program.length / 8} instructions`, errno,
        verifier ? `the verifier said: ${verifier}` : 'loading BPF programs needs root (CAP_BPF and CAP_SYS_ADMIN)');
    }
  }
  const cgroupFd = Number(l.open(dir, 0o200000 /* O_DIRECTORY */ | 0o2000000 /* O_CLOEXEC */));
  try {
    if (cgroupFd < 0) throw new KernelError('open', JSON.stringify(dir), l.errno());
    const attach = libcFunc('long syscall(long nr, int cmd, const bpf_prog_attach_attr *attr, unsigned int size)');
    const rc = Number(attach(SYS.bpf, BPF_PROG_ATTACH, { target_fd: cgroupFd, attach_bpf_fd: progFd, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI }, l.koffi.sizeof(types.attach)));
    if (rc !== 0) throw new KernelError('bpf', `BPF_PROG_ATTACH, ${JSON.stringify(dir)}, BPF_CGROUP_DEVICE`, l.errno(), 'the directory must be a cgroup of a cgroup v2 tree');
  } finally {
    if (cgroupFd >= 0) l.close(cgroupFd);
    l.close(progFd);
  }
  return program.length / 8;
}
