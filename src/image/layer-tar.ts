// Writing a layer: a directory (a container's upper directory, an unpacked layer, a view of a whole
// root) as the tar Docker's layers are, byte for byte the same each time the same files are packed.
//
// A tar is a list of entries, each a 512-byte header (name, mode, owner, size, time, type) followed
// by the data in 512-byte blocks, and two empty blocks at the end. The layer's diff id is the sha256
// of exactly these bytes, so nothing in them may depend on the moment or the order the disk happens
// to list names in:
//   - names are sorted, a directory is written before what is in it;
//   - times are whole seconds (a tar header holds seconds; the unpacked layer gets those back);
//   - no user or group names, only numbers (the container's /etc/passwd gives them names);
//   - a second name of the same inode is a hard link to the first (in sorted order).
// overlayfs's own marks become Docker's (AUFS's) conventions: a whiteout, the 0/0 character device,
// becomes an empty file ".wh.NAME"; an opaque directory (trusted.overlay.opaque=y) gets an empty
// ".wh..wh..opq" inside it. Unpacking (unpack.ts) turns them back, so a layer unpacked here and
// packed again gives the same tar, and so the same diff id: that is what `image save` relies on.
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, writeSync, constants as fsc, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { getXattr } from '../kernel/xattr.js';
import { UserError } from '../errors.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';

export interface TarHeader {
  /** Relative, without "./" in front; a directory's without "/" behind (added when written). */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size?: number;
  /** A symbolic link's target, or the path a hard link names. */
  linkpath?: string;
}

const TYPEFLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', dir: '5', fifo: '6' };

/** A number in an octal field of `len` bytes (len-1 digits and a NUL); undefined when it does not fit. */
function octal(n: number, len: number): string | undefined {
  const s = Math.max(0, Math.floor(n)).toString(8);
  return s.length < len ? s.padStart(len - 1, '0') + '\0' : undefined;
}

/** A POSIX pax record: "LEN key=value\n", where LEN counts the whole record, its own digits too. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len++;
  return `${len}${body}`;
}

/** One ustar header block; what does not fit a field goes into `pax` instead. */
function ustarBlock(h: TarHeader, name: string, pax: string[]): Buffer {
  const b = Buffer.alloc(512);
  const put = (off: number, len: number, s: string) => b.write(s, off, len, 'utf8');
  const num = (off: number, len: number, n: number, key: string) => {
    const text = octal(n, len);
    if (text === undefined) pax.push(paxRecord(key, String(Math.floor(n))));
    put(off, len, text ?? '0'.repeat(len - 1) + '\0');
  };
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
  put(0, 100, Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name);
  num(100, 8, h.mode & 0o7777, 'mode');
  num(108, 8, h.uid, 'uid');
  num(116, 8, h.gid, 'gid');
  num(124, 12, h.size ?? 0, 'size');
  num(136, 12, h.mtime, 'mtime');
  put(156, 1, TYPEFLAG[h.type]);
  const link = h.linkpath ?? '';
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  put(157, 100, Buffer.byteLength(link) > 100 ? link.slice(0, 99) : link);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(329, 8, '0000000\0');
  put(337, 8, '0000000\0');
  return b;
}

/** The header's checksum: the sum of its bytes, counting the checksum field itself as spaces. */
function seal(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** A tar being written to a file descriptor, with the sha256 of every byte written. */
export class TarWriter {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly fd: number) {}

  private write(buf: Buffer): void {
    this.hash.update(buf);
    for (let off = 0; off < buf.length;) off += writeSync(this.fd, buf, off, buf.length - off);
    this.bytes += buf.length;
  }

  private pad(n: number): void {
    if (n % 512) this.write(Buffer.alloc(512 - (n % 512)));
  }

  /** One entry; a file's data comes from `data` (an open descriptor read to the end, or bytes). */
  entry(h: TarHeader, data?: number | Buffer): void {
    const name = h.type === 'dir' ? `${h.path}/` : h.path;
    const pax: string[] = [];
    const block = ustarBlock(h, name, pax);
    if (pax.length) {
      const body = Buffer.from(pax.join(''));
      const base = name.replace(/\/$/, '').split('/').pop()!;
      this.write(seal(ustarBlock({ path: `PaxHeaders.0/${base}`.slice(0, 100), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: h.mtime, size: body.length }, `PaxHeaders.0/${base}`.slice(0, 100), [])
        .fill('x', 156, 157)));
      this.write(body);
      this.pad(body.length);
    }
    this.write(seal(block));
    if (h.type !== 'file') return;
    const size = h.size ?? 0;
    if (Buffer.isBuffer(data)) {
      this.write(data.subarray(0, size));
    } else if (data !== undefined) {
      this.copyFrom(data, size, h.path);
    }
    this.pad(size);
  }

  /** Exactly `size` bytes from `fd`: a file that changed size meanwhile is an error, not a corrupt tar. */
  private copyFrom(fd: number, size: number, path: string): void {
    const buf = Buffer.allocUnsafe(1 << 20);
    let left = size;
    while (left > 0) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n <= 0) throw new UserError(`${path} got shorter while it was being packed: try again`);
      this.write(buf.subarray(0, n));
      left -= n;
    }
  }

  /** Two empty blocks end a tar. Returns the sha256 (hex) of the whole archive and its size. */
  finish(): { digest: string; bytes: number } {
    this.write(Buffer.alloc(1024));
    return { digest: this.hash.digest('hex'), bytes: this.bytes };
  }
}

