// The cgroup layer against a fake cgroupfs in a temporary directory: a pure v2 tree as Ubuntu 24.04
// mounts it (and, for contrast, a v1 layout), so the files written on the version this machine does
// not run are checked too. Root is not needed. A plain mkdir does not create the files the kernel
// would put in a new cgroup, so each test writes the ones the layer reads before reading them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { detectCgroupLayout } from '../../src/kernel/cgroup-layout.js';
import { parseMountInfo } from '../../src/kernel/proc.js';
import { CGROUP_PARENT, createCgroup } from '../../src/kernel/cgroup.js';

const CONTROLLERS = 'cpuset cpu io memory hugetlb pids';
/** A PID above the largest pid_max (2^22): if the layer ever signalled it, nothing real would be hit. */
const FAKE_PID = 4194305;

/** A directory laid out like the root of a v2 cgroupfs, with the "nestbox" parent made beforehand. */
function fakeV2(rootSubtree = '') {
  const t = tempDir('nestbox-cgv2-');
  writeFileSync(join(t.path, 'cgroup.controllers'), CONTROLLERS + '\n');
  writeFileSync(join(t.path, 'cgroup.subtree_control'), rootSubtree);
  mkdirSync(join(t.path, CGROUP_PARENT));
  writeFileSync(join(t.path, CGROUP_PARENT, 'cgroup.controllers'), CONTROLLERS + '\n');
  writeFileSync(join(t.path, CGROUP_PARENT, 'cgroup.subtree_control'), '');
  return t;
}

const read = (...parts: string[]) => readFileSync(join(...parts), 'utf8');

test('v2 fake tree: detected as pure v2 with its controllers', () => {
  const t = fakeV2();
  try {
    const layout = detectCgroupLayout(t.path, []);
    assert.is(layout.mode, 'v2');
    assert.is(layout.v2Root, t.path);
    assert.equal(layout.v2Controllers, CONTROLLERS.split(' '));
    assert.equal(layout.usable.memory, { version: 2, path: t.path });
    assert.is(layout.v1Mounts.length, 0);
  } finally {
    t.remove();
  }
});

test('v2 create: controllers enabled in the root and the parent, one directory for all', () => {
  const t = fakeV2();
  try {
    const cg = createCgroup('lab-x', ['memory', 'cpu', 'cpuacct', 'pids'], detectCgroupLayout(t.path, []));
    const dir = join(t.path, CGROUP_PARENT, 'lab-x');
    assert.is(cg.version, 2);
    assert.equal(cg.allDirs(), [dir]);
    assert.is(cg.dir('cpuacct'), dir, 'cpuacct is part of every v2 cgroup');
    // cpuacct is no v2 controller: only the real ones are enabled for the children.
    assert.is(read(t.path, 'cgroup.subtree_control'), '+memory +cpu +pids');
    assert.is(read(t.path, CGROUP_PARENT, 'cgroup.subtree_control'), '+memory +cpu +pids');
  } finally {
    t.remove();
  }
});

test('v2 create: a root whose controllers are already enabled (systemd) is left alone', () => {
  const t = fakeV2('cpuset cpu io memory pids\n');
  try {
    createCgroup('lab-y', ['memory', 'pids'], detectCgroupLayout(t.path, []));
    assert.is(read(t.path, 'cgroup.subtree_control'), 'cpuset cpu io memory pids\n');
    assert.is(read(t.path, CGROUP_PARENT, 'cgroup.subtree_control'), '+memory +pids');
  } finally {
    t.remove();
  }
});

