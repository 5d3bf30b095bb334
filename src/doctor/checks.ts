// `nestbox doctor`: everything the labs and `run` need, each check saying pass, warn or fail, the
// exact fix, and which labs a missing piece takes away. Checks only read: nothing is created.
import { existsSync, readFileSync } from 'node:fs';
import { readElf } from '../rootfs/elf.js';
import { execFileSync } from 'node:child_process';
import { kernelVersion, mountOf } from '../kernel/proc.js';
import { detectCgroupLayout, CgroupLayout } from '../kernel/cgroup-layout.js';
import { NAMESPACE_TYPES, type NamespaceType } from '../kernel/constants.js';
import { which } from '../host/exec.js';
import { rootfsDir, libDir } from '../host/paths.js';
import { findInitBinary } from '../runtime/init-binary.js';
import { pick, tr, t, type Text } from '../i18n/lang.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** Every check doctor makes, by id: labs name the ones they need (a typo does not compile). */
export type CheckId =
  | 'root' | 'node' | 'kernel' | 'libc' | `ns-${NamespaceType}` | 'cgroup' | `cgroup-${'memory' | 'cpu' | 'pids' | 'cpuset' | 'freezer'}`
  | 'overlayfs' | 'ip' | 'iptables' | 'forward' | 'ip_forward' | 'br_netfilter' | 'rootfs' | 'tools' | 'workdir';

export interface Check {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to run to fix it (warn/fail only). */
  fix?: string;
  /** A failed required check makes doctor exit non-zero. */
  required: boolean;
  /** Labs that cannot run while this check is not passing, besides those whose `needs` name it. */
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

/** The kernel release each namespace type arrived in. */
const NS_SINCE: Record<string, string> = { mnt: '2.4.19', uts: '2.6.19', ipc: '2.6.19', pid: '2.6.24', net: '2.6.29', user: '3.8', cgroup: '4.6', time: '5.6' };

/** The cgroup controllers the labs use, each checked on its own. */
const CONTROLLERS = ['memory', 'cpu', 'pids', 'cpuset', 'freezer'] as const;

/** Each lab's needs, from the catalog the build writes (dist/labs/catalog.json); none before a build. */
function labNeeds(): { id: string; needs: string[] }[] {
  try {
    return JSON.parse(readFileSync(new URL('../../labs/catalog.json', import.meta.url), 'utf8'));
  } catch {
    return [];
  }
}

function read(path: string): string | undefined {
  try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; }
}

