// nestbox run and the container lifecycle, as a learner drives them: bin/run.js in a child process,
// every claim checked from inside the container or from the kernel on the host. Containers live in
// a temporary NESTBOX_LIB_DIR, so a learner's own containers are never touched.
import * as assert from 'uvu/assert';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hostname } from 'node:os';
import { detectCgroupLayout } from '../../src/kernel/cgroup-layout.js';
import { kernelSuite, tempDir, patience } from '../helpers.js';
import { isAlive } from '../../src/kernel/proc.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-run-test-');
// This process reads the containers' ledgers too (they live in the library directory).
process.env.NESTBOX_LIB_DIR = lib.path;
const env = { ...process.env, NO_COLOR: '1' };
const nb = (args: string[], input = '') => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env, timeout: patience(60_000) });
/** Run a command in a fresh container and return what it printed. */
const inside = (flags: string[], script: string) => nb(['run', '--rm', ...flags, 'default', '--', '/bin/sh', '-c', script]);

const test = kernelSuite('nestbox run');

/** Containers' ledgers: they live in the library directory (see src/host/ledger.ts). */
function containerLedgers(): string[] {
  const d = join(lib.path, 'ledger');
  return existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('ctr-')) : [];
}

function containerDirs(): string[] {
  const d = join(lib.path, 'containers');
  return existsSync(d) ? readdirSync(d) : [];
}

function cgroupsLeft(): string[] {
  const out: string[] = [];
  for (const root of ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))]) {
    const parent = join(root, 'nestbox');
    if (!existsSync(parent)) continue;
    for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory() && /^[0-9a-f]{12}$/.test(e.name)) out.push(join(parent, e.name));
  }
  return out;
}

test.before(() => {
  // Build the default rootfs once in the temporary library.
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
});

test('isolation, checked from inside (--net none): hostname, PID 1, root, mounts, capabilities, masks', () => {
  const r = inside(['--net', 'none', '--hostname', 'box1'], [
    'echo host=$(hostname)', 'echo pid=$$', 'echo procs=$(ls /proc | grep -c "^[0-9]")',
    'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp|SigIgn|SigBlk)" /proc/self/status', 'cat /proc/self/mountinfo',
    'echo userns=$(unshare -U true 2>&1 && echo made)',
    'echo links=$(ls /sys/class/net | tr "\\n" " ")', 'echo keys=$(wc -c < /proc/keys)',
    'echo sysrq=$(echo 1 > /proc/sysrq-trigger 2>&1 && echo writable || echo refused)',
    'echo devs=$(ls /dev | tr "\\n" " ")', 'test -e /work && echo host-visible || echo host-hidden',
    // CAP_MKNOD is in the default set: a node can be made, but not opened (nodev), in / or /dev.
    'for d in /tmp /dev; do mknod $d/mynull c 1 3 && (exec 3<$d/mynull) 2>/dev/null && echo mknod=opened || echo mknod=refused; done',
    'echo nullmode=$(stat -c %a /dev/null)',
    'echo ns=$(grep -c ^nameserver /etc/resolv.conf)',
  ].join('; '));
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^host=box1$/m);
  assert.match(out, /^pid=1$/m, 'the command is PID 1');
  assert.match(out, /^CapEff:\s+00000000a80425fb$/m, "Docker's 14 default capabilities");
  assert.match(out, /^CapBnd:\s+00000000a80425fb$/m);
  assert.match(out, /^NoNewPrivs:\s+1$/m);
  assert.match(out, /^SigIgn:\s+0+$/m, 'no signal ignored from nestbox (glibc\'s 32 and 33 included)');
  assert.match(out, /^SigBlk:\s+0+$/m, 'none blocked');
  assert.match(out, /^Seccomp:\s+2$/m, 'a seccomp filter');
  assert.match(out, /^userns=.*Operation not permitted$/m, 'the filter refuses unshare(CLONE_NEWUSER)');
  assert.match(out, /^links=lo$/m, 'only lo in a --net none container');
  assert.match(out, /^keys=0$/m, '/proc/keys is masked by /dev/null');
  assert.match(out, /^sysrq=refused$/m, '/proc/sysrq-trigger is read-only');
  assert.match(out, /^devs=fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero$/m);
  assert.match(out, /^host-hidden$/m, "the host's root is not reachable after pivot_root");
  assert.is(out.match(/^mknod=refused$/gm)?.length, 2, `a device node made inside cannot be opened: ${out.match(/^mknod=.*$/gm)}`);
  assert.match(out, /^nullmode=666$/m, '/dev/null is writable by every user');
  assert.match(out, /^ns=[1-9]$/m, 'an /etc/resolv.conf of its own, with a nameserver');
  const mounts = out.split('\n').filter((l) => / - /.test(l));
  assert.ok(mounts.some((l) => / \/ \/ .* - overlay /.test(l)), 'the root is an overlay');
  assert.ok(mounts.some((l) => / \/proc .* - proc /.test(l)), 'a fresh /proc');
  assert.ok(mounts.some((l) => / \/sys ro,.* - sysfs /.test(l)), '/sys is read-only');
  assert.ok(Number(/^procs=(\d+)$/m.exec(out)![1]) < 5, 'its /proc shows only its own processes');
});

