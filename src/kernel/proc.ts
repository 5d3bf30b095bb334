// Readers of kernel state under /proc (and the one knob written there, oom_score_adj). No libc here:
// the kernel already publishes all of it as text, and reading it back is how every lab verifies what it did.
import { readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { NAMESPACE_TYPES, NamespaceType, capabilityNames } from './constants.js';

export type Pid = number | 'self';

/** The namespace a process is in, per type: the inode number from /proc/PID/ns/TYPE ("uts:[4026531838]"). */
export function namespaceIds(pid: Pid = 'self'): Partial<Record<NamespaceType, number>> {
  const ids: Partial<Record<NamespaceType, number>> = {};
  for (const type of NAMESPACE_TYPES) {
    const id = namespaceId(pid, type);
    if (id !== undefined) ids[type] = id;
  }
  return ids;
}

export function namespaceId(pid: Pid, type: NamespaceType): number | undefined {
  try {
    return parseNamespaceLink(readlinkSync(`/proc/${pid}/ns/${type}`));
  } catch {
    return undefined; // the kernel lacks that type, or the process is gone
  }
}

export function parseNamespaceLink(link: string): number {
  const m = /^\w+:\[(\d+)\]$/.exec(link);
  if (!m) throw new Error(`unexpected namespace link "${link}"`);
  return Number(m[1]);
}

/** /proc/PID/status as key -> value. */
function parseStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface ProcessStatus {
  pid: number;
  name: string;
  state: string;
  ppid: number;
  /** PIDs from the outermost PID namespace to the process's own (NSpid). */
  nspid: number[];
  uid: number[];
  gid: number[];
  capEff: bigint;
  capPrm: bigint;
  capBnd: bigint;
  capEffNames: string[];
  noNewPrivs: boolean;
  /** 0 none, 1 strict, 2 filter */
  seccomp: number;
  threads: number;
}

export function processStatusFromText(text: string): ProcessStatus {
  const s = parseStatus(text);
  const nums = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean).map(Number);
  const hex = (v: string | undefined) => BigInt('0x' + (v ?? '0'));
  const capEff = hex(s.CapEff);
  return {
    pid: Number(s.Pid),
    name: s.Name ?? '',
    state: s.State ?? '',
    ppid: Number(s.PPid),
    nspid: s.NSpid ? nums(s.NSpid) : [Number(s.Pid)],
    uid: nums(s.Uid),
    gid: nums(s.Gid),
    capEff,
    capPrm: hex(s.CapPrm),
    capBnd: hex(s.CapBnd),
    capEffNames: capabilityNames(capEff),
    noNewPrivs: s.NoNewPrivs === '1',
    seccomp: Number(s.Seccomp ?? 0),
    threads: Number(s.Threads ?? 1),
  };
}

export function processStatus(pid: Pid = 'self'): ProcessStatus {
  return processStatusFromText(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** One line of /proc/PID/mountinfo (see proc(5)). */
export interface MountInfo {
  id: number;
  parent: number;
  major: number;
  minor: number;
  root: string;
  mountPoint: string;
  options: string[];
  /** Propagation: shared:N, master:N, propagate_from:N, unbindable; empty means private. */
  optional: string[];
  propagation: 'shared' | 'slave' | 'private' | 'unbindable' | 'shared+slave';
  peerGroup?: number;
  masterGroup?: number;
  fstype: string;
  source: string;
  superOptions: string[];
}

/** Octal escapes the kernel uses in paths: \040 for space, \011 tab, \012 newline, \134 backslash. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0) throw new Error(`malformed mountinfo line: ${line}`);
    const [id, parent, dev, root, mountPoint, options] = fields;
    const optional = fields.slice(6, sep);
    const [major, minor] = dev.split(':').map(Number);
    const shared = optional.find((o) => o.startsWith('shared:'));
    const master = optional.find((o) => o.startsWith('master:'));
    let propagation: MountInfo['propagation'] = 'private';
    if (shared && master) propagation = 'shared+slave';
    else if (shared) propagation = 'shared';
    else if (master) propagation = 'slave';
    else if (optional.includes('unbindable')) propagation = 'unbindable';
    out.push({
      id: Number(id),
      parent: Number(parent),
      major,
      minor,
      root: unescapeMountPath(root),
      mountPoint: unescapeMountPath(mountPoint),
      options: options.split(','),
      optional,
      propagation,
      peerGroup: shared ? Number(shared.split(':')[1]) : undefined,
      masterGroup: master ? Number(master.split(':')[1]) : undefined,
      fstype: fields[sep + 1],
      source: unescapeMountPath(fields[sep + 2] ?? ''),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

export function mountTable(pid: Pid = 'self'): MountInfo[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}

/**
 * The mount a path lies on: the entry with the longest mount point that is the path or one of its
 * parents (the path need not exist yet: its nearest existing parent decides).
 */
export function mountOf(path: string, table: MountInfo[] = mountTable()): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of table) {
    const under = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(m.mountPoint + '/');
    if (under && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** PIDs of every process on the host (as this PID namespace numbers them). */
export function listPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/** The command line of a process, or '' when it is gone or a kernel thread. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  try {
    const state = parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).State ?? '';
    return !state.startsWith('Z') && !state.startsWith('X');
  } catch {
    return false;
  }
}

/** Children of a process, read from /proc/PID/task/TID/children (every thread's). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* gone */ }
  return out;
}

/** Kernel release as [major, minor] ("6.1.0-18-amd64" -> [6, 1]). */
export function kernelVersion(release = readFileSync('/proc/sys/kernel/osrelease', 'utf8')): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** One field of /proc/PID/stat, numbered as in proc(5) (2 = comm, 3 = state, 22 = starttime, 39 = processor). */
export function statField(pid: Pid, field: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[field - 3];
  } catch {
    return undefined;
  }
}

/** A process's start time in clock ticks since boot (field 22): PID plus this names one process for good. */
export function startTime(pid: Pid): number | undefined {
  const v = statField(pid, 22);
  return v === undefined ? undefined : Number(v);
}

/** One interface of /proc/PID/net/dev with its counters. */
export interface DevCounters { name: string; rxPackets: number; txPackets: number; rxBytes: number; txBytes: number }

/** /proc/PID/net/dev: each interface of that process's network namespace with its packet counters. */
export function parseProcNetDev(text: string): DevCounters[] {
  return text.split('\n').slice(2).filter((l) => l.includes(':')).map((line) => {
    const i = line.indexOf(':');
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    return { name: line.slice(0, i).trim(), rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] };
  });
}

/**
 * The interfaces of PID's network namespace, with their counters. (/sys/class/net would not do:
 * sysfs shows the network namespace of the process that mounted it, the host's.)
 */
export function netDev(pid: Pid): DevCounters[] {
  return parseProcNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8'));
}

/**
 * The OOM killer's bias for a process (-1000 never, 1000 first), as /proc/PID/oom_score_adj takes
 * it. Kept across execve and inherited by children, so it is set on a held process from outside.
 */
export function setOomScoreAdj(pid: number, value: number): void {
  writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
}

/** Whether this process holds a capability in its effective set (CapEff of /proc/self/status). */
export function holdsCapability(bit: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return !!m && ((BigInt('0x' + m[1]) >> BigInt(bit)) & 1n) === 1n;
}