export function runChecks(): DoctorReport {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);

  const isRoot = process.getuid?.() === 0;
  add({ id: 'root', title: pick('running as root', '以 root 运行'), required: true, status: isRoot ? 'pass' : 'fail',
    detail: isRoot ? 'uid 0' : pick(`uid ${process.getuid?.()}: namespaces, mounts and cgroups need CAP_SYS_ADMIN`, `uid ${process.getuid?.()}：命名空间、挂载和控制组都需要 CAP_SYS_ADMIN`), fix: isRoot ? undefined : 'sudo nestbox doctor' });

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  add({ id: 'node', title: pick('Node.js 18 or later', 'Node.js 18 或更新'), required: true, status: nodeMajor >= 18 ? 'pass' : 'fail',
    detail: `node ${process.versions.node}`, fix: nodeMajor >= 18 ? undefined : pick('apt-get install nodejs (Ubuntu 24.04 and Debian 12 ship 18+)', 'apt-get install nodejs（Ubuntu 24.04 和 Debian 12 自带 18 以上）') });

  const release = read('/proc/sys/kernel/osrelease') ?? 'unknown';
  const [maj, min] = kernelVersion(release);
  const kernelOk = maj > 4 || (maj === 4 && min >= 18);
  add({ id: 'kernel', title: pick('kernel 4.18 or later', '内核 4.18 或更新'), required: true, status: kernelOk ? 'pass' : maj >= 3 && min >= 10 || maj > 3 ? 'warn' : 'fail',
    detail: `Linux ${release}` + (kernelOk ? '' : pick(': old kernel (CentOS 7 runs 3.10): some labs are unavailable', '：内核太旧（CentOS 7 是 3.10），有些实验做不了')),
    fix: kernelOk ? undefined : pick('use a current VM image (Ubuntu 24.04 or Debian 12)', '换一个较新的虚拟机镜像（Ubuntu 24.04 或 Debian 12）') });

  const libcOk = ['/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib64', '/usr/lib', '/lib'].some((d) => existsSync(`${d}/libc.so.6`));
  const libcDetail = libcOk ? pick('glibc, loaded through koffi', 'glibc，通过 koffi 加载') : pick('libc.so.6 (glibc) not found: musl systems such as Alpine are not supported', '找不到 libc.so.6（glibc）：不支持 Alpine 这类用 musl 的系统');
  add({ id: 'libc', title: 'glibc (libc.so.6)', required: true, status: libcOk ? 'pass' : 'fail', detail: libcDetail,
    fix: libcOk ? undefined : pick('run nestbox on a glibc distribution (Ubuntu, Debian, Fedora)', '在使用 glibc 的发行版上运行 nestbox（Ubuntu、Debian、Fedora）') });

  for (const type of NAMESPACE_TYPES) {
    const present = existsSync(`/proc/self/ns/${type}`);
    const core = ['mnt', 'uts', 'ipc', 'pid', 'net'].includes(type);
    let detail = present ? `/proc/self/ns/${type}` : pick(`this kernel has no ${type} namespace (added in Linux ${NS_SINCE[type]})`, `这个内核没有 ${type} 命名空间（Linux ${NS_SINCE[type]} 才加入）`);
    let status: CheckStatus = present ? 'pass' : core ? 'fail' : 'warn';
    let fix: string | undefined = present ? undefined : pick(`a kernel ${NS_SINCE[type]} or later`, `换成 ${NS_SINCE[type]} 或更新的内核`);
    if (type === 'user' && present) {
      const max = Number(read('/proc/sys/user/max_user_namespaces') ?? '1');
      if (max === 0) { status = 'warn'; detail = pick('user namespaces are disabled (max_user_namespaces is 0)', '用户命名空间被关掉了（max_user_namespaces 为 0）'); fix = 'sysctl -w user.max_user_namespaces=15000'; }
    }
    add({ id: `ns-${type}`, title: pick(`${type} namespace`, `${type} 命名空间`), required: core, status, detail, fix });
  }

  const layout = detectCgroupLayout();
  add(cgroupCheck(layout));
  for (const controller of CONTROLLERS) {
    const where = layout.usable[controller] ?? (controller === 'freezer' && layout.mode === 'v2' ? { version: 2, path: layout.v2Root! } : undefined);
    add({ id: `cgroup-${controller}`, title: pick(`cgroup controller ${controller}`, `cgroup 控制器 ${controller}`), required: false, status: where ? 'pass' : 'warn',
      detail: where ? pick(`v${where.version} at ${where.path}`, `v${where.version}，在 ${where.path}`) : pick(`not available (cgroup mode ${layout.mode})`, `不可用（cgroup 模式 ${layout.mode}）`),
      fix: where ? undefined : layout.mode === 'v2' ? `echo +${controller} > /sys/fs/cgroup/cgroup.subtree_control` : pick(`enable the ${controller} controller in the kernel command line (cgroup_enable=${controller})`, `在内核命令行里启用 ${controller} 控制器（cgroup_enable=${controller}）`) });
  }

  const filesystems = read('/proc/filesystems') ?? '';
  const overlay = /\toverlay$/m.test(filesystems) || existsSync('/sys/module/overlay');
  const overlayModule = !overlay && moduleAvailable('overlay');
  add({ id: 'overlayfs', title: pick('overlay filesystem', 'overlay 文件系统'), required: false, status: overlay || overlayModule ? 'pass' : 'warn',
    detail: overlay ? pick('overlay in /proc/filesystems', '/proc/filesystems 里有 overlay') : overlayModule ? pick('module available, loaded on first mount', '内核模块在，第一次挂载时自动加载') : pick('not available', '不可用'),
    fix: overlay || overlayModule ? undefined : 'modprobe overlay' });

  const ip = which('ip');
  add({ id: 'ip', title: 'ip (iproute2)', required: true, status: ip ? 'pass' : 'fail', detail: ip ?? pick('not found', '没找到'),
    fix: ip ? undefined : 'apt-get install -y iproute2' });

  const iptables = which('iptables');
  let backend: 'nft' | 'legacy' | undefined;
  if (iptables) {
    try {
      const v = execFileSync('iptables', ['-V'], { encoding: 'utf8' });
      backend = /nf_tables/.test(v) ? 'nft' : 'legacy';
    } catch { /* unusable */ }
  }
  add({ id: 'iptables', title: 'iptables', required: true, status: backend ? 'pass' : 'fail',
    detail: backend ? `${iptables} (${backend === 'nft' ? pick('nf_tables backend', 'nf_tables 后端') : pick('legacy backend', 'legacy 后端')})` : pick('not found', '没找到'),
    fix: backend ? undefined : 'apt-get install -y iptables' });

  if (backend && isRoot) add(forwardPolicyCheck());

  const forward = read('/proc/sys/net/ipv4/ip_forward');
  add({ id: 'ip_forward', title: 'net.ipv4.ip_forward', required: false, status: forward === '1' ? 'pass' : 'warn',
    detail: forward === '1' ? pick('on', '已打开') : pick('off: the nat and ports labs and nestbox run turn it on while they need it and restore it after', '关闭：nat、ports 实验和 nestbox run 需要时会打开它，用完再恢复'),
    fix: forward === '1' ? undefined : pick('sysctl -w net.ipv4.ip_forward=1 (optional)', 'sysctl -w net.ipv4.ip_forward=1（可选）') });

  const brnf = existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
  const brnfModule = !brnf && moduleAvailable('br_netfilter');
  add({ id: 'br_netfilter', title: 'br_netfilter', required: false, status: brnf ? 'pass' : 'warn',
    detail: brnf ? pick('loaded: bridged traffic passes through iptables', '已加载：网桥内转发的流量也要过 iptables') : brnfModule ? pick('not loaded: traffic between containers on one bridge skips iptables', '未加载：同一网桥上容器之间的流量不经过 iptables') : pick('not available in this kernel', '这个内核里没有'),
    fix: brnf ? undefined : 'modprobe br_netfilter' });

  const busybox = findStaticBusybox();
  const rootfs = existsSync(rootfsDir());
  add({ id: 'rootfs', title: pick('default root filesystem', '默认根文件系统'), required: false, status: rootfs || busybox ? 'pass' : 'warn',
    detail: rootfs ? rootfsDir() : busybox ? pick(`not built yet; made from ${busybox} on first use`, `还没建；第一次用到时由 ${busybox} 生成`) : pick(`not built yet; made from the host's own binaries on first use`, '还没建；第一次用到时用宿主机自己的程序生成'),
    fix: rootfs || busybox ? undefined : pick('apt-get install -y busybox-static (a smaller, self-contained rootfs), or nestbox rootfs create', 'apt-get install -y busybox-static（得到更小、自成一体的 rootfs），或者 nestbox rootfs create') });

  add(hostToolsCheck());

  add(workDirCheck());

  // A lab is unavailable when a check it needs does not pass (its `needs`, from the labs' catalog),
  // or when a check names it (a missing host program, a noexec work directory).
  const unavailableLabs: Record<string, string> = {};
  const why = (c: Check) => `${c.title}: ${c.detail}`;
  for (const lab of labNeeds()) {
    const failing = lab.needs.map((id) => checks.find((c) => c.id === id)).find((c) => c && c.status !== 'pass');
    if (failing) unavailableLabs[lab.id] = why(failing);
  }
  for (const c of checks) {
    if (c.status === 'pass' || !c.labs) continue;
    for (const lab of c.labs) unavailableLabs[lab] ??= why(c);
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
    v2: pick(`pure cgroup v2 (one tree at ${layout.v2Root})`, `纯 cgroup v2（一棵树，在 ${layout.v2Root}）`),
    v1: pick('cgroup v1 (a tree per hierarchy)', 'cgroup v1（每个层级一棵树）'),
    hybrid: pick(`hybrid: controllers on v1, a v2 tree at ${layout.v2Root} with ${layout.v2Controllers.length ? layout.v2Controllers.join(' ') : 'no controllers'}`,
      `混合模式：控制器在 v1 上，${layout.v2Root} 有一棵 v2 树，${layout.v2Controllers.length ? `带着 ${layout.v2Controllers.join(' ')}` : '上面没有控制器'}`),
    none: pick('no cgroup filesystem mounted', '没有挂载 cgroup 文件系统'),
  };
  return { id: 'cgroup', title: pick('cgroups', '控制组（cgroup）'), required: true, status: layout.mode === 'none' ? 'fail' : 'pass',
    detail: describe[layout.mode], fix: layout.mode === 'none' ? 'mount -t cgroup2 none /sys/fs/cgroup' : undefined,
  };
}