test('seccomp follows the capabilities: --cap-add SYS_ADMIN lets unshare through; seccomp=unconfined and --privileged have no filter', () => {
  const script = 'grep -E "^(Seccomp|CapEff):" /proc/self/status; unshare -U true && echo userns=made';
  const admin = inside(['--net', 'none', '--cap-add', 'SYS_ADMIN'], script);
  assert.is(admin.status, 0, admin.stderr);
  assert.match(admin.stdout, /^Seccomp:\s+2$/m);
  assert.match(admin.stdout, /^userns=made$/m);
  const unconfined = inside(['--net', 'none', '--security-opt', 'seccomp=unconfined'], script);
  assert.is(unconfined.status, 0, unconfined.stderr);
  assert.match(unconfined.stdout, /^Seccomp:\s+0$/m);
  assert.match(unconfined.stdout, /^CapEff:\s+00000000a80425fb$/m, 'the capabilities stay trimmed');
  assert.match(unconfined.stdout, /^userns=made$/m);
  const privileged = inside(['--net', 'none', '--privileged'], script + '; grep -E " /sys | /proc/kcore " /proc/self/mountinfo; echo keys=$(wc -c < /proc/keys)');
  assert.is(privileged.status, 0, privileged.stderr);
  assert.match(privileged.stdout, /^Seccomp:\s+0$/m);
  assert.match(privileged.stdout, / \/sys rw,.* - sysfs /, 'a writable /sys');
  assert.not.match(privileged.stdout, / \/proc\/kcore /, 'no masks');
  assert.not.match(privileged.stdout, /^keys=0$/m, '/proc/keys readable');
  // Every capability nestbox holds itself: root on a host may lack some.
  assert.match(privileged.stdout, new RegExp(`^CapEff:\\s+${/^CapPrm:\s+(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}$`, 'm'));
});

test('--net host sees the host interfaces; container:NAME shares another container\'s', () => {
  const hostLinks = readdirSync('/sys/class/net').sort().join(' ');
  const h = inside(['--net', 'host'], 'ls /sys/class/net | sort | tr "\\n" " "');
  assert.is(h.status, 0, h.stderr);
  assert.is(h.stdout.trim(), hostLinks);
  const named = nb(['run', '--rm', '--net', 'host', '-p', '8080:80', 'default', '--', 'hostname']);
  assert.is(named.stdout.trim(), hostname(), "--net host takes the host's name");
  assert.match(named.stderr, /published ports are discarded with --net host/);
  const d = nb(['run', '-d', '--name', 'netowner', '--net', 'none', 'default', '--', 'sleep', '60']);
  assert.is(d.status, 0, d.stderr);
  try {
    const owner = JSON.parse(nb(['inspect', 'netowner']).stdout)[0].State.Pid;
    const mine = readFileSync(`/proc/${owner}/net/dev`, 'utf8');
    const r = inside(['--net', 'container:netowner'], 'readlink /proc/self/ns/net');
    assert.is(r.status, 0, r.stderr);
    const ownerNs = readlinkSync(`/proc/${owner}/ns/net`);
    assert.is(r.stdout.trim(), ownerNs, 'the same network namespace as netowner');
    assert.ok(mine.includes('lo:'));
  } finally {
    nb(['rm', '-f', 'netowner']);
  }
});

