// Volumes as a Docker user meets them: `nestbox volume`, run -v NAME:/path (copy-up, kept after rm,
// refused while in use), anonymous volumes, -v of a missing host directory, --mount, --tmpfs and
// --shm-size, each checked from inside the container or on disk. A temporary NESTBOX_LIB_DIR keeps
// a learner's own volumes and containers out of reach.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-volumes-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[], input = '') => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env, timeout: patience(60_000) });
const volumes = () => nb(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean);
const data = (name: string) => join(lib.path, 'volumes', name, '_data');
const inspect = (name: string) => JSON.parse(nb(['inspect', name]).stdout)[0];
const containers = () => (existsSync(join(lib.path, 'containers')) ? readdirSync(join(lib.path, 'containers')) : []);

const test = kernelSuite('volumes');
const made: string[] = [];

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test.after(() => {
  for (const c of made) nb(['rm', '-f', c]);
  lib.remove();
});

test('volume create, ls, inspect, rm: Docker\'s output and errors', () => {
  assert.is(nb(['volume', 'create', 'data']).stdout, 'data\n');
  assert.is(nb(['volume', 'create', 'data']).status, 0, 'creating one that exists is not an error');
  const random = nb(['volume', 'create']).stdout.trim();
  assert.match(random, /^[0-9a-f]{64}$/, 'no name: 64 random hex digits');
  assert.is(nb(['volume', 'create', '--label', 'team=web', 'labelled']).status, 0);
  const bad = nb(['volume', 'create', 'x/y']);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
  assert.is(bad.stderr.trim().split('\n').length, 1);

  const ls = nb(['volume', 'ls']).stdout;
  assert.match(ls, /^DRIVER\s+VOLUME NAME$/m);
  assert.match(ls, /^local\s+data$/m);
  assert.equal(volumes(), [random, 'data', 'labelled'].sort());

  const info = nb(['volume', 'inspect', 'labelled', 'data']);
  assert.is(info.status, 0, info.stderr);
  const [l, d] = JSON.parse(info.stdout);
  assert.equal(Object.keys(d), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal({ ...d, CreatedAt: '' }, { CreatedAt: '', Driver: 'local', Labels: null, Mountpoint: data('data'), Name: 'data', Options: null, Scope: 'local' });
  assert.match(d.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(l.Labels, { team: 'web' });
  assert.ok(existsSync(data('data')), 'kept where Docker keeps it: volumes/NAME/_data');
  const missing = nb(['volume', 'inspect', 'data', 'nope']);
  assert.is(missing.status, 1);
  assert.is(JSON.parse(missing.stdout).length, 1, 'the ones found are still shown');
  assert.match(missing.stderr, /no such volume: nope/);

  const rm = nb(['volume', 'rm', 'nope', 'data', random]);
  assert.is(rm.status, 1, 'one failed: exit 1');
  assert.equal(rm.stdout.split('\n').filter(Boolean), ['data', random], 'the others were still removed');
  assert.match(rm.stderr, /no such volume: nope/);
  assert.is(nb(['volume', 'rm', '-f', 'nope']).status, 0, '-f: a missing volume is no error');
  assert.equal(volumes(), ['labelled']);
  assert.is(nb(['volume', 'rm', 'labelled']).status, 0);
});

test('run -v NAME:/path: made on first use with the image\'s files (copy-up), kept after rm, refused while in use', () => {
  made.push('v1');
  const r = nb(['run', '--name', 'v1', '--net', 'none', '-v', 'etcvol:/etc', 'default', '--', '/bin/sh', '-c', 'ls /etc; echo kept > /etc/mine; rm /etc/os-release']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^passwd$/m, 'the new volume started with the image\'s /etc');
  assert.is(readFileSync(join(data('etcvol'), 'passwd'), 'utf8'), readFileSync(join(lib.path, 'rootfs/default/etc/passwd'), 'utf8'));
  const id = inspect('v1').Id;
  const mounts = inspect('v1').Mounts;
  assert.equal(mounts, [{ Type: 'volume', Name: 'etcvol', Source: data('etcvol'), Destination: '/etc', Mode: '', RW: true, Driver: 'local', Propagation: '' }]);
  assert.equal(inspect('v1').HostConfig.Binds, ['etcvol:/etc']);

  const busy = nb(['volume', 'rm', 'etcvol']);
  assert.is(busy.status, 1);
  assert.match(busy.stderr, new RegExp(`remove etcvol: volume is in use - \\[${id}\\]`), 'a stopped container holds it too, as in Docker');
  assert.is(nb(['volume', 'prune', '-a', '-f']).stdout.includes('etcvol'), false, 'prune leaves a volume in use');

  assert.is(nb(['rm', 'v1']).status, 0);
  assert.ok(volumes().includes('etcvol'), 'rm never removes a named volume');
  const again = nb(['run', '--rm', '--net', 'none', '-v', 'etcvol:/etc:ro', 'default', '--', '/bin/sh', '-c', 'cat /etc/mine; test -e /etc/os-release && echo copied-again || echo not-copied-again; touch /etc/x 2>/dev/null || echo ro']);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /^kept$/m, 'the data outlived its container');
  assert.match(again.stdout, /^not-copied-again$/m, 'copy-up is for an empty volume only');
  assert.match(again.stdout, /^ro$/m);
  assert.is(nb(['volume', 'rm', 'etcvol']).status, 0, 'unused now');

  const nocopy = nb(['run', '--rm', '--net', 'none', '-v', 'empty:/etc:nocopy', 'default', '--', '/bin/ls', '/etc']);
  assert.is(nocopy.status, 0, nocopy.stderr);
  assert.not.match(nocopy.stdout, /passwd/, 'nocopy: no copy-up');
  assert.is(nb(['volume', 'rm', 'empty']).status, 0);
});

test('anonymous volumes: rm keeps them, rm -v and --rm remove them, named ones always stay; prune takes anonymous ones unless -a', () => {
  made.push('a1', 'a2');
  const r = nb(['run', '--name', 'a1', '--net', 'none', '-v', '/cache', '-v', 'keep:/keep', 'default', '--', '/bin/sh', '-c', 'echo x > /cache/f']);
  assert.is(r.status, 0, r.stderr);
  const anon = inspect('a1').Mounts.find((m: { Destination: string }) => m.Destination === '/cache');
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.is(anon.Type, 'volume');
  assert.equal(inspect('a1').HostConfig.Binds, ['keep:/keep'], 'an anonymous volume is not a bind');
  assert.is(readFileSync(join(data(anon.Name), 'f'), 'utf8'), 'x\n');
  assert.is(nb(['rm', 'a1']).status, 0);
  assert.ok(volumes().includes(anon.Name), 'rm without -v keeps it');
  const prune = nb(['volume', 'prune', '-f']);
  assert.is(prune.status, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(`^Deleted Volumes:\\n${anon.Name}\\n\\nTotal reclaimed space: 2B$`, 'm'));
  assert.equal(volumes(), ['keep'], 'prune without -a: anonymous volumes only');

  assert.is(nb(['run', '--name', 'a2', '--net', 'none', '--mount', 'type=volume,target=/c', '-v', 'keep:/keep', 'default', '--', 'true']).status, 0);
  assert.is(volumes().length, 2);
  assert.is(nb(['rm', '-v', 'a2']).status, 0);
  assert.equal(volumes(), ['keep'], 'rm -v removed the anonymous one, not the named one');

  const before = volumes();
  assert.is(nb(['run', '--rm', '--net', 'none', '-v', '/c', '-v', 'keep:/keep', 'default', '--', 'true']).status, 0);
  assert.equal(volumes(), before, 'a --rm container loses its anonymous volumes');
  const failed = nb(['run', '--rm', '--net', 'none', '-v', '/c', 'default', '--', 'no-such-command']);
  assert.is(failed.status, 127);
  assert.equal(volumes(), before, 'and so does one that failed to start');
  const d = nb(['run', '-d', '--rm', '--net', 'none', '-v', '/c', 'default', '--', 'true']);
  assert.is(d.status, 0, d.stderr);
  for (let i = 0; i < 100 && volumes().length !== before.length; i++) spawnSync('sleep', ['0.1']);
  assert.equal(volumes(), before, 'a detached --rm container too, when it ends');

  assert.match(nb(['volume', 'prune', '-a', '-f']).stdout, /^Deleted Volumes:\nkeep\n/m, '-a: named ones too');
  assert.equal(volumes(), []);
  assert.match(nb(['volume', 'prune'], 'n\n').stdout, /Are you sure you want to continue\? \[y\/N\]/);
});

test('-v /host/missing:/path makes the directory (Docker does); --mount type=bind refuses a missing source and makes nothing', () => {
  const host = tempDir('nestbox-volumes-host-');
  try {
    const missing = join(host.path, 'made/here');
    const r = nb(['run', '--rm', '--net', 'none', '-v', `${missing}:/m`, 'default', '--', '/bin/sh', '-c', 'echo y > /m/f']);
    assert.is(r.status, 0, r.stderr);
    assert.is(readFileSync(join(missing, 'f'), 'utf8'), 'y\n');

    const absent = join(host.path, 'absent');
    const refused = nb(['run', '--rm', '--net', 'none', '--mount', `type=bind,source=${absent},target=/m`, 'default', '--', 'true']);
    assert.is(refused.status, 125);
    assert.is(refused.stderr.trim(), `nestbox: --mount "type=bind,source=${absent},target=/m": invalid mount config for type "bind": bind source path does not exist: ${absent}`);
    assert.not.ok(existsSync(absent));
    assert.equal(containers(), [], 'no container was made');

    writeFileSync(join(host.path, 'hostfile'), 'h\n');
    const ro = nb(['run', '--rm', '--net', 'none', '--mount', `type=bind,source=${host.path},target=/b,readonly`, '--mount', 'type=volume,source=mvol,target=/v',
      'default', '--', '/bin/sh', '-c', 'cat /b/hostfile; touch /b/new 2>/dev/null || echo refused; echo v > /v/f']);
    assert.is(ro.status, 0, ro.stderr);
    assert.match(ro.stdout, /^h\nrefused$/m);
    assert.is(readFileSync(join(data('mvol'), 'f'), 'utf8'), 'v\n', '--mount type=volume made the volume');
    assert.is(nb(['volume', 'rm', 'mvol']).status, 0);

    for (const [flags, message] of [
      [['-v', 'a:/x'], /"a" includes invalid characters/],
      [['-v', 'data:/d', '--tmpfs', '/d'], /Duplicate mount point: \/d/],
      [['--shm-size', '0'], /--shm-size: invalid size/],
    ] as const) {
      const e = nb(['run', '--rm', '--net', 'none', ...flags, 'default', '--', 'true']);
      assert.is(e.status, 125, e.stderr);
      assert.match(e.stderr, message);
    }
    assert.equal(volumes(), [], 'a refused run makes no volume');
  } finally {
    host.remove();
  }
});

test('--tmpfs, --mount type=tmpfs and --shm-size, as the container\'s mount table shows them', () => {
  const r = nb(['run', '--rm', '--net', 'none', '--read-only', '--tmpfs', '/run', '--tmpfs', '/x:size=1m,mode=1770,exec', '--mount', 'type=tmpfs,target=/t,tmpfs-size=2m,readonly',
    '--shm-size', '3m', 'default', '--', '/bin/sh', '-c', 'cat /proc/self/mountinfo; echo ok > /run/f && echo run-writable; touch /f 2>/dev/null || echo root-ro']);
  assert.is(r.status, 0, r.stderr);
  // mountinfo: field 6 holds the mount's own flags, the last the filesystem's options.
  const mount = (path: string) => {
    const l = r.stdout.split('\n').find((x) => x.split(' ')[4] === path) ?? '';
    const [, fs = ''] = l.split(' - ');
    return { flags: (l.split(' ')[5] ?? '').split(','), type: fs.split(' ')[0], data: (fs.split(' ')[2] ?? '').split(',') };
  };
  const run = mount('/run'), x = mount('/x'), t = mount('/t'), shm = mount('/dev/shm');
  assert.is(run.type, 'tmpfs');
  for (const f of ['rw', 'nosuid', 'nodev', 'noexec']) assert.ok(run.flags.includes(f), `--tmpfs /run: Docker's default ${f}: ${run.flags}`);
  assert.not.ok(run.data.some((o) => o.startsWith('size=')), 'no size asked for: none given');
  assert.ok(x.flags.includes('rw') && x.flags.includes('nosuid') && !x.flags.includes('noexec'), `exec lifts noexec: ${x.flags}`);
  assert.ok(x.data.includes('size=1024k') && x.data.includes('mode=1770'), `size and mode: ${x.data}`);
  assert.ok(t.flags.includes('ro') && t.flags.includes('noexec') && t.data.includes('size=2048k'), `--mount type=tmpfs: ${t.flags} ${t.data}`);
  assert.ok(shm.data.includes('size=3072k'), `--shm-size: ${shm.data}`);
  assert.match(r.stdout, /^run-writable$/m, '--read-only with a tmpfs for what must be written, as with Docker');
  assert.match(r.stdout, /^root-ro$/m);
  const plain = nb(['run', '--rm', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'grep " /dev/shm " /proc/self/mountinfo']);
  assert.match(plain.stdout, /size=65536k/, 'Docker\'s 64m by default');
});

test('a config saved before mounts had a type still loads: inspect, cp and rm work on it', () => {
  made.push('old');
  const host = tempDir('nestbox-volumes-old-');
  try {
    assert.is(nb(['run', '--name', 'old', '--net', 'none', '-v', `${host.path}:/data`, 'default', '--', '/bin/sh', '-c', 'echo o > /data/f']).status, 0);
    const id = inspect('old').Id;
    const file = join(lib.path, 'containers', id, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.volumes = [{ source: host.path, target: '/data', readOnly: false }];
    delete config.shmSize;
    writeFileSync(file, JSON.stringify(config));
    const info = inspect('old');
    assert.equal(info.Mounts, [{ Type: 'bind', Source: host.path, Destination: '/data', Mode: '', RW: true, Propagation: 'rprivate' }]);
    assert.equal(info.HostConfig.Binds, [`${host.path}:/data`]);
    assert.is(info.HostConfig.ShmSize, 64 * 1024 * 1024);
    const out = join(host.path, 'copied');
    const cp = nb(['cp', 'old:/data/f', out]);
    assert.is(cp.status, 0, cp.stderr);
    assert.is(readFileSync(out, 'utf8'), 'o\n');
    assert.is(nb(['volume', 'ls']).status, 0);
    assert.is(nb(['rm', 'old']).status, 0);
  } finally {
    host.remove();
  }
});

test.run();
