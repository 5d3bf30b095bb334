// The everyday run flags' parsers (src/runtime/run-flags.ts) and the files they write
// (src/runtime/mounts.ts), on values and fixture files alone: no root, nothing created.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { everydaySpec, parseDevice, parseLabels, signalNumber, type EverydayFlags } from '../src/runtime/run-flags.js';
import { withDnsFlags, extraHostLines } from '../src/runtime/mounts.js';
import { addGroups } from '../src/runtime/users.js';
import { sharesToWeight } from '../src/kernel/cgroup-base.js';
import { tempDir } from './helpers.js';

const bridge = { mode: 'bridge' } as const;
const spec = (flags: EverydayFlags, net: Parameters<typeof everydaySpec>[1] = bridge, memory?: number) => everydaySpec(flags, net, memory);

/** The one-line message of a refusal, with its exit code (125: nestbox run's). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 125, (err as Error).message);
    assert.not.match((err as Error).message, /\n/);
    return (err as Error).message;
  }
  assert.unreachable('accepted');
  return '';
}

test('--label and --label-file: files first, -l overrides; a bare KEY is an empty value; comments and blank lines skipped', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'labels');
    writeFileSync(file, '\uFEFF# team labels\n\ncom.example.team=web\n  com.example.tier=front\nflag\r\n');
    assert.equal(parseLabels(['com.example.tier=back', 'x=a=b'], [file]), { 'com.example.team': 'web', 'com.example.tier': 'back', flag: '', x: 'a=b' });
    writeFileSync(file, 'bad key=1\n');
    assert.match(refusal(() => parseLabels([], [file])), /line 1: the label "bad key" contains whitespace/);
  } finally {
    dir.remove();
  }
  assert.equal(spec({}).labels, {}, 'no flags: no labels, never undefined');
  assert.match(refusal(() => parseLabels(['=x'], [])), /empty name/);
});

test('--dns, --dns-search, --dns-option: validated, and written as Docker lays resolv.conf out', () => {
  const s = spec({ dns: ['192.0.2.53', '2001:db8::53'], 'dns-search': ['example.com.', 'corp.example'], 'dns-option': ['ndots:2'] });
  assert.equal(s.dns, ['192.0.2.53', '2001:db8::53']);
  assert.equal(s.dnsSearch, ['example.com', 'corp.example'], 'a trailing dot dropped');
  const host = 'nameserver 10.0.0.2\nsearch lan\noptions edns0\n';
  assert.is(withDnsFlags(host, s), 'search example.com corp.example\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2\n');
  // What is not given is kept from the host's file.
  assert.is(withDnsFlags(host, { dns: ['192.0.2.1'] }), 'search lan\nnameserver 192.0.2.1\noptions edns0\n');
  assert.is(withDnsFlags(host, { dnsSearch: ['.'] }), 'nameserver 10.0.0.2\noptions edns0\n', 'search "." means none');
  assert.is(withDnsFlags(host, {}), host, 'no flags: the file as it was');
  assert.match(refusal(() => spec({ dns: ['10.0.0'] })), /--dns "10.0.0": not an IP address/);
  assert.match(refusal(() => spec({ 'dns-search': ['-bad-.com'] })), /not a domain name/);
  assert.match(refusal(() => spec({ 'dns-option': ['ndots:2\nnameserver 6.6.6.6'] })), /one resolver option, without spaces/);
  assert.match(refusal(() => spec({ dns: ['1.1.1.1'] }, { mode: 'container', container: 'web' })), /cannot be used with --net container:web/);
});

test('--add-host: NAME:IP or NAME=IP, IPv6 in brackets, host-gateway (bridge only); lines before the container\'s own', () => {
  const s = spec({ 'add-host': ['db:10.0.0.5', 'v6=[2001:db8::1]', 'v6b:2001:db8::2', 'gw:host-gateway'] });
  assert.equal(s.extraHosts, ['db:10.0.0.5', 'v6:2001:db8::1', 'v6b:2001:db8::2', 'gw:host-gateway']);
  assert.is(extraHostLines(s, '10.213.0.1'), '10.0.0.5\tdb\n2001:db8::1\tv6\n2001:db8::2\tv6b\n10.213.0.1\tgw\n');
  assert.is(extraHostLines(s), '10.0.0.5\tdb\n2001:db8::1\tv6\n2001:db8::2\tv6b\n', 'host-gateway waits for the gateway');
  assert.match(refusal(() => spec({ 'add-host': ['db'] })), /expected NAME:IP/);
  assert.match(refusal(() => spec({ 'add-host': ['db:10.0.0.300'] })), /"10.0.0.300" is not an IP address/);
  assert.match(refusal(() => spec({ 'add-host': ['bad name:10.0.0.1'] })), /is not a host name/);
  assert.match(refusal(() => spec({ 'add-host': ['gw:host-gateway'] }, { mode: 'none' })), /only a --net bridge container has/);
});

test('--ulimit: Docker\'s names, SOFT[:HARD], -1 unlimited, the last of a name wins; soft above hard refused', () => {
  assert.equal(spec({ ulimit: ['nofile=1024:2048', 'core=-1', 'nproc=100', 'nproc=200:300', 'stack=8388608:-1'] }).ulimits, [
    { name: 'nofile', soft: 1024, hard: 2048 },
    { name: 'core', soft: -1, hard: -1 },
    { name: 'nproc', soft: 200, hard: 300 },
    { name: 'stack', soft: 8388608, hard: -1 },
  ]);
  assert.match(refusal(() => spec({ ulimit: ['nofile=2048:1024'] })), /the soft limit 2048 is above the hard limit 1024/);
  assert.match(refusal(() => spec({ ulimit: ['core=-1:100'] })), /above the hard limit/);
  assert.match(refusal(() => spec({ ulimit: ['as=1'] })), /unknown limit "as"/);
  assert.match(refusal(() => spec({ ulimit: ['nofile'] })), /expected NAME=SOFT\[:HARD\]/);
  assert.match(refusal(() => spec({ ulimit: ['nofile=-1'] })), /nofile cannot be unlimited/);
  assert.match(refusal(() => spec({ ulimit: ['nofile=99999999999'] })), /fs.nr_open/);
});

test('--device: Docker\'s three forms; mode letters; host node required', () => {
  assert.equal(parseDevice('/dev/zero'), { pathOnHost: '/dev/zero', pathInContainer: '/dev/zero', permissions: 'rwm' });
  assert.equal(parseDevice('/dev/zero:r'), { pathOnHost: '/dev/zero', pathInContainer: '/dev/zero', permissions: 'r' });
  assert.equal(parseDevice('/dev/zero:/dev/mydev'), { pathOnHost: '/dev/zero', pathInContainer: '/dev/mydev', permissions: 'rwm' });
  assert.equal(parseDevice('/dev/zero:/dev/mydev:rw'), { pathOnHost: '/dev/zero', pathInContainer: '/dev/mydev', permissions: 'rw' });
  assert.match(refusal(() => parseDevice('/dev/zero:/dev/z:rx')), /"rx" is not a mode/);
  assert.match(refusal(() => parseDevice('/dev/zero:/dev/z:rr')), /"rr" is not a mode/);
  assert.match(refusal(() => parseDevice('/dev/zero:zz')), /neither a path in the container \(absolute\) nor a mode/);
  assert.is(parseDevice('/dev/zero:/dev/../mydev').pathInContainer, '/mydev', 'normalized (and resolved inside the root when bound)');
  assert.match(refusal(() => parseDevice('/dev/zero:/')), /absolute, and not \//);
  assert.match(refusal(() => parseDevice('/no/such/device')), /does not exist on the host/);
  assert.match(refusal(() => parseDevice('/etc/hostname')), /is not a device node/);
});

test('--stop-signal, --stop-timeout: names or numbers; whole seconds', () => {
  assert.is(spec({ 'stop-signal': 'usr1' }).stopSignal, 'SIGUSR1');
  assert.is(spec({ 'stop-signal': 'SIGQUIT' }).stopSignal, 'SIGQUIT');
  assert.is(spec({ 'stop-signal': '3' }).stopSignal, '3');
  assert.is(signalNumber('SIGUSR1'), 10);
  assert.is(signalNumber('TERM'), 15);
  assert.is(signalNumber('65'), undefined);
  assert.is(spec({ 'stop-timeout': '0' }).stopTimeout, 0);
  assert.match(refusal(() => spec({ 'stop-signal': 'SIGFOO' })), /not a signal/);
  assert.match(refusal(() => spec({ 'stop-timeout': '1.5' })), /whole seconds from 0 to 3600/);
});

test('--memory-swap: the total of memory and swap, needing --memory and at least as large; -1 unlimited; 0 unset', () => {
  const m = 64 * 1024 ** 2;
  assert.is(spec({ 'memory-swap': '128m' }, bridge, m).memorySwap, 128 * 1024 ** 2);
  assert.is(spec({ 'memory-swap': '64m' }, bridge, m).memorySwap, m, 'equal: no swap');
  assert.is(spec({ 'memory-swap': '-1' }, bridge, m).memorySwap, -1);
  assert.is(spec({ 'memory-swap': '0' }, bridge, m).memorySwap, undefined);
  assert.match(refusal(() => spec({ 'memory-swap': '128m' })), /--memory-swap needs --memory/);
  assert.match(refusal(() => spec({ 'memory-swap': '32m' }, bridge, m)), /less than --memory/);
  assert.match(refusal(() => spec({ 'memory-swap': 'lots' }, bridge, m)), /not a size/);
});

test('--cpu-shares: 2-262144, 0 is unset; cgroup v2\'s weight as runc converts it', () => {
  assert.is(spec({ 'cpu-shares': '512' }).cpuShares, 512);
  assert.is(spec({ 'cpu-shares': '0' }).cpuShares, undefined);
  assert.match(refusal(() => spec({ 'cpu-shares': '1' })), /from 2 to 262144/);
  assert.match(refusal(() => spec({ 'cpu-shares': '300000' })), /from 2 to 262144/);
  assert.equal([2, 512, 1024, 262144].map(sharesToWeight), [1, 20, 39, 10000]);
});

test('--group-add: names from the container\'s /etc/group, numbers as they are, added after the user\'s own', () => {
  assert.equal(spec({ 'group-add': ['audio', '29', 'audio'] }).groupAdd, ['audio', '29']);
  assert.match(refusal(() => spec({ 'group-add': ['a:b'] })), /give a group name or a number/);
  const files = { group: 'root:x:0:\nstaff:x:50:nobody\naudio:x:29:\n' };
  const ids = { uid: 65534, gid: 65534, groups: [50], home: '/' };
  assert.equal(addGroups(ids, ['audio', '4242', 'staff'], files).groups, [50, 29, 4242]);
  assert.match(refusal(() => addGroups(ids, ['video'], files)), /no group "video" in the container's \/etc\/group/);
});

test('--sysctl: only the namespaced ones Docker allows, net.* only with a network namespace of the container\'s own', () => {
  assert.equal(spec({ sysctl: ['kernel.shmmax=12345678', 'fs.mqueue.msg_max=20', 'net.ipv4.ip_unprivileged_port_start=80', 'kernel.sem=250 32000 100 128'] }).sysctls, {
    'kernel.shmmax': '12345678', 'fs.mqueue.msg_max': '20', 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.sem': '250 32000 100 128',
  });
  assert.ok(spec({ sysctl: ['net.ipv4.ip_unprivileged_port_start=80'] }, { mode: 'none' }).sysctls);
  assert.match(refusal(() => spec({ sysctl: ['vm.swappiness=10'] })), /sysctl 'vm.swappiness' is not allowed: only namespaced ones/);
  assert.match(refusal(() => spec({ sysctl: ['kernel.hostname=x'] })), /is not allowed/);
  assert.match(refusal(() => spec({ sysctl: ['net.ipv4.ip_forward=1'] }, { mode: 'host' })), /not allowed with --net host: it would change the host's network namespace/);
  assert.match(refusal(() => spec({ sysctl: ['net.ipv4.ip_forward=1'] }, { mode: 'container', container: 'db' })), /--net container:db/);
  assert.match(refusal(() => spec({ sysctl: ['kernel.shmmax'] })), /expected KEY=VALUE/);
  assert.match(refusal(() => spec({ sysctl: ['net.ipv4/../../kernel/x=1'] })), /expected KEY=VALUE/, 'no path in a key');
  assert.match(refusal(() => spec({ sysctl: ['fs.mqueue.nosuch=1'] })), /this kernel has no fs.mqueue.nosuch/);
});

test.run();
