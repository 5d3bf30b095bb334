// -u user[:group] as Docker reads it, resolved against a container's /etc/passwd and /etc/group
// (fixtures here; test/runtime/run.test.ts checks the ids a real container process gets), and a
// file read through image layers the way the overlay will show it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveUser, parsePasswd, parseGroup, UserFiles } from '../src/runtime/users.js';
import { readThroughLayers } from '../src/runtime/images.js';
import { UserError } from '../src/errors.js';
import { isRoot, tempDir } from './helpers.js';
import { mknod } from '../src/kernel/syscalls.js';
import { setXattr } from '../src/kernel/xattr.js';

const S_IFCHR = 0o020000;

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'ann:x:1000:1000:Ann:/home/ann:/bin/sh',
  'broken line',
].join('\n');
const group = ['root:x:0:', 'nogroup:x:65534:', 'ann:x:1000:', 'staff:x:50:ann,bob', 'audio:x:29:bob, ann', 'wheel:x:10:'].join('\n');
const files = { passwd, group };

function refuses(text: string, pattern: RegExp, f: UserFiles = files) {
  try {
    resolveUser(text, f);
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, pattern);
    assert.is((err as UserError).exitCode, 125);
    return;
  }
  assert.unreachable(`accepted -u ${text}`);
}

test('parsers skip lines that do not parse', () => {
  assert.equal(parsePasswd(passwd).map((u) => u.name), ['root', 'nobody', 'ann']);
  assert.equal(parseGroup(group).find((g) => g.name === 'audio')!.members, ['bob', 'ann']);
});

test('a name takes its uid, primary group, supplementary groups and home from the files', () => {
  assert.equal(resolveUser('ann', files), { uid: 1000, gid: 1000, groups: [50, 29], home: '/home/ann' });
  assert.equal(resolveUser('1000', files), { uid: 1000, gid: 1000, groups: [50, 29], home: '/home/ann' }, 'a uid with an entry is that entry');
  assert.equal(resolveUser('nobody', files), { uid: 65534, gid: 65534, groups: [], home: '/nonexistent' });
});

test('an explicit group replaces the primary group and brings no supplementary ones', () => {
  assert.equal(resolveUser('ann:wheel', files), { uid: 1000, gid: 10, groups: [], home: '/home/ann' });
  assert.equal(resolveUser('ann:7', files), { uid: 1000, gid: 7, groups: [], home: '/home/ann' });
});

test('a uid with no entry runs as that uid, group 0, HOME=/ (as Docker)', () => {
  assert.equal(resolveUser('4242', files), { uid: 4242, gid: 0, groups: [], home: '/' });
  assert.equal(resolveUser('4242:4242', {}), { uid: 4242, gid: 4242, groups: [], home: '/' });
});

test('unknown names and bad syntax are refused with one line', () => {
  refuses('ghost', /no user "ghost" in the container's \/etc\/passwd: give a uid/);
  refuses('ann', /\(it has none\)/, {});
  refuses('ann:ghosts', /no group "ghosts"/);
  refuses('a:b:c', /user\[:group\]/);
  refuses('', /user\[:group\]/);
  refuses('ann:', /user\[:group\]/);
  refuses('../x', /user\[:group\]/);
  refuses('4294967295', /ids go up to 4294967294/);
});

test('a file read through layers: the top one wins, a whiteout or an opaque directory hides the rest', () => {
  if (!isRoot) return void console.log('  (skipped: whiteouts and trusted.* attributes need root)');
  const t = tempDir();
  try {
    const [top, mid, bottom] = ['top', 'mid', 'bottom'].map((n) => join(t.path, n));
    for (const l of [top, mid, bottom]) mkdirSync(join(l, 'etc'), { recursive: true });
    writeFileSync(join(bottom, 'etc/passwd'), 'bottom');
    assert.is(readThroughLayers([top, mid, bottom], 'etc/passwd'), 'bottom');
    writeFileSync(join(mid, 'etc/passwd'), 'mid');
    assert.is(readThroughLayers([top, mid, bottom], 'etc/passwd'), 'mid');
    mknod(join(top, 'etc/passwd'), S_IFCHR, 0, 0);
    assert.is(readThroughLayers([top, mid, bottom], 'etc/passwd'), undefined, 'whiteout');
    assert.is(readThroughLayers([top, mid, bottom], 'etc/group'), undefined, 'in no layer');
    writeFileSync(join(bottom, 'etc/group'), 'bottom');
    setXattr(join(mid, 'etc'), 'trusted.overlay.opaque', 'y');
    assert.is(readThroughLayers([top, mid, bottom], 'etc/group'), undefined, 'an opaque /etc in the middle hides the bottom one');
    assert.is(readThroughLayers([bottom], 'etc/group'), 'bottom');
  } finally {
    t.remove();
  }
});

test.run();