test('--net bridge (the default): eth0 on nb0 with an address, a default route, and a published port answering on 127.0.0.1 and on the bridge address', async () => {
  const r = inside([], 'ls /sys/class/net | tr "\\n" " "; echo; ip -4 -o addr show eth0; ip route');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^eth0 lo $/m, 'lo and eth0');
  const addr = /inet (10\.21\d\.\d+\.\d+)\/24/.exec(r.stdout);
  assert.ok(addr, `an address from the pool: ${r.stdout}`);
  assert.match(r.stdout, /default via 10\.21\d\.\d+\.1 dev eth0/);
  // Port 81 is published with no host port: one is chosen from the ephemeral range.
  const d = nb(['run', '-d', '--name', 'web', '-p', '18480:80', '-p', '127.0.0.1::81', 'default', '--', '/bin/sh', '-c', 'httpd -p 81 -h /etc; exec httpd -f -p 80 -h /etc']);
  assert.is(d.status, 0, d.stderr);
  try {
    const info = JSON.parse(nb(['inspect', 'web']).stdout)[0];
    assert.match(info.NetworkSettings.IPAddress, /^10\.21\d\./);
    assert.equal(info.NetworkSettings.Ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: '18480' }]);
    const chosen = Number(info.NetworkSettings.Ports['81/tcp'][0].HostPort);
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    assert.ok(chosen >= low && chosen <= high, `81 published on ${chosen}, in the ephemeral range`);
    assert.is(nb(['port', 'web', '81']).stdout.trim(), `127.0.0.1:${chosen}`);
    const gateway = info.NetworkSettings.IPAddress.replace(/\.\d+$/, '.1'); // the host's own address on nb0
    for (const [host, port] of [['127.0.0.1', 18480], [gateway, 18480], ['127.0.0.1', chosen]] as const) {
      let body = '';
      for (let i = 0; i < 20 && !body; i++) {
        body = spawnSync('/bin/busybox', ['wget', '-qO-', `http://${host}:${port}/hostname`], { encoding: 'utf8', timeout: 3000 }).stdout ?? '';
        if (!body) await new Promise((res) => setTimeout(res, 100));
      }
      assert.is(body.trim(), d.stdout.trim(), `the container answers on ${host}:${port}`);
    }
    const taken = nb(['run', '--rm', '-p', '18480:80', 'default', '--', 'true']);
    assert.is(taken.status, 125);
    assert.match(taken.stderr, /already published by container web/);
  } finally {
    nb(['rm', '-f', 'web']);
  }
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  assert.not.match(links, /: nb/, 'the last container out removed nb0 and its veth');
});

test('FORWARD policy DROP, as Docker sets it: a container still reaches the outside, and the outside its published port', () => {
  // "The outside" is a network namespace of the test's own, reached through the host by its own
  // veth and subnet, as a machine behind eth0 would be; nothing leaves this host.
  const sh = (cmd: string) => spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
  const policy = /^-P FORWARD (\S+)/m.exec(sh('iptables -w -S FORWARD').stdout)?.[1] ?? 'ACCEPT';
  const www = tempDir('nestbox-outside-');
  writeFileSync(join(www.path, 'index.html'), 'the outside\n');
  try {
    const setup = sh([
      'ip netns add nbtout', 'ip link add nbtout0 type veth peer name nbtoutp', 'ip link set nbtoutp netns nbtout',
      'ip addr add 10.212.77.1/24 dev nbtout0', 'ip link set nbtout0 up',
      'ip -n nbtout addr add 10.212.77.2/24 dev nbtoutp', 'ip -n nbtout link set nbtoutp up', 'ip -n nbtout link set lo up',
      // The outside knows only its own subnet, like any network beyond the host: replies need NAT.
      `ip netns exec nbtout /bin/busybox httpd -p 80 -h ${www.path}`,
      'iptables -w -P FORWARD DROP',
    ].join(' && '));
    assert.is(setup.status, 0, setup.stderr);
    const out = inside([], 'timeout 5 wget -q -O - http://10.212.77.2/'); // busybox 1.35's own -T crashes
    assert.is(out.status, 0, `container -> outside: ${out.stderr}`);
    assert.match(out.stdout, /the outside/);
    const web = nb(['run', '-d', '--name', 'fwd-web', '-p', '18090:80', 'default', '--', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    assert.is(web.status, 0, web.stderr);
    const host = spawnSync('ip', ['netns', 'exec', 'nbtout', '/bin/busybox', 'timeout', '5', '/bin/busybox', 'wget', '-q', '-O', '-', 'http://10.212.77.1:18090/hostname'], { encoding: 'utf8' });
    assert.is(host.status, 0, `outside -> published port: ${host.stderr}`);
    assert.is(host.stdout.trim(), web.stdout.trim().slice(0, 12), 'the container answered with its hostname (its id)');
  } finally {
    nb(['rm', '-f', 'fwd-web']);
    sh(`iptables -w -P FORWARD ${policy}; ip netns pids nbtout | xargs -r kill; ip netns del nbtout; ip link del nbtout0`);
    www.remove();
  }
  assert.match(spawnSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }).stdout, new RegExp(`^-P FORWARD ${policy}$`, 'm'), 'the policy is as before');
  assert.not.match(spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout, /NESTBOX|nestbox/, 'no filter rule of nestbox is left');
});

