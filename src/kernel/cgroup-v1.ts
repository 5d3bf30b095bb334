// cgroup v1: a tree per hierarchy, each mounted with one or more controllers (cpu and cpuacct share
// one on most systems), so a cgroup is one directory in each tree it needs, made with the same name.
// Controllers need no enabling; the knobs have names of their own, and some mean other things
// (memory.memsw.limit_in_bytes is memory plus swap, where v2's memory.swap.max is swap alone).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import { formatDeviceRule, DeviceRule } from './bpf.js';
import { Cgroup, CGROUP_PARENT, checkName, MemoryEvents, parseFlatKeyed, removeMade } from './cgroup-base.js';

export class CgroupV1 extends Cgroup {
  readonly version = 1 as const;

  static create(name: string, controllers: Controller[], layout: CgroupLayout): CgroupV1 {
    return CgroupV1.createAt(() => join(CGROUP_PARENT, name), controllers, layout, name);
  }

  /**
   * A cgroup at `path(mount)` below each controller's mount (the path may differ between trees: an
   * OCI cgroupsPath relative to the runtime's own cgroup). Missing directories on the way are made;
   * a leaf that exists already is joined, and left in place at the end (`made` lists the leaves
   * this call made).
   */
  static createAt(path: (mount: string) => string, controllers: Controller[], layout: CgroupLayout, name = path(layout.usable[controllers[0]]!.path)): CgroupV1 {
    const dirs = new Map<string, string>();
    const made: string[] = [];
    const leaves: string[] = [];
    try {
      for (const c of controllers) {
        const mount = layout.usable[c]!.path;
        const dir = join(mount, path(mount));
        if ([...dirs.values()].includes(dir)) {
          dirs.set(c, dir); // co-mounted (cpu,cpuacct): the same directory
          continue;
        }
        let parent = mount;
        for (const part of path(mount).split('/').filter(Boolean)) {
          const next = join(parent, part);
          if (!existsSync(next)) {
            mkdirSync(next);
            made.push(next);
            if (next === dir) leaves.push(dir);
          }
          if (c === 'cpuset') inheritCpuset(parent, next);
          parent = next;
        }
        dirs.set(c, dir);
      }
    } catch (err) {
      removeMade(made);
      throw err;
    }
    dirs.set('', dirs.get(controllers[0])!);
    const cg = new CgroupV1(name, layout, dirs);
    cg.made.push(...leaves);
    return cg;
  }

  static open(name: string, controllers: Controller[], layout: CgroupLayout): CgroupV1 {
    const dirs = new Map<string, string>(controllers.map((c) => [c, join(layout.usable[c]!.path, CGROUP_PARENT, name)]));
    dirs.set('', dirs.get(controllers[0])!);
    return new CgroupV1(name, layout, dirs);
  }

  /** The same name in every tree this cgroup lives in. */
  child(name: string): CgroupV1 {
    checkName(name);
    const dirs = new Map<string, string>();
    const made: string[] = [];
    try {
      for (const [controller, parent] of this.dirs) {
        const dir = join(parent, name);
        dirs.set(controller, dir);
        if (made.includes(dir)) continue;
        mkdirSync(dir);
        made.push(dir);
        if (parent === this.dirs.get('cpuset')) inheritCpuset(parent, dir);
      }
    } catch (err) {
      removeMade(made);
      throw err;
    }
    return new CgroupV1(`${this.name}/${name}`, this.layout, dirs);
  }

  /**
   * With swap limited (memsw, memory plus swap, set equal to memory by disableSwap), the kernel
   * keeps memsw >= memory at every moment: raising goes memsw first, lowering memory first, and the
   * two stay equal, so still no swap on top.
   */
  setMemoryMax(bytes: number | 'max'): void {
    const value = bytes === 'max' ? '-1' : String(bytes);
    const memsw = this.memorySwapLimit();
    const raising = memsw !== undefined && memsw !== 'max' && (bytes === 'max' || bytes > memsw);
    if (raising) this.write('memory', 'memory.memsw.limit_in_bytes', value, 'memorySwapMax');
    this.write('memory', 'memory.limit_in_bytes', value, 'memoryMax');
    if (memsw !== undefined && memsw !== 'max' && !raising) this.write('memory', 'memory.memsw.limit_in_bytes', value, 'memorySwapMax');
  }

