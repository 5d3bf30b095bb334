// An image's config, the JSON file Docker and OCI write beside the layers: what `run` starts with
// (command, environment, user, working directory, ports, labels, volumes), the layers by their diff
// ids, bottom first, and one history entry per build step. The sha256 of its bytes is the image's
// ID: change one field, or one layer, and the ID changes. Docker prints the first 12 hex digits.
import { createRequire } from 'node:module';

// node:crypto is loaded when an ID is first computed, not by `run` of a directory, which needs none.
const require = createRequire(import.meta.url);

/** The part `run` reads (Docker's field names; ExposedPorts and Volumes are sets: keys, empty objects). */
export interface RunConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  /** SHELL: what a shell-form RUN, CMD and ENTRYPOINT run with (default /bin/sh -c). */
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** The step changed only the config: no layer in rootfs.diff_ids belongs to it. */
  empty_layer?: boolean;
}

export interface ImageConfigFile {
  architecture: string;
  os: string;
  created?: string;
  author?: string;
  config: RunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: HistoryEntry[];
}

/** Docker's names for Node's process.arch. */
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const thisArchitecture = () => ARCH[process.arch] ?? process.arch;

const sha256 = (text: string) => (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(text).digest('hex');

/** The ID of an image: sha256 of its config's bytes, exactly as stored (hex, without "sha256:"). */
export const imageId = (configText: string) => sha256(configText);

/**
 * The bytes of a config. Compact JSON with the fields in the order they were set: the same config,
 * built the same way, gives the same bytes and so the same ID (a rebuild from the cache does).
 */
export function serializeConfig(config: ImageConfigFile): string {
  return JSON.stringify(config);
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined);
const stringMap = (v: unknown): Record<string, string> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string') ? v as Record<string, string> : undefined;
const keySet = (v: unknown): Record<string, Record<string, never>> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, {}])) : undefined;

/** From any image's config (read from someone's archive), the run fields nestbox uses, checked for type. */
export function runConfigOf(raw: unknown): RunConfig {
  const c = (raw ?? {}) as Record<string, unknown>;
  const out: RunConfig = {};
  if (typeof c.User === 'string' && c.User) out.User = c.User;
  if (keySet(c.ExposedPorts)) out.ExposedPorts = keySet(c.ExposedPorts);
  if (strings(c.Env)) out.Env = strings(c.Env);
  if (strings(c.Entrypoint)) out.Entrypoint = strings(c.Entrypoint);
  if (strings(c.Cmd)) out.Cmd = strings(c.Cmd);
  if (keySet(c.Volumes)) out.Volumes = keySet(c.Volumes);
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (stringMap(c.Labels)) out.Labels = stringMap(c.Labels);
  if (typeof c.StopSignal === 'string' && c.StopSignal) out.StopSignal = c.StopSignal;
  if (strings(c.Shell)) out.Shell = strings(c.Shell);
  return out;
}

/** Parse a config's text; what does not look like one is an error for the caller to word. */
export function parseConfig(text: string): ImageConfigFile {
  const raw = JSON.parse(text);
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.rootfs?.diff_ids)) throw new Error('not an image config (no rootfs.diff_ids)');
  return raw as ImageConfigFile;
}

/** A config for layers that came without one (a docker export tar, the default rootfs): no command. */
export function bareConfig(diffIds: string[], created: string, createdBy: string, comment?: string): ImageConfigFile {
  return {
    architecture: thisArchitecture(),
    os: 'linux',
    created,
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created, created_by: createdBy, ...(comment ? { comment } : {}) }],
  };
}

/** FROM scratch: no layers, no settings, no history. */
export function scratchConfig(): ImageConfigFile {
  return { architecture: thisArchitecture(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

/** "sha256:<hex>" <-> a layer's directory name under layers/. */
export const diffIdOf = (layerId: string) => `sha256:${layerId}`;
export const layerIdOf = (diffId: string) => diffId.replace(/^sha256:/, '');
