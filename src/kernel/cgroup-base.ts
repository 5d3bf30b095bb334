// What every cgroup is, whichever kernel interface holds it: a set of directories (one on v2, one per
// controller tree on v1), processes, knobs, usage. The knobs are asked for by what they do
// (setMemoryMax, freeze); which file carries them is each version's business (cgroup-v1.ts,
// cgroup-v2.ts). A lab that teaches the files asks `file(knob)` and `otherFile(knob)` instead of
// branching on the version itself.
import { readFileSync, rmdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout } from './cgroup-layout.js';
import type { DeviceRule } from './bpf.js';
import { KernelError } from './errors.js';
import { UserError } from '../errors.js';
import { setTimeout as sleep } from 'node:timers/promises';

export const CGROUP_PARENT = 'nestbox';

export interface CgroupWrite {
  /** Absolute path written. */
  path: string;
  file: string;
  value: string;
  /** The same setting's file on the other cgroup version. */
  otherVersion: string;
}

export interface MemoryEvents { oomKill: number; oom: number; max: number; failcnt?: number }

/** Names of the same knob on both versions, for explanations. */
export const FILE_NAMES = {
  memoryMax: { v2: 'memory.max', v1: 'memory.limit_in_bytes' },
  memorySwapMax: { v2: 'memory.swap.max', v1: 'memory.memsw.limit_in_bytes' },
  memoryCurrent: { v2: 'memory.current', v1: 'memory.usage_in_bytes' },
  memoryPeak: { v2: 'memory.peak', v1: 'memory.max_usage_in_bytes' },
  memoryEvents: { v2: 'memory.events', v1: 'memory.oom_control' },
  memoryOverLimit: { v2: 'memory.events max', v1: 'memory.failcnt' },
  memoryLow: { v2: 'memory.low', v1: 'memory.soft_limit_in_bytes' },
  cpuMax: { v2: 'cpu.max', v1: 'cpu.cfs_quota_us + cpu.cfs_period_us' },
  cpuWeight: { v2: 'cpu.weight', v1: 'cpu.shares' },
  cpuUsage: { v2: 'cpu.stat (usage_usec)', v1: 'cpuacct.usage' },
  pidsMax: { v2: 'pids.max', v1: 'pids.max' },
  pidsCurrent: { v2: 'pids.current', v1: 'pids.current' },
  cpusetCpus: { v2: 'cpuset.cpus', v1: 'cpuset.cpus' },
  cpusetEffective: { v2: 'cpuset.cpus.effective', v1: 'cpuset.effective_cpus' },
  freeze: { v2: 'cgroup.freeze', v1: 'freezer.state' },
  frozenState: { v2: 'cgroup.events', v1: 'freezer.state' },
  procs: { v2: 'cgroup.procs', v1: 'cgroup.procs' },
  kill: { v2: 'cgroup.kill', v1: '(none: signal each PID in cgroup.procs)' },
  ioReadBps: { v2: 'io.max', v1: 'blkio.throttle.read_bps_device' },
  devicesDeny: { v2: 'a BPF_CGROUP_DEVICE program, no file', v1: 'devices.deny' },
  devicesAllow: { v2: 'a BPF_CGROUP_DEVICE program, no file', v1: 'devices.allow' },
  memorySwappiness: { v2: '(none: the system-wide vm.swappiness)', v1: 'memory.swappiness' },
  oomKillDisable: { v2: '(none)', v1: 'memory.oom_control' },
  kernelMemory: { v2: '(none: kernel memory is counted in memory.max)', v1: 'memory.kmem.limit_in_bytes' },
  kernelTcpMemory: { v2: '(none: counted in memory.max)', v1: 'memory.kmem.tcp.limit_in_bytes' },
  cpuRealtime: { v2: '(none: real-time groups are v1 only)', v1: 'cpu.rt_runtime_us + cpu.rt_period_us' },
  ioWeight: { v2: 'io.weight', v1: 'blkio.weight' },
  ioThrottle: { v2: 'io.max', v1: 'blkio.throttle.*_device' },
  hugetlbLimit: { v2: 'hugetlb.SIZE.max', v1: 'hugetlb.SIZE.limit_in_bytes' },
  netClassid: { v2: '(none: match the cgroup in iptables or BPF instead)', v1: 'net_cls.classid' },
  netPriorities: { v2: '(none)', v1: 'net_prio.ifpriomap' },
} as const;
export type Knob = keyof typeof FILE_NAMES;

