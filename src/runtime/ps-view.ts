// A container as `docker ps` shows it: the fields its --format templates name ({{.ID}},
// {{.Status}}, {{.Ports}}...), each computed as Docker's daemon and CLI compute it, so that a
// script written for `docker ps --format` reads nestbox's the same way.
import type { Container, ContainerState } from './store.js';
import type { ContainerSpec, PortSpec } from './spec.js';
import { humanDuration, ellipsis, humanSize, goTime } from '../render/docker-text.js';
import { byCodePoint } from '../order.js';

/** Docker's container states. A restarting container is between two runs of its restart policy. */
export type DockerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited';

/** What another part of nestbox may record: the restart policy's state (read with defaults). */
type RestartState = ContainerState & { Restarting?: boolean; RestartCount?: number };

function isRestarting(state: ContainerState): boolean {
  return (state as RestartState).Restarting === true || (state.Status as string) === 'restarting';
}

/** Docker's order of precedence: paused, then restarting, then running; never started is created. */
export function dockerState(state: ContainerState): DockerState {
  if (state.Status === 'paused') return 'paused';
  if (isRestarting(state)) return 'restarting';
  if (state.Status === 'running') return 'running';
  return state.Status === 'created' ? 'created' : 'exited';
}

/** Running, paused or restarting: what `ps` without -a lists, and what Docker calls Running. */
export function dockerRunning(state: ContainerState): boolean {
  return ['running', 'paused', 'restarting'].includes(dockerState(state));
}

/** When the container was made; containers made before nestbox recorded it fall back to their start. */
export function createdTime(c: Container): string {
  return c.state.Created || c.state.StartedAt || '';
}

const since = (iso: string, now: number) => humanDuration(now - (Date.parse(iso) || now));

/**
 * The daemon's status line: "Up 5 seconds", "Up 2 minutes (Paused)", "Restarting (1) 2 seconds
 * ago", "Exited (0) 3 minutes ago", "Created".
 */
export function statusText(state: ContainerState, now = Date.now()): string {
  switch (dockerState(state)) {
    case 'paused': return `Up ${since(state.StartedAt, now)} (Paused)`;
    case 'restarting': return `Restarting (${state.ExitCode}) ${since(state.FinishedAt, now)} ago`;
    case 'running': return `Up ${since(state.StartedAt, now)}`;
    case 'created': return 'Created';
    // A container whose end nestbox did not see has no FinishedAt: its start is the best there is.
    default: return `Exited (${state.ExitCode}) ${since(state.FinishedAt || state.StartedAt, now)} ago`;
  }
}

/** The daemon's COMMAND: the path, then the arguments, those with a space in single quotes. */
export function commandText(command: string[]): string {
  const [path = '', ...args] = command;
  return args.length ? `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : path;
}

/**
 * The CLI's DisplayablePorts: "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp". Ports published on
 * the same number on both sides are grouped into ranges ("0.0.0.0:8000-8002->8000-8002/tcp"),
 * listed before the others.
 */
export function displayablePorts(ports: PortSpec[]): string {
  const ipNumber = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const sorted = [...ports].sort((a, b) => a.containerPort - b.containerPort || ipNumber(a.hostIp) - ipNumber(b.hostIp)
    || a.hostPort - b.hostPort || byCodePoint(a.proto, b.proto));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const group = (key: string, g: { first: number; last: number }) => {
    const [ip, proto] = key.split('/');
    const range = g.first === g.last ? String(g.first) : `${g.first}-${g.last}`;
    return `${ip}:${range}->${range}/${proto}`;
  };
  for (const p of sorted) {
    if (p.hostPort !== p.containerPort) {
      mappings.push(`${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.proto}`);
      continue;
    }
    const key = `${p.hostIp}/${p.proto}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.containerPort, last: p.containerPort });
    else if (p.containerPort === g.last + 1) g.last = p.containerPort;
    else {
      result.push(group(key, g));
      groups.set(key, { first: p.containerPort, last: p.containerPort });
    }
  }
  for (const [key, g] of groups) result.push(group(key, g));
  return [...result, ...mappings].join(', ');
}

/** The networks a container is on, by Docker's names: bridge, host, none (none for container:NAME). */
export function networkNames(spec: ContainerSpec): string[] {
  return spec.net.mode === 'container' ? [] : [spec.net.mode];
}