  /** memsw is memory plus swap: equal to the memory limit, no swap on top (when the kernel accounts swap). */
  disableSwap(memoryBytes: number): void {
    if (existsSync(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'))) {
      this.write('memory', 'memory.memsw.limit_in_bytes', String(memoryBytes), 'memorySwapMax');
    }
  }

  /** memsw is memory plus swap already: the total as it is (-1 for no limit). */
  setMemorySwapMax(totalBytes: number | 'max'): boolean {
    if (!existsSync(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'))) return false;
    this.write('memory', 'memory.memsw.limit_in_bytes', totalBytes === 'max' ? '-1' : String(totalBytes), 'memorySwapMax');
    return true;
  }

  setCpuMax(quota: number | 'max', period = 100000): void {
    this.write('cpu', 'cpu.cfs_period_us', String(period), 'cpuMax');
    this.write('cpu', 'cpu.cfs_quota_us', quota === 'max' ? '-1' : String(quota), 'cpuMax');
  }

  setCpuShares(shares: number): void {
    this.write('cpu', 'cpu.shares', String(shares), 'cpuWeight');
  }

  /** 0 lifts the limit. */
  ioReadBpsLine(majMin: string, bps: number | 'max'): string {
    return `${majMin} ${bps === 'max' ? 0 : bps}`;
  }

  /** "a" into devices.deny empties the list, then one devices.allow write per rule. */
  allowOnlyDevices(rules: DeviceRule[]): void {
    this.write('devices', 'devices.deny', 'a', 'devicesDeny');
    for (const r of rules) this.write('devices', 'devices.allow', formatDeviceRule(r), 'devicesAllow');
  }

  /** Written in order into devices.allow or devices.deny: the kernel itself keeps the list. */
  applyDeviceRules(rules: DeviceRule[]): void {
    for (const r of rules) {
      const file = r.deny ? 'devices.deny' : 'devices.allow';
      this.write('devices', file, formatDeviceRule(r), r.deny ? 'devicesDeny' : 'devicesAllow');
    }
  }

  /** blkio.weight, or blkio.bfq.weight where only the BFQ scheduler's file exists (newer kernels). */
  setIoWeight(weight: number, majMin?: string): void {
    const plain = existsSync(join(this.dir('blkio'), 'blkio.weight'));
    const file = `blkio.${plain ? '' : 'bfq.'}weight${majMin ? '_device' : ''}`;
    this.write('blkio', file, majMin ? `${majMin} ${weight}` : String(weight), 'ioWeight');
  }

  setIoThrottle(majMin: string, kind: 'rbps' | 'wbps' | 'riops' | 'wiops', value: number): void {
    const file = { rbps: 'read_bps', wbps: 'write_bps', riops: 'read_iops', wiops: 'write_iops' }[kind];
    this.write('blkio', `blkio.throttle.${file}_device`, `${majMin} ${value}`, 'ioThrottle');
  }

  freeze(): void {
    this.write('freezer', 'freezer.state', 'FROZEN', 'freeze');
  }

  thaw(): void {
    this.write('freezer', 'freezer.state', 'THAWED', 'freeze');
  }

  memoryCurrent(): number {
    return Number(this.read('memory', 'memory.usage_in_bytes'));
  }

  memoryPeak(): number | undefined {
    try {
      return Number(this.read('memory', 'memory.max_usage_in_bytes'));
    } catch {
      return undefined;
    }
  }

  memoryMax(): number | 'max' {
    const n = Number(this.read('memory', 'memory.limit_in_bytes').trim());
    return n >= 2 ** 62 ? 'max' : n; // "unlimited" reads as a page-rounded LONG_MAX
  }

  memoryEvents(): MemoryEvents {
    const kv = parseFlatKeyed(this.read('memory', 'memory.oom_control'));
    return { oomKill: kv.oom_kill ?? 0, oom: kv.under_oom ?? 0, max: 0, failcnt: Number(this.read('memory', 'memory.failcnt')) };
  }

  memoryOverLimit(): number {
    return Number(this.read('memory', 'memory.failcnt'));
  }

  memorySwapLimit(): number | 'max' | undefined {
    if (!existsSync(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'))) return undefined;
    const n = Number(this.read('memory', 'memory.memsw.limit_in_bytes').trim());
    return n >= 2 ** 62 ? 'max' : n;
  }

  /** memsw is memory plus swap: equal to the memory limit. */
  swapLimitWithoutSwap(memoryBytes: number): number {
    return memoryBytes;
  }

  cpuMax(): { quota: number | 'max'; period: number } {
    const quota = Number(this.read('cpu', 'cpu.cfs_quota_us'));
    return { quota: quota < 0 ? 'max' : quota, period: Number(this.read('cpu', 'cpu.cfs_period_us')) };
  }

  cpuWeight(): number {
    return Number(this.read('cpu', 'cpu.shares'));
  }

  /** cpuacct.usage is in nanoseconds. */
  cpuUsageUsec(): number {
    const dir = this.dirs.get('cpuacct') ?? this.dir('cpu');
    return Math.round(Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1000);
  }

  ioReadBps(majMin: string): number | undefined {
    const line = this.read('blkio', 'blkio.throttle.read_bps_device').split('\n').find((l) => l.startsWith(majMin + ' '));
    const value = line?.split(/\s+/)[1];
    return value === undefined ? undefined : Number(value);
  }

  /** freezer.state reads FREEZING until every task has stopped, then FROZEN. */
  frozenState(): 'frozen' | 'freezing' | 'thawed' {
    const s = this.frozenStateText();
    return s === 'FROZEN' ? 'frozen' : s === 'FREEZING' ? 'freezing' : 'thawed';
  }

  frozenStateText(): string {
    return this.read('freezer', 'freezer.state').trim();
  }

  frozenReport(frozen: boolean): string {
    return frozen ? 'FROZEN' : 'THAWED';
  }

  freezeValue(frozen: boolean): string {
    return frozen ? 'FROZEN' : 'THAWED';
  }

  /** v1 parks a frozen task in __refrigerator(), in uninterruptible sleep. */
  frozenTaskState(): 'D' {
    return 'D';
  }

  /** No cgroup.kill on v1: one kill(2) per PID. A frozen cgroup is thawed first, or the SIGKILLs wait until it is. */
  kill(): void {
    if (this.dirs.has('freezer') && this.frozenState() !== 'thawed') this.thaw();
    this.killEach();
  }
}

/** v1 cpuset groups start with no CPUs and no memory nodes; a process cannot join until both are set. */
function inheritCpuset(parent: string, dir: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = join(parent, f);
    if (!readFileSync(mine, 'utf8').trim() && existsSync(join(parent, '..', f))) writeFileSync(mine, readFileSync(join(parent, '..', f), 'utf8').trim());
    if (!readFileSync(join(dir, f), 'utf8').trim()) writeFileSync(join(dir, f), readFileSync(mine, 'utf8').trim());
  }
}
