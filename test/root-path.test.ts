// Paths inside a container's root resolved from the host: links are followed inside the root,
// never out of it (what keeps an image's /etc/hosts -> /etc/shadow from reaching the host's file).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInRoot } from '../src/kernel/root-path.js';
import { tempDir } from './helpers.js';

test('links are followed inside the root; what is missing is created there', () => {
  const t = tempDir();
  const outside = tempDir();
  try {
    const R = t.path;
    mkdirSync(join(R, 'etc'));
    mkdirSync(join(R, 'run'));
    mkdirSync(join(R, 'var'));
    symlinkSync(join(outside.path, 'victim'), join(R, 'etc/hosts')); // absolute: the host's path
    symlinkSync('../run', join(R, 'var/run'));
    symlinkSync('/../../../..', join(R, 'up'));
    symlinkSync('loop', join(R, 'loop'));

    assert.is(resolveInRoot(R, '/etc/hosts', 'file'), join(R, outside.path, 'victim'), 'an absolute link starts again at the root');
    assert.not.ok(existsSync(join(outside.path, 'victim')), 'nothing was made on the host');
    assert.ok(lstatSync(join(R, outside.path, 'victim')).isFile(), 'the file was made inside the root');

    assert.is(resolveInRoot(R, '/var/run/app', 'dir'), join(R, 'run/app'), 'a relative link');
    assert.ok(lstatSync(join(R, 'run/app')).isDirectory());
    assert.is(resolveInRoot(R, '/up/etc', 'dir'), join(R, 'etc'), '".." stops at the root');
    assert.is(resolveInRoot(R, '../../etc/./x', 'dir'), join(R, 'etc/x'));
    assert.throws(() => resolveInRoot(R, '/loop/x', 'dir'), /too many symbolic links/);
    writeFileSync(join(R, 'file'), '');
    assert.throws(() => resolveInRoot(R, '/file/x', 'dir'), /\/file is not a directory/);
  } finally {
    t.remove();
    outside.remove();
  }
});

test.run();
