// The seccomp profile and the assembler, without the kernel (the kernel test in
// kernel/wrappers.test.ts runs the filter for real).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleFilter, syscallNumber } from '../src/kernel/seccomp.js';
import { seccompPolicy, PROFILE_CALLS } from '../src/runtime/seccomp-profile.js';
import { DOCKER_DEFAULT_CAPS, CAPABILITIES } from '../src/kernel/constants.js';

test('every call the profile names is in a syscall table (a misspelling would be skipped silently)', () => {
  const unknown = PROFILE_CALLS.filter((c) => syscallNumber(c, 'x64') === undefined && syscallNumber(c, 'arm64') === undefined);
  assert.equal(unknown, []);
});

test('capabilities open their calls: SYS_ADMIN lets unshare and mount through, BPF lets bpf through', () => {
  const base = seccompPolicy(DOCKER_DEFAULT_CAPS);
  for (const c of ['unshare', 'setns', 'mount', 'bpf', 'keyctl', 'kexec_load']) assert.ok(base.refuse.includes(c), c);
  assert.not.ok(base.refuse.includes('clock_adjtime'), 'reading the clock is allowed');
  const admin = seccompPolicy([...DOCKER_DEFAULT_CAPS, 'SYS_ADMIN']);
  assert.not.ok(admin.refuse.includes('unshare'));
  assert.not.ok(admin.argumentRules!.some((r) => r.call === 'clone'), 'clone may make namespaces');
  assert.ok(admin.refuse.includes('keyctl'), 'keyrings stay refused');
  assert.not.ok(seccompPolicy([...DOCKER_DEFAULT_CAPS, 'BPF']).refuse.includes('bpf'));
});

test('the program assembles for both ABIs, every capability set, with jumps in range', () => {
  for (const arch of ['x64', 'arm64']) {
    for (const caps of [[], DOCKER_DEFAULT_CAPS, CAPABILITIES]) {
      const prog = assembleFilter(seccompPolicy(caps), arch);
      assert.is(prog.length % 8, 0);
      // First: load the ABI (BPF_LD|BPF_W|BPF_ABS, offset 4); last: return kill for another ABI.
      assert.is(prog.readUInt16LE(0), 0x20);
      assert.is(prog.readUInt32LE(4), 4);
      assert.is(prog.readUInt32LE(prog.length - 4), 0x80000000);
    }
  }
});

test.run();
