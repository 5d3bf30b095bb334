// nestbox as an OCI runtime, on plain data (no root): config.json checked as the spec asks (errors
// for what cannot be honoured, nothing for what is unknown), mount options sorted as runc sorts
// them, cgroup paths, runc's command-line flags, `nestbox run`'s own config (which must pass the
// same checks), and seccomp programs assembled from OCI profiles, run here on a small classic-BPF
// interpreter to see what they answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkConfig } from '../../src/oci/bundle.js';
import { parseMountOptions, COPY_UP } from '../../src/oci/mount-options.js';
import { seccompProgram } from '../../src/oci/seccomp.js';
import { parseFlags } from '../../src/oci/cli.js';
import { systemdPath, cgroupPathFor, parseSignal } from '../../src/oci/runtime.js';
import { assembleProgram, SECCOMP_RET } from '../../src/kernel/seccomp.js';
import { syscallTable } from '../../src/kernel/syscall-table.js';
import { MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_PRIVATE, MS_SHARED } from '../../src/kernel/constants.js';
import { runConfig } from '../../src/runtime/run-config.js';
import { mountSteps } from '../../src/runtime/container-fs.js';
import { limitsWithin } from '../../src/kernel/rlimit.js';
import { seccompProfile } from '../../src/runtime/seccomp-profile.js';
import { buildSpec } from '../../src/runtime/spec.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/kernel/constants.js';
import type { OciSpec } from '../../src/oci/types.js';
import type { CgroupLayout } from '../../src/kernel/cgroup-layout.js';

const fixture = fileURLToPath(new URL('../../../test/fixtures/oci/runtime-tools-default.json', import.meta.url));
const base = (): OciSpec => JSON.parse(readFileSync(fixture, 'utf8'));
const refused = (c: OciSpec, message: RegExp) => {
  try {
    checkConfig(c);
    assert.unreachable(`accepted, expected ${message}`);
  } catch (err) {
    assert.match((err as Error).message, message);
    assert.match((err as Error).message, /^config\.json: /, 'one line that names the file');
  }
};

test('the validation suite\'s default config passes; unknown properties and annotations are ignored', () => {
  checkConfig(base());
  checkConfig({ ...base(), unknown: 'x', annotations: { 'org.example.anything': '' } } as OciSpec);
});

