// What `nestbox run` was asked for, checked before anything is created: every flag is parsed and
// range-checked here, so a bad one costs nothing but a one-line error (exit 125, as Docker's own
// errors do).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { UserError } from '../errors.js';
import { DOCKER_DEFAULT_CAPS, CAPABILITIES, capabilityNames } from '../kernel/constants.js';
import { processStatus } from '../kernel/proc.js';
import { parseMemory, parseCpus, parsePidsLimit, parseCpuset } from '../limits/parse.js';
import type { UserIds } from './users.js';
import type { RunConfig } from '../image/config.js';
import { commandFor, exposedPorts, imageVolumes, publishAll, stopSignalFor, userFor } from './image-config.js';
import { everydaySpec, type EverydaySpec, type EverydayFlags } from './run-flags.js';
import { MountSpec, parseVolumeFlag, parseMountFlag, parseTmpfsFlag, parseBytes, checkMountPoints } from './mount-spec.js';

/** Docker's exit codes for its own failures: 125 the runtime failed, 126 not executable, 127 not found. */
export const EXIT_RUNTIME = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

export interface PortSpec { hostIp: string; hostPort: number; containerPort: number; proto: 'tcp' | 'udp' }
/** What a container mounts besides its root: binds, volumes, tmpfs (src/runtime/mount-spec.ts). */
export type VolumeSpec = MountSpec;
/** --restart: what the monitor does when PID 1 ends (Docker's names; maximumRetryCount only for on-failure). */
export interface RestartPolicy { name: 'no' | 'on-failure' | 'always' | 'unless-stopped'; maximumRetryCount: number }
export type NetMode = { mode: 'bridge' } | { mode: 'host' } | { mode: 'none' } | { mode: 'container'; container: string };

/**
 * The container's config, as saved in config.json. The fields of the everyday run flags (labels,
 * init, dns, extraHosts, ulimits, devices, stopSignal, stopTimeout, memorySwap, cpuShares, groupAdd,
 * sysctls) are declared with their parser, in run-flags.ts (EverydaySpec).
 */
export interface ContainerSpec extends EverydaySpec {
  id: string;
  name: string;
  /** What the user named: a rootfs directory or an image name (a build step: the ID it starts from). */
  image: string;
  /** The image's ID and layers (bottom first) when it is one: a name moved to a new image later changes neither. */
  imageId?: string;
  layers?: string[];
  /** The whole command PID 1 runs: the entrypoint (if any), then its arguments. */
  command: string[];
  /** The part of `command` that is the entrypoint (the image's ENTRYPOINT, or --entrypoint). */
  entrypoint?: string[];
  /** The image's EXPOSE ports ("80/tcp"), published only with -P. */
  exposedPorts?: string[];
  env: string[];
  workdir: string;
  /** -u as given (user[:group], names or numbers); `ids` is what it resolved to in the container's root. */
  user?: string;
  ids?: UserIds;
  hostname: string;
  /** -v, --mount and --tmpfs, each with its type: bind, volume or tmpfs (configs from before types: binds). */
  volumes: VolumeSpec[];
  /** --shm-size in bytes; none: Docker's 64 MiB (recipes/rootfs.ts DEFAULT_SHM_SIZE). */
  shmSize?: number;
  ports: PortSpec[];
  memory?: number;
  cpus?: { quotaUs: number; periodUs: number };
  pidsLimit?: number | 'max';
  cpuset?: string;
  net: NetMode;
  readOnly: boolean;
  capabilities: string[];
  privileged: boolean;
  /** The default seccomp filter (src/runtime/seccomp-profile.ts); off with --privileged or seccomp=unconfined. */
  seccomp: boolean;
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  autoRemove: boolean;
  /** Absent in configs saved before --restart existed: no restarts. */
  restart?: RestartPolicy;
}

/** The flags of `nestbox run`; the everyday ones (--label, --init, --dns...) in run-flags.ts. */
export interface RunFlags extends EverydayFlags {
  name?: string;
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  hostname?: string;
  env?: string[];
  'env-file'?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  'publish-all'?: boolean;
  // Mounts (src/runtime/mount-spec.ts).
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  'shm-size'?: string;
  publish?: string[];
  memory?: string;
  cpus?: string;
  'pids-limit'?: string;
  'cpuset-cpus'?: string;
  net?: string;
  'read-only'?: boolean;
  'cap-add'?: string[];
  'cap-drop'?: string[];
  privileged?: boolean;
  'security-opt'?: string[];
  restart?: string;
}

