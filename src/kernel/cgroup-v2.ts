// cgroup v2: one tree, one directory per cgroup, every controller's files in it. A controller must
// be enabled for children in each parent's cgroup.subtree_control before a child has its files, and
// only leaves hold processes (the "no internal processes" rule).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import { attachDeviceProgram, formatDeviceRule, DeviceRule } from './bpf.js';
import { Cgroup, CGROUP_PARENT, checkName, MemoryEvents, parseFlatKeyed, removeMade, sharesToWeight } from './cgroup-base.js';

/** Controllers with no files of their own on v2: freezing and device rules are the core's (cgroup.freeze, BPF); cpuacct is in cpu.stat. */
const IMPLICIT = new Set(['freezer', 'devices', 'cpuacct']);

export class CgroupV2 extends Cgroup {
  readonly version = 2 as const;

  static create(name: string, controllers: Controller[], layout: CgroupLayout): CgroupV2 {
    const root = layout.v2Root!;
    const parent = join(root, CGROUP_PARENT);
    if (!existsSync(parent)) mkdirSync(parent);
    const enable = controllers.filter((c) => !IMPLICIT.has(c));
    enableControllers(root, enable);
    enableControllers(parent, enable);
    const dir = join(parent, name);
    mkdirSync(dir);
    return new CgroupV2(name, layout, dirsFor(dir, controllers));
  }

  /**
   * A cgroup at `path` below the root of the tree, its missing parents made and each given the
   * controllers for its children on the way down. A leaf that exists already is joined (and left in
   * place at the end: `made` lists it only when this call made it).
   */
  static createAt(path: string, controllers: Controller[], layout: CgroupLayout): CgroupV2 {
    const enable = controllers.filter((c) => !IMPLICIT.has(c));
    let dir = layout.v2Root!;
    const made: string[] = [];
    try {
      for (const part of path.split('/').filter(Boolean)) {
        enableControllers(dir, enable);
        dir = join(dir, part);
        if (!existsSync(dir)) {
          mkdirSync(dir);
          made.push(dir);
        }
      }
    } catch (err) {
      removeMade(made);
      throw err;
    }
    const cg = new CgroupV2(path, layout, dirsFor(dir, controllers));
    if (made.includes(dir)) cg.made.push(dir);
    return cg;
  }

  static open(name: string, controllers: Controller[], layout: CgroupLayout): CgroupV2 {
    return new CgroupV2(name, layout, dirsFor(join(layout.v2Root!, CGROUP_PARENT, name), controllers));
  }

  /** The controllers are first enabled for children, which the kernel allows only while this cgroup holds no process. */
  child(name: string): CgroupV2 {
    checkName(name);
    enableControllers(this.dir(), [...this.dirs.keys()].filter((c) => c && !IMPLICIT.has(c)));
    const dir = join(this.dir(), name);
    const made: string[] = [];
    try {
      mkdirSync(dir);
      made.push(dir);
    } catch (err) {
      removeMade(made);
      throw err;
    }
    return new CgroupV2(`${this.name}/${name}`, this.layout, dirsFor(dir, [...this.dirs.keys()].filter(Boolean) as Controller[]));
  }

  setMemoryMax(bytes: number | 'max'): void {
    this.write('memory', 'memory.max', String(bytes), 'memoryMax');
  }

  /** memory.swap.max is swap alone: 0 means none on top of memory.max. */
  disableSwap(): void {
    if (existsSync(join(this.dir('memory'), 'memory.swap.max'))) this.write('memory', 'memory.swap.max', '0', 'memorySwapMax');
  }

  /** memory.swap.max is swap alone: the total less the memory. */
  setMemorySwapMax(totalBytes: number | 'max', memoryBytes: number): boolean {
    if (!existsSync(join(this.dir('memory'), 'memory.swap.max'))) return false;
    this.write('memory', 'memory.swap.max', totalBytes === 'max' ? 'max' : String(totalBytes - memoryBytes), 'memorySwapMax');
    return true;
  }

  setCpuMax(quota: number | 'max', period = 100000): void {
    this.write('cpu', 'cpu.max', `${quota} ${period}`, 'cpuMax');
  }

  setCpuShares(shares: number): void {
    this.write('cpu', 'cpu.weight', String(sharesToWeight(shares)), 'cpuWeight');
  }

  ioReadBpsLine(majMin: string, bps: number | 'max'): string {
    return `${majMin} rbps=${bps}`;
  }

  /** No device files on v2: one BPF_PROG_TYPE_CGROUP_DEVICE program answers the rules (bpf.ts). */
  allowOnlyDevices(rules: DeviceRule[]): void {
    const insns = attachDeviceProgram(this.dir(), rules);
    this.writes.push({ path: this.dir(), file: `(a BPF_CGROUP_DEVICE program of ${insns} instructions)`, value: rules.map(formatDeviceRule).join(', '), otherVersion: 'devices.deny + devices.allow' });
  }

