// Device rules for a cgroup v2 group: nestbox's own eBPF program (src/kernel/bpf.ts), loaded and
// attached for real, then judged by what the kernel lets a process in that cgroup open. It runs
// wherever a v2 tree is mounted: the whole tree on a v2 host, /sys/fs/cgroup/unified on a hybrid one.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite } from '../helpers.js';
import { attachDeviceProgram, assembleDeviceProgram, parseDeviceRule, formatDeviceRule } from '../../src/kernel/bpf.js';
import { detectCgroupLayout } from '../../src/kernel/cgroup-layout.js';

const test = kernelSuite('BPF device rules');

test('rules read as v1 writes them, and any other text is refused', () => {
  assert.equal(parseDeviceRule('c 1:3 rwm'), { type: 'c', major: 1, minor: 3, access: 'rwm' });
  assert.equal(parseDeviceRule('b *:* m'), { type: 'b', major: undefined, minor: undefined, access: 'm' });
  assert.is(formatDeviceRule(parseDeviceRule('c 136:* rw')), 'c 136:* rw');
  assert.throws(() => parseDeviceRule('c 1:3'), /not a device rule/);
  assert.throws(() => parseDeviceRule('x 1:3 r'), /not a device rule/);
  // 6 loads, then per rule its tests (here type, major, minor), r0 = 1 and exit, then the final
  // "deny": 8 bytes each.
  assert.is(assembleDeviceProgram(['c 1:3 rwm'].map(parseDeviceRule)).length, (6 + 3 + 2 + 2) * 8);
  // A rule that matches everything ends the program: what would follow it could never run.
  assert.is(assembleDeviceProgram(['a *:* rwm', 'c 1:3 r'].map(parseDeviceRule)).length, (6 + 2) * 8);
});

/** The instructions no path from the first reaches (the verifier refuses a program with any). */
function unreachable(program: Buffer): number[] {
  const n = program.length / 8;
  const seen = new Set<number>();
  const todo = [0];
  while (todo.length) {
    const i = todo.pop()!;
    if (i >= n || seen.has(i)) continue;
    seen.add(i);
    const code = program.readUInt8(i * 8);
    if (code === 0x95) continue; // exit
    if ((code & 0x07) === 0x05) todo.push(i + 1 + program.readInt16LE(i * 8 + 2)); // a jump
    todo.push(i + 1);
  }
  return [...Array(n).keys()].filter((i) => !seen.has(i));
}

test('every instruction of a program can be reached, whatever the rules', () => {
  for (const rules of [['a *:* rwm'], ['a *:* rwm', 'c 1:3 r'], ['c 1:5 rwm', 'c 1:3 r'], ['c 1:3 rwm', 'a *:* rwm', 'b 8:0 r'], ['c *:* m', 'b *:* m']]) {
    assert.equal(unreachable(assembleDeviceProgram(rules.map(parseDeviceRule))), [], rules.join(', '));
  }
});

test('a process in the cgroup opens what the program allows, and nothing else', () => {
  const v2 = detectCgroupLayout().v2Root;
  if (!v2) return void console.log('  (skipped: no cgroup v2 tree is mounted)');
  const parent = join(v2, 'nestbox');
  const madeParent = !existsSync(parent);
  const dir = join(parent, `bpf-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    // /dev/zero read and write, /dev/null read only, nothing else.
    const n = attachDeviceProgram(dir, ['c 1:5 rwm', 'c 1:3 r'].map(parseDeviceRule));
    assert.ok(n > 8, `${n} instructions`);
    const script = [
      `echo $$ > ${dir}/cgroup.procs`,
      'head -c1 /dev/zero >/dev/zero && echo zero=ok || echo zero=refused',
      'head -c1 /dev/null; echo read-null=$?',
      '(echo x > /dev/null) 2>/dev/null && echo write-null=ok || echo write-null=refused',
      '(head -c1 /dev/urandom) >/dev/zero 2>&1 && echo urandom=ok || echo urandom=refused',
    ].join('; ');
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    assert.match(r.stdout, /^zero=ok$/m);
    assert.match(r.stdout, /^read-null=0$/m, '/dev/null opens for reading');
    assert.match(r.stdout, /^write-null=refused$/m, 'not for writing: the rule says r');
    assert.match(r.stdout, /^urandom=refused$/m, 'a device in no rule');
    // Outside the cgroup the same opens work: the program binds only its group.
    assert.is(spawnSync('/bin/sh', ['-c', 'echo x > /dev/null && head -c1 /dev/urandom >/dev/null']).status, 0);
  } finally {
    rmdirSync(dir);
    if (madeParent) try { rmdirSync(parent); } catch { /* in use */ }
  }
});

test('a rule list that allows everything (run --privileged) loads, and its group opens any device', () => {
  const v2 = detectCgroupLayout().v2Root;
  if (!v2) return void console.log('  (skipped: no cgroup v2 tree is mounted)');
  const parent = join(v2, 'nestbox');
  const madeParent = !existsSync(parent);
  const dir = join(parent, `bpf-test-${process.pid}-all`);
  mkdirSync(dir, { recursive: true });
  try {
    assert.is(attachDeviceProgram(dir, ['a *:* rwm'].map(parseDeviceRule)), 8);
    const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs; head -c1 /dev/urandom >/dev/null && echo urandom=ok`], { encoding: 'utf8' });
    assert.match(r.stdout, /^urandom=ok$/m, r.stderr);
  } finally {
    rmdirSync(dir);
    if (madeParent) try { rmdirSync(parent); } catch { /* in use */ }
  }
});

test.run();
