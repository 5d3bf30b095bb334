// Bad input that used to get through to the kernel (or hang, or exit with the wrong code): each is
// now one line that says what is wrong, the exit code Docker gives, and nothing left behind.
import * as assert from 'uvu/assert';
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { kernelSuite, tempDir, patience } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-defects-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
// `--`: Node 20 takes an `--env-file` anywhere in its arguments as its own unless they follow `--`.
const nb = (args: string[], timeout = 30_000) => spawnSync(process.execPath, ['--', bin, ...args], { encoding: 'utf8', env, timeout: patience(timeout) });

const test = kernelSuite('bad input, refused before anything is made');

const containerDirs = () => (existsSync(join(lib.path, 'containers')) ? readdirSync(join(lib.path, 'containers')) : []);

/** One line on stderr, matching `message`, exit `code`, no stack trace, and no container left. */
function refused(args: string[], message: RegExp, code: number, timeout?: number): void {
  const r = nb(args, timeout);
  assert.is(r.status, code, `${args.join(' ')}: exit ${r.status}, ${r.error ?? r.stderr}`);
  assert.match(r.stderr, message);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(r.stderr, /\n\s+at |EINVAL|EISDIR/);
  assert.equal(containerDirs(), [], `${args.join(' ')} left a container`);
}

test.before(() => {
  const r = nb(['rootfs', 'create'], 120_000);
  assert.is(r.status, 0, r.stderr);
});

test('--memory and --pids-limit beyond what the kernel takes: the allowed range, exit 125', () => {
  refused(['run', '--rm', '--net', 'none', '--memory', '99999999999999999999g', 'default', '--', 'true'], /--memory 99999999999999999999g is too large: give from 6m to 8388608g/, 125);
  refused(['run', '--rm', '--net', 'none', '--pids-limit', '99999999999', 'default', '--', 'true'], /--pids-limit 99999999999 .* give from 1 to 4194304/, 125);
  // The largest values accepted still work.
  const r = nb(['run', '--rm', '--net', 'none', '--pids-limit', '4194304', '--memory', '8388608g', 'default', '--', 'true']);
  assert.is(r.status, 0, r.stderr);
});

test('--env-file naming a directory: one line, exit 125', () => {
  refused(['run', '--rm', '--net', 'none', '--env-file', lib.path, 'default', '--', 'true'], /--env-file .*: is a directory/, 125);
  refused(['run', '--rm', '--net', 'none', '--env-file', join(lib.path, 'nope'), 'default', '--', 'true'], /--env-file .*: no such file/, 125);
});

test('--net container:NAME of no container: exit 125', () => {
  refused(['run', '--rm', '--net', 'container:nonexist', 'default', '--', 'true'], /--net container:nonexist: no such container/, 125);
});

test('-p on an address the host does not have: refused before anything is made; the host\'s own addresses work', () => {
  refused(['run', '--rm', '-p', '10.99.99.99:8080:80', 'default', '--', 'true'], /-p "10.99.99.99:8080:80": this host has no address 10.99.99.99/, 125);
  const own = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
  for (const ip of ['127.0.0.1', ...(own ? [own.address] : [])]) {
    const r = nb(['run', '--rm', '-p', `${ip}::80`, 'default', '--', 'true']);
    assert.is(r.status, 0, `${ip}: ${r.stderr}`);
  }
  assert.equal(containerDirs(), []);
});

test('image import of a device or a pipe: refused at once, not read for ever', () => {
  refused(['image', 'import', '/dev/zero'], /\/dev\/zero is a character device, not an image archive/, 1, 10_000);
  const fifo = join(lib.path, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refused(['image', 'import', fifo], /is a pipe \(FIFO\), not an image archive/, 1, 10_000);
  assert.not.ok(existsSync(join(lib.path, 'images')) && readdirSync(join(lib.path, 'images')).length, 'no image was made');
});

test('usage errors of Docker\'s commands exit 125 (one line); the course\'s own commands keep 2', () => {
  for (const args of [['ps', '--bogus'], ['stop'], ['rm', '--bogus', 'x'], ['kill'], ['inspect'], ['pause'], ['unpause'], ['logs'], ['exec'], ['stop', '-t', 'soon', 'x'], ['image', 'import']]) {
    refused(args, /see `nestbox .* --help`|--help/, 125);
  }
  const r = nb(['doctor', '--bogus']);
  assert.is(r.status, 2, r.stderr);
});

test.after(() => {
  for (const id of containerDirs()) nb(['rm', '-f', id]);
  lib.remove();
});

test.run();
