// The `docker run` flags people type every day besides the basics: labels, --init, DNS and extra
// hosts, ulimits, devices, the stop signal and timeout, swap, CPU shares, extra groups and sysctls.
// Each is parsed and range-checked here as Docker defines it, before anything is created: a bad
// value is one line and exit 125. What they do is applied elsewhere: mounts.ts (the init binary,
// device nodes, /etc/resolv.conf and /etc/hosts), cgroups.ts (device rules, swap, shares),
// create.ts (ulimits on the held PID 1, groups, sysctls) and lifecycle.ts (stop).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { isIP } from 'node:net';
import { UserError } from '../errors.js';
import { SIGNALS } from '../kernel/constants.js';
import { RLIMITS, type ProcessLimit, type RlimitName } from '../kernel/rlimit.js';
import { parseMemory, parseCpuShares } from '../limits/parse.js';
import { checkGroupSyntax } from './users.js';
import { findInitBinary, INIT_MISSING } from './init-binary.js';
import type { NetMode } from './spec.js';

/** The flags, as run-options.ts parses them (see EVERYDAY_OPTIONS there). */
export interface EverydayFlags {
  label?: string[];
  'label-file'?: string[];
  init?: boolean;
  dns?: string[];
  'dns-search'?: string[];
  'dns-option'?: string[];
  'add-host'?: string[];
  ulimit?: string[];
  device?: string[];
  'stop-signal'?: string;
  'stop-timeout'?: string;
  'memory-swap'?: string;
  'cpu-shares'?: string;
  'group-add'?: string[];
  sysctl?: string[];
}

/** docker inspect's HostConfig.Devices entry: a host node, where it appears, what may be done with it. */
export interface DeviceMapping { pathOnHost: string; pathInContainer: string; permissions: string }

/**
 * What they become in the container's config. Every field but `labels` is optional, and a config
 * saved by an earlier nestbox has none of them (store.ts fills in `labels`).
 */
export interface EverydaySpec {
  labels: Record<string, string>;
  /** --init: PID 1 is tini (/sbin/docker-init), the command its child. */
  init?: boolean;
  /** --dns, --dns-search, --dns-option: replace the host's servers, search domains, options. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host, as Docker stores it: NAME:IP, IP possibly "host-gateway". */
  extraHosts?: string[];
  ulimits?: ProcessLimit[];
  devices?: DeviceMapping[];
  /** "SIGTERM" when not given (Docker's default). */
  stopSignal?: string;
  /** Seconds `stop` waits before SIGKILL when -t is not given (10 when not given, as Docker). */
  stopTimeout?: number;
  /** --memory-swap: memory plus swap, in bytes; -1 unlimited swap. */
  memorySwap?: number;
  /** --cpu-shares, v1's relative weight (1024 the default). */
  cpuShares?: number;
  /** --group-add: names (looked up in the container's /etc/group) or numbers. */
  groupAdd?: string[];
  sysctls?: Record<string, string>;
}

/** One line, whatever the user typed: control characters (a newline in a value) shown as "?". */
const bad = (msg: string) => new UserError(msg.replace(/[\x00-\x1f\x7f]/g, '?'), 125);

/** The limit parsers' errors (exit 2 there), with run's exit code. */
function asRunError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw bad((err as Error).message);
  }
}

