// The build context: the directory `nestbox build PATH` names, the only place COPY and ADD take
// files from. A source path is read inside it as a container reads paths inside its root: "/" is
// the context's top, ".." stops there, and a symbolic link is followed within it (a link to
// /etc/shadow means the context's etc/shadow, never the host's). Files .dockerignore names are
// not there at all, as far as COPY can see.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { UserError } from '../errors.js';
import { LayerView, type Found } from '../image/union.js';
import { IgnoreRules } from './ignore.js';

export interface Source {
  /** The path as the Dockerfile named it, after wildcards: its base name is the copy's name. */
  given: string;
  /** The path inside the context with no link in it, and what is there. */
  found: Found;
}

/** An entry below a directory source: its path relative to that directory. */
export interface SourceEntry { rel: string; st: Stats; abs: string }

const WILDCARD = /[*?[]/;

/** Go's filepath.Match for one name: * any run of characters, ? one, [...] a class. */
function nameMatcher(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new UserError(`bad pattern "${pattern}": [ without ]`);
      re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

export class BuildContext {
  private readonly view: LayerView;

  constructor(readonly dir: string, readonly ignore: IgnoreRules) {
    this.view = new LayerView([dir]);
  }

  private notFound(path: string): UserError {
    return new UserError(`COPY failed: file not found in build context or excluded by .dockerignore: ${path}`);
  }

  /** A source path made relative to the context's top; ".." out of it is refused. */
  private clean(given: string): string {
    const p = posix.normalize(given.replace(/^\/+/, '') || '.');
    if (p === '..' || p.startsWith('../')) throw new UserError(`COPY failed: forbidden path outside the build context: ${given}`);
    return p === '.' ? '' : p.replace(/\/+$/, '');
  }

  /** The visible path `rel` (followed), or undefined. */
  private lookup(rel: string): Found | undefined {
    const found = this.view.lookup(rel, true);
    if (!found) return undefined;
    const canonical = found.path.replace(/^\//, '');
    if (canonical && this.ignore.ignored(canonical) && !(found.st.isDirectory() && this.ignore.mayHaveExceptions(canonical))) return undefined;
    return found;
  }

  /** Names in a directory of the context that are not ignored. */
  private names(rel: string): string[] {
    return this.view.list(rel).filter((n) => !this.ignore.ignored(rel ? `${rel}/${n}` : n)).sort();
  }

  /** Each source of a COPY or ADD, wildcards expanded (a pattern that matches nothing is an error). */
  sources(given: string[]): Source[] {
    const out: Source[] = [];
    for (const g of given) {
      const rel = this.clean(g);
      if (!WILDCARD.test(rel)) {
        const found = this.lookup(rel);
        if (!found) throw this.notFound(g);
        out.push({ given: rel || '.', found });
        continue;
      }
      // A wildcard: matched a component at a time, in the directories found so far.
      let paths = [''];
      for (const part of rel.split('/')) {
        const re = WILDCARD.test(part) ? nameMatcher(part) : undefined;
        paths = paths.flatMap((p) => {
          if (!re) return [p ? `${p}/${part}` : part];
          const dir = this.lookup(p);
          if (!dir?.st.isDirectory()) return [];
          return this.names(dir.path.replace(/^\//, '')).filter((n) => re.test(n)).map((n) => (p ? `${p}/${n}` : n));
        });
      }
      const matched = paths.map((p) => ({ given: p, found: this.lookup(p) })).filter((s): s is Source => !!s.found);
      if (!matched.length) throw this.notFound(g);
      out.push(...matched);
    }
    return out;
  }

  /** Everything below a directory source, not followed, ignored entries left out; sorted, parents first. */
  walk(dir: Found): SourceEntry[] {
    const out: SourceEntry[] = [];
    const base = dir.path.replace(/^\//, '');
    const visit = (rel: string) => {
      const here = rel ? `${base ? `${base}/` : ''}${rel}` : base;
      for (const name of this.view.list(here).sort()) {
        const path = here ? `${here}/${name}` : name;
        const r = rel ? `${rel}/${name}` : name;
        const found = this.view.stat(path);
        if (!found) continue;
        const isDir = found.st.isDirectory();
        if (this.ignore.ignored(path)) {
          if (!isDir || !this.ignore.mayHaveExceptions(path)) continue;
          const before = out.length;
          out.push({ rel: r, ...found });
          visit(r);
          if (out.length === before + 1) out.pop(); // nothing let back in below it
          continue;
        }
        out.push({ rel: r, ...found });
        if (isDir) visit(r);
      }
    };
    visit('');
    return out;
  }
}

/** sha256 of a file's bytes (for the cache key of a COPY: what is copied, not when it was touched). */
export function fileDigest(abs: string): string {
  const hash = createHash('sha256');
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
