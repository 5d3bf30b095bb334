// The everyday `nestbox run` flags, each checked where the kernel keeps it: /proc/1/limits, the
// container's cgroup files, its /proc/sys, its device rules, its /etc files, its PID 1, read from
// inside the container or from the host. bin/run.js runs in a child process, with its containers in
// a temporary NESTBOX_LIB_DIR.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { detectCgroupLayout } from '../../src/kernel/cgroup-layout.js';
import { kernelSuite, tempDir, patience, eventually } from '../helpers.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-runflags-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout: patience(60_000) });
/** Run a script in a fresh container (--net none unless the flags say) and return what it printed. */
const inside = (flags: string[], script: string) => nb(['run', '--rm', ...(flags.some((f) => f.startsWith('--net')) ? [] : ['--net', 'none']), ...flags, 'default', '--', '/bin/sh', '-c', script]);
const inspect = (name: string) => JSON.parse(nb(['inspect', name]).stdout)[0];

const test = kernelSuite('nestbox run: the everyday flags');

function containerDirs(): string[] {
  const d = join(lib.path, 'containers');
  return existsSync(d) ? readdirSync(d) : [];
}

/** Cgroups of these containers still on the host (other nestbox users may have their own meanwhile). */
function cgroupsLeft(ids: string[]): string[] {
  const out: string[] = [];
  for (const root of ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))]) {
    const parent = join(root, 'nestbox');
    if (!existsSync(parent)) continue;
    for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory() && ids.includes(e.name)) out.push(join(parent, e.name));
  }
  return out;
}

/** Where a controller's files are inside the container: /sys/fs/cgroup on v2, its hierarchy's directory on v1. */
function cgroupDirInside(controller: 'memory' | 'cpu'): { dir: string; version: 1 | 2 } | undefined {
  const where = detectCgroupLayout().usable[controller];
  if (!where) return undefined;
  return where.version === 2 ? { dir: '/sys/fs/cgroup', version: 2 } : { dir: `/sys/fs/cgroup/${basename(where.path)}`, version: 1 };
}

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test('--ulimit: PID 1 starts with the limits (/proc/1/limits, ulimit -n), its children and exec\'d processes inherit them', () => {
  const r = inside(['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=-1', '--ulimit', 'nproc=4000:5000'],
    'grep -E "^Max (open files|core file size|processes)" /proc/1/limits | tr -s " "; echo soft=$(ulimit -n); echo child=$(sh -c "ulimit -Hn")');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Max open files 1024 2048 files $/m);
  assert.match(r.stdout, /^Max core file size unlimited unlimited bytes $/m);
  assert.match(r.stdout, /^Max processes 4000 5000 processes $/m);
  assert.match(r.stdout, /^soft=1024$/m);
  assert.match(r.stdout, /^child=2048$/m);
  const d = nb(['run', '-d', '--name', 'limits', '--net', 'none', '--ulimit', 'nofile=512:1024', 'default', '--', 'sleep', '60']);
  assert.is(d.status, 0, d.stderr);
  try {
    const pid = inspect('limits').State.Pid;
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max open files\s+512\s+1024\s+files/m, 'seen from the host');
    const e = nb(['exec', 'limits', '/bin/sh', '-c', 'ulimit -n; ulimit -Hn']);
    assert.is(e.status, 0, e.stderr);
    assert.is(e.stdout, '512\n1024\n', 'exec gets the container\'s limits, as with Docker');
    assert.equal(inspect('limits').HostConfig.Ulimits, [{ Name: 'nofile', Hard: 1024, Soft: 512 }]);
  } finally {
    nb(['rm', '-f', 'limits']);
  }
});