test('memory: a process past --memory is OOM-killed; inspect shows OOMKilled and exit 137', () => {
  const r = nb(['run', '--name', 'oom', '--net', 'none', '--memory', '16m', 'default', '--', '/bin/sh', '-c', 'head -c 200m /dev/zero | tail']);
  try {
    assert.is(r.status, 137, r.stderr);
    const info = JSON.parse(nb(['inspect', 'oom']).stdout)[0];
    assert.is(info.State.OOMKilled, true);
    assert.is(info.State.ExitCode, 137);
    assert.is(info.HostConfig.Memory, 16 * 1024 * 1024);
  } finally {
    nb(['rm', 'oom']);
  }
});

test('/sys/fs/cgroup inside: read-only, rooted at the container\'s own cgroup (its limit, its PID 1)', () => {
  const layout = detectCgroupLayout();
  const memory = layout.usable.memory;
  if (!memory) return;
  const dir = memory.version === 2 ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${basename(memory.path)}`;
  const limit = memory.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  const r = inside(['--net', 'none', '--memory', '48m'], `cat ${dir}/${limit}; echo procs=$(cat ${dir}/cgroup.procs | tr "\\n" " "); echo 1 > ${dir}/cgroup.procs 2>/dev/null && echo wrote || echo refused`);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${48 * 1024 * 1024}$`, 'm'), 'the container sees its own limit at the root');
  assert.match(r.stdout, /^procs=1( \d+)*$/m, 'PID 1 is in it, by its PID inside');
  assert.match(r.stdout, /^refused$/m, 'read-only');
});

test('the container\'s cgroup holds the container\'s processes only: the thread that made it is back out', () => {
  const d = nb(['run', '-d', '--name', 'alone', '--net', 'none', 'default', '--', 'sleep', '30']);
  assert.is(d.status, 0, d.stderr);
  try {
    const id = d.stdout.trim();
    const pid = nb(['inspect', '-f', '{{.State.Pid}}', 'alone']).stdout.trim();
    const layout = detectCgroupLayout();
    const dirs = [...layout.v1Mounts.map((m) => m.path), ...(layout.v2Root ? [layout.v2Root] : [])]
      .map((mount) => join(mount, 'nestbox', id)).filter((dir) => existsSync(dir));
    assert.ok(dirs.length > 0, 'the container has a cgroup');
    // cgroup.procs names a thread group once any of its threads is inside: nestbox's PID would show.
    for (const dir of dirs) assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean), [pid], dir);
  } finally {
    nb(['rm', '-f', 'alone']);
  }
});