/** How a tree is read for packing: a plain directory, or a view through layers (union.ts). */
export interface TreeSource {
  /** The names in a directory of the tree ('' is its root). */
  list(rel: string): string[];
  /** What a path is (lstat: a link itself), and where its bytes are on the host. */
  stat(rel: string): { st: Stats; abs: string } | undefined;
  /** Whether the directory hides the same directory of the layers below (only a layer has this). */
  opaque?(rel: string): boolean;
}

/** A plain directory as a tree. */
export function directoryTree(root: string): TreeSource {
  return {
    list: (rel) => readdirSync(join(root, rel)),
    stat: (rel) => {
      const abs = join(root, rel);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      return st ? { st, abs } : undefined;
    },
    opaque: (rel) => getXattr(join(root, rel), 'trusted.overlay.opaque') === 'y',
  };
}

export interface PackOptions {
  /** Paths (relative) to leave out, with everything below them. */
  exclude?: (rel: string) => boolean;
  /** Told about what a layer cannot carry (device nodes, sockets), which is left out. */
  skipped?: (rel: string, why: string) => void;
}

const seconds = (st: Stats) => Math.max(0, Math.floor(st.mtimeMs / 1000));

/** Write every entry of `tree` below its root (the root itself is not an entry, as in Docker's layers). */
export function packTree(tree: TreeSource, out: TarWriter, opts: PackOptions = {}): void {
  const firstName = new Map<string, string>(); // dev:ino -> the first path of a file with several names
  const walk = (dir: string) => {
    for (const name of tree.list(dir).sort()) {
      const rel = dir ? `${dir}/${name}` : name;
      if (opts.exclude?.(rel)) continue;
      const found = tree.stat(rel);
      if (!found) continue; // gone meanwhile
      const { st, abs } = found;
      const base = { uid: st.uid, gid: st.gid, mtime: seconds(st) };
      if (st.isDirectory()) {
        out.entry({ path: rel, type: 'dir', mode: st.mode, ...base });
        if (tree.opaque?.(rel)) out.entry({ path: `${rel}/.wh..wh..opq`, type: 'file', mode: st.mode & 0o777, ...base, size: 0 });
        walk(rel);
      } else if (st.isCharacterDevice() && st.rdev === 0) {
        // overlayfs's whiteout: "NAME was deleted", as Docker's layers say it.
        out.entry({ path: dir ? `${dir}/.wh.${name}` : `.wh.${name}`, type: 'file', mode: 0o600, ...base, size: 0 });
      } else if (st.isSymbolicLink()) {
        out.entry({ path: rel, type: 'symlink', mode: 0o777, ...base, linkpath: readlinkSync(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? firstName.get(key) : undefined;
        if (first !== undefined) {
          out.entry({ path: rel, type: 'hardlink', mode: st.mode, ...base, linkpath: first });
          continue;
        }
        if (st.nlink > 1) firstName.set(key, rel);
        const fd = openSync(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
        try {
          // The size as the file is now, from the descriptor that is read.
          out.entry({ path: rel, type: 'file', mode: st.mode, ...base, size: fstatSync(fd).size }, fd);
        } finally {
          closeSync(fd);
        }
      } else if (st.isFIFO()) {
        out.entry({ path: rel, type: 'fifo', mode: st.mode, ...base });
      } else {
        opts.skipped?.(rel, st.isSocket() ? 'a socket' : 'a device node, which an image may not carry');
      }
    }
  };
  walk('');
}

/** Pack `tree` into the file `file`; its diff id (sha256 hex) and size. */
export function packToFile(tree: TreeSource, file: string, opts: PackOptions = {}): { digest: string; bytes: number } {
  const fd = openSync(file, 'w', 0o600);
  try {
    const out = new TarWriter(fd);
    packTree(tree, out, opts);
    return out.finish();
  } finally {
    closeSync(fd);
  }
}
