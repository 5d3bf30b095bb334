// What a container's filesystem needs besides its OCI config's mounts (container-fs.ts does those):
// the cgroup filesystems a mount of type "cgroup" becomes, and the /etc files nestbox writes for
// `nestbox run` (hostname, hosts, resolv.conf, with --dns and --add-host).
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CgroupLayout } from '../kernel/cgroup-layout.js';
import type { ThreadStep } from '../kernel/spawn.js';
import { MS_BIND, MS_RDONLY, MS_REMOUNT, MS_NOSUID, MS_NODEV, MS_NOEXEC } from '../kernel/constants.js';
import type { ContainerSpec } from './spec.js';

/**
 * /sys/fs/cgroup, read-only, as Docker gives it. The thread that mounts it has joined the
 * container's cgroup namespace, and a cgroup filesystem shows the cgroup namespace of whoever
 * mounts it: each tree's root is the container's own cgroup, its limits and processes, nothing
 * above. On v1 and hybrid hosts, a small tmpfs holds one mount per hierarchy, named as on the host.
 */
export function cgroupSteps(R: string, layout: CgroupLayout, hostRoot = '/sys/fs/cgroup', writable = false, destination = '/sys/fs/cgroup', own?: OwnCgroups): ThreadStep[] {
  const target = join(R, destination);
  const ro = (writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (layout.mode === 'v2') return [{ call: 'mount', source: 'cgroup', target, fstype: 'cgroup2', flags: ro }, ...ownOnly(target, own?.[layout.v2Root!], ro)];
  if (layout.mode === 'none') return [];
  const steps: ThreadStep[] = [{ call: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: 'mode=755,size=64k' }];
  // A v1 hierarchy is mounted again by naming exactly its controllers; should a host bind them in
  // a way nestbox does not know, that tree is left out rather than the container refused.
  for (const m of layout.v1Mounts) {
    const dir = join(target, basename(m.path));
    steps.push({ call: 'mkdir', path: dir }, { call: 'mount', source: 'cgroup', target: dir, fstype: 'cgroup', flags: ro, data: m.controllers.join(','), optional: true }, ...ownOnly(dir, own?.[m.path], ro));
  }
  if (layout.v2Root) {
    const dir = join(target, basename(layout.v2Root)); // "unified" on a hybrid host
    steps.push({ call: 'mkdir', path: dir }, { call: 'mount', source: 'cgroup', target: dir, fstype: 'cgroup2', flags: ro, optional: true }, ...ownOnly(dir, own?.[layout.v2Root], ro));
  }
  // The host's other names for co-mounted trees (cpu -> cpu,cpuacct).
  for (const e of existsSync(hostRoot) ? readdirSync(hostRoot, { withFileTypes: true }) : []) {
    if (e.isSymbolicLink()) steps.push({ call: 'symlink', target: readlinkSync(join(hostRoot, e.name)), path: join(target, e.name) });
  }
  steps.push({ call: 'mount', source: null, target, fstype: null, flags: MS_REMOUNT | ro });
  return steps;
}

/** The container's own cgroup in each tree, by the tree's mount on the host: path below its root. */
export type OwnCgroups = Record<string, string>;

/**
 * Without a cgroup namespace, a cgroup filesystem mounted in the container shows the host's whole
 * tree; runc then binds the container's own directory over it, so that the container sees its own
 * cgroup (and its limits) at the top, as it would in a cgroup namespace of its own.
 */
function ownOnly(dir: string, sub: string | undefined, flags: number): ThreadStep[] {
  if (!sub || sub === '/') return [];
  return [
    { call: 'mount', source: join(dir, sub), target: dir, fstype: null, flags: MS_BIND, optional: true },
    { call: 'mount', source: null, target: dir, fstype: null, flags: MS_BIND | MS_REMOUNT | flags, optional: true },
  ];
}

export interface EtcFiles { hostname: string; hosts: string; resolvConf: string }

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, written into its directory on
 * the host. `gateway` is the host's address on the bridge (--add-host NAME:host-gateway).
 */
export function writeEtcFiles(dir: string, spec: ContainerSpec, ip?: string, gateway?: string): EtcFiles {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  writeFileSync(files.hostname, spec.hostname + '\n');
  writeFileSync(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${extraHostLines(spec, gateway)}${ip ? `${ip}\t${spec.hostname}\n` : ''}`);
  writeFileSync(files.resolvConf, withDnsFlags(resolvConf(spec.net.mode), spec));
  return files;
}

const readOr = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };

/**
 * The host's resolver settings, as Docker gives them to a container. With --net host, as they are.
 * Otherwise a nameserver on the host's loopback (systemd-resolved's 127.0.0.53 stub, a local
 * dnsmasq) means nothing in the container's own network namespace: systemd-resolved's list of real
 * servers is used instead, loopback servers are dropped, and with none left Docker's fallback,
 * Google's public servers, is written (a file only: nothing is sent until a program asks).
 */
export function resolvConf(net: ContainerSpec['net']['mode'], etc = readOr('/etc/resolv.conf'), resolved = readOr('/run/systemd/resolve/resolv.conf')): string {
  if (net === 'host') return etc;
  const loopback = /^\s*nameserver\s+(127\.|::1\s*$)/;
  const source = etc.split('\n').some((l) => loopback.test(l)) && resolved ? resolved : etc;
  const lines = source.split('\n').filter((l) => !loopback.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4', '');
  return lines.join('\n');
}

// The everyday run flags (src/runtime/run-flags.ts) that change the container's files ----------

/** --add-host lines, as Docker writes them: after localhost, before the container's own name. */
export function extraHostLines(spec: Pick<ContainerSpec, 'extraHosts'>, gateway?: string): string {
  let out = '';
  for (const entry of spec.extraHosts ?? []) {
    const i = entry.indexOf(':');
    const name = entry.slice(0, i);
    const ip = entry.slice(i + 1) === 'host-gateway' ? gateway : entry.slice(i + 1);
    // host-gateway before the network is up: written once the gateway is known.
    if (ip) out += `${ip}\t${name}\n`;
  }
  return out;
}

/**
 * --dns, --dns-search and --dns-option replace the servers, the search list and the options of the
 * host's file; what is not given is kept from it. Laid out as Docker's resolvconf.Build: search,
 * nameservers, options (a search list of "." means none).
 */
export function withDnsFlags(base: string, spec: Pick<ContainerSpec, 'dns' | 'dnsSearch' | 'dnsOptions'>): string {
  if (!spec.dns?.length && !spec.dnsSearch?.length && !spec.dnsOptions?.length) return base;
  const lines = base.split('\n');
  const words = (key: string) => lines.filter((l) => new RegExp(`^\\s*${key}\\s`).test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const servers = spec.dns?.length ? spec.dns : words('nameserver');
  // The resolver takes the last search (or domain) line.
  const searchLine = lines.filter((l) => /^\s*(search|domain)\s/.test(l)).pop();
  const search = spec.dnsSearch?.length ? spec.dnsSearch : searchLine?.trim().split(/\s+/).slice(1) ?? [];
  const options = spec.dnsOptions?.length ? spec.dnsOptions : words('options');
  let out = '';
  if (search.length && search.join(' ') !== '.') out += `search ${search.filter((d) => d !== '.').join(' ')}\n`;
  for (const ns of servers) out += `nameserver ${ns}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}