/** Every flag of this file, into the spec's fields. `memory` is --memory, already parsed. */
export function everydaySpec(flags: EverydayFlags, net: NetMode, memory: number | undefined): EverydaySpec {
  const spec: EverydaySpec = { labels: parseLabels(flags.label ?? [], flags['label-file'] ?? []) };
  if (flags.init) {
    if (!findInitBinary()) throw bad(INIT_MISSING);
    spec.init = true;
  }
  if (flags.dns?.length || flags['dns-search']?.length || flags['dns-option']?.length || flags['add-host']?.length) {
    if (net.mode === 'container') {
      throw bad(`${flags['add-host']?.length ? '--add-host' : '--dns'} cannot be used with --net container:${net.container}: the container uses that container's network settings (as in Docker)`);
    }
  }
  if (flags.dns?.length) spec.dns = flags.dns.map(parseDnsServer);
  if (flags['dns-search']?.length) spec.dnsSearch = flags['dns-search'].map(parseDnsSearch);
  if (flags['dns-option']?.length) spec.dnsOptions = flags['dns-option'].map(parseDnsOption);
  if (flags['add-host']?.length) spec.extraHosts = flags['add-host'].map((h) => parseExtraHost(h, net));
  if (flags.ulimit?.length) spec.ulimits = parseUlimits(flags.ulimit);
  if (flags.device?.length) spec.devices = flags.device.map(parseDevice);
  if (flags['stop-signal'] !== undefined) spec.stopSignal = parseStopSignal(flags['stop-signal']);
  if (flags['stop-timeout'] !== undefined) spec.stopTimeout = parseStopTimeout(flags['stop-timeout']);
  if (flags['memory-swap'] !== undefined) spec.memorySwap = parseMemorySwap(flags['memory-swap'], memory);
  if (flags['cpu-shares'] !== undefined && flags['cpu-shares'].trim() !== '0') {
    // 0 is Docker's "not set" (the default weight).
    spec.cpuShares = asRunError(() => parseCpuShares(flags['cpu-shares']!));
  }
  if (flags['group-add']?.length) {
    for (const g of flags['group-add']) checkGroupSyntax(g);
    spec.groupAdd = [...new Set(flags['group-add'])];
  }
  if (flags.sysctl?.length) spec.sysctls = parseSysctls(flags.sysctl, net);
  return spec;
}

// --label KEY=VALUE, --label-file FILE ------------------------------------------------------------

/**
 * Labels are free text for people and tools (`docker ps --filter label=...`): the kernel never sees
 * them. A bare KEY is a label with an empty value. The files come first, so -l overrides them.
 */
export function parseLabels(list: string[], files: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const add = (entry: string, where: string) => {
    const i = entry.indexOf('=');
    const key = (i < 0 ? entry : entry.slice(0, i)).trim();
    if (!key) throw bad(`${where}: "${entry}" has an empty name: write KEY=VALUE`);
    if (/\s/.test(key) || /[\x00-\x1f]/.test(entry)) throw bad(`${where}: the label "${key.replace(/[\x00-\x1f]/g, '?')}" contains whitespace or a control character`);
    labels[key] = i < 0 ? '' : entry.slice(i + 1);
  };
  for (const file of files) {
    if (!existsSync(file)) throw bad(`--label-file ${file}: no such file`);
    for (const [n, line] of readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\n').entries()) {
      const t = line.replace(/\r$/, '').trimStart();
      if (!t || t.startsWith('#')) continue;
      add(t, `--label-file ${file}, line ${n + 1}`);
    }
  }
  for (const l of list) add(l, `--label "${l}"`);
  return labels;
}

// --dns, --dns-search, --dns-option, --add-host ----------------------------------------------------

function parseDnsServer(text: string): string {
  if (!isIP(text)) throw bad(`--dns "${text}": not an IP address (for example 192.168.1.1 or 2001:db8::53)`);
  return text;
}

/** A domain for the resolver's search list, or "." for none (Docker's spelling). */
function parseDnsSearch(text: string): string {
  if (text === '.') return text;
  const domain = text.replace(/\.$/, '');
  const label = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  if (domain.length > 255 || !new RegExp(`^${label}(?:\\.${label})*$`).test(domain)) {
    throw bad(`--dns-search "${text}": not a domain name (for example example.com, or . for no search domain)`);
  }
  return domain;
}

/** resolv.conf options (ndots:2, timeout:1, edns0...): any word; no whitespace, which would start another. */
function parseDnsOption(text: string): string {
  if (!text || /[\s\x00-\x1f]/.test(text)) throw bad(`--dns-option "${text}": one resolver option, without spaces (for example ndots:2)`);
  return text;
}

