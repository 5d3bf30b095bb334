// `nestbox doctor`: everything the labs and `run` need, each check saying pass, warn or fail, the
// exact fix, and which labs a missing piece takes away. Checks only read: nothing is created.
import { existsSync, readFileSync } from 'node:fs';
import { readElf } from '../rootfs/elf.js';
import { execFileSync } from 'node:child_process';
import { kernelVersion, mountOf } from '../kernel/proc.js';
import { detectCgroupLayout, CgroupLayout } from '../kernel/cgroup-layout.js';
import { NAMESPACE_TYPES } from '../kernel/constants.js';
import { which } from '../host/exec.js';
import { rootfsDir, libDir } from '../host/paths.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to run to fix it (warn/fail only). */
  fix?: string;
  /** A failed required check makes doctor exit non-zero. */
  required: boolean;
  /** Labs that cannot run while this check is not passing. */
  labs?: string[];
}

export interface DoctorReport {
  ok: boolean;
  kernel: string;
  cgroup: { mode: string; v2Root?: string; controllers: Record<string, string> };
  iptablesBackend?: 'nft' | 'legacy';
  checks: Check[];
  /** lab id -> why it cannot run here */
  unavailableLabs: Record<string, string>;
}

const NETWORK_LABS = ['veth', 'bridge', 'nat', 'ports', 'netmodes'];
const NS_LABS: Record<string, string[]> = {
  uts: ['uts', 'namespaces'], pid: ['pid', 'namespaces', 'hardening'], mnt: ['mnt', 'chroot', 'overlay', 'volumes', 'hardening', 'run'], ipc: ['ipc'], net: ['net', ...NETWORK_LABS],
  user: ['user'], cgroup: ['cgroupns'], time: ['timens'],
};
const NS_SINCE: Record<string, string> = { mnt: '2.4.19', uts: '2.6.19', ipc: '2.6.19', pid: '2.6.24', net: '2.6.29', user: '3.8', cgroup: '4.6', time: '5.6' };
const CONTROLLER_LABS: Record<string, string[]> = {
  memory: ['memory', 'cgroup-tree'], cpu: ['cpu'], pids: ['pids'], cpuset: ['cpuset'], freezer: ['freezer'],
};

function read(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
}