test('--init: docker-init (tini) is PID 1, bound read-only from the host; it reaps orphans, which a PID 1 that never waits leaves as zombies', async () => {
  const r = inside(['--init'], 'ps -o pid,comm; tr "\\0" " " < /proc/1/cmdline; echo; grep " /sbin/docker-init " /proc/self/mountinfo');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s+1 docker-init$/m, 'PID 1 is docker-init');
  assert.match(r.stdout, /^\/sbin\/docker-init -- \/bin\/sh -c /m, 'the command is its child');
  assert.match(r.stdout, / \/sbin\/docker-init ro[, ]/, 'bound read-only');
  // Two orphans each: their parent (sh -c "sleep 0.1 &") ends at once, and PID 1 adopts them. PID 1's
  // command ends up as `sleep 30`, which never calls wait(): only an init collects them.
  const states = (name: string) => nb(['exec', name, '/bin/sh', '-c', 'for f in /proc/[0-9]*/stat; do cut -d" " -f2,3 $f; done']).stdout;
  const script = 'sh -c "sleep 0.1 &"; sh -c "sleep 0.1 &"; exec sleep 30';
  for (const [name, flags] of [['reaper', ['--init']], ['noreaper', []]] as const) {
    const d = nb(['run', '-d', '--name', name, '--net', 'none', ...flags, 'default', '--', '/bin/sh', '-c', script]);
    assert.is(d.status, 0, d.stderr);
  }
  try {
    assert.ok(await eventually(() => (states('noreaper').match(/^\(sleep\) Z$/gm) ?? []).length === 2, 5000), `without --init, two zombies: ${states('noreaper')}`);
    // With the init, the orphans end and are collected: one sleep left (PID 1's command), no
    // zombie. docker-init itself may be caught running (R) on a slow machine.
    const collected = (s: string) => /^\(docker-init\) [SR]$/m.test(s) && (s.match(/^\(sleep\) /gm) ?? []).length === 1 && !/ Z$/m.test(s);
    assert.ok(await eventually(() => collected(states('reaper')), 5000), `with --init, the orphans collected: ${states('reaper')}`);
  } finally {
    nb(['rm', '-f', 'reaper', 'noreaper']);
  }
});

test('--init: `stop` ends a shell loop at SIGTERM, which tini passes on (exit 143, not the SIGKILL 10 s later)', () => {
  const d = nb(['run', '-d', '--name', 'looper', '--net', 'none', '--init', 'default', '--', '/bin/sh', '-c', 'while :; do sleep 0.1; done']);
  assert.is(d.status, 0, d.stderr);
  try {
    const t0 = Date.now();
    const s = nb(['stop', 'looper']);
    assert.is(s.status, 0, s.stderr);
    assert.ok(Date.now() - t0 < patience(8000), `stopped in ${Date.now() - t0} ms, before the SIGKILL at 10 s`);
    const info = inspect('looper');
    assert.is(info.State.ExitCode, 143, 'the shell died of SIGTERM, and tini reported it');
    assert.is(info.HostConfig.Init, true);
  } finally {
    nb(['rm', '-f', 'looper']);
  }
});

test('--stop-signal and --stop-timeout: what `stop` sends and how long it waits when not given -t', async () => {
  const d = nb(['run', '-d', '--name', 'usr1', '--net', 'none', '--stop-signal', 'usr1', '--stop-timeout', '30', 'default', '--', '/bin/sh', '-c', 'trap "echo got-usr1; exit 3" USR1; while :; do sleep 0.1; done']);
  assert.is(d.status, 0, d.stderr);
  const k = nb(['run', '-d', '--name', 'deaf', '--net', 'none', '--stop-timeout', '1', 'default', '--', '/bin/sh', '-c', 'while :; do sleep 0.1; done']);
  assert.is(k.status, 0, k.stderr);
  try {
    const config = inspect('usr1').Config;
    assert.is(config.StopSignal, 'SIGUSR1');
    assert.is(config.StopTimeout, 30);
    await new Promise((r) => setTimeout(r, 300)); // the trap is set
    assert.is(nb(['stop', 'usr1']).status, 0);
    assert.is(inspect('usr1').State.ExitCode, 3, 'the trap for SIGUSR1 ran');
    assert.match(nb(['logs', 'usr1']).stdout, /^got-usr1$/m);
    // sh as PID 1 has no handler for SIGTERM: only the SIGKILL ends it, after its own 1 s, not 10.
    const t0 = Date.now();
    const s = nb(['stop', 'deaf']);
    const took = Date.now() - t0;
    assert.is(s.status, 0, s.stderr);
    assert.is(inspect('deaf').State.ExitCode, 137);
    assert.ok(took >= 900 && took < patience(8000), `SIGKILL after --stop-timeout 1, not 10: ${took} ms`);
    assert.not.ok('StopSignal' in inspect('deaf').Config, 'not given: not shown, as Docker');
  } finally {
    nb(['rm', '-f', 'usr1', 'deaf']);
  }
});