/** --label KEY=VALUE, recorded in the config by the run flags (none in older configs). */
export function labelsOf(spec: ContainerSpec): Record<string, string> {
  return spec.labels ?? {};
}

/** A mount as ps shows it: a named volume by its name, anything else by its host path (none for a tmpfs). */
type AnyMount = ContainerSpec['volumes'][number] & { type?: 'bind' | 'volume' | 'tmpfs' };
const mountName = (m: AnyMount) => (m.type === 'tmpfs' ? '' : m.source);

/** One row of `docker ps`, with the fields its templates name, in the order `{{json .}}` prints them. */
export interface PsRow {
  Command: string;
  CreatedAt: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Names: string;
  Networks: string;
  Ports: string;
  RunningFor: string;
  Size: string;
  State: string;
  Status: string;
  /** {{.Label "key"}}: one label's value, or nothing. */
  Label(key: string): string;
}

export interface PsRowOptions {
  /** Cut the command (20 columns) and mount names (15), as without --no-trunc. */
  trunc: boolean;
  now?: number;
  /** -s: bytes of the container's own layer, and with its image's ("virtual"). */
  size?: { rw: number; rootfs: number };
}

export function psRow(c: Container, opts: PsRowOptions): PsRow {
  const now = opts.now ?? Date.now();
  const labels = labelsOf(c.spec);
  const created = createdTime(c);
  const command = commandText(c.spec.command);
  const mounts = (c.spec.volumes as AnyMount[]).map((m) => (opts.trunc ? ellipsis(mountName(m), 15) : mountName(m)));
  const size = opts.size ? (opts.size.rootfs > 0 ? `${humanSize(opts.size.rw)} (virtual ${humanSize(opts.size.rootfs)})` : humanSize(opts.size.rw)) : '0B';
  const row = {
    Command: JSON.stringify(opts.trunc ? ellipsis(command, 20) : command),
    CreatedAt: created ? goTime(new Date(Math.floor(Date.parse(created) / 1000) * 1000)) : '',
    ID: c.id,
    Image: c.spec.image,
    Labels: Object.keys(labels).map((k) => `${k}=${labels[k]}`).sort().join(','),
    LocalVolumes: String((c.spec.volumes as AnyMount[]).filter((m) => m.type === 'volume').length),
    Mounts: mounts.join(','),
    Names: c.spec.name,
    Networks: networkNames(c.spec).join(','),
    // Published ports exist while it runs: an ended container gave them back.
    Ports: dockerRunning(c.state) ? portsText(c.spec) : '',
    RunningFor: created ? `${since(created, now)} ago` : '',
    Size: size,
    State: dockerState(c.state),
    Status: statusText(c.state, now),
  };
  // A method, not a field: {{json .}} leaves it out, as Docker's does.
  Object.defineProperty(row, 'Label', { value: (key: string) => labels[key] ?? '', enumerable: false });
  return row as PsRow;
}

/** Published ports, then the image's exposed ones nothing publishes ("80/tcp"), as Docker lists them. */
function portsText(spec: ContainerSpec): string {
  const exposed = (spec.exposedPorts ?? []).filter((e) => !spec.ports.some((p) => `${p.containerPort}/${p.proto}` === e));
  return [displayablePorts(spec.ports), ...exposed].filter(Boolean).join(', ');
}

/**
 * ps -s: bytes the container wrote (its overlay's upper layer), and "virtual", with the image's
 * layers under it. Read from the disk, so only when asked for.
 */
export async function containerSize(c: Container): Promise<{ rw: number; rootfs: number }> {
  const { existsSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const { treeSize } = await import('../image/store.js');
  const { findImage, layersDir } = await import('./images.js');
  const { rootfsDir } = await import('../host/paths.js');
  const { paths } = await import('./store.js');
  const dirSize = (dir: string) => (existsSync(dir) ? treeSize(dir) : 0);
  const rw = dirSize(paths(c.id).upper);
  const image = c.spec.image;
  let lower: number;
  if (c.spec.layers) lower = c.spec.layers.reduce((sum, l) => sum + dirSize(join(layersDir(), l)), 0);
  else {
    const manifest = image.includes('/') ? undefined : findImage(image);
    lower = manifest ? manifest.size ?? 0 : dirSize(image === 'default' ? rootfsDir() : resolve(image));
  }
  return { rw, rootfs: rw + lower };
}
