// `ps --filter KEY=VALUE`, `-a`, `-n`, `-l`: which containers `docker ps` lists, decided as
// Docker's daemon decides (daemon/list.go). Values of one key are alternatives (name=a --filter
// name=b: either), different keys must all hold; labels are the exception, as in Docker: every
// label filter must hold. name and id are regular expressions, matched anywhere.
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Container } from './store.js';
import { findImage } from './images.js';
import { createdTime, dockerRunning, dockerState, labelsOf, networkNames } from './ps-view.js';
import { byCodePoint } from '../order.js';

export type Filters = Map<string, string[]>;

const KEYS = ['name', 'id', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'network', 'volume'];
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** The --filter words; a malformed one is a usage error (125), an unknown key or value Docker's 1. */
export function parseFilters(words: string[]): Filters {
  const out: Filters = new Map();
  for (const w of words) {
    const i = w.indexOf('=');
    if (i <= 0) throw new UserError(`--filter "${w}": bad format of filter (expected name=value)`, 125);
    const key = w.slice(0, i).trim().toLowerCase(), value = w.slice(i + 1);
    if (!KEYS.includes(key)) throw new UserError(`invalid filter '${key}': nestbox knows ${KEYS.join(', ')}`, 1);
    if (key === 'status' && !STATES.includes(value)) throw new UserError(`invalid filter 'status=${value}': a state is one of ${STATES.join(', ')}`, 1);
    if (key === 'exited' && !/^-?\d+$/.test(value)) throw new UserError(`invalid filter 'exited=${value}': give an exit code, for example exited=0`, 1);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** Docker's Match: the value as it is, or as a regular expression found anywhere in `source`. */
function matches(patterns: string[] | undefined, ...sources: string[]): boolean {
  if (!patterns) return true;
  return patterns.some((p) => sources.some((s) => {
    if (s === p) return true;
    try { return new RegExp(p).test(s); } catch { return false; }
  }));
}

/** An image as named: "alpine" is "alpine:latest"; a rootfs path by where it leads. */
function imageKey(ref: string): string {
  if (ref.includes('/')) return resolve(ref);
  return ref.includes(':') ? ref : `${ref}:latest`;
}

export interface Selection {
  all?: boolean;
  /** -n: the N most recently created, of any state (-l is 1). */
  last?: number;
  filters?: Filters;
}

/** The containers `ps` lists, newest first. */
export function selectContainers(list: Container[], find: (ref: string) => Container, sel: Selection): Container[] {
  const f = sel.filters ?? new Map<string, string[]>();
  let out = [...list].sort((a, b) => byCodePoint(createdTime(b), createdTime(a)) || byCodePoint(b.id, a.id));
  // since=X: only those made after X; before=X: only those made before it.
  for (const ref of f.get('since') ?? []) {
    const id = find(ref).id;
    const at = out.findIndex((c) => c.id === id);
    if (at >= 0) out = out.slice(0, at);
  }
  for (const ref of f.get('before') ?? []) {
    const id = find(ref).id;
    const at = out.findIndex((c) => c.id === id);
    out = at >= 0 ? out.slice(at + 1) : [];
  }
  const last = sel.last ?? -1;
  // Only running ones unless something asks for more: -a, -n, or a status.
  const everyState = sel.all || last > 0 || f.has('status');
  // An image by name ("alpine" is "alpine:latest") or by ID: a container made from it recorded its ID.
  const ancestors = f.get('ancestor')?.map(imageKey);
  const ancestorIds = f.get('ancestor')?.map((ref) => { try { return findImage(ref)?.id; } catch { return undefined; } }).filter(Boolean);
  const labels = f.get('label');
  out = out.filter((c) => {
    if (!everyState && !dockerRunning(c.state)) return false;
    if (!matches(f.get('name'), c.spec.name, `/${c.spec.name}`)) return false;
    if (!matches(f.get('id'), c.id)) return false;
    if (labels) {
      const own = labelsOf(c.spec);
      for (const l of labels) {
        const i = l.indexOf('=');
        const key = i < 0 ? l : l.slice(0, i);
        if (!(key in own) || (i >= 0 && own[key] !== l.slice(i + 1))) return false;
      }
    }
    const exited = f.get('exited');
    // An exit code belongs to a container that ran and ended (one never started has none).
    if (exited && (dockerRunning(c.state) || !c.state.StartedAt || !exited.map(Number).includes(c.state.ExitCode))) return false;
    if (f.has('status') && !f.get('status')!.includes(dockerState(c.state))) return false;
    if (ancestors && !ancestors.includes(imageKey(c.spec.image)) && !(c.spec.imageId && ancestorIds!.includes(c.spec.imageId))) return false;
    if (f.has('network') && !f.get('network')!.some((n) => networkNames(c.spec).includes(n))) return false;
    if (f.has('volume') && !f.get('volume')!.some((v) => c.spec.volumes.some((m) => m.source === v || m.target === v))) return false;
    return true;
  });
  return last > 0 ? out.slice(0, last) : out;
}
