// COPY and ADD: files of the build context become a layer, without a container. The layer holds
// the copied files where the image will show them, every directory above them (those the image
// has, as it has them; those it lacks, made), with Docker's rules:
//   - a source directory's contents are copied, not the directory itself;
//   - DEST ending in "/", or an existing directory, or several sources: the files go inside it;
//     otherwise a single file is written as DEST;
//   - a relative DEST is under the WORKDIR; DEST's links are followed inside the image;
//   - owner root unless --chown (user[:group], names from the image's /etc/passwd and /etc/group;
//     a user alone gives its number as the group too, as Docker does); modes and times are kept,
//     --chmod sets the files' mode;
//   - ADD also unpacks a local tar archive (plain or gzip) into DEST, keeping its owners.
// The checksum is the cache's key for the step: what the layer would hold, less the times.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { UserError } from '../errors.js';
import type { LayerView, Found } from '../image/union.js';
import { TarWriter, type TarHeader } from '../image/layer-tar.js';
import { unpackInto } from '../image/unpack.js';
import { BuildContext, fileDigest, type Source } from './context.js';
import { IgnoreRules } from './ignore.js';

/** An entry of the layer; a file's bytes come from `abs`. */
export interface LayerEntry extends TarHeader { abs?: string }

export interface CopyRequest {
  keyword: 'COPY' | 'ADD';
  context: BuildContext;
  sources: string[];
  dest: string;
  workdir: string;
  /** --chown, resolved to numbers. */
  owner?: { uid: number; gid: number };
  /** --chmod (octal), for the files copied. */
  mode?: number;
  /** The image so far, top layer first, to find DEST in. */
  image: LayerView;
  /** Where ADD unpacks an archive first. */
  scratch: string;
}

const seconds = (st: Stats) => Math.max(0, Math.floor(st.mtimeMs / 1000));

