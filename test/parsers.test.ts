// Parsers of kernel text, tested on fixtures (real files captured from a hybrid host, a pure v2 host
// and a CentOS 7-style v1 host). No kernel is involved, so these run anywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parseMountInfo, processStatusFromText, parseNamespaceLink, kernelVersion } from '../src/kernel/proc.js';
import { detectCgroupLayout, parseProcCgroup } from '../src/kernel/cgroup-layout.js';
import { parseFlatKeyed, sharesToWeight } from '../src/kernel/cgroup.js';
import { capabilityNames, capabilityMask, DOCKER_DEFAULT_CAPS, cloneFlagNames, CLONE_NEWUTS, CLONE_NEWPID } from '../src/kernel/constants.js';
import { splitRule } from '../src/net/parse.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');

test('mountinfo: fields, escapes and propagation', () => {
  const mounts = parseMountInfo(fixture('mountinfo-v2.txt'));
  assert.is(mounts.length, 7);
  const root = mounts[0];
  assert.is(root.mountPoint, '/');
  assert.is(root.fstype, 'ext4');
  assert.is(root.source, '/dev/sda1');
  assert.is(root.propagation, 'shared');
  assert.is(root.peerGroup, 1);
  assert.is(mounts.find((m) => m.mountPoint === '/mnt/with space')?.propagation, 'slave');
  assert.is(mounts.find((m) => m.mountPoint === '/run/a')?.propagation, 'shared+slave');
  assert.is(mounts.find((m) => m.mountPoint === '/run/b')?.propagation, 'unbindable');
  assert.equal(mounts[3].superOptions, ['rw', 'nsdelegate', 'memory_recursiveprot']);
});

test('mountinfo: a private mount has no optional fields', () => {
  const [root] = parseMountInfo(fixture('mountinfo-hybrid.txt'));
  assert.is(root.propagation, 'private');
  assert.equal(root.optional, []);
});

test('cgroup layout: hybrid host (v1 controllers, empty v2 tree)', () => {
  const layout = detectCgroupLayout('/sys/fs/cgroup', parseMountInfo(fixture('mountinfo-hybrid.txt')));
  assert.is(layout.mode, 'hybrid');
  assert.is(layout.v2Root, '/sys/fs/cgroup/unified');
  assert.is(layout.usable.memory?.version, 1);
  assert.is(layout.usable.memory?.path, '/sys/fs/cgroup/memory');
  assert.ok(!layout.v1Mounts.some((m) => m.path.endsWith('systemd')), 'name=systemd has no controllers');
});

test('cgroup layout: pure v2 host', () => {
  const layout = detectCgroupLayout('/sys/fs/cgroup', parseMountInfo(fixture('mountinfo-v2.txt')));
  assert.is(layout.mode, 'v2');
  assert.is(layout.v2Root, '/sys/fs/cgroup');
  assert.equal(layout.v1Mounts, []);
});

test('cgroup layout: v1 host with co-mounted cpu,cpuacct', () => {
  const layout = detectCgroupLayout('/sys/fs/cgroup', parseMountInfo(fixture('mountinfo-v1.txt')));
  assert.is(layout.mode, 'v1');
  assert.is(layout.usable.cpu?.path, '/sys/fs/cgroup/cpu,cpuacct');
  assert.is(layout.usable.cpuacct?.path, '/sys/fs/cgroup/cpu,cpuacct');
  assert.is(layout.usable.memory?.version, 1);
});

test('/proc/PID/cgroup lines', () => {
  const lines = parseProcCgroup('12:memory:/nestbox/c1\n1:name=systemd:/\n0::/nestbox/c1\n');
  assert.equal(lines[0], { hierarchy: 12, controllers: ['memory'], path: '/nestbox/c1' });
  assert.equal(lines[2], { hierarchy: 0, controllers: [], path: '/nestbox/c1' });
});

test('/proc/PID/status: NSpid, capabilities, NoNewPrivs, Seccomp', () => {
  const s = processStatusFromText(fixture('status.txt'));
  assert.equal(s.nspid, [4242, 1]);
  assert.is(s.capEff, 0xa80425fbn);
  assert.equal([...s.capEffNames].sort(), [...DOCKER_DEFAULT_CAPS].sort());
  assert.is(s.noNewPrivs, true);
  assert.is(s.seccomp, 2);
  assert.is(s.threads, 1);
});

test('capability masks round-trip', () => {
  assert.is(capabilityMask(DOCKER_DEFAULT_CAPS), 0xa80425fbn);
  assert.equal(capabilityNames(capabilityMask(['CAP_SYS_ADMIN', 'net_admin'])), ['NET_ADMIN', 'SYS_ADMIN']);
  assert.throws(() => capabilityMask(['NOT_A_CAP']), /unknown capability/);
});

test('namespace links, kernel versions, flag names', () => {
  assert.is(parseNamespaceLink('uts:[4026531838]'), 4026531838);
  assert.throws(() => parseNamespaceLink('garbage'));
  assert.equal(kernelVersion('6.1.0-18-amd64'), [6, 1]);
  assert.equal(kernelVersion('3.10.0-1160.el7.x86_64'), [3, 10]);
  assert.is(cloneFlagNames(CLONE_NEWUTS | CLONE_NEWPID), 'CLONE_NEWUTS|CLONE_NEWPID');
});

test('flat-keyed cgroup files and cpu.shares -> cpu.weight', () => {
  assert.equal(parseFlatKeyed('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n'), { low: 0, high: 0, max: 3, oom: 1, oom_kill: 1 });
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(262144), 10000);
  assert.is(sharesToWeight(1024), 39);
});

test('iptables -S rules split with quoted comments', () => {
  assert.equal(splitRule('POSTROUTING -s 10.88.0.0/16 -m comment --comment "nestbox nat" -j MASQUERADE'),
    ['POSTROUTING', '-s', '10.88.0.0/16', '-m', 'comment', '--comment', 'nestbox nat', '-j', 'MASQUERADE']);
});

test.run();