test('pids: a fork bomb stops at --pids-limit, the host is unaffected, rm -f ends it', async () => {
  const count = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const before = count();
  // PID 1 becomes `sleep`, which collects no one: every bomb member that exits stays a zombie and
  // keeps its PID counted until rm -f. (Were PID 1 a shell still waiting for the bomb's subshell, it
  // would reap them, and the bomb could die out between two samples.) The bomb starts once the exec is done.
  const d = nb(['run', '-d', '--name', 'bomb', '--net', 'none', '--pids-limit', '20', 'default', '--', '/bin/sh', '-c', '(sleep 0.3; f(){ f|f& }; f) 2>/dev/null & exec sleep 60']);
  assert.is(d.status, 0, d.stderr);
  try {
    // Sample pids.current from the cgroup for up to 3 s: it reaches the limit and never passes it;
    // pids.events counts refusals.
    const info = JSON.parse(nb(['inspect', 'bomb']).stdout)[0];
    const dir = (info.Nestbox.CgroupPaths as string[]).find((d) => existsSync(join(d, 'pids.current')))!;
    const samples: number[] = [];
    for (let i = 0; i < 60 && (samples.length < 10 || Math.max(...samples) < 15); i++) {
      samples.push(Number(readFileSync(join(dir, 'pids.current'), 'utf8')));
      assert.ok(count() < before + 30, 'the host gained only the contained processes');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(Math.max(...samples) <= 20, `never more than 20 processes: ${samples.join(' ')}`);
    // Forks refused at once by many shells can leave the count settled a little under the limit.
    assert.ok(Math.max(...samples) >= 12, `the bomb multiplied up to the limit: ${samples.join(' ')}`);
    const events = join(dir, 'pids.events');
    if (existsSync(events)) assert.ok(Number(/max (\d+)/.exec(readFileSync(events, 'utf8'))![1]) > 0, 'forks were refused (pids.events)');
  } finally {
    assert.is(nb(['rm', '-f', 'bomb']).status, 0);
  }
  assert.equal(cgroupsLeft(), []);
});

test('cpu: --cpus 0.5 holds a busy loop near half a CPU (measured from the cgroup)', async () => {
  const d = nb(['run', '-d', '--name', 'busy', '--net', 'none', '--cpus', '0.5', 'default', '--', '/bin/sh', '-c', 'while :; do :; done']);
  assert.is(d.status, 0, d.stderr);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const s = JSON.parse(nb(['stats', '--json', 'busy']).stdout)[0];
    assert.ok(s.cpuPercent > 35 && s.cpuPercent < 60, `cpu ${s.cpuPercent.toFixed(1)}% with --cpus 0.5`);
  } finally {
    nb(['rm', '-f', 'busy']);
  }
});

test('-v: data written to a volume survives rm; :ro refuses writes', () => {
  const vol = tempDir();
  try {
    const r = nb(['run', '--name', 'vol', '--net', 'none', '-v', `${vol.path}:/data`, '-v', `${vol.path}:/ro:ro`, 'default', '--', '/bin/sh', '-c', 'echo kept > /data/file; echo x > /ro/other 2>/dev/null && echo wrote || echo refused']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /refused/);
    assert.is(nb(['rm', 'vol']).status, 0);
    assert.is(readFileSync(join(vol.path, 'file'), 'utf8'), 'kept\n');
    assert.not.ok(existsSync(join(vol.path, 'other')));
  } finally {
    vol.remove();
  }
});