test('v2 writes: the exact files and values, each with its v1 name', () => {
  const t = fakeV2();
  try {
    const cg = createCgroup('lab-w', ['memory', 'cpu', 'cpuacct', 'pids'], detectCgroupLayout(t.path, []));
    const dir = cg.dir();
    writeFileSync(join(dir, 'memory.swap.max'), 'max\n'); // the kernel's default; disableSwap writes only where it exists
    cg.setMemoryMax(32 * 1024 ** 2);
    assert.is(read(dir, 'memory.max'), '33554432');
    cg.disableSwap(32 * 1024 ** 2);
    assert.is(read(dir, 'memory.swap.max'), '0', 'v2 limits swap alone: 0 means none');
    cg.setCpuMax(50000, 100000);
    assert.is(read(dir, 'cpu.max'), '50000 100000');
    cg.setCpuShares(1024);
    assert.is(read(dir, 'cpu.weight'), '39', "runc's conversion of the default 1024 shares");
    cg.setPidsMax(20);
    assert.is(read(dir, 'pids.max'), '20');
    cg.freeze();
    assert.is(read(dir, 'cgroup.freeze'), '1');
    cg.thaw();
    assert.is(read(dir, 'cgroup.freeze'), '0');
    cg.addProcess(FAKE_PID);
    assert.is(read(dir, 'cgroup.procs'), String(FAKE_PID));
    for (const f of ['memory.limit_in_bytes', 'cpu.cfs_quota_us', 'cpu.shares', 'freezer.state']) assert.not.ok(existsSync(join(dir, f)), `no v1 file ${f}`);

    assert.equal(
      cg.writes.map((w) => [w.path, w.value, w.otherVersion]),
      [
        [join(dir, 'memory.max'), '33554432', 'memory.limit_in_bytes'],
        [join(dir, 'memory.swap.max'), '0', 'memory.memsw.limit_in_bytes'],
        [join(dir, 'cpu.max'), '50000 100000', 'cpu.cfs_quota_us + cpu.cfs_period_us'],
        [join(dir, 'cpu.weight'), '39', 'cpu.shares'],
        [join(dir, 'pids.max'), '20', 'pids.max'],
        [join(dir, 'cgroup.freeze'), '1', 'freezer.state'],
        [join(dir, 'cgroup.freeze'), '0', 'freezer.state'],
        [join(dir, 'cgroup.procs'), String(FAKE_PID), 'cgroup.procs'],
      ],
    );
  } finally {
    t.remove();
  }
});

test('v2 writes: unlimited values and the weight scale', () => {
  const t = fakeV2();
  try {
    const cg = createCgroup('lab-u', ['memory', 'cpu', 'pids'], detectCgroupLayout(t.path, []));
    const dir = cg.dir();
    cg.setMemoryMax('max');
    assert.is(read(dir, 'memory.max'), 'max');
    assert.is(cg.memoryMax(), 'max');
    cg.setCpuMax('max');
    assert.is(read(dir, 'cpu.max'), 'max 100000');
    assert.equal(cg.cpuMax(), { quota: 'max', period: 100000 });
    cg.setPidsMax('max');
    assert.is(cg.pidsMax(), 'max');
    const weights = [2, 512, 1024, 262144].map((shares) => {
      cg.setCpuShares(shares);
      return cg.cpuWeight();
    });
    assert.equal(weights, [1, 20, 39, 10000], 'shares 2..262144 map onto weights 1..10000');
  } finally {
    t.remove();
  }
});

test('v2 reads: counters parsed from the files the kernel would write', () => {
  const t = fakeV2();
  try {
    const cg = createCgroup('lab-r', ['memory', 'cpu', 'pids'], detectCgroupLayout(t.path, []));
    const dir = cg.dir();
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 97\noom 1\noom_kill 1\noom_group_kill 0\n');
    writeFileSync(join(dir, 'memory.current'), '135168\n');
    writeFileSync(join(dir, 'memory.peak'), '33554432\n');
    writeFileSync(join(dir, 'memory.swap.max'), '0\n');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1008000\nuser_usec 1000000\nsystem_usec 8000\nnr_periods 22\nnr_throttled 19\nthrottled_usec 950000\n');
    writeFileSync(join(dir, 'cpu.max'), '20000 100000\n');
    writeFileSync(join(dir, 'pids.current'), '20\n');
    writeFileSync(join(dir, 'pids.events'), 'max 11\n');
    writeFileSync(join(dir, 'pids.max'), '20\n');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    writeFileSync(join(dir, 'cgroup.procs'), `${FAKE_PID}\n${FAKE_PID + 1}\n`);

    assert.equal(cg.memoryEvents(), { oomKill: 1, oom: 1, max: 97 });
    assert.is(cg.memoryCurrent(), 135168);
    assert.is(cg.memoryPeak(), 33554432);
    assert.is(cg.memorySwapLimit(), 0);
    assert.is(cg.cpuUsageUsec(), 1008000);
    assert.equal(cg.cpuThrottling(), { periods: 22, throttled: 19 });
    assert.equal(cg.cpuMax(), { quota: 20000, period: 100000 });
    assert.is(cg.pidsCurrent(), 20);
    assert.is(cg.pidsRefused(), 11);
    assert.is(cg.pidsMax(), 20);
    assert.is(cg.frozenState(), 'frozen');
    assert.equal(cg.procs(), [FAKE_PID, FAKE_PID + 1]);
  } finally {
    t.remove();
  }
});

