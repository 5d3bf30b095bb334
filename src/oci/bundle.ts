// An OCI bundle: a directory with config.json and the root filesystem it names. This module reads
// the file and checks it before anything is made, so a config nestbox cannot honour fails with one
// line naming the field, and nothing is left behind. The spec asks exactly that: "runtimes MUST
// generate an error when invalid or unsupported values are encountered", and must ignore what
// they do not know (unknown properties and annotations).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { CAPABILITIES } from '../kernel/constants.js';
import { ALL_RLIMITS } from '../kernel/rlimit.js';
import type { OciSpec, OciNamespaceType, OciHook } from './types.js';
import { seccompActionValue, seccompArch, SECCOMP_OPS } from './seccomp.js';

export interface Bundle {
  /** The bundle directory, absolute. */
  dir: string;
  config: OciSpec;
  /** root.path made absolute (relative paths are the bundle's). */
  rootPath: string;
}

const bad = (message: string) => new UserError(`config.json: ${message}`, 1);

const NAMESPACE_TYPES: OciNamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/** Read and check BUNDLE/config.json. */
export function loadBundle(dir: string): Bundle {
  const abs = resolve(dir);
  const file = join(abs, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file: a bundle is a directory with config.json in it (give it with --bundle)' : (err as Error).message}`, 1);
  }
  let config: OciSpec;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw bad(`not valid JSON (${(err as Error).message})`);
  }
  checkConfig(config);
  const rootPath = resolve(abs, config.root!.path);
  if (!existsSync(rootPath) || !statSync(rootPath).isDirectory()) throw bad(`root.path ${config.root!.path}: no such directory in the bundle`);
  return { dir: abs, config, rootPath };
}

/** Every check, on a parsed config (exported for the tests, which feed it fixtures). */
export function checkConfig(c: OciSpec): void {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('not a JSON object');
  if (typeof c.ociVersion !== 'string' || !/^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(c.ociVersion)) {
    throw bad(`ociVersion ${JSON.stringify(c.ociVersion)}: nestbox reads configs of the runtime spec 1.x (SemVer, for example "1.0.2")`);
  }
  if (!c.root || typeof c.root.path !== 'string' || !c.root.path) throw bad('root.path is required on Linux: the root filesystem, relative to the bundle or absolute');
  if (c.hostname !== undefined && typeof c.hostname !== 'string') throw bad('hostname must be a string');
  if (c.process) checkProcess(c.process);
  for (const [i, m] of (c.mounts ?? []).entries()) {
    if (typeof m.destination !== 'string' || !isAbsolute(m.destination)) throw bad(`mounts[${i}].destination ${JSON.stringify(m.destination)} must be an absolute path in the container`);
    if (m.options !== undefined && !Array.isArray(m.options)) throw bad(`mounts[${i}].options must be a list of strings`);
  }
  for (const [kind, list] of Object.entries(c.hooks ?? {})) {
    if (!['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].includes(kind)) continue;
    for (const [i, h] of (list as OciHook[]).entries()) {
      if (typeof h.path !== 'string' || !isAbsolute(h.path)) throw bad(`hooks.${kind}[${i}].path must be an absolute path`);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && h.timeout > 0)) throw bad(`hooks.${kind}[${i}].timeout must be a number of seconds above 0`);
    }
  }
  if (c.linux) checkLinux(c);
}

function checkProcess(p: NonNullable<OciSpec['process']>): void {
  if (typeof p.cwd !== 'string' || !isAbsolute(p.cwd)) throw bad(`process.cwd ${JSON.stringify(p.cwd)} must be an absolute path`);
  if (!Array.isArray(p.args) || !p.args.length || p.args.some((a) => typeof a !== 'string')) throw bad('process.args must list the program and its arguments');
  if (!p.user || !isId(p.user.uid) || !isId(p.user.gid)) throw bad('process.user needs a numeric uid and gid');
  for (const g of p.user.additionalGids ?? []) if (!isId(g)) throw bad(`process.user.additionalGids: ${g} is not a gid`);
  if (p.user.umask !== undefined && !(Number.isInteger(p.user.umask) && p.user.umask >= 0 && p.user.umask <= 0o777)) throw bad('process.user.umask must be between 0 and 0777');
  for (const e of p.env ?? []) if (typeof e !== 'string' || !e.includes('=')) throw bad(`process.env: ${JSON.stringify(e)} is not KEY=VALUE`);
  for (const [set, names] of Object.entries(p.capabilities ?? {})) {
    for (const name of names ?? []) {
      const bare = String(name).replace(/^CAP_/, '');
      if (!String(name).startsWith('CAP_') || !(CAPABILITIES as readonly string[]).includes(bare)) {
        throw bad(`process.capabilities.${set}: ${name} is not a capability this kernel interface knows (CAP_CHOWN, CAP_NET_ADMIN...)`);
      }
    }
  }
  const seen = new Set<string>();
  for (const r of p.rlimits ?? []) {
    const name = String(r.type).replace(/^RLIMIT_/, '').toLowerCase();
    if (!String(r.type).startsWith('RLIMIT_') || !(name in ALL_RLIMITS)) throw bad(`process.rlimits: ${r.type} is not a resource limit (RLIMIT_NOFILE, RLIMIT_NPROC...)`);
    if (seen.has(name)) throw bad(`process.rlimits: ${r.type} is given twice`);
    seen.add(name);
    if (!(r.soft <= r.hard)) throw bad(`process.rlimits: ${r.type} has a soft limit above its hard one`);
  }
  if (p.oomScoreAdj !== undefined && !(Number.isInteger(p.oomScoreAdj) && p.oomScoreAdj >= -1000 && p.oomScoreAdj <= 1000)) throw bad('process.oomScoreAdj must be between -1000 and 1000');
}