const bad = (msg: string) => new UserError(msg, EXIT_RUNTIME);

/** Container names: what Docker allows ([a-zA-Z0-9][a-zA-Z0-9_.-]*), so never a path or a control character. */
export function checkName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name)) {
    throw bad(`invalid container name "${name.replace(/[\x00-\x1f\x7f]/g, '?')}": use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 63)`);
  }
  return name;
}

/** 12 hex digits, like Docker's short ids (not secret: loading node:crypto would cost more than it is worth here). */
function newContainerId(): string {
  let id = '';
  while (id.length < 12) id += Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  return id;
}

/** -p [ip:]hostPort:containerPort[/tcp|udp] */
/**
 * -p [ip:][hostPort:]containerPort[/tcp|udp]. No host port (`-p 80`, `-p 127.0.0.1::80`): hostPort
 * is 0 here, and a free one is taken from the kernel's ephemeral range when the container starts.
 */
function parsePort(text: string): PortSpec {
  const m = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d*):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!m) throw bad(`-p "${text}": expected [ip:][hostPort:]containerPort[/tcp|udp], for example 8080:80 or 80`);
  const [, ip = '0.0.0.0', h = '', c, proto = 'tcp'] = m;
  const hostPort = h === '' ? 0 : Number(h), containerPort = Number(c);
  for (const [label, p] of [['host', hostPort], ['container', containerPort]] as const) {
    if ((p < 1 && !(label === 'host' && h === '')) || p > 65535) throw bad(`-p "${text}": the ${label} port ${p} is outside 1-65535`);
  }
  if (ip.split('.').some((o) => Number(o) > 255)) throw bad(`-p "${text}": ${ip} is not an IPv4 address`);
  checkHostAddress(ip, text);
  return { hostIp: ip, hostPort, containerPort, proto: proto as 'tcp' | 'udp' };
}

/**
 * A published port listens on one of the host's own addresses (or on all of them, 0.0.0.0): Docker
 * fails at start with "bind: cannot assign requested address" for any other, after the container
 * was made. The kernel's list of addresses (getifaddrs, a netlink RTM_GETADDR dump) is checked here
 * instead, before anything exists. The whole 127.0.0.0/8 is the host's (lo).
 */
function checkHostAddress(ip: string, text: string): void {
  if (ip === '0.0.0.0' || ip.startsWith('127.')) return;
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
  if (own.includes(ip)) return;
  throw bad(`-p "${text}": this host has no address ${ip} (cannot assign requested address): use one of ${[...new Set(['0.0.0.0', ...own])].join(', ')}, or leave the address out to listen on every one`);
}

/** KEY=VALUE as given; a bare KEY takes the host's value, and is left out when the host has none (as in Docker). */
function fromHost(entry: string, out: string[]): void {
  if (entry.includes('=')) out.push(entry);
  else if (process.env[entry] !== undefined) out.push(`${entry}=${process.env[entry]}`);
}

/** -e and --env-file, in that order of precedence (a later one wins). */
export function parseEnv(list: string[], files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const [i, line] of readEnvFile(file).split('\n').entries()) {
      const t = line.trimStart();
      if (!t.trim() || t.startsWith('#')) continue;
      // As Docker: the line is KEY=VALUE taken literally (no shell: no `export`, no quotes removed).
      const key = t.split('=')[0];
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw bad(`--env-file ${file}, line ${i + 1}: "${key}" is not a variable name (write KEY=VALUE, without export)`);
      fromHost(t, out);
    }
  }
  for (const e of list) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(=|$)/.test(e)) throw bad(`-e "${e}": expected KEY=VALUE`);
    fromHost(e, out);
  }
  return out;
}

/** An --env-file's text; a pipe (`--env-file <(...)`) is fine, a directory or a missing file is one line. */
function readEnvFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'is a directory: give a file of KEY=VALUE lines'
      : code === 'EACCES' ? 'permission denied'
      : (err as Error).message.split('\n')[0];
    throw bad(`--env-file ${file}: ${why}`);
  }
}