test('--dns, --dns-search, --dns-option, --add-host (host-gateway too): the container\'s /etc/resolv.conf and /etc/hosts', () => {
  // Only files are read: nothing is sent to these addresses.
  const r = inside(['--net', 'bridge', '--dns', '192.0.2.53', '--dns', '2001:db8::53', '--dns-search', 'example.com', '--dns-option', 'ndots:2',
    '--add-host', 'db:192.0.2.10', '--add-host', 'v6=[2001:db8::10]', '--add-host', 'gw:host-gateway'],
  'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; ip route; hostname');
  assert.is(r.status, 0, r.stderr);
  const [resolv, hosts, rest] = r.stdout.split('---\n');
  assert.is(resolv, 'search example.com\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2\n');
  const gateway = /default via (\S+)/.exec(rest)?.[1];
  assert.ok(gateway, rest);
  const id = rest.trim().split('\n').pop();
  assert.match(hosts, new RegExp(`^192\\.0\\.2\\.10\\tdb\\n2001:db8::10\\tv6\\n${gateway!.replace(/\./g, '\\.')}\\tgw\\n\\S+\\t${id}\\n$`, 'm'),
    'the extra hosts, host-gateway as the bridge\'s address, before the container\'s own line');
  const plain = inside([], 'grep -c . /etc/hosts; grep -c example.com /etc/resolv.conf');
  assert.match(plain.stdout, /^2\n0\n$/, 'without the flags: only localhost, the host\'s resolver');
});

test('--device: the host node at the path asked for; the device rules allow exactly the access given, and refuse unlisted devices', () => {
  // A node for an unused minor of the mem driver (1:200): opening it reaches the driver only if the
  // device rules let it through (ENXIO then: no such device); refused by them, it is EPERM. Nothing
  // is ever read or written.
  const ghost = `/dev/nbtest-ghost-${process.pid}`;
  assert.is(spawnSync('mknod', [ghost, 'c', '1', '200']).status, 0);
  try {
    const r = inside(['--device', '/dev/zero:/dev/mydev', '--device', `${ghost}:/dev/ghost:r`], [
      'stat -c "%n %F %t:%T" /dev/mydev /dev/ghost', 'echo zero=$(head -c 4 /dev/mydev | od -An -tx1 | tr -d " ")',
      '(exec 3</dev/ghost) 2>&1 | sed "s/^/read: /"', '(exec 3>/dev/ghost) 2>&1 | sed "s/^/write: /"',
      'mknod /dev/ghost2 c 1 200 && (exec 3</dev/ghost2) 2>&1 | sed "s/^/unlisted: /"',
    ].join('; '));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\/dev\/mydev character special file 1:5$/m);
    assert.match(r.stdout, /^\/dev\/ghost character special file 1:c8$/m);
    assert.match(r.stdout, /^zero=00000000$/m, '/dev/zero as /dev/mydev');
    assert.match(r.stdout, /^read: .*No such device or address$/m, 'read allowed (r): the driver answered');
    assert.match(r.stdout, /^write: .*Operation not permitted$/m, 'write not given: refused by the device rules');
    assert.match(r.stdout, /^unlisted: .*(Permission denied|Operation not permitted)$/m, 'a node made inside does not open');
    const without = inside([], 'test -e /dev/mydev && echo present || echo absent');
    assert.match(without.stdout, /^absent$/m);
  } finally {
    rmSync(ghost, { force: true });
  }
});