test('what cannot be honoured is refused, naming the field', () => {
  refused({ ...base(), ociVersion: 'invalid' }, /ociVersion "invalid"/);
  refused({ ...base(), ociVersion: '2.0.0' }, /1\.x/);
  const c = base();
  c.process!.capabilities!.bounding!.push('CAP_TEST');
  refused(c, /CAP_TEST is not a capability/);
  refused({ ...base(), process: { ...base().process!, cwd: 'relative' } }, /process\.cwd/);
  refused({ ...base(), process: { ...base().process!, rlimits: [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }] } }, /RLIMIT_BOGUS/);
  refused({ ...base(), process: { ...base().process!, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }] } }, /soft limit above/);
  refused({ ...base(), mounts: [{ destination: 'proc', type: 'proc' }] }, /absolute path/);
  refused({ ...base(), linux: { ...base().linux, namespaces: [{ type: 'pid' }, { type: 'pid' }] } }, /pid is given twice/);
  refused({ ...base(), linux: { ...base().linux, namespaces: [{ type: 'mount' }, { type: 'uts' }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } }, /need a user namespace/);
  refused({ ...base(), linux: { ...base().linux, namespaces: [{ type: 'mount' }] } }, /hostname needs a UTS namespace/);
  refused({ ...base(), linux: { ...base().linux, seccomp: { defaultAction: 'SCMP_ACT_NOTIFY' } } }, /defaultAction/);
  refused({ ...base(), linux: { ...base().linux, seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', args: [{ index: 7, value: 0, op: 'SCMP_CMP_EQ' }] }] } } }, /index 7/);
  const shared = base();
  shared.linux!.namespaces = shared.linux!.namespaces!.filter((n) => n.type !== 'network');
  shared.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  refused(shared, /would change the host/);
});

test('mount options: flags set and cleared, propagation apart, the rest for the filesystem', () => {
  const o = parseMountOptions(['rbind', 'ro', 'nosuid', 'rprivate', 'mode=755', 'size=65536k', 'Z', COPY_UP]);
  assert.is(o.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
  assert.equal(o.propagation, [MS_PRIVATE | MS_REC]);
  assert.is(o.data, 'mode=755,size=65536k');
  assert.ok(o.bind && o.recursive && o.copyUp);
  assert.equal(o.ignored, ['Z']);
  assert.is(parseMountOptions(['nodev', 'dev']).flags & MS_NODEV, 0, 'a later "dev" clears an earlier "nodev"');
  assert.equal(parseMountOptions(['shared']).propagation, [MS_SHARED]);
});

test('cgroupsPath: absolute below each tree, relative below the runtime\'s own, systemd\'s slice:prefix:name', () => {
  const layout: CgroupLayout = { mode: 'v2', v2Root: '/sys/fs/cgroup', v2Controllers: [], v1Mounts: [], usable: {} };
  assert.is(cgroupPathFor('/cgrouptest', 'x', false, layout), '/cgrouptest');
  assert.is(cgroupPathFor(undefined, 'x', false, layout), '/nestbox/oci-x');
  assert.type(cgroupPathFor('rel/ative', 'x', false, layout), 'function');
  assert.is(systemdPath('machine.slice:libpod:abc'), '/machine.slice/libpod-abc.scope');
  assert.is(systemdPath('a-b.slice:p:n'), '/a.slice/a-b.slice/p-n.scope');
  assert.is(systemdPath(':nestbox:id'), '/system.slice/nestbox-id.scope');
  assert.throws(() => systemdPath('machine.slice'), /slice:prefix:name/);
});

test('runc\'s flags: one dash or two, =value or the next word; the first plain word ends them', () => {
  const defs = { bundle: 'string', 'pid-file': 'string', detach: 'bool', env: 'list' } as const;
  const p = parseFlags(['-b', '/b', '--pid-file=/p', '-d', '--env', 'A=1', '--env=B=2', 'ID', '--not-a-flag'], { ...defs }, { b: 'bundle', d: 'detach' });
  assert.equal(p.flags, { bundle: '/b', 'pid-file': '/p', detach: true, env: ['A=1', 'B=2'] });
  assert.equal(p.rest, ['ID', '--not-a-flag']);
  assert.throws(() => parseFlags(['--bogus'], { ...defs }), /flag provided but not defined: -bogus/);
  assert.is(parseSignal('TERM'), 15);
  assert.is(parseSignal('SIGKILL'), 9);
  assert.is(parseSignal('10'), 10);
  assert.throws(() => parseSignal('NOPE'), /invalid signal/);
});

test('`nestbox run` writes a config the same checks accept: Docker\'s namespaces, caps, masks and its seccomp profile', () => {
  const spec = buildSpec('default', ['sh'], { net: 'none', memory: '64m', 'pids-limit': '20' });
  const config = runConfig({ spec, rootfs: '/R', etc: { hostname: '/h', hosts: '/h', resolvConf: '/h' } });
  checkConfig(config);
  assert.equal(config.linux!.namespaces!.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.is(config.process!.capabilities!.bounding!.length, 14);
  assert.equal(config.linux!.resources!.memory, { limit: 64 * 1024 * 1024, swap: 64 * 1024 * 1024 }, 'no swap on top of --memory');
  assert.equal(config.linux!.resources!.pids, { limit: 20 });
  assert.is(config.linux!.resources!.devices![0].allow, false, 'every device denied first, then the defaults allowed');
  assert.ok(config.linux!.maskedPaths!.includes('/proc/kcore'));
  assert.is(config.linux!.cgroupsPath, `/nestbox/${spec.id}`);
});

// A classic-BPF interpreter, enough for seccomp programs: what does the filter answer for a call?
function answer(prog: Buffer, nr: number, args: bigint[] = [], arch = 0xc000003e): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let A = 0;
  for (let pc = 0; pc < prog.length / 8;) {
    const code = prog.readUInt16LE(pc * 8), jt = prog[pc * 8 + 2], jf = prog[pc * 8 + 3], k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: A = data.readUInt32LE(k); break;
      case 0x54: A = (A & k) >>> 0; break;
      case 0x05: pc += k; break;
      case 0x15: pc += A === k ? jt : jf; break;
      case 0x25: pc += A > k ? jt : jf; break;
      case 0x35: pc += A >= k ? jt : jf; break;
      case 0x45: pc += (A & k) !== 0 ? jt : jf; break;
      case 0x06: return k;
      default: throw new Error(`unknown instruction 0x${code.toString(16)}`);
    }
  }
  throw new Error('fell off the end');
}
const nr = (name: string) => syscallTable('x64')[name];
const ERRNO = (e: number) => (SECCOMP_RET.errno | e) >>> 0;

test('seccomp: the suite\'s profile (Docker\'s default) answers as its rules say, on every ABI it names', () => {
  const prog = assembleProgram(seccompProgram(base().linux!.seccomp!, 'x64'));
  assert.ok(prog.length / 8 < 4096);
  assert.is(answer(prog, nr('read')), SECCOMP_RET.allow);
  assert.is(answer(prog, nr('kexec_load')), ERRNO(1), 'not listed: the default, EPERM');
  assert.is(answer(prog, nr('clone'), [0x11n]), SECCOMP_RET.allow, 'clone without namespace flags');
  assert.is(answer(prog, nr('clone'), [0x10000000n]), ERRNO(1), 'clone with CLONE_NEWUSER');
  assert.is(answer(prog, nr('clone3')), ERRNO(38), 'clone3: ENOSYS, so the C library falls back to clone');
  assert.is(answer(prog, nr('personality'), [0n]), SECCOMP_RET.allow);
  assert.is(answer(prog, nr('personality'), [1n]), ERRNO(1));
  assert.is(answer(prog, 0x40000000 | nr('read')), SECCOMP_RET.allow, 'x32 calls meet the same rules');
  assert.is(answer(prog, 0x40000000 | nr('kexec_load')), ERRNO(1));
  assert.is(answer(prog, 3, [], 0x40000003), SECCOMP_RET.allow, 'i386 read (3) through its own table');
  assert.is(answer(prog, 0, [], 0xc00000b7), SECCOMP_RET.killProcess, 'an ABI the profile does not name');
});

test('seccomp: 64-bit comparisons, and nestbox\'s own profile in OCI form', () => {
  const spec = (op: string, value: number, valueTwo = 0) => assembleProgram(seccompProgram({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 2, value, valueTwo, op }] }] }, 'x64'));
  const w = (prog: Buffer, n: bigint) => answer(prog, nr('write'), [0n, 0n, n]) === ERRNO(5);
  assert.ok(w(spec('SCMP_CMP_GT', 100), 101n) && !w(spec('SCMP_CMP_GT', 100), 100n));
  assert.ok(w(spec('SCMP_CMP_GT', 100), 1n << 32n), 'the high half counts');
  assert.ok(w(spec('SCMP_CMP_LE', 100), 100n) && !w(spec('SCMP_CMP_LE', 100), 1n << 33n));
  assert.ok(w(spec('SCMP_CMP_LT', 100), 99n) && !w(spec('SCMP_CMP_LT', 100), 100n));
  assert.ok(w(spec('SCMP_CMP_GE', 100), 100n) && !w(spec('SCMP_CMP_GE', 100), 99n));
  assert.ok(w(spec('SCMP_CMP_NE', 7), 8n) && !w(spec('SCMP_CMP_NE', 7), 7n) && w(spec('SCMP_CMP_NE', 7), 7n | (1n << 40n)));
  assert.ok(w(spec('SCMP_CMP_MASKED_EQ', 0xf0, 0x20), 0x2fn) && !w(spec('SCMP_CMP_MASKED_EQ', 0xf0, 0x20), 0x30n));
  const own = assembleProgram(seccompProgram(seccompProfile(DOCKER_DEFAULT_CAPS), 'x64'));
  assert.is(answer(own, nr('unshare')), ERRNO(1));
  assert.is(answer(own, nr('clone3')), ERRNO(38));
  assert.is(answer(own, nr('clone'), [0x20000000n]), ERRNO(1), 'CLONE_NEWPID refused');
  assert.is(answer(own, nr('clone'), [0x11n]), SECCOMP_RET.allow);
  assert.is(answer(own, nr('socket'), [40n]), ERRNO(1), 'vsock refused');
  assert.is(answer(own, nr('socket'), [2n]), SECCOMP_RET.allow);
  assert.is(answer(own, nr('personality'), [0xffffffffn]), SECCOMP_RET.allow, 'the query persona');
  assert.is(answer(own, nr('personality'), [0x40000n]), ERRNO(1), 'ADDR_NO_RANDOMIZE refused');
  assert.is(answer(own, 3, [], 0x40000003), SECCOMP_RET.killProcess, 'another ABI is killed, as nestbox\'s filter always did');
});