  /**
   * One program for the whole list: the rules are tested last first, and the first that matches
   * decides, which gives each rule the last word over the ones before it, as v1's files do.
   */
  applyDeviceRules(rules: DeviceRule[]): void {
    const insns = attachDeviceProgram(this.dir(), [...rules].reverse());
    this.writes.push({ path: this.dir(), file: `(a BPF_CGROUP_DEVICE program of ${insns} instructions)`, value: rules.map((r) => `${r.deny ? 'deny' : 'allow'} ${formatDeviceRule(r)}`).join(', '), otherVersion: 'devices.deny + devices.allow' });
  }

  /** io.weight (1-10000), converted from v1's 10-1000 as runc does; io.bfq.weight where the BFQ scheduler is used. */
  setIoWeight(weight: number, majMin?: string): void {
    const v2 = 1 + Math.floor(((weight - 10) * 9999) / 990);
    const file = existsSync(join(this.dir('io'), 'io.weight')) ? 'io.weight' : 'io.bfq.weight';
    this.write('io', file, majMin ? `${majMin} ${v2}` : `default ${v2}`, 'ioWeight');
  }

  setIoThrottle(majMin: string, kind: 'rbps' | 'wbps' | 'riops' | 'wiops', value: number): void {
    this.write('io', 'io.max', `${majMin} ${kind}=${value}`, 'ioThrottle');
  }

  freeze(): void {
    this.write('', 'cgroup.freeze', '1', 'freeze');
  }

  thaw(): void {
    this.write('', 'cgroup.freeze', '0', 'freeze');
  }

  memoryCurrent(): number {
    return Number(this.read('memory', 'memory.current'));
  }

  /** memory.peak needs Linux 5.19. */
  memoryPeak(): number | undefined {
    try {
      return Number(this.read('memory', 'memory.peak'));
    } catch {
      return undefined;
    }
  }

  memoryMax(): number | 'max' {
    const raw = this.read('memory', 'memory.max').trim();
    return raw === 'max' ? 'max' : Number(raw);
  }

  memoryEvents(): MemoryEvents {
    const kv = parseFlatKeyed(this.read('memory', 'memory.events'));
    return { oomKill: kv.oom_kill ?? 0, oom: kv.oom ?? 0, max: kv.max ?? 0 };
  }

  memoryOverLimit(): number {
    return this.memoryEvents().max;
  }

  memorySwapLimit(): number | 'max' | undefined {
    if (!existsSync(join(this.dir('memory'), 'memory.swap.max'))) return undefined;
    const raw = this.read('memory', 'memory.swap.max').trim();
    return raw === 'max' ? 'max' : Number(raw);
  }

  /** memory.swap.max is swap alone: 0. */
  swapLimitWithoutSwap(): number {
    return 0;
  }

  cpuMax(): { quota: number | 'max'; period: number } {
    const [quota, period] = this.read('cpu', 'cpu.max').trim().split(/\s+/);
    return { quota: quota === 'max' ? 'max' : Number(quota), period: Number(period) };
  }

  cpuWeight(): number {
    return Number(this.read('cpu', 'cpu.weight'));
  }

  cpuUsageUsec(): number {
    return parseFlatKeyed(this.read('cpu', 'cpu.stat')).usage_usec ?? 0;
  }

  ioReadBps(majMin: string): number | undefined {
    const line = this.read('io', 'io.max').split('\n').find((l) => l.startsWith(majMin + ' '));
    const value = line && /rbps=(\S+)/.exec(line)?.[1];
    return !value || value === 'max' ? undefined : Number(value);
  }

  /** cgroup.events says "frozen 1" once every process has stopped. */
  frozenState(): 'frozen' | 'freezing' | 'thawed' {
    const frozen = parseFlatKeyed(this.read('', 'cgroup.events')).frozen === 1;
    if (frozen) return 'frozen';
    return this.read('', 'cgroup.freeze').trim() === '1' ? 'freezing' : 'thawed';
  }

  frozenStateText(): string {
    return this.read('', 'cgroup.events').split('\n').find((l) => l.startsWith('frozen')) ?? '(no frozen line)';
  }

  frozenReport(frozen: boolean): string {
    return frozen ? 'frozen 1' : 'frozen 0';
  }

  freezeValue(frozen: boolean): string {
    return frozen ? '1' : '0';
  }

  /** v2 stops a frozen task like a job-control stop, in interruptible sleep, so SIGKILL still gets through. */
  frozenTaskState(): 'S' {
    return 'S';
  }

  /** cgroup.kill (Linux 5.14) kills every process at once; before it, one kill(2) per PID. */
  kill(): void {
    const killFile = join(this.dir(), 'cgroup.kill');
    if (existsSync(killFile)) writeFileSync(killFile, '1');
    else this.killEach();
  }
}

function dirsFor(dir: string, controllers: Controller[]): Map<string, string> {
  const dirs = new Map<string, string>(controllers.map((c) => [c, dir]));
  dirs.set('', dir);
  return dirs;
}

function enableControllers(dir: string, controllers: string[]): void {
  const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
  const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  const wanted = controllers.filter((c) => available.includes(c) && !enabled.includes(c));
  if (wanted.length) writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((c) => '+' + c).join(' '));
}
