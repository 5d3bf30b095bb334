// The filesystem recipes are plain data: what the spawning thread will do, in order. Read here
// without root (as youki tests its mount arguments through a recording Syscall): the order runc
// follows, the flags each call needs, and what --privileged and read-only volumes change. A
// container of `nestbox run` goes through its OCI config (run-config.ts), then the steps every
// container's config becomes (container-fs.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { privateRoot, overlayRoot, bindVolume, pivotInto, mountPointOf } from '../src/recipes/rootfs.js';
import { runConfig } from '../src/runtime/run-config.js';
import { containerFsSteps } from '../src/runtime/container-fs.js';
import type { CgroupLayout } from '../src/kernel/cgroup-layout.js';
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
const inRoot = (steps: ThreadStep[]) => steps.filter((s): s is Extract<ThreadStep, { call: 'mountInRoot' }> => s.call === 'mountInRoot');
const layout: CgroupLayout = { mode: 'v2', v2Root: '/sys/fs/cgroup', v2Controllers: [], v1Mounts: [], usable: {} };
/** What the thread does for a container of `nestbox run` with this spec. */
const stepsOf = (s: ContainerSpec) => containerFsSteps(runConfig({ spec: s, rootfs: layers.target, etc }), { overlay: { ...layers, flags: s.privileged ? 0 : MS_NODEV }, layout });

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

test('a container\'s root: propagation cut first, then the overlay, /proc, /dev, /sys, volumes, /etc files; pivot_root last', () => {
  const steps = stepsOf(spec({ volumes: [{ type: 'bind', source: join(dir.path, 'data'), target: '/data', readOnly: true }] }));
  assert.equal(steps[0], privateRoot(), 'the first mount makes everything private');
  assert.is(mounts(steps)[1].fstype, 'overlay');
  assert.ok(mounts(steps)[1].flags & MS_NODEV, 'the overlay root is nodev');
  const binds = steps.filter((s) => s.call === 'bindInRoot') as Extract<ThreadStep, { call: 'bindInRoot' }>[];
  assert.equal(binds.map((b) => b.path), ['/data', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
  assert.is(binds[0].remount, MS_RDONLY | MS_NODEV, 'a read-only volume, nodev');
  const sys = inRoot(steps).find((m) => m.fstype === 'sysfs')!;
  assert.ok(sys.flags & MS_RDONLY, '/sys read-only');
  const proc = steps.findIndex((s) => s.call === 'run' && s.argv.includes('proc'));
  assert.ok(proc > 0 && proc < steps.findIndex((s) => s.call === 'mountInRoot'), '/proc first, by `mount` in the PID namespace');
  const pivot = steps.findIndex((s) => s.call === 'pivot_root');
  assert.ok(steps.slice(0, pivot).some((s) => s.call === 'maskInRoot'), 'masks before pivot_root');
  assert.is(pivot, steps.length - 3, 'pivot_root, the old root detached, chdir /: the end');
});

test('--privileged: no nodev on the root or /dev, /sys writable, no masks', () => {
  const steps = stepsOf(spec({ privileged: true }));
  assert.is(mounts(steps)[1].flags & MS_NODEV, 0);
  assert.is(inRoot(steps).find((m) => m.fstype === 'sysfs')!.flags & MS_RDONLY, 0);
  assert.is(inRoot(steps).find((m) => m.path === '/dev')!.flags & MS_NODEV, 0);
  assert.not.ok(steps.some((s) => s.call === 'maskInRoot' || s.call === 'readonlyInRoot'));
});

test('--read-only and -w: the root remounted read-only before pivot_root, the working directory made', () => {
  const steps = stepsOf(spec({ workdir: '/app', readOnly: true }));
  const pivot = steps.findIndex((s) => s.call === 'pivot_root');
  assert.ok(steps.slice(0, pivot).some((s) => s.call === 'mount' && s.target === '/c/root' && (s.flags & MS_RDONLY) !== 0), '--read-only remounts the root');
  assert.ok(steps.some((s) => s.call === 'mkdirInRoot' && s.path === '/app'), 'the working directory is made');
});

test('/dev: a nodev tmpfs, six devices bound from the host, ptys of its own, the usual links', () => {
  const steps = stepsOf(spec());
  assert.equal(steps.filter((s) => s.call === 'deviceBindInRoot').map((s) => (s as { source: string }).source), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.match(inRoot(steps).find((m) => m.fstype === 'devpts')!.data ?? '', /newinstance/);
  assert.ok(inRoot(steps).find((m) => m.path === '/dev')!.flags & MS_NODEV);
  assert.ok(steps.some((s) => s.call === 'symlinkInRoot' && s.target === 'pts/ptmx' && s.path === '/dev/ptmx'), 'the links made inside the root, whatever its /dev is');
});

test.after(() => dir.remove());
test.run();