test('-u: names and groups from the container\'s own /etc/passwd and /etc/group, for run and exec', () => {
  // A copy of the default rootfs where nobody also belongs to a group "staff" (gid 50).
  const root = tempDir();
  try {
    spawnSync('cp', ['-a', `${join(lib.path, 'rootfs', 'default')}/.`, root.path]);
    writeFileSync(join(root.path, 'etc/group'), readFileSync(join(root.path, 'etc/group'), 'utf8') + 'staff:x:50:nobody\n');
    const show = 'grep -E "^(Uid|Gid|Groups):" /proc/self/status | tr -s "\\t " " "; echo home=$HOME';
    const r = nb(['run', '--rm', '--net', 'none', '-u', 'nobody', root.path, '--', '/bin/sh', '-c', show]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Uid: 65534 65534 65534 65534$/m);
    assert.match(r.stdout, /^Gid: 65534 65534 65534 65534$/m);
    assert.match(r.stdout, /^Groups: 50 $/m, 'supplementary group from /etc/group');
    assert.match(r.stdout, /^home=\/nonexistent$/m);
    const g = nb(['run', '--rm', '--net', 'none', '-u', '4242:staff', root.path, '--', '/bin/sh', '-c', show]);
    assert.is(g.status, 0, g.stderr);
    assert.match(g.stdout, /^Uid: 4242 /m);
    assert.match(g.stdout, /^Gid: 50 /m);
    assert.match(g.stdout, /^Groups: $/m, 'an explicit group brings no supplementary ones');
    assert.match(g.stdout, /^home=\/$/m);
    const d = nb(['run', '-d', '--name', 'users', '--net', 'none', root.path, '--', 'sleep', '30']);
    assert.is(d.status, 0, d.stderr);
    try {
      const e = nb(['exec', '-u', 'nobody', 'users', '/bin/sh', '-c', show]);
      assert.is(e.status, 0, e.stderr);
      assert.match(e.stdout, /^Uid: 65534 /m);
      assert.match(e.stdout, /^Groups: 50 $/m);
      assert.match(nb(['exec', 'users', 'id', '-u']).stdout, /^0$/m, 'without -u: the container\'s user, root');
      assert.match(nb(['exec', '-u', 'ghost', 'users', 'id']).stderr, /no user "ghost" in the container's \/etc\/passwd/);
    } finally {
      nb(['rm', '-f', 'users']);
    }
  } finally {
    root.remove();
  }
});

test('links in the image never lead outside it: /etc/hosts, /dev and a volume under /var/run point at host paths', () => {
  const root = tempDir();
  const victims = tempDir('nestbox-victim-');
  const vol = tempDir();
  try {
    const R = root.path;
    spawnSync('cp', ['-a', `${join(lib.path, 'rootfs', 'default')}/.`, R]);
    const host = (name: string) => join(victims.path, name); // host paths that must stay absent
    for (const f of ['etc/hosts', 'etc/hostname', 'dev']) spawnSync('rm', ['-rf', join(R, f)]);
    symlinkSync(host('hosts'), join(R, 'etc/hosts'));
    symlinkSync(`../../../../../../../..${host('hostname')}`, join(R, 'etc/hostname'));
    symlinkSync(host('dev'), join(R, 'dev'));
    mkdirSync(join(R, 'var'), { recursive: true });
    symlinkSync(host('run'), join(R, 'var/run'));
    writeFileSync(join(vol.path, 'data'), 'kept\n');
    const r = nb(['run', '--rm', '--net', 'none', '--hostname', 'linked', '-v', `${vol.path}:/var/run/vol`, '-w', '/var/run/work', R, '--',
      '/bin/sh', '-c', 'cat /etc/hostname; grep -c localhost /etc/hosts; cat /var/run/vol/data; pwd; echo x > /dev/null && echo devnull-ok']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^linked$/m);
    assert.match(r.stdout, /^kept$/m, 'the volume is where the link leads inside the root');
    assert.match(r.stdout, /^devnull-ok$/m);
    assert.equal(readdirSync(victims.path), [], 'nothing was made at the host paths the links name');
    assert.ok(lstatSync(join(R, 'etc/hosts')).isSymbolicLink(), 'the image itself is untouched');
  } finally {
    root.remove();
    victims.remove();
    vol.remove();
  }
});

test('-d, logs, exec, top, pause, stop, rm: the lifecycle', async () => {
  const d = nb(['run', '-d', '--name', 'life', '--net', 'none', 'default', '--', '/bin/sh', '-c', 'echo hello; while :; do sleep 0.1; done']);
  assert.is(d.status, 0, d.stderr);
  const id = d.stdout.trim();
  assert.match(id, /^[0-9a-f]{12}$/);
  try {
    const info = JSON.parse(nb(['inspect', 'life']).stdout)[0];
    assert.is(info.State.Status, 'running');
    const pid = info.State.Pid;
    assert.ok(isAlive(pid));
    // No Node process waits for it: its parent is the monitor.
    const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.match(readlinkSync(`/proc/${ppid}/exe`), /perl/);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(nb(['logs', 'life']).stdout, /^hello$/m);
    assert.match(nb(['logs', '--tail', 'all', 'life']).stdout, /^hello$/m);
    const e = nb(['exec', 'life', '/bin/sh', '-c', 'echo pid=$$ host=$(hostname); grep ^Seccomp: /proc/self/status; cat /proc/1/cmdline | tr "\\0" " "']);
    assert.is(e.status, 0, e.stderr);
    assert.match(e.stdout, /^Seccomp:\s+2$/m, 'exec runs under the same filter');
    assert.match(e.stdout, new RegExp(`host=${id}`));
    assert.match(e.stdout, /while :; do sleep 0.1; done/);
    // The exec'd process is in the container's cgroup, and nothing else was charged to it: PID 1's
    // shell, its sleep, this shell and its cat.
    const pids = nb(['exec', 'life', '/bin/sh', '-c', 'cat /sys/fs/cgroup/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids/pids.current']);
    assert.is(pids.status, 0, pids.stderr);
    assert.ok(Number(pids.stdout) >= 3 && Number(pids.stdout) <= 4, `pids.current seen by exec: ${pids.stdout}`);
    assert.match(nb(['top', 'life']).stdout, /\b1\s+0\s+\/bin\/sh -c echo hello/);
    assert.is(nb(['pause', 'life']).status, 0);
    assert.match(nb(['pause', 'life']).stderr, /already paused/);
    assert.match(nb(['ps']).stdout, /Up .* \(Paused\) +life$/m);
    assert.is(nb(['unpause', 'life']).status, 0);
    assert.is(nb(['stop', '-t', '1', 'life']).status, 0);
    const after = JSON.parse(nb(['inspect', 'life']).stdout)[0];
    assert.is(after.State.Status, 'exited');
    assert.is(after.State.ExitCode, 137, 'sh as PID 1 ignores SIGTERM, so the SIGKILL after 1 s ended it');
    assert.not.ok(isAlive(pid));
    assert.is(nb(['rm', 'life']).status, 0);
    assert.not.ok(containerDirs().includes(id));
  } finally {
    nb(['rm', '-f', 'life']);
  }
});

test('-d --rm --trace: the steps are printed; rm -f removes it at once, without an error, leaving nothing', () => {
  const d = nb(['run', '-d', '--rm', '--trace', '--name', 'gone', '--net', 'none', 'default', '--', 'sleep', '60']);
  assert.is(d.status, 0, d.stderr);
  assert.match(d.stderr, /ms {2}namespaces made, PID 1 held/, 'the detached creator\'s trace reaches the user');
  const pid = JSON.parse(nb(['inspect', 'gone']).stdout)[0].State.Pid;
  // Its own --rm removes the directory while rm -f still waits for the end to be handled.
  const r = nb(['rm', '-f', 'gone']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'gone');
  assert.not.ok(isAlive(pid));
  assert.equal(containerDirs(), []);
  assert.equal(cgroupsLeft(), []);
  assert.not.ok(containerLedgers().length > 0);
});

test('--rm removes the container; the exit status is the command\'s', () => {
  const before = containerDirs().length;
  const r = inside(['--net', 'none'], 'exit 7');
  assert.is(r.status, 7);
  assert.is(containerDirs().length, before);
  assert.equal(cgroupsLeft(), []);
});

test('a run killed with SIGKILL leaves objects that `nestbox cleanup` removes', async () => {
  const child = spawn(process.execPath, [bin, 'run', '--rm', '--name', 'victim', '--net', 'none', 'default', '--', 'sleep', '60'], { env, stdio: 'ignore' });
  let pid = 0;
  const until = Date.now() + patience(5000);
  while (!pid && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    const dir = containerDirs()[0];
    try { const s = JSON.parse(readFileSync(join(lib.path, 'containers', dir, 'state.json'), 'utf8')); if (s.Status === 'running') pid = s.Pid; } catch { /* not yet */ }
  }
  assert.ok(pid, 'the container started');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(isAlive(pid), 'its PID 1 outlived nestbox');
  assert.ok(cgroupsLeft().length > 0, 'and its cgroup');
  const c = nb(['cleanup']);
  assert.is(c.status, 0, c.stderr);
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(isAlive(pid), 'cleanup killed it');
  assert.equal(cgroupsLeft(), [], 'removed its cgroup');
  assert.equal(containerDirs(), [], 'and, as it was --rm, its directory');
  assert.not.ok(containerLedgers().length > 0);
});

test('a run ended by SIGTERM while the container is being made leaves nothing behind, at any step', async () => {
  // --trace prints each step as it ends: the signal is sent right after a chosen one.
  for (const after of ['state in', 'cgroup', 'namespaces made', 'limits written']) {
    const child = spawn(process.execPath, [bin, 'run', '--rm', '--trace', '-p', '18089:80', 'default', '--', 'sleep', '30'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      err += d;
      if (!sent && err.split('\n').some((l) => l.includes(after))) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.ok(sent, `the step "${after}" was reached: ${err}`);
    assert.is(code, 143, `exit 128+15 after "${after}": ${err}`);
    assert.match(err, /interrupted by SIGTERM while the container was being made/);
    assert.equal(containerDirs(), [], `no container directory after "${after}"`);
    assert.equal(cgroupsLeft(), [], `no cgroup after "${after}"`);
    assert.not.match(spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout, /: nb/, `no link after "${after}"`);
    assert.not.match(spawnSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' }).stdout, /NESTBOX|nestbox/, `no nat rule after "${after}"`);
    assert.not.ok(containerLedgers().length > 0, `no ledger after "${after}"`);
  }
});

test('20 containers started and removed concurrently, on one bridge, without collisions', async () => {
  // Addresses go back to the pool when a container ends, so a later container may rightly get one an
  // earlier one had. To test for collisions all twenty must be alive at once: each prints its name and
  // address, then waits for the file "go" in a shared volume, written once all twenty have printed.
  const sync = tempDir('nestbox-run-sync-');
  const script = 'hostname; ip -4 -o addr show eth0; while [ ! -e /sync/go ]; do usleep 50000; done';
  const outs: string[] = Array(20).fill('');
  let release: () => void = () => {};
  const allPrinted = new Promise<void>((resolve) => (release = resolve));
  const printed = () => outs.filter((o) => /inet \S+\//.test(o)).length === 20;
  const runs = outs.map((_, i) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'run', '--rm', '--name', `many${i}`, '-v', `${sync.path}:/sync`, 'default', '--', '/bin/sh', '-c', script], { env });
    const add = (d: Buffer) => { outs[i] += d; if (printed()) release(); };
    c.stdout.on('data', add);
    c.stderr.on('data', add);
    // One that ends early (a failure) must not leave the other nineteen waiting forever.
    c.on('exit', (code) => { release(); resolve({ code, out: outs[i] }); });
  }));
  const timer = setTimeout(() => release(), patience(45_000));
  await allPrinted;
  clearTimeout(timer);
  const alive = outs.map((o) => /inet (\S+)\//.exec(o)?.[1]);
  writeFileSync(join(sync.path, 'go'), '');
  const results = await Promise.all(runs);
  sync.remove();
  for (const r of results) assert.is(r.code, 0, r.out);
  assert.is(new Set(results.map((r) => r.out.split('\n')[0])).size, 20, 'twenty different hostnames (ids)');
  assert.is(new Set(alive).size, 20, `twenty live containers, twenty different addresses: ${alive.join(' ')}`);
  assert.equal(containerDirs(), []);
  assert.equal(cgroupsLeft(), []);
  assert.not.match(spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout, /: nb/);
});

test('bad input: one line, the right exit code, nothing created', () => {
  const envFile = join(lib.path, 'env-list');
  writeFileSync(envFile, 'A=1\nexport B=2\n');
  const cases: [string[], RegExp, number][] = [
    [['run', '--memory', '12XB', 'default'], /--memory "12XB" is not a size/, 125],
    [['run', '--cpus', '-1', 'default'], /not a number of CPUs/, 125],
    [['run', '--memory', '1m', 'default'], /below the 6m minimum/, 125],
    [['run', '--name', '../etc', 'default'], /invalid container name/, 125],
    [['run', '--name', 'a\u0007b', 'default'], /invalid container name/, 125],
    [['run', '-p', '99999:80', 'default'], /outside 1-65535/, 125],
    [['run', '-v', 'relative/dir:/x', 'default'], /includes invalid characters for a local volume name/, 125],
    [['run', '/no/such/rootfs'], /not a directory or an imported image/, 125],
    [['run', '--net', 'none', 'default', '--', 'no-such-command'], /no-such-command: not found/, 127],
    [['run', '--net', 'none', 'default', '--', '/etc/hostname'], /permission denied/, 126],
    [['run', '--net', 'bogus', 'default'], /use bridge, host, none or container/, 125],
    [['run', '--cap-add', 'FLY', 'default'], /unknown capability/, 125],
    [['run', '--env-file', envFile, 'default'], /line 2: "export B" is not a variable name/, 125],
    [['run', '-u', 'ghost', 'default'], /no user "ghost" in the container's \/etc\/passwd/, 125],
    [['run', '--security-opt', 'apparmor=x', 'default'], /nestbox knows seccomp=unconfined/, 125],
    [['run', '--rm', 'default', '-it', '--', 'true'], /options go before the rootfs or image/, 125],
  ];
  for (const [args, message, code] of cases) {
    const r = nb(args);
    assert.is(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /);
  }
  const first = nb(['run', '-d', '--name', 'taken', '--net', 'none', 'default', '--', 'sleep', '30']);
  assert.is(first.status, 0, first.stderr);
  const dup = nb(['run', '--name', 'taken', '--net', 'none', 'default', '--', 'true']);
  assert.is(dup.status, 125);
  assert.match(dup.stderr, /already in use/);
  nb(['rm', '-f', 'taken']);
  assert.equal(containerDirs(), []);
  assert.equal(cgroupsLeft(), []);
});

test.after(() => {
  for (const id of containerDirs()) nb(['rm', '-f', id]);
  lib.remove();
});

test.run();