/** cpu.weight (v2, 1..10000, default 100) <-> cpu.shares (v1, 2..262144, default 1024), as runc converts. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** A cgroup's name becomes a directory: letters, digits, '_', '.', '-', and no leading dot. */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new UserError(`invalid cgroup name "${name}"`);
}

export abstract class Cgroup {
  readonly writes: CgroupWrite[] = [];
  /** The directories made for it (createAt); the others existed before it and are someone else's. */
  readonly made: string[] = [];

  constructor(
    readonly name: string,
    readonly layout: CgroupLayout,
    /** controller -> directory (v2: the same directory for all); '' names the main one. */
    readonly dirs: Map<string, string>,
  ) {}

  abstract readonly version: 1 | 2;

  /** A nested cgroup THIS/NAME: its limits and usage count towards this one's. */
  abstract child(name: string): Cgroup;

  // Knobs, by what they do.
  abstract setMemoryMax(bytes: number | 'max'): void;
  /** Forbid swap, so a memory limit means what it says. */
  abstract disableSwap(memoryBytes: number): void;
  /**
   * Allow swap as Docker's --memory-swap counts it: `totalBytes` of memory and swap together
   * ('max': swap without limit), on top of a memory limit of `memoryBytes` already written. False
   * when the kernel does not account swap (no file for it), and nothing was written.
   */
  abstract setMemorySwapMax(totalBytes: number | 'max', memoryBytes: number): boolean;
  /** CPU bandwidth: `quota` microseconds of CPU time every `period` microseconds. */
  abstract setCpuMax(quota: number | 'max', period?: number): void;
  /** Relative CPU weight, given as v1 shares (1024 = default). */
  abstract setCpuShares(shares: number): void;
  /** Throttle reads from block device MAJ:MIN to `bps` bytes per second. */
  setIoReadBps(majMin: string, bps: number | 'max'): void {
    this.write(this.dirs.has('blkio') ? 'blkio' : 'io', this.file('ioReadBps'), this.ioReadBpsLine(majMin, bps), 'ioReadBps');
  }
  /** The line that sets it, as written into file('ioReadBps'). */
  abstract ioReadBpsLine(majMin: string, bps: number | 'max'): string;
  /** Only the devices these rules allow may be opened or created in this cgroup. */
  abstract allowOnlyDevices(rules: DeviceRule[]): void;
  /**
   * Device rules as an OCI config lists them: allows and denials (`deny`), in order, each one
   * changing what the ones before it said, as v1's devices.allow and devices.deny do.
   */
  abstract applyDeviceRules(rules: DeviceRule[]): void;
  /** The memory usage the kernel reclaims down to first under pressure (v1 soft limit, v2 memory.low). */
  setMemoryReservation(bytes: number | 'max'): void {
    this.write('memory', this.version === 2 ? 'memory.low' : 'memory.soft_limit_in_bytes', bytes === 'max' ? (this.version === 2 ? 'max' : '-1') : String(bytes), 'memoryLow');
  }
  /**
   * The knobs only v1 has; on v2 each answers false and writes nothing: how eagerly this group's
   * memory is swapped (0-100), the OOM killer turned off for it, limits of kernel and TCP buffer
   * memory (v2 counts both in memory.max), real-time CPU time, a network class id and priorities.
   */
  setMemorySwappiness(value: number): boolean { return this.v1Only('memory', 'memory.swappiness', String(value), 'memorySwappiness'); }
  setOomKillDisable(disabled: boolean): boolean { return this.v1Only('memory', 'memory.oom_control', disabled ? '1' : '0', 'oomKillDisable'); }
  setKernelMemory(bytes: number): boolean { return this.v1Only('memory', 'memory.kmem.limit_in_bytes', String(bytes), 'kernelMemory'); }
  setKernelTcpMemory(bytes: number): boolean { return this.v1Only('memory', 'memory.kmem.tcp.limit_in_bytes', String(bytes), 'kernelTcpMemory'); }
  setCpuRealtime(runtimeUs?: number, periodUs?: number): boolean {
    if (this.version === 2) return false;
    if (periodUs !== undefined) this.write('cpu', 'cpu.rt_period_us', String(periodUs), 'cpuRealtime');
    if (runtimeUs !== undefined) this.write('cpu', 'cpu.rt_runtime_us', String(runtimeUs), 'cpuRealtime');
    return true;
  }
  setNetClassid(classid: number): boolean { return this.v1Only('net_cls', 'net_cls.classid', String(classid), 'netClassid'); }
  setNetPriority(iface: string, priority: number): boolean { return this.v1Only('net_prio', 'net_prio.ifpriomap', `${iface} ${priority}`, 'netPriorities'); }
  /** Proportional I/O weight, overall or for one device (MAJ:MIN); v1 10-1000, v2 1-10000. */
  abstract setIoWeight(weight: number, majMin?: string): void;
  /** Throttle one device: bytes or operations per second, read or write. */
  abstract setIoThrottle(majMin: string, kind: 'rbps' | 'wbps' | 'riops' | 'wiops', value: number): void;
  /** hugetlb: at most `bytes` of huge pages of `size` (2MB, 1GB: the kernel's own names). */
  setHugetlbLimit(size: string, bytes: number): void {
    this.write('hugetlb', this.version === 2 ? `hugetlb.${size}.max` : `hugetlb.${size}.limit_in_bytes`, String(bytes), 'hugetlbLimit');
  }
  /** Any file of the group's directory, as OCI's linux.resources.unified writes them (v2). */
  setFile(file: string, value: string): void {
    this.write('', file, value, '');
  }