/** Compare paths a component at a time: the order a directory walk writes them (parents first). */
function treeOrder(a: string, b: string): number {
  const x = a.split('/'), y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** Whether a file is a tar archive ADD unpacks: gzip's magic, or "ustar" at byte 257. */
function isArchive(abs: string): boolean {
  const head = Buffer.alloc(265);
  const fd = openSync(abs, 'r');
  let n: number;
  try { n = readSync(fd, head, 0, head.length, 0); } finally { closeSync(fd); }
  return (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) || (n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar');
}

export class CopyPlan {
  private readonly entries = new Map<string, LayerEntry>();
  private newest = 0;
  private archives = 0;

  constructor(private readonly req: CopyRequest) {}

  private put(e: LayerEntry): void {
    const there = this.entries.get(e.path);
    if (there?.type === 'dir' && e.type !== 'dir') throw new UserError(`${this.req.keyword} failed: cannot overwrite directory /${e.path} with a non-directory`);
    this.entries.set(e.path, e);
  }

  /** The directory `path` (absolute) in the image, made where missing; its canonical path, relative. */
  private directory(path: string): string {
    let canon = '';
    let missing = false;
    for (const part of path.split('/').filter(Boolean)) {
      if (!missing) {
        const f = this.req.image.lookup(`/${canon ? `${canon}/` : ''}${part}`, true);
        if (f?.st.isDirectory()) {
          canon = f.path.replace(/^\//, '');
          // As the image has it: the layer's copy of the directory must not change it.
          if (!this.entries.has(canon)) this.put({ path: canon, type: 'dir', mode: f.st.mode, uid: f.st.uid, gid: f.st.gid, mtime: seconds(f.st) });
          continue;
        }
        if (f) throw new UserError(`${this.req.keyword} failed: /${canon ? `${canon}/` : ''}${part} is not a directory in the image`);
        missing = true;
      }
      canon = canon ? `${canon}/${part}` : part;
      if (!this.entries.has(canon)) this.put({ path: canon, type: 'dir', mode: 0o755, uid: this.req.owner?.uid ?? 0, gid: this.req.owner?.gid ?? 0, mtime: -1 });
    }
    return canon;
  }

  private file(path: string, st: Stats, abs: string, keepOwner = false): void {
    this.newest = Math.max(this.newest, seconds(st));
    const owner = this.req.owner ?? (keepOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
    const base = { path, ...owner, mtime: seconds(st) };
    if (st.isDirectory()) this.put({ ...base, type: 'dir', mode: st.mode });
    else if (st.isSymbolicLink()) this.put({ ...base, type: 'symlink', mode: 0o777, linkpath: readlinkSync(abs) });
    else if (st.isFile()) this.put({ ...base, type: 'file', mode: this.req.mode ?? st.mode, size: st.size, abs });
    // A device, socket or FIFO in the context is not copied (Docker's COPY refuses or skips them).
  }

  /** A directory's contents, below `target` (relative, canonical). */
  private tree(ctx: BuildContext, dir: Found, target: string, keepOwner = false): void {
    for (const e of ctx.walk(dir)) this.file(`${target ? `${target}/` : ''}${e.rel}`, e.st, e.abs, keepOwner);
  }

  /** WORKDIR: only the directories of `path` the image lacks, made (with `time`), and those above them. */
  directories(path: string, time: number): LayerEntry[] {
    this.directory(path);
    return [...this.entries.values()].map((e) => ({ ...e, mtime: e.mtime < 0 ? time : e.mtime })).sort((a, b) => treeOrder(a.path, b.path));
  }

  /** Plan the whole step. */
  async plan(): Promise<this> {
    const { context, dest, workdir, keyword } = this.req;
    const sources = context.sources(this.req.sources);
    const destPath = posix.resolve(workdir, dest);
    const wantsDir = dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
    const existing = this.req.image.lookup(destPath, true);
    const isDir = (s: Source) => s.found.st.isDirectory() || (keyword === 'ADD' && s.found.st.isFile() && isArchive(s.found.abs));
    if (sources.length > 1 && !wantsDir && !existing?.st.isDirectory()) {
      throw new UserError(`When using ${keyword} with more than one source file, the destination must be a directory and end with a /`);
    }
    const intoDir = wantsDir || sources.length > 1 || !!existing?.st.isDirectory() || isDir(sources[0]);
    if (intoDir) {
      const dir = this.directory(destPath);
      for (const s of sources) await this.source(s, dir);
    } else {
      const parent = this.directory(posix.dirname(destPath));
      this.fromSource(sources[0], `${parent ? `${parent}/` : ''}${posix.basename(destPath)}`);
    }
    // Directories made for the copy get the time of the newest file copied: the same files, the same layer.
    for (const e of this.entries.values()) if (e.mtime < 0) e.mtime = this.newest;
    return this;
  }

  /** One source into the directory `dir` (relative, canonical). */
  private async source(s: Source, dir: string): Promise<void> {
    const { found } = s;
    if (found.st.isDirectory()) return this.tree(this.req.context, found, dir);
    if (this.req.keyword === 'ADD' && found.st.isFile() && isArchive(found.abs)) {
      // Unpacked with the same checks as an image layer, then copied in like a directory, owners kept.
      const into = join(this.req.scratch, `add-${this.archives++}`);
      mkdirSync(into, { recursive: true, mode: 0o700 });
      await unpackInto(found.abs, s.given, into);
      const unpacked = new BuildContext(into, new IgnoreRules(''));
      return this.tree(unpacked, unpacked.sources(['.'])[0].found, dir, true);
    }
    this.fromSource(s, `${dir ? `${dir}/` : ''}${posix.basename(s.given)}`);
  }

  private fromSource(s: Source, path: string): void {
    this.file(path, s.found.st, s.found.abs);
  }

  /** The layer's entries, parents first, and the checksum the cache keys the step by. */
  result(): { entries: LayerEntry[]; checksum: string } {
    const entries = [...this.entries.values()].sort((a, b) => treeOrder(a.path, b.path));
    const hash = createHash('sha256');
    for (const e of entries) {
      const content = e.type === 'file' && e.abs ? fileDigest(e.abs) : '';
      hash.update(`${e.type} ${JSON.stringify(e.path)} ${e.mode & 0o7777} ${e.uid}:${e.gid} ${e.size ?? 0} ${JSON.stringify(e.linkpath ?? '')} ${content}\n`);
    }
    return { entries, checksum: hash.digest('hex') };
  }
}

/** Write the entries as a layer tar; its diff id and size. */
export function writeEntries(entries: LayerEntry[], file: string): { digest: string; bytes: number } {
  const fd = openSync(file, 'w', 0o600);
  try {
    const out = new TarWriter(fd);
    for (const e of entries) {
      if (e.type !== 'file' || !e.abs) {
        out.entry(e);
        continue;
      }
      const src = openSync(e.abs, 'r');
      try { out.entry(e, src); } finally { closeSync(src); }
    }
    return out.finish();
  } finally {
    closeSync(fd);
  }
}