test('--memory-swap and --cpu-shares: the container\'s cgroup files, read from inside', () => {
  const memory = cgroupDirInside('memory');
  const cpu = cgroupDirInside('cpu');
  if (memory) {
    const file = memory.version === 2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes';
    const show = `cat ${memory.dir}/${file} 2>/dev/null || echo no-swap-accounting`;
    const limited = inside(['--memory', '32m', '--memory-swap', '96m'], show);
    const unlimited = inside(['--memory', '32m', '--memory-swap', '-1'], show);
    const none = inside(['--memory', '32m'], show);
    for (const r of [limited, unlimited, none]) assert.is(r.status, 0, r.stderr);
    if (!/no-swap-accounting/.test(none.stdout)) {
      // v2's file is swap alone (96m - 32m), v1's memory plus swap.
      assert.is(Number(limited.stdout), memory.version === 2 ? 64 * 1024 ** 2 : 96 * 1024 ** 2);
      assert.match(unlimited.stdout.trim(), memory.version === 2 ? /^max$/ : /^9223372036854\d+$/);
      assert.is(Number(none.stdout), memory.version === 2 ? 0 : 32 * 1024 ** 2, 'without it: no swap on top');
    } else {
      console.log('  (this kernel accounts no swap: --memory-swap has nothing to set)');
    }
  }
  if (cpu) {
    const file = cpu.version === 2 ? 'cpu.weight' : 'cpu.shares';
    const r = inside(['--cpu-shares', '512'], `cat ${cpu.dir}/${file}`);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), cpu.version === 2 ? '20' : '512', `${file}: 512 shares`);
  }
  const d = nb(['run', '-d', '--name', 'swap', '--net', 'none', '-m', '32m', '--memory-swap', '64m', '-c', '256', 'default', '--', 'sleep', '30']);
  assert.is(d.status, 0, d.stderr);
  try {
    const host = inspect('swap').HostConfig;
    assert.is(host.MemorySwap, 64 * 1024 ** 2);
    assert.is(host.CpuShares, 256);
  } finally {
    nb(['rm', '-f', 'swap']);
  }
});

test('--group-add: names from the container\'s own /etc/group and numbers, for PID 1 and for exec (with and without -u)', () => {
  const root = tempDir();
  try {
    spawnSync('cp', ['-a', `${join(lib.path, 'rootfs', 'default')}/.`, root.path]);
    writeFileSync(join(root.path, 'etc/group'), readFileSync(join(root.path, 'etc/group'), 'utf8') + 'nbtestgrp:x:5050:\n');
    const show = 'grep -E "^(Uid|Groups):" /proc/self/status | tr -s "\\t " " "';
    const r = nb(['run', '--rm', '--net', 'none', '--group-add', 'nbtestgrp', '--group-add', '4242', root.path, '--', '/bin/sh', '-c', show]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Uid: 0 0 0 0$/m);
    assert.match(r.stdout, /^Groups: 4242 5050 $/m);
    const d = nb(['run', '-d', '--name', 'groups', '--net', 'none', '--group-add', 'nbtestgrp', root.path, '--', 'sleep', '30']);
    assert.is(d.status, 0, d.stderr);
    try {
      assert.match(nb(['exec', 'groups', '/bin/sh', '-c', show]).stdout, /^Groups: 5050 $/m);
      const u = nb(['exec', '-u', 'nobody', 'groups', '/bin/sh', '-c', show]);
      assert.is(u.status, 0, u.stderr);
      assert.match(u.stdout, /^Uid: 65534 /m);
      assert.match(u.stdout, /^Groups: 5050 $/m, 'exec -u keeps the container\'s extra groups');
      assert.equal(inspect('groups').HostConfig.GroupAdd, ['nbtestgrp']);
    } finally {
      nb(['rm', '-f', 'groups']);
    }
    const ghost = nb(['run', '--rm', '--net', 'none', '--group-add', 'nbtestgrp', 'default', '--', 'true']);
    assert.is(ghost.status, 125);
    assert.match(ghost.stderr, /no group "nbtestgrp" in the container's \/etc\/group/, 'looked up in the container\'s file, not the host\'s');
  } finally {
    root.remove();
  }
});