function parseNet(text: string): NetMode {
  if (text === 'bridge' || text === 'host' || text === 'none') return { mode: text };
  const m = /^container:(.+)$/.exec(text);
  if (m) return { mode: 'container', container: m[1] };
  throw bad(`--net "${text}": use bridge, host, none or container:<name>`);
}

function capName(raw: string): string {
  const name = raw.toUpperCase().replace(/^CAP_/, '');
  if (name !== 'ALL' && !(CAPABILITIES as readonly string[]).includes(name)) throw bad(`unknown capability "${raw}" (for example NET_ADMIN or SYS_TIME)`);
  return name;
}

/**
 * "Every capability" means every one nestbox itself holds: root on a host can lack some (a VM or a
 * container whose bounding set was trimmed), and no process can give a child what it has not got.
 */
function everyCapabilityHeld(): string[] {
  return capabilityNames(processStatus().capPrm);
}

function capabilitySet(add: string[], drop: string[], privileged: boolean): string[] {
  if (privileged) return everyCapabilityHeld();
  const adds = add.map(capName), drops = drop.map(capName);
  let caps = new Set<string>(drops.includes('ALL') ? [] : DOCKER_DEFAULT_CAPS);
  if (adds.includes('ALL')) caps = new Set(everyCapabilityHeld());
  for (const c of adds) if (c !== 'ALL') caps.add(c);
  for (const c of drops) caps.delete(c);
  return [...caps];
}

/** --security-opt: only seccomp=unconfined (Docker's way to run without the filter) changes anything. */
function seccompWanted(opts: string[], privileged: boolean): boolean {
  let wanted = !privileged;
  for (const o of opts) {
    if (o === 'seccomp=unconfined') wanted = false;
    else if (o !== 'no-new-privileges' && o !== 'no-new-privileges:true') throw bad(`--security-opt "${o}": nestbox knows seccomp=unconfined (and no-new-privileges, always on)`);
  }
  return wanted;
}

/** The limit parsers' errors, with `run`'s exit code (125, as docker run). */
function asRunError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw bad((err as Error).message);
  }
}

/** What an image's config supplies when the user does not say (src/runtime/image-config.ts). */
export type ImageDefaults = RunConfig;

/**
 * `defaults` come from an image's config and apply as Docker applies them (image-config.ts): its
 * Entrypoint and Cmd with Docker's override rules, its Env first, so -e and --env-file override it,
 * its WorkingDir unless -w, its User unless -u, its Labels, Volumes and StopSignal, and its
 * ExposedPorts with -P. A root filesystem directory has no config (`defaults` undefined).
 */
