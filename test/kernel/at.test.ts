// openat2 with RESOLVE_IN_ROOT and the copy through descriptors (src/kernel/at.ts, copy-tree.ts),
// against the kernel: links planted in a "container's root" (a directory here) must never lead a
// lookup or a copy to the files beside it, which stand for the host's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync, constants as fsc, fstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, kernelSuite } from '../helpers.js';
import { openInRoot, openChild, openPath, closeFd, O_PATH } from '../../src/kernel/at.js';
import { copyTo, copyContents, copyUp } from '../../src/kernel/copy-tree.js';
import { KernelError } from '../../src/kernel/errors.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fsc;

/** A root with links planted to lead out of it, and a "host" directory beside it with a secret. */
function plantedRoot() {
  const t = tempDir('nestbox-at-');
  const root = join(t.path, 'root'), hostDir = join(t.path, 'host');
  mkdirSync(join(root, 'a/b'), { recursive: true });
  mkdirSync(hostDir);
  writeFileSync(join(hostDir, 'secret'), 'host secret\n');
  symlinkSync('/', join(root, 'evil')); // absolute: the host's / from anywhere but a resolution in the root
  symlinkSync('../../../../../../../../..' + hostDir, join(root, 'a/b/up')); // relative, climbing out
  symlinkSync(join(hostDir, 'secret'), join(root, 'link')); // a link to the host's file itself
  // What the same paths name inside the root.
  mkdirSync(join(root, hostDir), { recursive: true });
  writeFileSync(join(root, hostDir, 'secret'), 'inside\n');
  return { t, root, hostDir };
}

const read = (fd: number) => {
  const r = openPath(`/proc/self/fd/${fd}`, O_RDONLY);
  try { return readFileSync(r, 'utf8'); } finally { closeFd(r); }
};

test('openInRoot: absolute and climbing links, and ".." stay inside the root', () => {
  const { t, root, hostDir } = plantedRoot();
  const rootFd = openPath(root, O_PATH | O_DIRECTORY);
  try {
    for (const path of [`/evil${hostDir}/secret`, 'a/b/up/secret', `/../../..${hostDir}/secret`, '/link']) {
      const fd = openInRoot(rootFd, path, O_RDONLY);
      try { assert.is(read(fd), 'inside\n', path); } finally { closeFd(fd); }
    }
    const link = openInRoot(rootFd, '/link', O_PATH | O_NOFOLLOW);
    try { assert.ok(fstatSync(link).isSymbolicLink(), 'O_NOFOLLOW: the link itself'); } finally { closeFd(link); }
    assert.throws(() => openInRoot(rootFd, '/proc/self/root/etc/hostname', O_RDONLY), (e: KernelError) => e.code === 'ENOENT');
  } finally {
    closeFd(rootFd);
    t.remove();
  }
});

test('openChild: one name, never a link followed, never a path', () => {
  const { t, root } = plantedRoot();
  const dir = openPath(root, O_PATH | O_DIRECTORY);
  try {
    assert.throws(() => openChild(dir, 'link', O_RDONLY), (e: KernelError) => e.code === 'ELOOP');
    assert.throws(() => openChild(dir, 'evil', O_RDONLY | O_DIRECTORY), (e: KernelError) => ['ELOOP', 'ENOTDIR'].includes(e.code));
    assert.throws(() => openChild(dir, 'a/b', O_PATH), /is not a name/);
    assert.throws(() => openChild(dir, '..', O_PATH), /is not a name/);
  } finally {
    closeFd(dir);
    t.remove();
  }
});

test('copyTo: files, directories and links, modes and times kept; links copied as links, never followed', () => {
  const { t, root, hostDir } = plantedRoot();
  try {
    copyCheck(t.path, root, hostDir);
  } finally {
    t.remove();
  }
});

