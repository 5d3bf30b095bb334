// Reading tar archives, plain or gzip-compressed, one entry at a time.
//
// Why a library for reading, and nestbox's own code for writing: tar has several dialects (POSIX
// ustar, pax extended headers for long names and big files, GNU long-name records, base-256
// numbers) and image tools produce all of them; node-tar's Parser reads them all and checks every
// header's checksum. Writing a layer to disk is done by unpack.ts instead of node-tar's extractor,
// because a layer needs what a general extractor does not do: overlayfs whiteouts, exact modes and
// owners (setuid bits included), and refusing a bad entry rather than quietly "fixing" it.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Header, Parser, type ReadEntry } from 'tar';
import { UserError } from '../errors.js';

export type { ReadEntry };

/**
 * A device node's numbers sit in the same two header fields (devmajor at 329, devminor at 337, octal)
 * in POSIX ustar and in GNU tar's own format, but node-tar reads them only from a header whose magic
 * is POSIX's ("ustar\0" "00"). GNU tar, the `tar` of every Debian and Ubuntu system, writes
 * "ustar  \0", so a `b 8:0` node it archived would read as 0:0. Its headers are read here as well.
 */
const GNU_MAGIC = Buffer.from('ustar  \0', 'latin1');
const octal = (buf: Buffer, off: number) => parseInt(buf.subarray(off, off + 8).toString('latin1').replace(/\0.*$/s, '').trim(), 8) || 0;
const decode = Header.prototype.decode;
if (!(decode as { gnuDevices?: boolean }).gnuDevices) {
  const withGnuDevices = function (this: Header, buf: Buffer, off: number, ...rest: unknown[]) {
    (decode as (...a: unknown[]) => void).call(this, buf, off, ...rest);
    const at = off || 0;
    if (buf.length >= at + 512 && buf.subarray(at + 257, at + 265).equals(GNU_MAGIC)) {
      this.devmaj = octal(buf, at + 329);
      this.devmin = octal(buf, at + 337);
    }
  };
  Object.assign(withGnuDevices, { gnuDevices: true });
  Header.prototype.decode = withGnuDevices as typeof decode;
}

/** Compressed archives are told apart by their first bytes ("magic numbers"), not their names. */
function isGzip(file: string): boolean {
  const head = Buffer.alloc(6);
  const fd = openSync(file, 'r');
  let n: number;
  try { n = readSync(fd, head, 0, 6, 0); } finally { closeSync(fd); }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  const other = n >= 4 && head.readUInt32BE(0) === 0x28b52ffd ? 'zstd'
    : head.subarray(0, 3).toString('latin1') === 'BZh' ? 'bzip2'
    : head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) ? 'xz' : undefined;
  if (other) throw new UserError(`${file} is ${other}-compressed: only plain and gzip tar archives are supported (decompress it first)`);
  return false;
}

export interface TarReading {
  /** sha256 (hex) of the uncompressed archive: for an image layer, its "diff id". */
  digest: string;
  /** The reading was ended early by onEntry. */
  stopped: boolean;
}

/**
 * Read `file`, calling `onEntry` for each entry in archive order. An entry's data goes to the
 * 'data' listeners onEntry attaches (and is skipped when it attaches none); the next entry only
 * comes once its data has all been delivered, so onEntry may do its work synchronously. Returning
 * 'stop' ends the reading early. An exception thrown by onEntry or a data listener ends the
 * reading and is rethrown as it is; a damaged archive becomes a one-line UserError.
 */
export async function readTar(file: string, onEntry: (entry: ReadEntry) => void | 'stop'): Promise<TarReading> {
  let failure: unknown;
  let stopped = false;
  // strict: a bad header checksum or a truncated archive is an error, not a warning.
  const parser = new Parser({ strict: true });
  const handle = (entry: ReadEntry) => {
    if (failure === undefined && !stopped) {
      try {
        if (onEntry(entry) === 'stop') stopped = true;
      } catch (err) {
        failure = err;
      }
    }
    entry.resume();
  };
  parser.on('entry', handle);
  // Entries node-tar skips (a type it does not know, such as a GNU sparse file) are shown too, so
  // that a checker can refuse them rather than have them silently missing.
  parser.on('ignoredEntry', handle);
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  finished.catch(() => { /* awaited below; this only keeps an early rejection from being "unhandled" */ });

  const hash = createHash('sha256');
  const source = createReadStream(file);
  const bytes = isGzip(file) ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of bytes) {
      hash.update(chunk);
      let more: boolean;
      try {
        more = parser.write(chunk);
      } catch (err) {
        failure ??= err; // thrown by a data listener
        break;
      }
      if (failure !== undefined || stopped) break;
      if (!more) await once(parser, 'drain');
    }
    if (failure === undefined && !stopped) {
      parser.end();
      await finished;
    }
  } catch (err) {
    failure ??= new UserError(`${file}: not a readable tar archive (${(err as Error).message.split('\n')[0]})`);
  } finally {
    source.destroy();
  }
  if (failure !== undefined) throw failure;
  return { digest: stopped ? '' : hash.digest('hex'), stopped };
}