  private v1Only(controller: string, file: string, value: string, knob: Knob): boolean {
    if (this.version === 2) return false;
    this.write(controller, file, value, knob);
    return true;
  }
  abstract freeze(): void;
  abstract thaw(): void;

  // Readings, as the kernel reports them.
  abstract memoryCurrent(): number;
  /** Highest usage seen (undefined where the kernel keeps none: v2 before Linux 5.19). */
  abstract memoryPeak(): number | undefined;
  abstract memoryMax(): number | 'max';
  abstract memoryEvents(): MemoryEvents;
  /** How often usage hit the limit (v2: memory.events max; v1: memory.failcnt). */
  abstract memoryOverLimit(): number;
  /** The swap setting disableSwap wrote; undefined when the kernel does not account swap. */
  abstract memorySwapLimit(): number | 'max' | undefined;
  /** What memorySwapLimit() reads when no swap is allowed on top of `memoryBytes`. */
  abstract swapLimitWithoutSwap(memoryBytes: number): number;
  abstract cpuMax(): { quota: number | 'max'; period: number };
  /** cpu.weight on v2 (default 100), cpu.shares on v1 (default 1024). */
  abstract cpuWeight(): number;
  /** Total CPU time used by the cgroup, in microseconds. */
  abstract cpuUsageUsec(): number;
  abstract ioReadBps(majMin: string): number | undefined;
  abstract frozenState(): 'frozen' | 'freezing' | 'thawed';
  /** The text of the file that says whether the cgroup is frozen, as a learner would `cat` it. */
  abstract frozenStateText(): string;
  /** What that file says once the cgroup is frozen, or thawed. */
  abstract frozenReport(frozen: boolean): string;
  /** What is written into file('freeze') to freeze, or thaw. */
  abstract freezeValue(frozen: boolean): string;
  /** The State a frozen process shows in /proc/PID/status. */
  abstract frozenTaskState(): 'S' | 'D';
  /** SIGKILL every process in the cgroup. */
  abstract kill(): void;

  /** The file that carries a knob on this host's version. */
  file(knob: Knob): string {
    return this.version === 2 ? FILE_NAMES[knob].v2 : FILE_NAMES[knob].v1;
  }

  /** The same knob's file on the other version, for the learner who will meet it there. */
  otherFile(knob: Knob): string {
    return this.version === 2 ? FILE_NAMES[knob].v1 : FILE_NAMES[knob].v2;
  }

  /** Directory for a controller (or the main one). */
  dir(controller = ''): string {
    return this.dirs.get(controller) ?? this.dirs.get('')!;
  }

