// -v, --mount, --tmpfs and --shm-size as `run` reads them (src/runtime/mount-spec.ts), the OCI
// mounts they become (run-config.ts) and the steps those become (container-fs.ts), inspect's view
// of them, and how `cp` splits its arguments: all on plain data, without root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import {
  parseVolumeFlag, parseMountFlag, parseTmpfsFlag, parseBytes, mergeTmpfsOptions, normalizeMounts, dockerMounts, mountsHostConfig, VOLUME_NAME, volumeData, MountSpec,
} from '../src/runtime/mount-spec.js';
import { runConfig, tmpfsOptions } from '../src/runtime/run-config.js';
import { mountSteps } from '../src/runtime/container-fs.js';
import { parseMountOptions, COPY_UP } from '../src/oci/mount-options.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import type { CgroupLayout } from '../src/kernel/cgroup-layout.js';
import { buildSpec } from '../src/runtime/spec.js';
import { parseRunArgs } from '../src/cli/run-options.js';
import { splitCpArg } from '../src/runtime/cp.js';
import { humanSize } from '../src/runtime/volumes.js';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from '../src/kernel/constants.js';

const lib = tempDir('nestbox-mount-args-');
process.env.NESTBOX_LIB_DIR = lib.path;
const host = join(lib.path, 'host');
mkdirSync(host);

function refused(fn: () => unknown, message: RegExp): void {
  try {
    fn();
    assert.unreachable(`accepted: ${message}`);
  } catch (err) {
    assert.match((err as Error).message, message);
    assert.is((err as { exitCode?: number }).exitCode, 125, 'a usage error of run: 125, as Docker');
  }
}

test('-v: a host path, a named volume, an anonymous volume', () => {
  assert.equal(parseVolumeFlag(`${host}:/data:ro`), { type: 'bind', source: host, target: '/data', readOnly: true, via: '-v' });
  assert.equal(parseVolumeFlag('/nonexistent/yet:/x'), { type: 'bind', source: '/nonexistent/yet', target: '/x', readOnly: false, via: '-v' }, 'a missing host path is made at start, not refused');
  assert.equal(parseVolumeFlag('data:/var/lib/db/'), { type: 'volume', source: 'data', target: '/var/lib/db', readOnly: false, noCopy: false, via: '-v' });
  assert.ok(parseVolumeFlag('data:/d:ro,nocopy').noCopy);
  const anon = parseVolumeFlag('/cache');
  assert.is(anon.type, 'volume');
  assert.ok(anon.anonymous);
  assert.match(anon.source, /^[0-9a-f]{64}$/, 'a random name of 64 hex digits, as Docker');
  assert.is.not(parseVolumeFlag('/cache').source, anon.source);
});