export function runChecks(): DoctorReport {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);

  const isRoot = process.getuid?.() === 0;
  add({ id: 'root', title: 'running as root', required: true, status: isRoot ? 'pass' : 'fail',
    detail: isRoot ? 'uid 0' : `uid ${process.getuid?.()}: namespaces, mounts and cgroups need CAP_SYS_ADMIN`, fix: isRoot ? undefined : 'sudo nestbox doctor' });

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  add({ id: 'node', title: 'Node.js 18 or later', required: true, status: nodeMajor >= 18 ? 'pass' : 'fail',
    detail: `node ${process.versions.node}`, fix: nodeMajor >= 18 ? undefined : 'apt-get install nodejs (Ubuntu 24.04 and Debian 12 ship 18+)' });

  const release = read('/proc/sys/kernel/osrelease') ?? 'unknown';
  const [maj, min] = kernelVersion(release);
  const kernelOk = maj > 4 || (maj === 4 && min >= 18);
  add({ id: 'kernel', title: 'kernel 4.18 or later', required: true, status: kernelOk ? 'pass' : maj >= 3 && min >= 10 || maj > 3 ? 'warn' : 'fail',
    detail: `Linux ${release}` + (kernelOk ? '' : ': old kernel (CentOS 7 runs 3.10): some labs are unavailable'),
    fix: kernelOk ? undefined : 'use a current VM image (Ubuntu 24.04 or Debian 12)' });

  const libcOk = ['/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib64', '/usr/lib', '/lib'].some((d) => existsSync(`${d}/libc.so.6`));
  const libcDetail = libcOk ? 'glibc, loaded through koffi' : 'libc.so.6 (glibc) not found: musl systems such as Alpine are not supported';
  add({ id: 'libc', title: 'glibc (libc.so.6)', required: true, status: libcOk ? 'pass' : 'fail', detail: libcDetail,
    fix: libcOk ? undefined : 'run nestbox on a glibc distribution (Ubuntu, Debian, Fedora)' });

  for (const type of NAMESPACE_TYPES) {
    const present = existsSync(`/proc/self/ns/${type}`);
    const core = ['mnt', 'uts', 'ipc', 'pid', 'net'].includes(type);
    let detail = present ? `/proc/self/ns/${type}` : `this kernel has no ${type} namespace (added in Linux ${NS_SINCE[type]})`;
    let status: CheckStatus = present ? 'pass' : core ? 'fail' : 'warn';
    let fix: string | undefined = present ? undefined : `a kernel ${NS_SINCE[type]} or later`;
    if (type === 'user' && present) {
      const max = Number(read('/proc/sys/user/max_user_namespaces') ?? '1');
      if (max === 0) { status = 'warn'; detail = 'user namespaces are disabled (max_user_namespaces is 0)'; fix = 'sysctl -w user.max_user_namespaces=15000'; }
    }
    add({ id: `ns-${type}`, title: `${type} namespace`, required: core, status, detail, fix, labs: NS_LABS[type] });
  }

  const layout = detectCgroupLayout();
  add(cgroupCheck(layout));
  for (const [controller, labs] of Object.entries(CONTROLLER_LABS)) {
    const where = layout.usable[controller] ?? (controller === 'freezer' && layout.mode === 'v2' ? { version: 2, path: layout.v2Root! } : undefined);
    add({ id: `cgroup-${controller}`, title: `cgroup controller ${controller}`, required: false, status: where ? 'pass' : 'warn',
      detail: where ? `v${where.version} at ${where.path}` : `not available (cgroup mode ${layout.mode})`,
      fix: where ? undefined : layout.mode === 'v2' ? `echo +${controller} > /sys/fs/cgroup/cgroup.subtree_control` : `enable the ${controller} controller in the kernel command line (cgroup_enable=${controller})`,
      labs });
  }

  const filesystems = read('/proc/filesystems') ?? '';
  const overlay = /\toverlay$/m.test(filesystems) || existsSync('/sys/module/overlay');
  const overlayModule = !overlay && moduleAvailable('overlay');
  add({ id: 'overlayfs', title: 'overlay filesystem', required: false, status: overlay || overlayModule ? 'pass' : 'warn',
    detail: overlay ? 'overlay in /proc/filesystems' : overlayModule ? 'module available, loaded on first mount' : 'not available',
    fix: overlay || overlayModule ? undefined : 'modprobe overlay', labs: overlay || overlayModule ? undefined : ['overlay'] });

  const ip = which('ip');
  add({ id: 'ip', title: 'ip (iproute2)', required: true, status: ip ? 'pass' : 'fail', detail: ip ?? 'not found',
    fix: ip ? undefined : 'apt-get install -y iproute2', labs: ip ? undefined : [...NETWORK_LABS, 'run'] });

  const iptables = which('iptables');
  let backend: 'nft' | 'legacy' | undefined;
  if (iptables) {
    try {
      const v = execFileSync('iptables', ['-V'], { encoding: 'utf8' });
      backend = /nf_tables/.test(v) ? 'nft' : 'legacy';
    } catch { /* unusable */ }
  }
  add({ id: 'iptables', title: 'iptables', required: true, status: backend ? 'pass' : 'fail',
    detail: backend ? `${iptables} (${backend === 'nft' ? 'nf_tables backend' : 'legacy backend'})` : 'not found',
    fix: backend ? undefined : 'apt-get install -y iptables', labs: backend ? undefined : ['nat', 'ports', 'run'] });

  if (backend && isRoot) add(forwardPolicyCheck());

  const forward = read('/proc/sys/net/ipv4/ip_forward');
  add({ id: 'ip_forward', title: 'net.ipv4.ip_forward', required: false, status: forward === '1' ? 'pass' : 'warn',
    detail: forward === '1' ? 'on' : 'off: the nat and ports labs turn it on while they run and restore it after',
    fix: forward === '1' ? undefined : 'sysctl -w net.ipv4.ip_forward=1 (optional)' });

  const brnf = existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
  const brnfModule = !brnf && moduleAvailable('br_netfilter');
  add({ id: 'br_netfilter', title: 'br_netfilter', required: false, status: brnf ? 'pass' : 'warn',
    detail: brnf ? 'loaded: bridged traffic passes through iptables' : brnfModule ? 'not loaded: traffic between containers on one bridge skips iptables' : 'not available in this kernel',
    fix: brnf ? undefined : 'modprobe br_netfilter' });

  const busybox = findStaticBusybox();
  const rootfs = existsSync(rootfsDir());
  add({ id: 'rootfs', title: 'default root filesystem', required: false, status: rootfs || busybox ? 'pass' : 'warn',
    detail: rootfs ? rootfsDir() : busybox ? `not built yet; made from ${busybox} on first use` : `not built yet; made from the host's own binaries on first use`,
    fix: rootfs || busybox ? undefined : 'apt-get install -y busybox-static (a smaller, self-contained rootfs), or nestbox rootfs create' });

  add(workDirCheck());

  const unavailableLabs: Record<string, string> = {};
  for (const c of checks) {
    if (c.status === 'pass' || !c.labs) continue;
    for (const lab of c.labs) unavailableLabs[lab] ??= `${c.title}: ${c.detail}`;
  }
  const controllers: Record<string, string> = {};
  for (const [c, w] of Object.entries(layout.usable)) controllers[c] = `v${w.version}`;
  return {
    ok: checks.every((c) => !c.required || c.status !== 'fail'),
    kernel: release,
    cgroup: { mode: layout.mode, v2Root: layout.v2Root, controllers },
    iptablesBackend: backend,
    checks,
    unavailableLabs,
  };
}