  /** Every distinct directory of this cgroup. */
  allDirs(): string[] {
    return [...new Set(this.dirs.values())];
  }

  /**
   * Write a knob's file; the kernel's refusal keeps its errno, with what it means for a cgroup
   * file (EINVAL: out of range; EBUSY: usage above it).
   */
  protected write(controller: string, file: string, value: string, knob: Knob | ''): void {
    const path = join(this.dir(controller), file);
    try {
      writeFileSync(path, value);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EINVAL' ? `the kernel refused ${value.trim()} for ${file}: out of the range it accepts`
        : e.code === 'EBUSY' ? `the kernel refused ${value.trim()} for ${file}: the current usage is above it` : undefined;
      throw new KernelError('write', `${path}, "${value.trim()}"`, Math.abs(e.errno ?? 0), why);
    }
    this.writes.push({ path, file, value, otherVersion: knob ? (this.version === 2 ? FILE_NAMES[knob].v1 : FILE_NAMES[knob].v2) : '' });
  }

  protected read(controller: string, file: string): string {
    return readFileSync(join(this.dir(controller), file), 'utf8');
  }

  setPidsMax(max: number | 'max'): void {
    this.write('pids', 'pids.max', String(max), 'pidsMax');
  }

  setCpuset(cpus: string, mems?: string): void {
    if (mems !== undefined) this.write('cpuset', 'cpuset.mems', mems, '');
    this.write('cpuset', 'cpuset.cpus', cpus, 'cpusetCpus');
  }

  /** The CPUs the cgroup may really use (its own list, within its parents'). */
  cpusetEffective(): string {
    return this.read('cpuset', this.file('cpusetEffective')).trim();
  }

  /** Move a process (all its threads) into the cgroup, in every controller's tree. */
  addProcess(pid: number): void {
    for (const dir of this.allDirs()) {
      const path = join(dir, 'cgroup.procs');
      writeFileSync(path, String(pid));
      this.writes.push({ path, file: 'cgroup.procs', value: String(pid), otherVersion: 'cgroup.procs' });
    }
  }

  procs(): number[] {
    const all = new Set<number>();
    for (const dir of this.allDirs()) {
      try {
        for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) all.add(Number(p));
      } catch { /* removed */ }
    }
    return [...all].sort((a, b) => a - b);
  }

  /** Bandwidth periods so far and how many ended with the group throttled (cpu.stat, both versions). */
  cpuThrottling(): { periods: number; throttled: number } {
    const kv = parseFlatKeyed(this.read('cpu', 'cpu.stat'));
    return { periods: kv.nr_periods ?? 0, throttled: kv.nr_throttled ?? 0 };
  }

  pidsMax(): number | 'max' {
    const raw = this.read('pids', 'pids.max').trim();
    return raw === 'max' ? 'max' : Number(raw);
  }

  pidsCurrent(): number {
    return Number(this.read('pids', 'pids.current'));
  }

  /** How many forks pids.max refused (pids.events "max"). */
  pidsRefused(): number {
    try {
      return parseFlatKeyed(this.read('pids', 'pids.events')).max ?? 0;
    } catch {
      return 0;
    }
  }

  /**
   * Kill what is left, wait for the processes to be gone, and remove the directories. A cgroup
   * can only be removed once no process is in it (zombies count until reaped).
   */
  async remove(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.procs().length) this.kill();
    while (this.procs().length && Date.now() < deadline) {
      await sleep(10);
      if (this.procs().length) this.kill();
    }
    removeCgroupDirs(this.allDirs());
  }

  protected killEach(): void {
    for (const pid of this.procs()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
    }
  }
}

/** rmdir cgroup directories, children first (a cgroup's own files are not real files and need no removal). */
export function removeCgroupDirs(dirs: string[]): void {
  const errors: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeCgroupDirs([join(dir, entry.name)]);
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      errors.push(`${dir}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  if (errors.length) throw new Error(`could not remove cgroup ${errors.join(', ')} (processes still inside?)`);
}

/** "key value" lines (memory.events, cpu.stat, pids.events, memory.oom_control). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** Undo the directories made so far when making a cgroup failed half-way. */
export function removeMade(made: string[]): void {
  for (const d of [...made].reverse()) try { rmdirSync(d); } catch { /* already gone */ }
}
