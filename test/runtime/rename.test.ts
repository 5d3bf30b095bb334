// nestbox rename: the name's link moves atomically, the config follows, a running container keeps
// running (and its hostname); a taken name is refused in Docker's words; and a --rm container
// renamed while running does not take its old name away from whoever claims it next.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-rename-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input: '', env, timeout: patience(60_000) });
const names = join(lib.path, 'names');

const test = kernelSuite('nestbox rename');
const made = ['r1', 'r2', 'r3', 'r4', 't1', 't2'];

test.before(() => assert.is(nb(['rootfs', 'create']).status, 0));
test.after(() => {
  for (const c of made) nb(['rm', '-f', c]);
  lib.remove();
});

test('a running container: renamed at once, still running, its hostname as it was; taken and invalid names refused', () => {
  const d = nb(['run', '-d', '--name', 'r1', '--net', 'none', 'default', '--', 'sleep', '300']);
  assert.is(d.status, 0, d.stderr);
  const id = d.stdout.trim();
  const r = nb(['rename', 'r1', 'r2']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, '', 'silent, as docker rename');
  assert.is(readlinkSync(join(names, 'r2')), id);
  assert.not.ok(existsSync(join(names, 'r1')), 'the old name is free');
  assert.is(JSON.parse(readFileSync(join(lib.path, 'containers', id, 'config.json'), 'utf8')).name, 'r2');
  const info = JSON.parse(nb(['inspect', 'r2']).stdout)[0];
  assert.is(info.Name, '/r2', 'Docker writes names with a slash');
  assert.is(info.State.Status, 'running');
  assert.match(nb(['ps']).stdout, /\br2\b/);
  assert.is(nb(['exec', 'r2', 'hostname']).stdout.trim(), id, 'the hostname stays');
  assert.match(nb(['inspect', 'r1']).stderr, /no such container: r1/);

  assert.is(nb(['run', '-d', '--name', 'r3', '--net', 'none', 'default', '--', 'sleep', '300']).status, 0);
  const r3 = JSON.parse(nb(['inspect', 'r3']).stdout)[0].Id;
  const taken = nb(['rename', 'r2', 'r3']);
  assert.is(taken.status, 1);
  assert.is(taken.stderr.trim(), `nestbox: Conflict. The container name "/r3" is already in use by container "${r3}". You have to remove (or rename) that container to be able to reuse that name.`);
  assert.is(readlinkSync(join(names, 'r2')), id, 'nothing changed');
  const same = nb(['rename', 'r2', 'r2']);
  assert.is(same.status, 1);
  assert.match(same.stderr, /same name as its current name/);
  const bad = nb(['rename', 'r2', 'bad/name']);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /invalid container name "bad\/name"/);
  assert.is(nb(['rename', id.slice(0, 6), 'r4']).status, 0, 'by id too');
  assert.is(nb(['rm', '-f', 'r4', 'r3']).status, 0);
});

test('a --rm container renamed while running: when it ends, the old name stays with its new owner', () => {
  assert.is(nb(['run', '-d', '--rm', '--name', 't1', '--net', 'none', 'default', '--', 'sleep', '300']).status, 0);
  assert.is(nb(['rename', 't1', 't2']).status, 0);
  const other = nb(['run', '-d', '--name', 't1', '--net', 'none', 'default', '--', 'sleep', '300']);
  assert.is(other.status, 0, other.stderr);
  assert.is(nb(['rm', '-f', 't2']).status, 0); // its end undoes its ledger, which recorded the name t1
  assert.is(readlinkSync(join(names, 't1')), other.stdout.trim(), 't1 still names the new container');
  assert.is(JSON.parse(nb(['inspect', 't1']).stdout)[0].State.Status, 'running');
  assert.not.ok(existsSync(join(names, 't2')));
});

test.run();