test('-v mistakes: one line each, exit 125', () => {
  refused(() => parseVolumeFlag('/data:ro'), /invalid volume specification/);
  refused(() => parseVolumeFlag('a:b:c:d'), /invalid volume specification/);
  refused(() => parseVolumeFlag('data:rel/dir'), /mount path must be absolute/);
  refused(() => parseVolumeFlag('data:/'), /destination can't be '\/'/);
  refused(() => parseVolumeFlag('./dir:/x'), /includes invalid characters for a local volume name.*use absolute path/);
  refused(() => parseVolumeFlag('x:/y'), /invalid characters/);
  refused(() => parseVolumeFlag('data:/x:rw,ro'), /ro and rw together/);
  refused(() => parseVolumeFlag('data:/x:shared'), /unknown option "shared"/);
  refused(() => parseVolumeFlag(`${host}:/x:nocopy`), /nocopy is for volumes/);
  assert.ok(VOLUME_NAME.test('a.b_c-1') && !VOLUME_NAME.test('a') && !VOLUME_NAME.test('-a') && !VOLUME_NAME.test('a/b'));
});

test('--mount: bind, volume, tmpfs in Docker\'s key=value form', () => {
  assert.equal(parseMountFlag(`type=bind,source=${host},target=/h,readonly`), { type: 'bind', source: host, target: '/h', readOnly: true, via: '--mount' });
  assert.equal(parseMountFlag(`type=bind,src=${host},dst=/h,ro=false`).readOnly, false);
  assert.equal(parseMountFlag('source=data,target=/d'), { type: 'volume', source: 'data', target: '/d', readOnly: false, noCopy: false, via: '--mount' }, 'type=volume is the default');
  const anon = parseMountFlag('type=volume,target=/d,volume-nocopy');
  assert.ok(anon.anonymous && anon.noCopy);
  assert.equal(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=01770').tmpfsOptions, ['size=1048576', 'mode=1770']);
  refused(() => parseMountFlag('type=bind,source=/no/such/dir,target=/x'), /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/dir/);
  refused(() => parseMountFlag('type=bind,target=/x'), /field Source must not be empty/);
  refused(() => parseMountFlag('type=volume,source=data'), /field Target must not be empty/);
  refused(() => parseMountFlag('type=tmpfs,source=x,target=/t'), /field Source must not be specified/);
  refused(() => parseMountFlag('type=nfs,target=/t'), /unknown mount type "nfs"/);
  refused(() => parseMountFlag('type=volume,target=/t,bogus=1'), /unexpected key 'bogus'/);
  refused(() => parseMountFlag('type=volume,target'), /must be a key=value pair/);
  refused(() => parseMountFlag('type=bind,source=/,target=/t,tmpfs-size=1m'), /tmpfs-size and tmpfs-mode are for tmpfs/);
  refused(() => parseMountFlag('type=tmpfs,target=/t,tmpfs-mode=999'), /not an octal mode/);
});

test('--tmpfs: Docker\'s defaults rw,noexec,nosuid,nodev, the user\'s options after them win', () => {
  const t = parseTmpfsFlag('/run:size=64m,exec');
  assert.equal(t, { type: 'tmpfs', source: 'tmpfs', target: '/run', readOnly: false, tmpfsOptions: ['size=64m', 'exec'], via: '--tmpfs' });
  assert.equal(mergeTmpfsOptions([]), ['noexec', 'nosuid', 'nodev']);
  assert.equal(mergeTmpfsOptions(['size=64m', 'exec', 'size=1m']), ['nosuid', 'nodev', 'exec', 'size=1m']);
  assert.ok(parseTmpfsFlag('/ro:ro').readOnly);
  const tmpfs = (given: string[], privileged = false) => parseMountOptions(tmpfsOptions(given, privileged));
  const plain = tmpfs([]);
  assert.is(plain.flags, MS_NOEXEC | MS_NOSUID | MS_NODEV);
  assert.is(plain.data, '');
  const given = tmpfs(['size=64m', 'mode=1770', 'exec', 'ro']);
  assert.is(given.flags, MS_NOSUID | MS_NODEV | MS_RDONLY, 'exec lifts noexec; ro adds MS_RDONLY');
  assert.is(given.data, 'size=64m,mode=1770');
  assert.is(tmpfs(['dev'], true).flags & MS_NODEV, 0, '--privileged: dev is honoured');
  assert.ok(tmpfs(['dev']).flags & MS_NODEV, 'otherwise every writable filesystem stays nodev');
  refused(() => parseTmpfsFlag('/t:size=lots'), /invalid tmpfs option "size=lots"/);
  refused(() => parseTmpfsFlag('/t:bogus'), /invalid tmpfs option "bogus"/);
  refused(() => parseTmpfsFlag('t'), /mount path must be absolute/);
});

test('--shm-size and sizes: Docker\'s units, more than 0', () => {
  assert.is(parseBytes('64m', '--shm-size'), 64 * 1024 * 1024);
  assert.is(parseBytes('1g', '--shm-size'), 1024 ** 3);
  assert.is(parseBytes('4096', '--shm-size'), 4096);
  refused(() => parseBytes('0', '--shm-size'), /--shm-size: invalid size: '0'/);
  refused(() => parseBytes('big', '--shm-size'), /invalid size/);
});

test('run\'s flags: --mount, --tmpfs, --shm-size reach the spec; one mount point twice is refused', () => {
  const parsed = parseRunArgs(['-v', 'data:/d', '--mount', 'type=tmpfs,target=/t', '--tmpfs', '/run', '--shm-size', '1m', 'default'])!;
  const spec = buildSpec('default', [], parsed.flags);
  assert.equal(spec.volumes.map((m) => [m.type, m.target]), [['volume', '/d'], ['tmpfs', '/t'], ['tmpfs', '/run']]);
  assert.is(spec.shmSize, 1024 * 1024);
  assert.is(buildSpec('default', [], {}).shmSize, undefined, 'no --shm-size: the default, 64m, at mount time');
  refused(() => buildSpec('default', [], { volume: ['data:/d'], tmpfs: ['/d'] }), /Duplicate mount point: \/d/);
});

test('the mounts: parents before children, copy-up only for an empty volume without nocopy, tmpfs resolved in the root', () => {
  mkdirSync(volumeData('full'), { recursive: true });
  writeFileSync(join(volumeData('full'), 'x'), '');
  mkdirSync(volumeData('empty'), { recursive: true });
  const volumes: MountSpec[] = [
    { type: 'volume', source: 'empty', target: '/a/b', readOnly: false },
    { type: 'tmpfs', source: 'tmpfs', target: '/t', readOnly: false, tmpfsOptions: ['size=1m'] },
    { type: 'volume', source: 'full', target: '/a', readOnly: true },
    { type: 'volume', source: 'empty', target: '/n', readOnly: false, noCopy: true },
    { type: 'bind', source: host, target: '/h', readOnly: false },
  ];
  const etc = { hostname: host, hosts: host, resolvConf: host };
  const config = runConfig({ spec: { ...buildSpec('default', [], { net: 'none', 'shm-size': '3m' }), volumes }, rootfs: '/R', etc, emptyVolumes: new Set([volumeData('empty')]) });
  const layout: CgroupLayout = { mode: 'v2', v2Root: '/sys/fs/cgroup', v2Controllers: [], v1Mounts: [], usable: {} };
  const steps = config.mounts!.filter((m) => !['/proc', '/sys', '/sys/fs/cgroup'].includes(m.destination) && !m.destination.startsWith('/dev') && !m.destination.startsWith('/etc'))
    .flatMap((m) => mountSteps('/R', m, layout));
  const shown = steps.map((s: ThreadStep) => s.call === 'bindInRoot' ? `bind ${s.source} ${s.path}` : s.call === 'copyUp' ? `copy ${s.path} ${s.dest}` : s.call === 'mountInRoot' ? `${s.fstype} ${s.path} ${s.data}` : s.call);
  assert.equal(shown, [
    'tmpfs /t size=1m',
    `bind ${volumeData('full')} /a`, // not empty: no copy-up
    'propagateInRoot',
    `bind ${volumeData('empty')} /n`, // nocopy
    'propagateInRoot',
    `bind ${host} /h`,
    'propagateInRoot',
    `copy /a/b ${volumeData('empty')}`,
    `bind ${volumeData('empty')} /a/b`,
    'propagateInRoot',
  ]);
  assert.ok(config.mounts!.find((m) => m.destination === '/a/b')!.options!.includes(COPY_UP));
  const full = steps.find((s: ThreadStep) => s.call === 'bindInRoot' && s.path === '/a') as Extract<ThreadStep, { call: 'bindInRoot' }>;
  assert.is(full.remount, MS_RDONLY | MS_NODEV);
  const shm = config.mounts!.find((m) => m.destination === '/dev/shm')!;
  assert.ok(shm.options!.includes('size=3072k'), '--shm-size sizes /dev/shm');
});

test('inspect: Docker\'s Mounts, Binds, Tmpfs and ShmSize; a config saved before mounts had a type reads as binds', () => {
  const old = normalizeMounts([{ source: '/srv', target: '/srv', readOnly: true }]);
  assert.equal(old, [{ source: '/srv', target: '/srv', readOnly: true, type: 'bind' }]);
  const volumes: MountSpec[] = [
    ...old,
    { type: 'volume', source: 'data', target: '/d', readOnly: false, via: '-v' },
    { type: 'volume', source: 'f'.repeat(64), target: '/anon', readOnly: false, anonymous: true, via: '-v' },
    { type: 'tmpfs', source: 'tmpfs', target: '/t', readOnly: false, tmpfsOptions: [], via: '--mount' },
    { type: 'tmpfs', source: 'tmpfs', target: '/run', readOnly: false, tmpfsOptions: ['size=1m', 'exec'], via: '--tmpfs' },
  ];
  assert.equal(dockerMounts({ volumes }), [
    { Type: 'bind', Source: '/srv', Destination: '/srv', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    { Type: 'volume', Name: 'data', Source: volumeData('data'), Destination: '/d', Mode: '', RW: true, Driver: 'local', Propagation: '' },
    { Type: 'volume', Name: 'f'.repeat(64), Source: volumeData('f'.repeat(64)), Destination: '/anon', Mode: '', RW: true, Driver: 'local', Propagation: '' },
    { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
  ]);
  assert.equal(mountsHostConfig({ volumes }, 64), { Binds: ['/srv:/srv:ro', 'data:/d'], Tmpfs: { '/run': 'size=1m,exec' }, ShmSize: 64 });
});

test('cp\'s arguments: CONTAINER:PATH, or the host\'s (absolute, or starting with a dot)', () => {
  assert.equal(splitCpArg('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
  assert.equal(splitCpArg('web:etc'), { container: 'web', path: 'etc' });
  assert.equal(splitCpArg('/tmp/a:b'), { path: '/tmp/a:b' });
  assert.equal(splitCpArg('./a:b'), { path: './a:b' });
  assert.equal(splitCpArg('file'), { path: 'file' });
});

test('sizes as Docker prints them (decimal, four digits)', () => {
  assert.is(humanSize(0), '0B');
  assert.is(humanSize(2048), '2.048kB');
  assert.is(humanSize(1234567), '1.235MB');
});

test.after(() => lib.remove());
test.run();