test('v2 kill: one write of "1" to cgroup.kill, no signal sent', () => {
  const t = fakeV2();
  try {
    const cg = createCgroup('lab-k', ['pids'], detectCgroupLayout(t.path, []));
    writeFileSync(join(cg.dir(), 'cgroup.kill'), '');
    writeFileSync(join(cg.dir(), 'cgroup.procs'), `${FAKE_PID}\n`);
    cg.kill();
    assert.is(read(cg.dir(), 'cgroup.kill'), '1');
  } finally {
    t.remove();
  }
});

test('v1 fake layout, for contrast: the same calls write the v1 files, each with its v2 name', () => {
  const t = tempDir('nestbox-cgv1-');
  try {
    const lines = ['memory', 'cpu', 'cpuacct', 'pids'].map((c, i) => {
      mkdirSync(join(t.path, c, CGROUP_PARENT), { recursive: true });
      return `${40 + i} 31 0:${40 + i} / ${join(t.path, c)} rw,relatime - cgroup cgroup rw,${c}`;
    });
    const layout = detectCgroupLayout(t.path, parseMountInfo(lines.join('\n') + '\n'));
    assert.is(layout.mode, 'v1');
    const cg = createCgroup('lab-1', ['memory', 'cpu', 'cpuacct', 'pids'], layout);
    assert.equal(cg.allDirs().sort(), ['cpu', 'cpuacct', 'memory', 'pids'].map((c) => join(t.path, c, CGROUP_PARENT, 'lab-1')));
    writeFileSync(join(cg.dir('memory'), 'memory.memsw.limit_in_bytes'), '9223372036854771712\n');
    cg.setMemoryMax(32 * 1024 ** 2);
    cg.disableSwap(32 * 1024 ** 2);
    cg.setCpuMax(50000, 100000);
    cg.setCpuShares(512);
    cg.setPidsMax(20);
    assert.equal(
      cg.writes.map((w) => [w.path, w.value, w.otherVersion]),
      [
        [join(cg.dir('memory'), 'memory.limit_in_bytes'), '33554432', 'memory.max'],
        [join(cg.dir('memory'), 'memory.memsw.limit_in_bytes'), '33554432', 'memory.swap.max'],
        [join(cg.dir('cpu'), 'cpu.cfs_period_us'), '100000', 'cpu.max'],
        [join(cg.dir('cpu'), 'cpu.cfs_quota_us'), '50000', 'cpu.max'],
        [join(cg.dir('cpu'), 'cpu.shares'), '512', 'cpu.weight'],
        [join(cg.dir('pids'), 'pids.max'), '20', 'pids.max'],
      ],
    );
    writeFileSync(join(cg.dir('cpuacct'), 'cpuacct.usage'), '1008000000\n');
    assert.is(cg.cpuUsageUsec(), 1008000, 'v1 counts nanoseconds in the cpuacct tree');
    assert.equal(cg.cpuMax(), { quota: 50000, period: 100000 });
    writeFileSync(join(cg.dir('memory'), 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    writeFileSync(join(cg.dir('memory'), 'memory.failcnt'), '97\n');
    assert.equal(cg.memoryEvents(), { oomKill: 1, oom: 0, max: 0, failcnt: 97 });
  } finally {
    t.remove();
  }
});

test.run();
