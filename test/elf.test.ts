// The ELF reader used to build a rootfs from host binaries, checked against ldd's answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readElf } from '../src/rootfs/elf.js';

test('a dynamic binary: interpreter and DT_NEEDED agree with ldd', () => {
  const elf = readElf('/bin/ls');
  assert.ok(elf, '/bin/ls is ELF');
  assert.match(elf!.interpreter ?? '', /ld-linux/);
  assert.ok(elf!.needed.includes('libc.so.6'));
  const ldd = execFileSync('ldd', ['/bin/ls'], { encoding: 'utf8' });
  for (const lib of elf!.needed) assert.ok(ldd.includes(lib), `ldd lists ${lib}`);
});

test('not an ELF file', () => {
  assert.is(readElf('/etc/hostname'), undefined);
  assert.is(readElf('/nonexistent'), undefined);
});

test.run();