export function buildSpec(image: string, args: string[], flags: RunFlags, config?: ImageDefaults): ContainerSpec {
  const defaults = config ?? {};
  const restart = parseRestart(flags.restart ?? 'no');
  if (restart.name !== 'no' && flags.rm) throw bad('--restart and --rm cannot be combined: a container removed when it exits cannot be restarted (as in Docker)');
  const id = newContainerId();
  const name = checkName(flags.name ?? `box-${id.slice(0, 6)}`);
  const net = parseNet(flags.net ?? 'bridge');
  // --net host: the host's network and, unless --hostname, its name too (as Docker).
  const hostname = flags.hostname ?? (net.mode === 'host' ? osHostname() : id.slice(0, 12));
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(hostname)) throw bad(`--hostname "${hostname}": letters, digits, '.' and '-', at most 63`);
  const workdir = flags.workdir ?? (defaults.WorkingDir && isAbsolute(defaults.WorkingDir) ? defaults.WorkingDir : '/');
  if (!isAbsolute(workdir)) throw bad(`-w "${workdir}": the working directory must be an absolute path`);
  // With --net host a port is the host's already: Docker discards -p there (run-main warns).
  const exposed = exposedPorts(config);
  let ports = net.mode === 'host' ? [] : (flags.publish ?? []).map(parsePort);
  if (flags['publish-all'] && net.mode === 'bridge') ports = publishAll(ports, exposed);
  if (ports.length && net.mode !== 'bridge') throw bad(`-p needs --net bridge: with --net ${net.mode} there is no container address to forward to`);
  const seen = new Set<string>();
  for (const p of ports.filter((x) => x.hostPort)) {
    const key = `${p.proto}/${p.hostPort}`;
    if (seen.has(key)) throw bad(`-p: host port ${p.hostPort}/${p.proto} is given twice`);
    seen.add(key);
  }
  const own = [...(flags.volume ?? []).map(parseVolumeFlag), ...(flags.mount ?? []).map(parseMountFlag), ...(flags.tmpfs ?? []).map(parseTmpfsFlag)];
  const volumes = checkMountPoints([...own, ...imageVolumes(config, own)]);
  const { command, entrypoint } = commandFor(args, flags.entrypoint, config);
  const memory = flags.memory !== undefined ? asRunError(() => parseMemory(flags.memory!)) : undefined;
  const everyday = everydaySpec(flags, net, memory);
  const stopSignal = stopSignalFor(flags['stop-signal'], config);
  return {
    id,
    name,
    image,
    command,
    ...(entrypoint ? { entrypoint } : {}),
    ...(exposed.length ? { exposedPorts: exposed } : {}),
    env: [...(defaults.Env ?? []), ...parseEnv(flags.env ?? [], flags['env-file'] ?? [])],
    workdir,
    user: userFor(flags.user, config),
    hostname,
    volumes,
    shmSize: flags['shm-size'] !== undefined ? parseBytes(flags['shm-size'], '--shm-size') : undefined,
    ports,
    memory,
    cpus: flags.cpus !== undefined ? asRunError(() => parseCpus(flags.cpus!)) : undefined,
    pidsLimit: flags['pids-limit'] !== undefined ? asRunError(() => parsePidsLimit(flags['pids-limit']!)) : undefined,
    cpuset: flags['cpuset-cpus'] !== undefined ? asRunError(() => parseCpuset(flags['cpuset-cpus']!)) : undefined,
    net,
    readOnly: !!flags['read-only'],
    capabilities: capabilitySet(flags['cap-add'] ?? [], flags['cap-drop'] ?? [], !!flags.privileged),
    privileged: !!flags.privileged,
    seccomp: seccompWanted(flags['security-opt'] ?? [], !!flags.privileged),
    detach: !!flags.detach,
    interactive: !!flags.interactive,
    tty: !!flags.tty,
    autoRemove: !!flags.rm,
    restart,
    // --label, --init, --dns, --add-host, --ulimit, --device, --stop-signal, --stop-timeout,
    // --memory-swap, --cpu-shares, --group-add, --sysctl (run-flags.ts).
    ...everyday,
    // The image's labels under the container's own (-l wins), as Docker merges them.
    labels: { ...defaults.Labels, ...everyday.labels },
    ...(stopSignal ? { stopSignal } : {}),
  };
}

/** --restart no | on-failure[:N] | always | unless-stopped, as Docker spells them. */
export function parseRestart(text: string): RestartPolicy {
  const m = /^(no|on-failure|always|unless-stopped)(?::(\d+))?$/.exec(text);
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    throw bad(`--restart "${text}": use no, on-failure[:MAX-RETRIES], always or unless-stopped (only on-failure takes a count)`);
  }
  const n = m[2] === undefined ? 0 : Number(m[2]);
  if (n > 1_000_000) throw bad(`--restart "${text}": at most 1000000 retries`);
  return { name: m[1] as RestartPolicy['name'], maximumRetryCount: n };
}

/** A rootfs argument that is a directory must look like a root: it needs a /bin or /usr/bin. */
export function checkRootfsDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw bad(`${dir} is not a directory or an imported image (see nestbox image ls)`);
  if (!['bin', 'usr/bin', 'sbin'].some((d) => existsSync(`${dir}/${d}`))) throw bad(`${dir} does not look like a root filesystem (no bin/ or usr/bin/); build one with nestbox rootfs create`);
}

/** The environment PID 1 starts with: Docker's PATH, HOSTNAME and HOME, TERM with -t, then -e and the image's. */
export function containerEnv(spec: ContainerSpec): string[] {
  const env = new Map<string, string>([
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', spec.hostname],
    ['HOME', spec.ids?.home ?? '/root'],
  ]);
  // As Docker: xterm, which every terminfo database has (the user's own TERM may be unknown inside).
  if (spec.tty) env.set('TERM', 'xterm');
  for (const e of spec.env) {
    const i = e.indexOf('=');
    env.set(e.slice(0, i), e.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}