/**
 * The host programs labs and `nestbox run` start, besides ip and iptables: util-linux (every Debian
 * and Ubuntu has it, but a minimal image may lack a piece), and perl, which waits for a detached
 * container in nestbox's place.
 */
const HOST_TOOLS: { name: string; from: string; labs: string[]; why: Text; find?: () => string | undefined }[] = [
  { name: 'unshare', from: 'util-linux', labs: ['namespaces', 'timens', 'user', 'cgroupns'], why: t('a single-threaded helper for the user and time namespaces', '用户和时间命名空间需要的单线程帮手') },
  { name: 'nsenter', from: 'util-linux', labs: ['timens', 'user', 'run'], why: t('joins namespaces nestbox\'s threads cannot (time, user) and runs `ip` in a container\'s', '加入 nestbox 线程进不去的命名空间（时间、用户），以及在容器的网络命名空间里运行 `ip`') },
  { name: 'mount', from: 'mount', labs: ['run', 'hardening'], why: t('mounts /proc from inside a new PID namespace', '在新的 PID 命名空间里挂载 /proc') },
  { name: 'ipcmk', from: 'util-linux', labs: ['ipc'], why: t('makes the System V IPC objects of the ipc lab', '创建 ipc 实验里的 System V IPC 对象') },
  { name: 'perl', from: 'perl-base', labs: ['run', 'lifecycle'], why: t('waits for a detached container (`nestbox run -d`) in nestbox\'s place', '替 nestbox 等待后台容器（`nestbox run -d`）结束') },
  { name: 'tini-static', from: 'tini', labs: [], find: findInitBinary,
    why: t('the init of `nestbox run --init`: a PID 1 that reaps zombies and passes signals on', '`nestbox run --init` 用的 init：回收僵尸进程、转发信号的 PID 1') },
];

