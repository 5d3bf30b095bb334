// Just enough of an ELF reader to find what a binary needs at run time: its program interpreter
// (PT_INTERP, the dynamic loader) and its DT_NEEDED libraries. This is what ldd reports, read from
// the file instead of by running the loader.
import { readFileSync } from 'node:fs';

export interface ElfInfo { interpreter?: string; needed: string[] }

const PT_INTERP = 3;
const PT_DYNAMIC = 2;
const PT_LOAD = 1;
const DT_NEEDED = 1;
const DT_STRTAB = 5;

export function readElf(path: string): ElfInfo | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return undefined;
  }
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 /* 64-bit */ || buf[5] !== 1 /* little-endian */) return undefined;
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = buf.readUInt32LE(ph);
    const offset = Number(buf.readBigUInt64LE(ph + 8));
    const vaddr = Number(buf.readBigUInt64LE(ph + 16));
    const filesz = Number(buf.readBigUInt64LE(ph + 32));
    if (type === PT_INTERP) interpreter = buf.toString('utf8', offset, offset + filesz).replace(/\0.*$/s, '');
    if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
  }
  const needed: string[] = [];
  if (dynamic) {
    const neededOffsets: number[] = [];
    let strtabAddr = 0;
    for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.size; p += 16) {
      const tag = Number(buf.readBigInt64LE(p));
      const val = Number(buf.readBigUInt64LE(p + 8));
      if (tag === 0) break;
      if (tag === DT_NEEDED) neededOffsets.push(val);
      if (tag === DT_STRTAB) strtabAddr = val;
    }
    // DT_STRTAB holds a virtual address: map it to a file offset through the PT_LOAD segments.
    const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
    if (seg) {
      const strtab = strtabAddr - seg.vaddr + seg.offset;
      for (const off of neededOffsets) {
        const start = strtab + off;
        needed.push(buf.toString('utf8', start, buf.indexOf(0, start)));
      }
    }
  }
  return { interpreter, needed };
}