function cgroupCheck(layout: CgroupLayout): Check {
  const describe: Record<string, string> = {
    v2: `pure cgroup v2 (one tree at ${layout.v2Root})`,
    v1: 'cgroup v1 (one tree per controller)',
    hybrid: `hybrid: controllers on v1, a v2 tree at ${layout.v2Root} with ${layout.v2Controllers.length ? layout.v2Controllers.join(' ') : 'no controllers'}`,
    none: 'no cgroup filesystem mounted',
  };
  return { id: 'cgroup', title: 'cgroups', required: true, status: layout.mode === 'none' ? 'fail' : 'pass',
    detail: describe[layout.mode], fix: layout.mode === 'none' ? 'mount -t cgroup2 none /sys/fs/cgroup' : undefined,
    labs: layout.mode === 'none' ? Object.values(CONTROLLER_LABS).flat() : undefined };
}

/**
 * The FORWARD chain's policy decides the fate of every packet routed between a container and the
 * rest of the world. Docker sets it to DROP when it starts (and loads br_netfilter, so traffic
 * inside a bridge is filtered too). nestbox never changes the policy or Docker's rules: it inserts
 * ACCEPT rules for its own bridges at the top of FORWARD and removes them afterwards.
 */
function forwardPolicyCheck(): Check {
  let rules = '';
  try { rules = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { /* unreadable */ }
  const policy = /^-P FORWARD (\S+)/m.exec(rules)?.[1] ?? 'unknown';
  const docker = existsSync('/sys/class/net/docker0') || /^-N DOCKER/m.test(rules);
  const what = docker ? `Docker is installed here (docker0, its DOCKER chains${policy === 'DROP' ? ', FORWARD policy DROP' : ''})` : `policy ${policy}`;
  return { id: 'forward', title: 'iptables FORWARD chain', required: false, status: 'pass',
    detail: policy === 'ACCEPT' && !docker ? 'policy ACCEPT' :
      `${what}: nestbox inserts its own ACCEPT rules for its bridges at the top of FORWARD (chain NESTBOX-FORWARD for nb0, one rule set per network lab) and removes them afterwards; ${docker ? "Docker's rules and the policy" : 'the policy'} stay as they are` };
}

/**
 * Labs copy a root filesystem into a work directory and start programs from it, and containers run
 * from their layers in the same tree: its filesystem must allow exec. (systemd mounts /run and
 * often /tmp noexec, which is why nestbox does not work there.)
 */
function workDirCheck(): Check {
  const dir = libDir();
  const mount = mountOf(dir);
  const noexec = mount?.options.includes('noexec') ?? false;
  return { id: 'workdir', title: 'work directories', required: true, status: noexec ? 'fail' : 'pass',
    detail: noexec ? `${dir} is on ${mount!.mountPoint}, mounted noexec: programs cannot start from a lab's or a container's root there`
      : `${dir} (labs in ${dir}/labs; on ${mount?.mountPoint ?? '/'}, programs may run from it)`,
    fix: noexec ? `NESTBOX_LIB_DIR=/some/dir/on/an/exec/filesystem nestbox ..., or mount -o remount,exec ${mount!.mountPoint}` : undefined,
    labs: noexec ? ['chroot', 'overlay', 'volumes', 'nat', 'ports', 'run', 'hardening'] : undefined };
}

/** Is a kernel module present on disk for this kernel (so modprobe would work)? */
function moduleAvailable(name: string): boolean {
  const release = read('/proc/sys/kernel/osrelease');
  if (!release) return false;
  const builtin = read(`/lib/modules/${release}/modules.builtin`) ?? '';
  const dep = read(`/lib/modules/${release}/modules.dep`) ?? '';
  const re = new RegExp(`/${name.replace('_', '[_-]')}\\.ko`);
  return re.test(builtin) || re.test(dep);
}

/** A statically linked busybox (Debian's busybox-static installs one at /bin/busybox). */
export function findStaticBusybox(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox']) {
    if (existsSync(p) && isStaticElf(p)) return p;
  }
  return undefined;
}

function isStaticElf(path: string): boolean {
  const elf = readElf(path);
  return !!elf && !elf.interpreter && elf.needed.length === 0;
}