test('--sysctl: set in the container\'s IPC and network namespaces before its command runs; the host\'s stay as they were', () => {
  const keys = ['kernel/shmmax', 'fs/mqueue/msg_max', 'net/ipv4/ip_unprivileged_port_start'];
  const hostBefore = keys.map((k) => readFileSync(`/proc/sys/${k}`, 'utf8'));
  const r = inside(['--sysctl', 'kernel.shmmax=12345678', '--sysctl', 'fs.mqueue.msg_max=20', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=80'],
    keys.map((k) => `cat /proc/sys/${k}`).join('; ') + '; echo 1 > /proc/sys/kernel/shmmax 2>/dev/null && echo writable || echo read-only');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, '12345678\n20\n80\nread-only\n', '/proc/sys stays read-only for the container itself');
  assert.equal(keys.map((k) => readFileSync(`/proc/sys/${k}`, 'utf8')), hostBefore);
  // Checked when written: --net none has no eth0. The run fails as a whole, leaving nothing (--trace
  // names the container's id as its directory is made).
  const missing = nb(['run', '--rm', '--trace', '--net', 'none', '--sysctl', 'net.ipv4.conf.eth0.rp_filter=1', 'default', '--', 'true']);
  assert.is(missing.status, 125, missing.stderr);
  assert.match(missing.stderr, /^nestbox: --sysctl net\.ipv4\.conf\.eth0\.rp_filter: no such setting in the container's namespaces$/m);
  const id = /containers\/([0-9a-f]{12})/.exec(missing.stderr)?.[1];
  assert.ok(id, missing.stderr);
  assert.equal(containerDirs(), []);
  assert.equal(cgroupsLeft([id!]), [], 'its cgroup was removed');
});

test('--label, --label-file: Config.Labels in inspect; the other flags in HostConfig, Docker\'s names', () => {
  const file = join(lib.path, 'labels');
  writeFileSync(file, '# labels\ncom.example.team=web\ncom.example.tier=front\n');
  const d = nb(['run', '-d', '--name', 'labelled', '--net', 'none', '-l', 'com.example.tier=back', '--label', 'solo', '--label-file', file,
    '--dns', '192.0.2.53', '--device', '/dev/zero:/dev/mydev:r', '--sysctl', 'kernel.shmmni=100', 'default', '--', 'sleep', '30']);
  assert.is(d.status, 0, d.stderr);
  try {
    const info = inspect('labelled');
    assert.equal(info.Config.Labels, { 'com.example.team': 'web', 'com.example.tier': 'back', solo: '' });
    assert.equal(info.HostConfig.Dns, ['192.0.2.53']);
    assert.equal(info.HostConfig.Devices, [{ PathOnHost: '/dev/zero', PathInContainer: '/dev/mydev', CgroupPermissions: 'r' }]);
    assert.equal(info.HostConfig.Sysctls, { 'kernel.shmmni': '100' });
    assert.is(info.HostConfig.Init, false);
  } finally {
    nb(['rm', '-f', 'labelled']);
  }
});

test('a config saved before these flags existed still loads: inspect, ps, exec, stop and rm work', () => {
  const d = nb(['run', '-d', '--name', 'oldcfg', '--net', 'none', 'default', '--', 'sleep', '30']);
  assert.is(d.status, 0, d.stderr);
  try {
    const id = d.stdout.trim();
    const path = join(lib.path, 'containers', id, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    for (const k of ['labels', 'init', 'dns', 'ulimits', 'devices', 'stopSignal', 'stopTimeout', 'memorySwap', 'cpuShares', 'groupAdd', 'sysctls']) delete config[k];
    writeFileSync(path, JSON.stringify(config));
    const info = inspect('oldcfg');
    assert.equal(info.Config.Labels, {});
    assert.equal(info.HostConfig.Ulimits, []);
    const ps = nb(['ps']);
    assert.match(ps.stdout, /oldcfg/, ps.stdout + ps.stderr);
    assert.is(nb(['exec', 'oldcfg', 'true']).status, 0);
    const s = nb(['stop', '-t', '0', 'oldcfg']);
    assert.is(s.status, 0, s.stderr);
  } finally {
    nb(['rm', '-f', 'oldcfg']);
  }
});

test('exec -d returns at once; the command runs on in the container, and no node process is its parent', async () => {
  const d = nb(['run', '-d', '--name', 'bg', '--net', 'none', 'default', '--', 'sleep', '60']);
  assert.is(d.status, 0, d.stderr);
  try {
    const t0 = Date.now();
    const e = nb(['exec', '-d', '-e', 'WORD=kept', '-w', '/tmp', 'bg', '/bin/sh', '-c', 'sleep 0.3; echo "$WORD $(pwd)" > marker; exec sleep 30']);
    assert.is(e.status, 0, e.stderr);
    assert.is(e.stdout + e.stderr, '', 'prints nothing, as docker exec -d');
    assert.ok(Date.now() - t0 < patience(10_000), 'did not wait for the command (30 s)');
    assert.ok(await eventually(() => nb(['exec', 'bg', 'cat', '/tmp/marker']).stdout === 'kept /tmp\n', 5000), 'it ran with -e and -w');
    const mine = nb(['top', 'bg']).stdout.split('\n').find((l) => /^\d+\s+(?!1\s)\d+\s+\d+\s+sleep 30$/.test(l));
    assert.ok(mine, nb(['top', 'bg']).stdout);
    const pid = Number(mine!.trim().split(/\s+/)[0]);
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.not.match(readFileSync(`/proc/${ppid}/comm`, 'utf8'), /node|nestbox/, 'its parent (nestbox) is gone: the host\'s init or a subreaper took it');
    assert.match(nb(['exec', '-d', '-t', 'bg', 'true']).stderr, /-d and -t cannot be combined/);
    nb(['rm', '-f', 'bg']);
    assert.ok(await eventually(() => !isAlive(pid), 5000), 'rm -f ended it with the container');
  } finally {
    nb(['rm', '-f', 'bg']);
  }
});

test('bad values: one line, exit 125, nothing created', () => {
  const cases: [string[], RegExp][] = [
    [['--label', '=x'], /--label "=x": "=x" has an empty name/],
    [['--label-file', '/no/such/file'], /--label-file \/no\/such\/file: no such file/],
    [['--dns', '999.1.1.1'], /--dns "999.1.1.1": not an IP address/],
    [['--dns-search', 'bad_domain'], /not a domain name/],
    [['--add-host', 'db'], /--add-host "db": expected NAME:IP/],
    [['--net', 'none', '--add-host', 'gw:host-gateway'], /host-gateway is the host's address on the bridge nb0/],
    [['--ulimit', 'nofile=2048:1024'], /the soft limit 2048 is above the hard limit 1024/],
    [['--ulimit', 'bogus=1'], /unknown limit "bogus"/],
    [['--device', '/dev/no-such-device'], /does not exist on the host/],
    [['--device', '/etc/hostname'], /is not a device node/],
    [['--device', '/dev/zero:/dev/z:rx'], /"rx" is not a mode/],
    [['--stop-signal', 'SIGNOPE'], /--stop-signal "SIGNOPE": not a signal/],
    [['--stop-timeout', 'ten'], /--stop-timeout "ten": give whole seconds/],
    [['--memory-swap', '64m'], /--memory-swap needs --memory/],
    [['-m', '64m', '--memory-swap', '32m'], /less than --memory/],
    [['--cpu-shares', '1'], /from 2 to 262144/],
    [['--group-add', 'a:b'], /give a group name or a number/],
    [['--group-add', 'nosuchgroup'], /no group "nosuchgroup" in the container's \/etc\/group/],
    [['--sysctl', 'vm.swappiness=10'], /sysctl 'vm.swappiness' is not allowed: only namespaced ones/],
    [['--net', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], /not allowed with --net host/],
    [['--sysctl', 'kernel.shmmax'], /expected KEY=VALUE/],
  ];
  for (const [flags, message] of cases) {
    const r = nb(['run', '--rm', ...flags, 'default', '--', 'true']);
    assert.is(r.status, 125, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /);
  }
  assert.equal(containerDirs(), [], 'refused before anything was made');
});

test.after(() => {
  for (const id of containerDirs()) nb(['rm', '-f', id]);
  lib.remove();
});

test.run();
