// One cgroup API over two kernels' interfaces. A Cgroup is created under the parent "nestbox" and
// offers: set limits, add a process, read usage and events, freeze, kill, remove. On a v2 host it
// is one directory; on v1 (and hybrid) hosts it is one directory per controller tree. Every write is
// logged with the file's name on the other version, so a lab can show both.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupLayout, Controller, detectCgroupLayout } from './cgroup-layout.js';
import { UserError } from './errors.js';
import { attachDeviceProgram, formatDeviceRule, DeviceRule } from './bpf.js';

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
export const FILE_NAMES: Record<string, { v2: string; v1: string }> = {
  memoryMax: { v2: 'memory.max', v1: 'memory.limit_in_bytes' },
  memorySwapMax: { v2: 'memory.swap.max', v1: 'memory.memsw.limit_in_bytes' },
  memoryCurrent: { v2: 'memory.current', v1: 'memory.usage_in_bytes' },
  memoryPeak: { v2: 'memory.peak', v1: 'memory.max_usage_in_bytes' },
  memoryEvents: { v2: 'memory.events', v1: 'memory.oom_control + memory.failcnt' },
  cpuMax: { v2: 'cpu.max', v1: 'cpu.cfs_quota_us + cpu.cfs_period_us' },
  cpuWeight: { v2: 'cpu.weight', v1: 'cpu.shares' },
  cpuUsage: { v2: 'cpu.stat (usage_usec)', v1: 'cpuacct.usage' },
  pidsMax: { v2: 'pids.max', v1: 'pids.max' },
  pidsCurrent: { v2: 'pids.current', v1: 'pids.current' },
  cpusetCpus: { v2: 'cpuset.cpus', v1: 'cpuset.cpus' },
  freeze: { v2: 'cgroup.freeze', v1: 'freezer.state' },
  procs: { v2: 'cgroup.procs', v1: 'cgroup.procs' },
  kill: { v2: 'cgroup.kill', v1: '(none: signal each PID in cgroup.procs)' },
  ioReadBps: { v2: 'io.max (rbps=)', v1: 'blkio.throttle.read_bps_device' },
  devicesDeny: { v2: 'a BPF_CGROUP_DEVICE program, no file', v1: 'devices.deny' },
  devicesAllow: { v2: 'a BPF_CGROUP_DEVICE program, no file', v1: 'devices.allow' },
};