function hostToolsCheck(): Check {
  const missing = HOST_TOOLS.filter((tool) => !(tool.find ?? (() => which(tool.name)))());
  const packages = [...new Set(missing.map((m) => m.from))];
  return { id: 'tools', title: pick('host programs', '宿主机上的程序'), required: false, status: missing.length ? 'warn' : 'pass',
    detail: missing.length
      ? missing.map((m) => `${m.name} (${m.from}): ${tr(m.why)}`).join('; ')
      : pick(`${HOST_TOOLS.map((m) => m.name).join(', ')}: all present`, `${HOST_TOOLS.map((m) => m.name).join('、')}：都在`),
    fix: missing.length ? `apt-get install -y ${packages.join(' ')}` : undefined,
    labs: missing.length ? [...new Set(missing.flatMap((m) => m.labs))] : undefined };
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
  const what = docker ? pick(`Docker is installed here (docker0, its DOCKER chains${policy === 'DROP' ? ', FORWARD policy DROP' : ''})`, `这台机器装了 Docker（docker0、它的 DOCKER 链${policy === 'DROP' ? '，FORWARD 策略为 DROP' : ''}）`)
    : pick(`policy ${policy}`, `策略 ${policy}`);
  return { id: 'forward', title: pick('iptables FORWARD chain', 'iptables 的 FORWARD 链'), required: false, status: 'pass',
    detail: policy === 'ACCEPT' && !docker ? pick('policy ACCEPT', '策略 ACCEPT') :
      pick(`${what}: nestbox inserts its own ACCEPT rules for its bridges at the top of FORWARD (chain NESTBOX-FORWARD for nb0, one rule set per network lab) and removes them afterwards; ${docker ? "Docker's rules and the policy" : 'the policy'} stay as they are`,
        `${what}：nestbox 会在 FORWARD 最前面为自己的网桥插入 ACCEPT 规则（nb0 用 NESTBOX-FORWARD 链，每个网络实验各有一组），用完就删；${docker ? 'Docker 的规则和策略' : '策略'}保持不变`) };
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
  return { id: 'workdir', title: pick('work directories', '工作目录'), required: true, status: noexec ? 'fail' : 'pass',
    detail: noexec ? pick(`${dir} is on ${mount!.mountPoint}, mounted noexec: programs cannot start from a lab's or a container's root there`, `${dir} 在 ${mount!.mountPoint} 上，而它以 noexec 挂载：实验和容器的根目录里的程序都启动不了`)
      : pick(`${dir} (labs in ${dir}/labs; on ${mount?.mountPoint ?? '/'}, programs may run from it)`, `${dir}（实验在 ${dir}/labs；所在的 ${mount?.mountPoint ?? '/'} 允许运行程序）`),
    fix: noexec ? pick(`NESTBOX_LIB_DIR=/some/dir/on/an/exec/filesystem nestbox ..., or mount -o remount,exec ${mount!.mountPoint}`, `NESTBOX_LIB_DIR=/允许执行的/文件系统上的/目录 nestbox ...，或者 mount -o remount,exec ${mount!.mountPoint}`) : undefined,
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