function checkLinux(c: OciSpec): void {
  const l = c.linux!;
  const types = new Set<string>();
  for (const [i, ns] of (l.namespaces ?? []).entries()) {
    if (!NAMESPACE_TYPES.includes(ns.type)) throw bad(`linux.namespaces[${i}].type ${JSON.stringify(ns.type)}: use one of ${NAMESPACE_TYPES.join(', ')}`);
    if (types.has(ns.type)) throw bad(`linux.namespaces: ${ns.type} is given twice`);
    types.add(ns.type);
    if (ns.path !== undefined && (!isAbsolute(ns.path) || !existsSync(ns.path))) throw bad(`linux.namespaces[${i}].path ${ns.path}: no such namespace file`);
  }
  if ((l.uidMappings?.length || l.gidMappings?.length) && !types.has('user')) throw bad('linux.uidMappings and gidMappings need a user namespace (linux.namespaces type "user")');
  const userNew = (l.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
  if (userNew && (!l.uidMappings?.length || !l.gidMappings?.length)) throw bad('a new user namespace needs linux.uidMappings and linux.gidMappings');
  for (const m of [...(l.uidMappings ?? []), ...(l.gidMappings ?? [])]) {
    if (!isId(m.containerID) || !isId(m.hostID) || !(Number.isInteger(m.size) && m.size > 0)) throw bad('linux.uidMappings/gidMappings: each needs containerID, hostID and a size above 0');
  }
  if (c.hostname && !types.has('uts')) throw bad('hostname needs a UTS namespace of its own (linux.namespaces type "uts"): it would rename the host');
  for (const [i, d] of (l.devices ?? []).entries()) {
    if (!['c', 'b', 'u', 'p'].includes(d.type)) throw bad(`linux.devices[${i}].type ${JSON.stringify(d.type)}: use c, b, u or p`);
    if (typeof d.path !== 'string' || !isAbsolute(d.path)) throw bad(`linux.devices[${i}].path must be an absolute path`);
    if (d.type !== 'p' && (!Number.isInteger(d.major) || !Number.isInteger(d.minor))) throw bad(`linux.devices[${i}] (${d.path}) needs major and minor numbers`);
  }
  for (const [i, r] of (l.resources?.devices ?? []).entries()) {
    if (r.type !== undefined && !['a', 'c', 'b'].includes(r.type)) throw bad(`linux.resources.devices[${i}].type ${JSON.stringify(r.type)}: use a, c or b`);
    if (r.access !== undefined && !/^[rwm]{0,3}$/.test(r.access)) throw bad(`linux.resources.devices[${i}].access ${JSON.stringify(r.access)}: some of r, w, m`);
  }
  if (l.rootfsPropagation !== undefined && !['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'].includes(l.rootfsPropagation)) {
    throw bad(`linux.rootfsPropagation ${JSON.stringify(l.rootfsPropagation)}: use shared, slave, private or unbindable`);
  }
  if (l.cgroupsPath !== undefined && typeof l.cgroupsPath !== 'string') throw bad('linux.cgroupsPath must be a string');
  if (l.seccomp) {
    const s = l.seccomp;
    if (seccompActionValue(s.defaultAction, s.defaultErrnoRet) === undefined) throw bad(`linux.seccomp.defaultAction ${JSON.stringify(s.defaultAction)} is not an action nestbox knows (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL...)`);
    for (const a of s.architectures ?? []) if (seccompArch(a) === null) throw bad(`linux.seccomp.architectures: ${a} is not an architecture name (SCMP_ARCH_X86_64...)`);
    for (const [i, rule] of (s.syscalls ?? []).entries()) {
      if (!Array.isArray(rule.names) || !rule.names.length) throw bad(`linux.seccomp.syscalls[${i}].names must list calls`);
      if (seccompActionValue(rule.action, rule.errnoRet) === undefined) throw bad(`linux.seccomp.syscalls[${i}].action ${JSON.stringify(rule.action)} is not an action nestbox knows`);
      for (const a of rule.args ?? []) {
        if (!(a.op in SECCOMP_OPS)) throw bad(`linux.seccomp.syscalls[${i}]: ${a.op} is not a comparison (SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ...)`);
        if (!(Number.isInteger(a.index) && a.index >= 0 && a.index < 6)) throw bad(`linux.seccomp.syscalls[${i}]: argument index ${a.index} is not 0-5`);
      }
    }
  }
  for (const key of Object.keys(l.sysctl ?? {})) {
    // Only settings a namespace of the container's own holds may be changed: the others are the host's.
    if (key.startsWith('net.') && !types.has('network')) throw bad(`linux.sysctl ${key}: the container shares the host's network namespace, so this would change the host`);
    if (/^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(key) && !types.has('ipc')) throw bad(`linux.sysctl ${key}: the container shares the host's IPC namespace, so this would change the host`);
    if (/^kernel\.(hostname|domainname)$/.test(key) && !types.has('uts')) throw bad(`linux.sysctl ${key}: the container shares the host's UTS namespace`);
  }
}

const isId = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 4294967294;