/** cpu.weight (v2, 1..10000, default 100) <-> cpu.shares (v1, 2..262144, default 1024), as runc converts. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export class Cgroup {
  readonly name: string;
  readonly layout: CgroupLayout;
  readonly version: 1 | 2;
  /** controller -> directory (v2: the same directory for all). */
  readonly dirs: Map<string, string>;
  readonly writes: CgroupWrite[] = [];

  private constructor(name: string, layout: CgroupLayout, version: 1 | 2, dirs: Map<string, string>) {
    this.name = name;
    this.layout = layout;
    this.version = version;
    this.dirs = dirs;
  }

  /**
   * Create nestbox/NAME with the given controllers. On v2 the controllers are first enabled for
   * children in the root's and the parent's cgroup.subtree_control (v2's "no internal processes"
   * rule is why processes only ever live in the leaves). Throws a UserError naming the missing
   * controller when the host lacks one.
   */
  static create(name: string, controllers: Controller[], layout = detectCgroupLayout()): Cgroup {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new UserError(`invalid cgroup name "${name}"`);
    const version = Cgroup.versionFor(controllers, layout);
    const dirs = new Map<string, string>();
    const made: string[] = [];
    try {
      if (version === 2) {
        const root = layout.v2Root!;
        const parent = join(root, CGROUP_PARENT);
        if (!existsSync(parent)) mkdirSync(parent);
        const enable = controllers.filter((c) => c !== 'freezer' && c !== 'devices' && c !== 'cpuacct');
        enableControllers(root, enable);
        enableControllers(parent, enable);
        const dir = join(parent, name);
        mkdirSync(dir);
        made.push(dir);
        for (const c of controllers) dirs.set(c, dir);
        dirs.set('', dir);
      } else {
        const needed = new Set<string>([...controllers]);
        for (const c of needed) {
          const mount = layout.usable[c]!.path;
          if ([...dirs.values()].some((d) => d.startsWith(mount + '/'))) {
            dirs.set(c, join(mount, CGROUP_PARENT, name)); // co-mounted (cpu,cpuacct): same directory
            continue;
          }
          const parent = join(mount, CGROUP_PARENT);
          if (!existsSync(parent)) mkdirSync(parent);
          const dir = join(parent, name);
          mkdirSync(dir);
          made.push(dir);
          if (c === 'cpuset') inheritCpuset(parent, dir);
          dirs.set(c, dir);
        }
        dirs.set('', dirs.get(controllers[0])!);
      }
    } catch (err) {
      for (const d of made.reverse()) try { rmdirSync(d); } catch { /* already gone */ }
      throw err;
    }
    return new Cgroup(name, layout, version, dirs);
  }

  /** Open an existing nestbox/NAME (for `cleanup`, `stats`, `exec`). */
  static open(name: string, controllers: Controller[], layout = detectCgroupLayout()): Cgroup {
    const version = Cgroup.versionFor(controllers, layout);
    const dirs = new Map<string, string>();
    for (const c of controllers) {
      const base = version === 2 ? layout.v2Root! : layout.usable[c]!.path;
      dirs.set(c, join(base, CGROUP_PARENT, name));
    }
    dirs.set('', dirs.get(controllers[0])!);
    return new Cgroup(name, layout, version, dirs);
  }

  /** All controllers must live in one version's tree(s); hybrid hosts use v1 for everything. */
  private static versionFor(controllers: Controller[], layout: CgroupLayout): 1 | 2 {
    for (const c of controllers) {
      const where = layout.usable[c] ?? (layout.mode === 'v2' && (c === 'freezer' || c === 'devices' || c === 'cpuacct') ? { version: 2 as const, path: layout.v2Root! } : undefined);
      if (!where) throw new UserError(`the cgroup controller "${c}" is not available on this host (cgroup mode: ${layout.mode}); see \`nestbox doctor\``);
    }
    if (layout.mode === 'v2') return 2;
    const versions = new Set(controllers.map((c) => layout.usable[c]?.version));
    if (versions.size > 1) throw new UserError(`the controllers ${controllers.join(', ')} are split between cgroup v1 and v2 on this host; nestbox needs them in one version`);
    return [...versions][0] === 2 ? 2 : 1;
  }

  /**
   * Create the child cgroup THIS/NAME in every tree this cgroup lives in (a nested cgroup: its
   * limits and usage count towards this one's). On v2 this cgroup first enables its controllers for
   * children in its cgroup.subtree_control, which the kernel allows only while it holds no process.
   */
  child(name: string): Cgroup {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new UserError(`invalid cgroup name "${name}"`);
    const dirs = new Map<string, string>();
    const made: string[] = [];
    try {
      if (this.version === 2) {
        enableControllers(this.dir(), [...this.dirs.keys()].filter((c) => c && c !== 'freezer' && c !== 'devices' && c !== 'cpuacct'));
      }
      for (const [controller, parent] of this.dirs) {
        const dir = join(parent, name);
        dirs.set(controller, dir);
        if (made.includes(dir)) continue;
        mkdirSync(dir);
        made.push(dir);
        if (this.version === 1 && parent === this.dirs.get('cpuset')) inheritCpuset(parent, dir);
      }
    } catch (err) {
      for (const d of made.reverse()) try { rmdirSync(d); } catch { /* already gone */ }
      throw err;
    }
    return new Cgroup(`${this.name}/${name}`, this.layout, this.version, dirs);
  }

  /** Directory for a controller (or the main one). */
  dir(controller: string = ''): string {
    const d = this.dirs.get(controller) ?? this.dirs.get('');
    return d!;
  }

  /** Every distinct directory of this cgroup. */
  allDirs(): string[] {
    return [...new Set(this.dirs.values())];
  }

  private write(controller: string, file: string, value: string, knob: keyof typeof FILE_NAMES | ''): void {
    const path = join(this.dir(controller), file);
    try {
      writeFileSync(path, value);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UserError(`the kernel refused ${value.trim()} for ${file} (${e.code}): ${e.code === 'EINVAL' ? 'the value is out of the range it accepts' : e.code === 'EBUSY' ? 'the current usage is above it' : e.message}`);
    }
    const names = knob ? FILE_NAMES[knob] : undefined;
    this.writes.push({ path, file, value, otherVersion: names ? (this.version === 2 ? names.v1 : names.v2) : '' });
  }

  private read(controller: string, file: string): string {
    return readFileSync(join(this.dir(controller), file), 'utf8');
  }

  setMemoryMax(bytes: number | 'max'): void {
    if (this.version === 2) this.write('memory', 'memory.max', String(bytes), 'memoryMax');
    else this.write('memory', 'memory.limit_in_bytes', bytes === 'max' ? '-1' : String(bytes), 'memoryMax');
  }

  /** Forbid swap so a memory limit means what it says (swap off on v2; memsw = memory on v1, when the kernel accounts swap). */
  disableSwap(memoryBytes: number): void {
    if (this.version === 2) {
      if (existsSync(join(this.dir('memory'), 'memory.swap.max'))) this.write('memory', 'memory.swap.max', '0', 'memorySwapMax');
    } else if (existsSync(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'))) {
      this.write('memory', 'memory.memsw.limit_in_bytes', String(memoryBytes), 'memorySwapMax');
    }
  }

  /** CPU bandwidth: `quota` microseconds of CPU time every `period` microseconds. */
  setCpuMax(quota: number | 'max', period = 100000): void {
    if (this.version === 2) this.write('cpu', 'cpu.max', `${quota} ${period}`, 'cpuMax');
    else {
      this.write('cpu', 'cpu.cfs_period_us', String(period), 'cpuMax');
      this.write('cpu', 'cpu.cfs_quota_us', quota === 'max' ? '-1' : String(quota), 'cpuMax');
    }
  }

  /** Relative CPU weight, given as v1 shares (1024 = default); converted to cpu.weight on v2. */
  setCpuShares(shares: number): void {
    if (this.version === 2) this.write('cpu', 'cpu.weight', String(sharesToWeight(shares)), 'cpuWeight');
    else this.write('cpu', 'cpu.shares', String(shares), 'cpuWeight');
  }

  setPidsMax(max: number | 'max'): void {
    this.write('pids', 'pids.max', String(max), 'pidsMax');
  }

  setCpuset(cpus: string, mems?: string): void {
    if (mems !== undefined) this.write('cpuset', 'cpuset.mems', mems, '');
    this.write('cpuset', 'cpuset.cpus', cpus, 'cpusetCpus');
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

  memoryCurrent(): number {
    return Number(this.read('memory', this.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
  }

  /** Highest usage seen (memory.peak needs kernel 5.19 on v2). */
  memoryPeak(): number | undefined {
    try {
      return Number(this.read('memory', this.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes'));
    } catch {
      return undefined;
    }
  }

  memoryMax(): number | 'max' {
    const raw = this.read('memory', this.version === 2 ? 'memory.max' : 'memory.limit_in_bytes').trim();
    if (raw === 'max') return 'max';
    const n = Number(raw);
    return n >= 2 ** 62 ? 'max' : n; // v1 reports "unlimited" as a page-rounded LONG_MAX
  }

  memoryEvents(): MemoryEvents {
    if (this.version === 2) {
      const kv = parseFlatKeyed(this.read('memory', 'memory.events'));
      return { oomKill: kv.oom_kill ?? 0, oom: kv.oom ?? 0, max: kv.max ?? 0 };
    }
    const kv = parseFlatKeyed(this.read('memory', 'memory.oom_control'));
    return { oomKill: kv.oom_kill ?? 0, oom: kv.under_oom ?? 0, max: 0, failcnt: Number(this.read('memory', 'memory.failcnt')) };
  }

  /**
   * The swap setting disableSwap wrote, as the kernel reports it: v2 memory.swap.max (swap alone),
   * v1 memory.memsw.limit_in_bytes (memory plus swap). undefined when the kernel does not account swap.
   */
  memorySwapLimit(): number | 'max' | undefined {
    const file = this.version === 2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes';
    if (!existsSync(join(this.dir('memory'), file))) return undefined;
    const raw = this.read('memory', file).trim();
    return raw === 'max' || Number(raw) >= 2 ** 62 ? 'max' : Number(raw);
  }

  /** CPU bandwidth as the kernel reports it: v2 cpu.max, v1 cpu.cfs_quota_us and cpu.cfs_period_us. */
  cpuMax(): { quota: number | 'max'; period: number } {
    if (this.version === 2) {
      const [quota, period] = this.read('cpu', 'cpu.max').trim().split(/\s+/);
      return { quota: quota === 'max' ? 'max' : Number(quota), period: Number(period) };
    }
    const quota = Number(this.read('cpu', 'cpu.cfs_quota_us'));
    return { quota: quota < 0 ? 'max' : quota, period: Number(this.read('cpu', 'cpu.cfs_period_us')) };
  }

  /** The relative weight as the kernel reports it: cpu.weight on v2 (default 100), cpu.shares on v1 (default 1024). */
  cpuWeight(): number {
    return Number(this.read('cpu', this.version === 2 ? 'cpu.weight' : 'cpu.shares'));
  }

  /** Bandwidth periods so far and how many of them ended with the group throttled (cpu.stat nr_periods, nr_throttled; both versions). */
  cpuThrottling(): { periods: number; throttled: number } {
    const kv = parseFlatKeyed(this.read('cpu', 'cpu.stat'));
    return { periods: kv.nr_periods ?? 0, throttled: kv.nr_throttled ?? 0 };
  }

  /** Total CPU time used by the cgroup, in microseconds. */
  cpuUsageUsec(): number {
    if (this.version === 2) return parseFlatKeyed(this.read('cpu', 'cpu.stat')).usage_usec ?? 0;
    const dir = this.dirs.get('cpuacct') ?? this.dir('cpu');
    return Math.round(Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1000);
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

  /** Throttle reads from block device MAJ:MIN to `bps` bytes per second (io controller; blkio on v1). */
  setIoReadBps(majMin: string, bps: number | 'max'): void {
    if (this.version === 2) this.write('io', 'io.max', `${majMin} rbps=${bps}`, 'ioReadBps');
    else this.write('blkio', 'blkio.throttle.read_bps_device', `${majMin} ${bps === 'max' ? 0 : bps}`, 'ioReadBps');
  }

  /** The read limit set for MAJ:MIN, as the kernel reports it back (undefined: none). */
  ioReadBps(majMin: string): number | undefined {
    const file = this.version === 2 ? 'io.max' : 'blkio.throttle.read_bps_device';
    const line = this.read(this.version === 2 ? 'io' : 'blkio', file).split('\n').find((l) => l.startsWith(majMin + ' '));
    if (!line) return undefined;
    const value = this.version === 2 ? /rbps=(\S+)/.exec(line)?.[1] : line.split(/\s+/)[1];
    return value === undefined || value === 'max' ? undefined : Number(value);
  }

  /**
   * Only the devices these rules allow may be opened or created in this cgroup. v1: "a" into
   * devices.deny empties the list, then one devices.allow write per rule. v2: one BPF_CGROUP_DEVICE
   * program that answers the same rules, attached to the directory (bpf.ts).
   */
  allowOnlyDevices(rules: DeviceRule[]): void {
    if (this.version === 1) {
      this.write('devices', 'devices.deny', 'a', 'devicesDeny');
      for (const r of rules) this.write('devices', 'devices.allow', formatDeviceRule(r), 'devicesAllow');
      return;
    }
    const insns = attachDeviceProgram(this.dir(), rules);
    this.writes.push({ path: this.dir(), file: `(a BPF_CGROUP_DEVICE program of ${insns} instructions)`, value: rules.map(formatDeviceRule).join(', '), otherVersion: 'devices.deny + devices.allow' });
  }

  freeze(): void {
    if (this.version === 2) this.write('', 'cgroup.freeze', '1', 'freeze');
    else this.write('freezer', 'freezer.state', 'FROZEN', 'freeze');
  }

  thaw(): void {
    if (this.version === 2) this.write('', 'cgroup.freeze', '0', 'freeze');
    else this.write('freezer', 'freezer.state', 'THAWED', 'freeze');
  }

  /** v2: cgroup.events "frozen 1"; v1: freezer.state reads FROZEN (FREEZING while in progress). */
  frozenState(): 'frozen' | 'freezing' | 'thawed' {
    if (this.version === 2) return parseFlatKeyed(this.read('', 'cgroup.events')).frozen === 1 ? 'frozen' : 'thawed';
    const s = this.read('freezer', 'freezer.state').trim();
    return s === 'FROZEN' ? 'frozen' : s === 'FREEZING' ? 'freezing' : 'thawed';
  }

  /** SIGKILL every process: cgroup.kill on v2 (kernel 5.14+), one kill(2) per PID otherwise. */
  kill(): void {
    const killFile = join(this.dir(), 'cgroup.kill');
    if (this.version === 2 && existsSync(killFile)) {
      writeFileSync(killFile, '1');
      return;
    }
    // A frozen v1 cgroup must be thawed or the SIGKILLs wait until it is.
    if (this.dirs.has('freezer') && this.frozenState() !== 'thawed') this.thaw();
    for (const pid of this.procs()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
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
      await new Promise((r) => setTimeout(r, 10));
      if (this.procs().length) this.kill();
    }
    removeCgroupDirs(this.allDirs());
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

function enableControllers(dir: string, controllers: string[]): void {
  const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
  const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  const wanted = controllers.filter((c) => available.includes(c) && !enabled.includes(c));
  if (wanted.length) writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((c) => '+' + c).join(' '));
}

/** v1 cpuset groups start with no CPUs and no memory nodes; a process cannot join until both are set. */
function inheritCpuset(parent: string, dir: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = join(parent, f);
    if (!readFileSync(mine, 'utf8').trim()) writeFileSync(mine, readFileSync(join(parent, '..', f), 'utf8').trim());
    if (!readFileSync(join(dir, f), 'utf8').trim()) writeFileSync(join(dir, f), readFileSync(mine, 'utf8').trim());
  }
}