test('a cgroup mount without a cgroup namespace: the container\'s own directory bound over each tree, read-only (runc\'s way)', () => {
  const layout: CgroupLayout = {
    mode: 'hybrid', v2Root: '/sys/fs/cgroup/unified', v2Controllers: [],
    v1Mounts: [{ path: '/sys/fs/cgroup/memory', controllers: ['memory'] }, { path: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] }],
    usable: { memory: { version: 1, path: '/sys/fs/cgroup/memory' } },
  };
  const m = { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] };
  const own = { '/sys/fs/cgroup/memory': '/libpod_parent/libpod-abc', '/sys/fs/cgroup/cpu,cpuacct': '/libpod_parent/libpod-abc' };
  const steps = mountSteps('/r', m, layout, own) as Array<Record<string, unknown>>;
  const binds = steps.filter((s) => s.call === 'mount' && typeof s.flags === 'number' && (s.flags & MS_BIND));
  assert.equal(binds.map((s) => [s.source, s.target]), [
    ['/r/sys/fs/cgroup/memory/libpod_parent/libpod-abc', '/r/sys/fs/cgroup/memory'], [null, '/r/sys/fs/cgroup/memory'],
    ['/r/sys/fs/cgroup/cpu,cpuacct/libpod_parent/libpod-abc', '/r/sys/fs/cgroup/cpu,cpuacct'], [null, '/r/sys/fs/cgroup/cpu,cpuacct'],
  ], 'each tree: bound from its own subdirectory, then remounted');
  assert.ok((binds[1].flags as number) & MS_RDONLY, 'read-only, as the mount asked');
  const mountAt = steps.findIndex((s) => s.target === '/r/sys/fs/cgroup/memory' && s.fstype === 'cgroup');
  assert.ok(mountAt >= 0 && mountAt < steps.indexOf(binds[0]), 'the tree is mounted before its own directory is bound over it');
  assert.not.ok(mountSteps('/r', m, layout).some((s) => s.call === 'mount' && ((s as { flags: number }).flags & MS_BIND)), 'in a cgroup namespace of its own: nothing bound');
});


test('rlimits above this process\'s own hard limit are lowered to it, with a warning; those within it are kept', () => {
  // /proc/self/limits: "Max open files            1024                 20000                files"
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const hard = line.split(/\s{2,}/)[2];
  if (hard === 'unlimited') return;
  const said: string[] = [];
  const out = limitsWithin([{ name: 'nofile', soft: 1048576 * 4, hard: 1048576 * 4 }, { name: 'nofile', soft: 1, hard: 2 }], (l, to) => said.push(`${l.name} ${to}`));
  if (Number(hard) >= 1048576 * 4) return;
  assert.equal(out, [{ name: 'nofile', soft: Number(hard), hard: Number(hard) }, { name: 'nofile', soft: 1, hard: 2 }]);
  assert.equal(said, [`nofile ${hard}`]);
});

test.run();
