// The error a learner sees when a libc call fails: call, arguments, errno name and one hint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelError, errnoName, hintFor } from '../src/kernel/errors.js';

test('errno numbers map to their names', () => {
  assert.is(errnoName(1), 'EPERM');
  assert.is(errnoName(22), 'EINVAL');
  assert.is(errnoName(2), 'ENOENT');
  assert.is(errnoName(99999), 'errno 99999');
});

test('unshare(CLONE_NEWUSER) EINVAL explains multithreading', () => {
  const e = new KernelError('unshare', 'CLONE_NEWUSER', 22);
  assert.match(e.message, /^unshare\(CLONE_NEWUSER\) failed: EINVAL \(Invalid argument\)\. /);
  assert.match(e.message, /multithreaded/);
  assert.is(e.code, 'EINVAL');
  assert.not.match(e.message, /\n/);
});

test('setns into a mount namespace EINVAL says unshare(CLONE_FS)', () => {
  assert.match(hintFor('setns', '/proc/1/ns/mnt, CLONE_NEWNS', 'EINVAL'), /unshare\(CLONE_FS\)/);
});

test('pivot_root EINVAL explains the mount requirements', () => {
  assert.match(hintFor('pivot_root', '"/x", "/x"', 'EINVAL'), /private/);
});

test('EPERM tells a non-root user to use sudo', () => {
  const hint = hintFor('mount', 'x', 'EPERM');
  if (process.getuid?.() === 0) assert.match(hint, /Root is not enough/);
  else assert.match(hint, /sudo/);
});

test.run();