/** NAME:IP (or NAME=IP, Docker 25's spelling); IP may be [v6] or host-gateway. Stored as NAME:IP. */
function parseExtraHost(text: string, net: NetMode): string {
  const eq = text.indexOf('=');
  const sep = eq >= 0 ? eq : text.indexOf(':');
  const name = sep < 0 ? '' : text.slice(0, sep);
  const ip = sep < 0 ? '' : text.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
  if (!name || !ip) throw bad(`--add-host "${text}": expected NAME:IP, for example db:10.0.0.5`);
  if (!/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(name)) throw bad(`--add-host "${text}": "${name}" is not a host name`);
  if (ip === 'host-gateway') {
    // Docker's host-gateway is the host's address on its default bridge; nestbox's bridge is nb0,
    // which only a --net bridge container is attached to.
    if (net.mode !== 'bridge') throw bad(`--add-host "${text}": host-gateway is the host's address on the bridge nb0, which only a --net bridge container has`);
  } else if (!isIP(ip)) {
    throw bad(`--add-host "${text}": "${ip}" is not an IP address (or host-gateway)`);
  }
  return `${name}:${ip}`;
}

// --ulimit NAME=SOFT[:HARD] --------------------------------------------------------------------

/** nofile cannot go above fs.nr_open (the kernel says EPERM), nor be unlimited. */
function nrOpen(): number {
  try { return Number(readFileSync('/proc/sys/fs/nr_open', 'utf8')); } catch { return 1048576; }
}

function parseUlimits(list: string[]): ProcessLimit[] {
  // A name given twice: the last one counts (as Docker's map of them).
  const byName = new Map<RlimitName, ProcessLimit>();
  for (const text of list) {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text);
    if (!m) throw bad(`--ulimit "${text}": expected NAME=SOFT[:HARD], for example nofile=1024:2048 (-1: unlimited)`);
    const name = m[1] as RlimitName;
    if (!(name in RLIMITS)) throw bad(`--ulimit "${text}": unknown limit "${m[1]}" (${Object.keys(RLIMITS).join(', ')})`);
    const soft = Number(m[2]);
    const hard = m[3] !== undefined ? Number(m[3]) : soft;
    for (const v of [soft, hard]) {
      if (v < -1 || !Number.isSafeInteger(v)) throw bad(`--ulimit "${text}": ${v} is out of range: give a number from 0, or -1 for unlimited`);
    }
    const unlimited = (v: number) => v === -1;
    if (!unlimited(hard) && (unlimited(soft) || soft > hard)) throw bad(`--ulimit "${text}": the soft limit ${soft} is above the hard limit ${hard}`);
    if (name === 'nofile') {
      const max = nrOpen();
      if (unlimited(hard) || hard > max) throw bad(`--ulimit "${text}": at most ${max} open files (fs.nr_open); nofile cannot be unlimited`);
    }
    byName.set(name, { name, soft, hard });
  }
  return [...byName.values()];
}

// --device /dev/host[:/dev/container][:rwm] -------------------------------------------------------

/** r, w and m, each at most once (read, write, mknod): v1's devices.allow letters. */
const isDeviceMode = (s: string) => /^[rwm]{1,3}$/.test(s) && new Set(s).size === s.length;

/** Docker's parseDevice: the second field is the permissions when it reads like them, else the path inside. */
export function parseDevice(text: string): DeviceMapping {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => !p)) throw bad(`--device "${text}": expected /dev/HOST[:/dev/CONTAINER][:rwm]`);
  const [source] = parts;
  let target = source;
  let permissions = 'rwm';
  if (parts.length === 3) [, target, permissions] = parts;
  else if (parts.length === 2) { if (isDeviceMode(parts[1])) permissions = parts[1]; else target = parts[1]; }
  if (!isDeviceMode(permissions)) throw bad(`--device "${text}": "${permissions}" is not a mode: some of r (read), w (write), m (mknod)`);
  if (!isAbsolute(source)) throw bad(`--device "${text}": the host path must be absolute, for example /dev/zero`);
  if (!isAbsolute(target) && parts.length === 2) throw bad(`--device "${text}": "${target}" is neither a path in the container (absolute) nor a mode (some of r, w, m)`);
  if (!isAbsolute(target) || normalize(target) === '/') throw bad(`--device "${text}": the container path must be absolute, and not /`);
  const st = statSync(source, { throwIfNoEntry: false });
  if (!st) throw bad(`--device "${text}": ${source} does not exist on the host`);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw bad(`--device "${text}": ${source} is not a device node (nestbox takes one node, not a directory of them)`);
  return { pathOnHost: source, pathInContainer: normalize(target), permissions };
}

