// The filesystem recipes are plain data: what the spawning thread will do, in order. Read here
// without root (as youki tests its mount arguments through a recording Syscall): the order runc
// follows, the flags each call needs, and what --privileged and read-only volumes change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { privateRoot, overlayRoot, bindVolume, minimalDev, pivotInto, mountPointOf } from '../src/recipes/rootfs.js';
import { rootfsSteps, finishSteps } from '../src/runtime/mounts.js';
import type { ContainerSpec } from '../src/runtime/spec.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import { MS_BIND, MS_NODEV, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MNT_DETACH } from '../src/kernel/constants.js';

const dir = tempDir('nestbox-recipes-');
const etc = { hostname: join(dir.path, 'hostname'), hosts: join(dir.path, 'hosts'), resolvConf: join(dir.path, 'resolv.conf') };
for (const f of Object.values(etc)) writeFileSync(f, '');
mkdirSync(join(dir.path, 'data'));

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  id: 'abc', name: 'box', image: 'default', command: ['sh'], env: [], workdir: '/', hostname: 'box',
  volumes: [], ports: [], net: { mode: 'none' }, readOnly: false, capabilities: [], privileged: false, seccomp: true,
  detach: false, interactive: false, tty: false, autoRemove: false, ...over,
} as ContainerSpec);
const layers = { lower: ['/l/top', '/l/base'], upper: '/c/upper', work: '/c/work', target: '/c/root' };
const mounts = (steps: ThreadStep[]) => steps.filter((s): s is Extract<ThreadStep, { call: 'mount' }> => s.call === 'mount');

test('privateRoot: MS_REC|MS_PRIVATE on /, no source, no type', () => {
  assert.equal(privateRoot(), { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE });
});

test('overlayRoot: the top layer first in lowerdir, the container\'s own layer as upperdir', () => {
  const m = overlayRoot(layers, '/c/root', MS_NODEV) as Extract<ThreadStep, { call: 'mount' }>;
  assert.is(m.data, 'lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work');
  assert.is(m.flags, MS_NODEV);
});

test('bindVolume: read-only takes a second call, a remount (the first bind ignores MS_RDONLY)', () => {
  assert.is(bindVolume('/a', '/b').length, 1);
  const [bind, remount] = bindVolume('/a', '/b', true) as Extract<ThreadStep, { call: 'mount' }>[];
  assert.is(bind.flags, MS_BIND);
  assert.is(remount.flags, MS_REMOUNT | MS_BIND | MS_RDONLY);
  assert.is(remount.source, null);
});

test('pivotInto: chdir, pivot_root(".", "."), detach the old root, chdir /', () => {
  assert.equal(pivotInto('/r').map((s) => s.call), ['chdir', 'pivot_root', 'umount2', 'chdir']);
  assert.is((pivotInto('/r')[2] as { flags: number }).flags, MNT_DETACH);
  assert.equal(mountPointOf('/r'), { call: 'mount', source: '/r', target: '/r', fstype: null, flags: MS_BIND | MS_REC });
});

test('a container\'s root: propagation cut first, then the overlay, volumes, /etc files, /dev, /sys', () => {
  const steps = rootfsSteps(spec({ volumes: [{ type: 'bind', source: join(dir.path, 'data'), target: '/data', readOnly: true }] }), layers, etc);
  const first = steps.findIndex((s) => s.call === 'mount');
  assert.equal(steps[first], privateRoot(), 'the first mount makes everything private');
  assert.is(mounts(steps)[1].fstype, 'overlay');
  const binds = steps.filter((s) => s.call === 'bindInRoot') as Extract<ThreadStep, { call: 'bindInRoot' }>[];
  assert.equal(binds.map((b) => b.path), ['/data', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
  assert.is(binds[0].remount, MS_RDONLY | MS_NODEV, 'a read-only volume, nodev');
  const sys = mounts(steps).find((m) => m.fstype === 'sysfs')!;
  assert.ok(sys.flags & MS_RDONLY, '/sys read-only');
  assert.is(steps.filter((s) => s.call === 'pivot_root').length, 0, 'pivot_root comes after /proc (finishSteps)');
});

test('--privileged: no nodev on the root or /dev, /sys writable, no masks', () => {
  const steps = rootfsSteps(spec({ privileged: true }), layers, etc);
  assert.is(mounts(steps)[1].flags & MS_NODEV, 0);
  assert.is(mounts(steps).find((m) => m.fstype === 'sysfs')!.flags & MS_RDONLY, 0);
  const finish = finishSteps(spec({ privileged: true }), '/c/root');
  assert.equal(finish.map((s) => s.call), ['chdir', 'pivot_root', 'umount2', 'chdir']);
});

test('finishSteps: masks and read-only knobs before pivot_root, pivot_root last', () => {
  const finish = finishSteps(spec({ workdir: '/app', readOnly: true }), '/c/root');
  const pivot = finish.findIndex((s) => s.call === 'pivot_root');
  assert.is(pivot, finish.length - 3);
  assert.ok(finish.slice(0, pivot).some((s) => s.call === 'mount' && s.target === '/c/root' && (s.flags & MS_RDONLY) !== 0), '--read-only remounts the root');
  assert.ok(finish.some((s) => s.call === 'mkdirInRoot' && s.path === '/app'), 'the working directory is made');
});

test('minimalDev: six devices bound from the host, ptys of its own, nodev as asked', () => {
  const dev = minimalDev('/c/root', true);
  assert.equal(mounts(dev).filter((m) => m.flags === MS_BIND).map((m) => m.source), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.match(mounts(dev).find((m) => m.fstype === 'devpts')!.data ?? '', /newinstance/);
  assert.ok(mounts(dev)[0].flags & MS_NODEV);
  assert.is(mounts(minimalDev('/c/root', false))[0].flags & MS_NODEV, 0);
});

test.after(() => dir.remove());
test.run();