function copyCheck(tmp: string, root: string, hostDir: string): void {
  writeFileSync(join(root, 'a/b/file'), 'data\n');
  chmodSync(join(root, 'a/b/file'), 0o640);
  chmodSync(join(root, 'a/b'), 0o750);
  utimesSync(join(root, 'a/b/file'), 1000, 1_000_000_000);
  const dest = join(tmp, 'dest');
  mkdirSync(dest);
  // In the destination, a link where the copy will put a directory: it must be replaced, not followed.
  symlinkSync(hostDir, join(dest, 'a'));
  const src = openPath(root, O_PATH | O_DIRECTORY), out = openPath(dest, O_PATH | O_DIRECTORY);
  try {
    const report = copyContents(src, out);
    assert.is(report.bytes, 5 + 'inside\n'.length);
  } finally {
    closeFd(src);
    closeFd(out);
  }
  assert.is(readFileSync(join(dest, 'a/b/file'), 'utf8'), 'data\n');
  assert.is(statSync(join(dest, 'a/b/file')).mode & 0o7777, 0o640);
  assert.is(statSync(join(dest, 'a/b')).mode & 0o7777, 0o750);
  assert.is(statSync(join(dest, 'a/b/file')).mtimeMs, 1_000_000_000_000);
  assert.ok(lstatSync(join(dest, 'a')).isDirectory(), 'the link in the way was replaced by the directory');
  assert.is(readlinkSync(join(dest, 'link')), join(hostDir, 'secret'), 'a link is copied as a link');
  assert.is(readlinkSync(join(dest, 'evil')), '/');
  assert.equal(readdirSync(hostDir), ['secret'], 'nothing was written beside the root');
  assert.is(readFileSync(join(hostDir, 'secret'), 'utf8'), 'host secret\n');
  // A single file over an existing one; a directory is never replaced by a file.
  const one = openPath(join(root, 'a/b/file'), O_PATH);
  const dst = openPath(dest, O_PATH | O_DIRECTORY);
  try {
    copyTo(one, dst, 'link');
    assert.ok(lstatSync(join(dest, 'link')).isFile(), 'a file replaces a link in its place, not its target');
    assert.throws(() => copyTo(one, dst, 'a'), /cannot overwrite directory/);
  } finally {
    closeFd(one);
    closeFd(dst);
  }
  assert.is(readFileSync(join(hostDir, 'secret'), 'utf8'), 'host secret\n');
}

const root = kernelSuite('copy-up (owners need root)');

root('copyUp: the image\'s directory into an empty volume, owners and modes kept; nothing when the volume has files or the path leads out', () => {
  const { t, root: R, hostDir } = plantedRoot();
  mkdirSync(join(R, 'etc/app'), { recursive: true });
  writeFileSync(join(R, 'etc/app/conf'), 'x=1\n');
  chownSync(join(R, 'etc/app/conf'), 1234, 5678);
  chownSync(join(R, 'etc/app'), 42, 43);
  chmodSync(join(R, 'etc/app'), 0o710);
  symlinkSync('conf', join(R, 'etc/app/alias'));
  const vol = join(t.path, 'vol');
  mkdirSync(vol);
  try {
    copyUp(R, '/etc/app', vol);
    assert.is(readFileSync(join(vol, 'conf'), 'utf8'), 'x=1\n');
    assert.is(statSync(join(vol, 'conf')).uid, 1234);
    assert.is(statSync(join(vol, 'conf')).gid, 5678);
    assert.is(readlinkSync(join(vol, 'alias')), 'conf');
    assert.is(statSync(vol).uid, 42, 'the volume takes the directory\'s owner');
    assert.is(statSync(vol).mode & 0o7777, 0o710, 'and its mode');
    writeFileSync(join(R, 'etc/app/later'), '');
    copyUp(R, '/etc/app', vol);
    assert.not.ok(existsSync(join(vol, 'later')), 'a volume with files is left as it is');
    const other = join(t.path, 'other');
    mkdirSync(other);
    copyUp(R, `/evil${hostDir}`, other); // resolved inside the root: the root's copy, not the host's
    assert.is(readFileSync(join(other, 'secret'), 'utf8'), 'inside\n');
    const none = join(t.path, 'none');
    mkdirSync(none);
    copyUp(R, '/no/such/dir', none);
    assert.equal(readdirSync(none), []);
  } finally {
    t.remove();
  }
});

test.run();
root.run();