/** The device's type and numbers, read from the host's node now (a node may be remade between runs). */
export function deviceNumbers(d: DeviceMapping): { type: 'c' | 'b'; major: number; minor: number } {
  const st = statSync(d.pathOnHost, { bigint: true });
  const rdev = st.rdev;
  // The kernel's encoding of dev_t (glibc's major()/minor()).
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { type: st.isBlockDevice() ? 'b' : 'c', major, minor };
}

// --stop-signal, --stop-timeout ------------------------------------------------------------------

/** A signal by name (TERM, SIGTERM, sigterm) or number (1-64); undefined if it is none. */
export function signalNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  return SIGNALS['SIG' + text.toUpperCase().replace(/^SIG/, '')];
}

export function parseStopSignal(text: string): string {
  if (signalNumber(text) === undefined) throw bad(`--stop-signal "${text}": not a signal (for example SIGTERM, SIGQUIT, SIGUSR1 or 3)`);
  return /^\d+$/.test(text) ? text : 'SIG' + text.toUpperCase().replace(/^SIG/, '');
}

function parseStopTimeout(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 3600) throw bad(`--stop-timeout "${text}": give whole seconds from 0 to 3600 (Docker's default is 10)`);
  return Number(text);
}

// --memory-swap ---------------------------------------------------------------------------------

/** Docker's meaning: memory plus swap together; -1 unlimited swap; 0 not set. */
function parseMemorySwap(text: string, memory: number | undefined): number | undefined {
  if (text.trim() === '0') return undefined;
  if (memory === undefined) throw bad(`--memory-swap needs --memory: it is the total of memory and swap (for example --memory 64m --memory-swap 128m)`);
  if (text.trim() === '-1') return -1;
  const total = asRunError(() => parseMemory(text, '--memory-swap'));
  if (total < memory) throw bad(`--memory-swap ${text} is less than --memory: it counts memory and swap together, so it must be at least as large (-1: unlimited swap)`);
  return total;
}

// --sysctl KEY=VALUE ----------------------------------------------------------------------------

/**
 * The sysctls Docker lets a container set: only those the kernel keeps per namespace, so that
 * setting one changes the container and nothing else. The IPC namespace's (System V message
 * queues, semaphores, shared memory, POSIX message queues) and the network namespace's.
 */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

function parseSysctls(list: string[], net: NetMode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of list) {
    const i = text.indexOf('=');
    const key = i < 0 ? '' : text.slice(0, i).trim();
    const value = i < 0 ? '' : text.slice(i + 1);
    if (!key || !/^[a-z0-9_]+(\.[a-zA-Z0-9_:+-]+)+$/.test(key)) throw bad(`--sysctl "${text}": expected KEY=VALUE, for example net.ipv4.ip_unprivileged_port_start=0`);
    if (/[\n\x00]/.test(value)) throw bad(`--sysctl "${text}": the value must be one line`);
    const ipc = IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.');
    if (!ipc && !key.startsWith('net.')) {
      throw bad(`--sysctl "${text}": sysctl '${key}' is not allowed: only namespaced ones are (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*); this one would change the whole host`);
    }
    if (key.startsWith('net.') && net.mode !== 'bridge' && net.mode !== 'none') {
      throw bad(`--sysctl "${text}": sysctl '${key}' is not allowed with --net ${net.mode === 'container' ? `container:${net.container}` : 'host'}: it would change ${net.mode === 'host' ? "the host's" : 'that container\'s'} network namespace`);
    }
    // The IPC ones exist in every namespace, as on the host; network ones may name an interface
    // only the container has (net.ipv4.conf.eth0.*), and are checked when written.
    if (ipc && !existsSync(`/proc/sys/${key.replace(/\./g, '/')}`)) throw bad(`--sysctl "${text}": this kernel has no ${key}`);
    out[key] = value;
  }
  return out;
}
