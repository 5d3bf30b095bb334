// Lab "run": the capstone. One command, `nestbox run -d`, builds a container; each step then looks
// at it from the host, in the kernel's own files, and finds what the earlier labs built by hand:
// the command as PID 1 of a PID namespace, six new namespaces, a cgroup with a memory limit, an
// overlay root with no trace of the host's, Docker's capabilities and no_new_privs, a veth on the
// bridge nb0 and a DNAT rule for the published port. The learner then works inside it with
// `nestbox exec`, and the last step removes it and checks that everything it held is gone.
//
// The lab drives the real command line (bin/run.js, what `sudo nestbox` runs), not the runtime's
// functions: what the learner watches is exactly what typing the command gives.
//
// Nothing may outlive the lab. The container is started with --rm, and its PID 1 is written in the
// lab's ledger: however the lab ends (done, quit, Ctrl-C, killed and then `nestbox cleanup`),
// killing that one process is enough. Its monitor then records the exit and undoes the
// container's own ledger (cgroup, veth, rules, address), and --rm removes its directory and name.
import type { Lab, LabContext, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunResult } from '../src/host/exec.js';
import { startTime } from '../src/host/ledger.js';
import { rootfsDir, nestboxBin } from '../src/host/paths.js';
import { mountTable, namespaceId, processStatus, commandLine } from '../src/kernel/proc.js';
import { DOCKER_DEFAULT_CAPS, capabilityMask, capabilityNames, NamespaceType } from '../src/kernel/constants.js';
import { detectCgroupLayout, lineForController, processCgroups } from '../src/kernel/cgroup-layout.js';
import { FILE_NAMES } from '../src/kernel/cgroup.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { findContainer, listContainers, paths, namesDir } from '../src/runtime/store.js';
import { link } from '../src/net/link.js';
import { listeningPorts, poolDir } from '../src/net/pool.js';
import { detectIptables } from '../src/net/iptables.js';
import { shellQuote } from '../src/net/exec.js';
import { httpGet, interfacesOf, waitListening } from './net-lab-kit.js';
import { hostnameOf } from './uts.js';
import { commOf } from './kit.js';

interface RunState {
  /** The container's name (nb-lab-UNIQUE). The run step's cleanup also runs when the lab ended before it was set, and checks. */
  name: string;
  /** The host port published to its port 80. */
  port: number;
  /** What the container's state file says once it runs (nestbox run printed the id). */
  id: string;
  /** Its PID 1, as a host PID, and that process's start time (clock ticks since boot). */
  pid1: number;
  pidStart?: number;
  /** The monitor waiting for PID 1 (set for a -d container). */
  monitor?: number;
  hostname: string;
  /** Its eth0 address and the host end of its veth (set for --net bridge). */
  address?: string;
  veth?: string;
  /** Its cgroup directories, one per controller tree. */
  cgroupDirs: string[];
}

/** The nestbox command line itself (labs are built next to src/, so ../../bin from dist/labs/). */
const bin = nestboxBin();

const MEMORY = '64m';
const MEMORY_BYTES = 64 * 1024 * 1024;
/** busybox httpd serving the container's /etc: GET /hostname answers with its hostname. */
const COMMAND = ['httpd', '-f', '-p', '80', '-h', '/etc'];
/** Namespaces `nestbox run --net bridge` creates, and the two it leaves as the host's (as Docker does by default). */
const NEW_NAMESPACES: NamespaceType[] = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'];
const SHARED_NAMESPACES: NamespaceType[] = ['user', 'time'];
/** Docker's 14 capabilities as a mask, the way /proc/PID/status prints it: 00000000a80425fb. */
const DOCKER_CAPS_HEX = capabilityMask(DOCKER_DEFAULT_CAPS).toString(16).padStart(16, '0');

/** Run `nestbox ARGS` as the learner would, narrated as the command they would type. */
async function nestbox(ctx: LabContext<RunState>, args: string[]): Promise<RunResult> {
  ctx.say(`$ sudo nestbox ${args.map(shellQuote).join(' ')}`);
  return ctx.exec(process.execPath, [bin, ...args]);
}

/** The last line nestbox printed on stderr (its error message). */
const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/**
 * A host port to publish: nothing listens on it, no running container has published it (each
 * published port is a claim file in nestbox's pool), and no DNAT rule on the host catches it
 * already (a lab's own chain, say). Starting at a random place keeps two labs running at once from
 * picking the same one.
 */
async function freeHostPort(ctx: LabContext<RunState>): Promise<number> {
  const { bin: iptables } = await detectIptables();
  const nat = (await ctx.exec(iptables, ['-w', '-t', 'nat', '-S'])).stdout;
  const taken = new Set([...listeningPorts(), ...[...nat.matchAll(/--dport (\d+)/g)].map((m) => Number(m[1]))]);
  try {
    for (const f of readdirSync(join(poolDir(), 'ports'))) taken.add(parseInt(f, 10));
  } catch { /* no container has published a port yet */ }
  const first = 18080, span = 920;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = first + ((offset + i) % span);
    if (!taken.has(port)) return port;
  }
  throw new Error(pick(`no free host port between ${first} and ${first + span - 1}`, `${first} 到 ${first + span - 1} 之间没有空闲的宿主机端口`));
}

/** Words the checks show, in both languages (compared by their English). */
const PRESENT = t('present', '存在');
const ABSENT = t('absent', '不存在');
const GONE = t('gone', '已不存在');

/** Is the container's PID 1 still the process the lab saw start (same PID *and* start time)? */
const stillRunning = (ctx: LabContext<RunState>) => ctx.state.pidStart !== undefined && startTime(ctx.state.pid1) === ctx.state.pidStart;

/** The container's memory cgroup, as the kernel names it in /proc/PID/cgroup, and its limit file. */
function memoryCgroup(pid: number): { path: string | Text; dir: string; file: string } {
  const layout = detectCgroupLayout();
  const tree = layout.usable.memory;
  if (!tree) throw new Error(pick('this host has no memory controller', '这台宿主机没有内存控制器'));
  // v2: one tree, the line "0::/path"; v1: the line of the hierarchy the memory controller is in.
  const line = lineForController(processCgroups(pid), 'memory', layout);
  const path = line?.path ?? t('(no line)', '（没有这一行）');
  return { path, dir: join(tree.path, line?.path ?? '(no line)'), file: FILE_NAMES.memoryMax[`v${tree.version}`] };
}

/** The rule of the NESTBOX chain that publishes `port`, as `iptables -t nat -S NESTBOX` prints it. */
async function dnatRule(ctx: LabContext<RunState>, port: number): Promise<string | undefined> {
  const { bin: iptables } = await detectIptables();
  const r = await ctx.exec(iptables, ['-w', '-t', 'nat', '-S', 'NESTBOX']);
  // A failure means the chain is gone: the last container on nb0 removed it.
  if (r.code !== 0) return undefined;
  return r.stdout.split('\n').find((l) => l.startsWith('-A NESTBOX') && l.includes(` --dport ${port} `));
}

/** PIDs in the container's own /proc (reached from the host through its root). */
function pidsInside(pid: number): string {
  try {
    return readdirSync(`/proc/${pid}/root/proc`).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)).join(' ');
  } catch {
    return '(unreadable)';
  }
}

/** nb0 after a container left it: removed by the last one out, kept while others still use it. */
function bridgeAfter(id: string) {
  const others = listContainers().filter((c) => c.id !== id && c.spec.net.mode === 'bridge' && (c.state.Status === 'running' || c.state.Status === 'paused')).length;
  const present = existsSync('/sys/class/net/nb0');
  return observeThat(t('the bridge nb0 (/sys/class/net/nb0)', '网桥 nb0（/sys/class/net/nb0）'),
    others ? t(`kept: ${others} other container${others > 1 ? 's' : ''} on it`, `保留：上面还有 ${others} 个别的容器`) : t('gone: this was the last container on it', '已不存在：这是它上面的最后一个容器'),
    present ? PRESENT : GONE, others ? present : !present);
}

const lab: Lab<RunState> = {
  id: 'run',
  title: t('nestbox run: every lab in one command, checked from the host', 'nestbox run：一条命令做完所有实验，再从宿主机逐项检查'),
  module: 14,
  lesson: 'run',
  needs: ['root', 'ns-mnt', 'ns-pid', 'ns-net', 'overlayfs', 'ip', 'iptables', 'cgroup-memory'],
  steps: [
    {
      id: 'run',
      title: t('Start a container with nestbox run -d', '用 nestbox run -d 启动一个容器'),
      explain: t([
        'One command now does what the earlier labs did one by one. `--trace` prints each step as the runtime takes it, with its cost (open `src/runtime/create.ts` next to it: its steps are the labs). The container runs busybox `httpd` serving its own `/etc`, with a **64 MiB** memory limit, and port 80 published on the host\'s `127.0.0.1`.',
        '',
        '`-d` detaches: a second nestbox creates the container and then *becomes* its monitor, a few lines of Perl that wait for PID 1, the job containerd\'s shim does for Docker. `--rm` removes the container when PID 1 ends. The lab writes that PID in its ledger, so whatever happens to the lab, killing that one process is enough to make the container go.',
      ].join('\n'), [
        '前面的实验一件一件做的事，现在一条命令就全做了。运行时每走一步，`--trace` 就把这一步打印出来，附上它花的时间（把 `src/runtime/create.ts` 打开放在旁边：它的步骤就是各个实验）。容器里运行的是 busybox 的 `httpd`，对外提供容器自己的 `/etc`，内存限制为 **64 MiB**，80 端口映射到宿主机的 `127.0.0.1` 上。',
        '',
        '`-d` 让容器在后台运行：第二个 nestbox 创建好容器，然后*变成*它的监视进程，也就是几行等待 1 号进程的 Perl 代码，做的是 Docker 里 containerd 的 shim 做的那份工作。`--rm` 让容器在 1 号进程结束时被删除。实验把这个 PID 记进自己的账本（ledger），所以不管实验怎样结束，只要杀掉这一个进程，容器就会随之消失。',
      ].join('\n')),
      command: `sudo nestbox run -d --rm --trace --name {name} --memory ${MEMORY} -p 127.0.0.1:{port}:80 default -- ${COMMAND.join(' ')}`,
      syscall: t('mkdir (cgroup); unshare(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP); mount("overlay", ...); netlink (veth, bridge); iptables; mount("proc"); pivot_root(".", "."); execve("httpd")',
        'mkdir（控制组）；unshare(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP)；mount("overlay", ...)；netlink（veth、网桥）；iptables；mount("proc")；pivot_root(".", ".")；execve("httpd")'),
      async perform(ctx) {
        ctx.state.name = `nb-lab-${ctx.unique}`;
        ctx.state.port = await freeHostPort(ctx);
        const r = await nestbox(ctx, ['run', '-d', '--rm', '--trace', '--name', ctx.state.name, '--memory', MEMORY, '-p', `127.0.0.1:${ctx.state.port}:80`, 'default', '--', ...COMMAND]);
        // The trace: one line per step ("106.1 ms  namespaces created..."), and "$ ip ..." for each
        // network command. Lines starting with # are iptables' own notes.
        for (const line of r.stderr.split('\n')) if (line.trim() && !line.startsWith('#')) ctx.say(line.trim());
        if (r.code !== 0) throw new Error(pick(`nestbox run failed (exit ${r.code}): ${lastLine(r.stderr)}`, `nestbox run 失败（退出码 ${r.code}）：${lastLine(r.stderr)}`));
        const id = r.stdout.trim();
        const c = findContainer(id);
        // Before anything else: from here on, the lab's cleanup ends the container.
        ctx.ledger.record({ kind: 'process', pid: c.state.Pid, starttime: c.state.PidStart, note: `PID 1 of container ${ctx.state.name} (started with --rm)` });
        const started: Omit<RunState, 'name' | 'port'> = {
          id,
          pid1: c.state.Pid,
          pidStart: c.state.PidStart,
          monitor: c.state.MonitorPid,
          hostname: c.spec.hostname,
          address: c.state.IPAddress,
          veth: c.state.HostVeth,
          cgroupDirs: c.state.Cgroup,
        };
        Object.assign(ctx.state, started);
        // httpd is PID 1 the moment the runtime releases it; give it the moment it needs to listen.
        await waitListening(ctx.state.pid1, 80);
        return t(`container ${id} runs; its PID 1 is PID ${ctx.state.pid1} on the host`, `容器 ${id} 正在运行；它的 1 号进程在宿主机上是 PID ${ctx.state.pid1}`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const s = processStatus(pid);
        return [
          observe(t(`its state (${paths(ctx.state.id).state})`, `它的状态（${paths(ctx.state.id).state}）`), 'running', findContainer(ctx.state.id).state.Status),
          observe(t(`NSpid in /proc/${pid}/status: on the host, inside`, `/proc/${pid}/status 里的 NSpid：宿主机上的、容器里的`), `${pid} 1`, s.nspid.join(' ')),
          observe(t(`its command (/proc/${pid}/cmdline)`, `它的命令（/proc/${pid}/cmdline）`), COMMAND.join(' '), commandLine(pid)),
          observe(t('its parent (PPid): the monitor', '它的父进程（PPid）：监视进程'), `${ctx.state.monitor} perl`, `${s.ppid} ${commOf(s.ppid)}`),
        ];
      },
      async cleanup(ctx) {
        // The lab's own removal: quiet when the container is gone already (removed by the last
        // step, or by the learner with `nestbox stop`, --rm doing the rest).
        if (!ctx.state.name) return;
        try {
          findContainer(ctx.state.name);
        } catch {
          return;
        }
        await nestbox(ctx, ['rm', '-f', ctx.state.name]);
      },
    },
    {
      id: 'namespaces',
      title: t('Six new namespaces, and a hostname of its own', '六个新的命名空间，还有它自己的主机名'),
      explain: t(
        'The runtime unshared mount, UTS, IPC, PID, network and cgroup namespaces in one call, as the namespaces lab did one flag at a time. The user and time namespaces stay the host\'s: root in the container is root on the host (which is why the next steps take power away from it). Its hostname is its id, as Docker does unless `--hostname` says otherwise; its `/proc` was mounted from inside its PID namespace, so it lists the container\'s processes only.',
        '运行时在一次调用里 unshare 了 mount、UTS、IPC、PID、network 和 cgroup 六种命名空间，namespaces 实验是一个标志一个标志地做的。user 和 time 命名空间仍然是宿主机的：容器里的 root 就是宿主机上的 root（所以接下来几步要把它的权力收回来）。它的主机名就是它的 ID，和 Docker 一样，除非 `--hostname` 另外指定；它的 `/proc` 是从它的 PID 命名空间里面挂载的，所以只列出容器自己的进程。',
      ),
      command: 'ls -l /proc/{pid1}/ns /proc/self/ns; nsenter -t {pid1} -u hostname; ls /proc/{pid1}/root/proc',
      syscall: 'readlink("/proc/{pid1}/ns/TYPE"); setns(CLONE_NEWUTS); gethostname()',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        return [
          ...NEW_NAMESPACES.map((type) => {
            const host = namespaceId('self', type);
            const its = namespaceId(pid, type);
            return observeThat(`/proc/${pid}/ns/${type}`, t(`≠ host's ${type}:[${host}]`, `≠ 宿主机的 ${type}:[${host}]`), `${type}:[${its}]`, its !== undefined && its !== host);
          }),
          ...SHARED_NAMESPACES.map((type) => {
            const [host, its] = [`${type}:[${namespaceId('self', type)}]`, `${type}:[${namespaceId(pid, type)}]`];
            return observe(`/proc/${pid}/ns/${type}`, t(`${host} (the host's)`, `${host}（宿主机的）`), t(`${its} (the host's)`, `${its}（宿主机的）`));
          }),
          observe(t('its hostname (read through setns into its UTS namespace)', '它的主机名（通过 setns 进入它的 UTS 命名空间读取）'), ctx.state.hostname, await hostnameOf(ctx, pid)),
          observeThat(t('the host\'s hostname', '宿主机的主机名'), t(`its own, ≠ ${ctx.state.hostname}`, `它自己的，≠ ${ctx.state.hostname}`), gethostname(), gethostname() !== ctx.state.hostname),
          observe(t(`PIDs in its /proc (/proc/${pid}/root/proc)`, `它的 /proc 里的 PID（/proc/${pid}/root/proc）`), '1', pidsInside(pid)),
        ];
      },
    },
    {
      id: 'cgroup',
      title: t('Its cgroup holds the memory limit', '它的控制组里写着内存限制'),
      explain: t(
        `\`--memory ${MEMORY}\` became one number in one file of the container's cgroup, \`nestbox/ID\`: \`memory.max\` on cgroup v2, \`memory.limit_in_bytes\` on v1 (the memory lab). The kernel says which cgroup a process is in through \`/proc/{pid1}/cgroup\`; the cgroup's \`cgroup.procs\` lists the process back.`,
        `\`--memory ${MEMORY}\` 变成了容器控制组 \`nestbox/ID\` 里一个文件中的一个数：cgroup v2 上是 \`memory.max\`，v1 上是 \`memory.limit_in_bytes\`（memory 实验）。一个进程在哪个控制组里，内核通过 \`/proc/{pid1}/cgroup\` 告诉你；反过来，控制组的 \`cgroup.procs\` 也列出这个进程。`,
      ),
      command: 'cat /proc/{pid1}/cgroup; cat /sys/fs/cgroup/memory/nestbox/{id}/memory.limit_in_bytes   # v2: /sys/fs/cgroup/nestbox/{id}/memory.max',
      syscall: 'read("/proc/{pid1}/cgroup"); read(".../memory.max")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const cg = memoryCgroup(pid);
        const procs = readFileSync(join(cg.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        return [
          observe(t(`its memory cgroup (/proc/${pid}/cgroup)`, `它的内存控制组（/proc/${pid}/cgroup）`), `/nestbox/${ctx.state.id}`, cg.path),
          observe(`${join(cg.dir, cg.file)}`, MEMORY_BYTES, readFileSync(join(cg.dir, cg.file), 'utf8').trim()),
          observeThat(`${join(cg.dir, 'cgroup.procs')}`, t(`includes ${pid}`, `包含 ${pid}`), procs.join(' '), procs.includes(pid)),
        ];
      },
    },
    {
      id: 'root',
      title: t('Its root: an overlay, and nothing of the host\'s', '它的根：一个 overlay，宿主机的东西一样也没有'),
      explain: t(
        'Its `/` is an overlay (the overlay lab): the image, here the default rootfs, is the read-only lower layer, and the container writes to its own upper layer in its directory. After `pivot_root` the old root was detached (the chroot lab), so the host\'s root filesystem is not even in the container\'s mount table: there is nothing to climb back to.',
        '它的 `/` 是一个 overlay（overlay 实验）：镜像（这里是默认的 rootfs）是只读的下层，容器往它自己目录里的上层写。`pivot_root` 之后，旧的根被分离了（chroot 实验），所以宿主机的根文件系统连容器的挂载表里都没有：根本没有路可以爬回去。',
      ),
      command: "grep ' / / ' /proc/{pid1}/mountinfo /proc/self/mountinfo",
      syscall: 'read("/proc/{pid1}/mountinfo")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const mounts = mountTable(pid);
        const root = mounts.find((m) => m.mountPoint === '/');
        const option = (key: string) => root?.superOptions.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1) ?? t('(none)', '（没有）');
        const host = mountTable('self').find((m) => m.mountPoint === '/')!;
        const hostRootThere = mounts.some((m) => m.major === host.major && m.minor === host.minor && m.root === host.root);
        return [
          observe(t(`type of / in /proc/${pid}/mountinfo`, `/proc/${pid}/mountinfo 里 / 的类型`), 'overlay', root?.fstype ?? t('(no / mount)', '（没有 / 的挂载）')),
          observe(t('its read-only layer (lowerdir=)', '它的只读层（lowerdir=）'), rootfsDir(), option('lowerdir')),
          observe(t('its writable layer (upperdir=)', '它的可写层（upperdir=）'), paths(ctx.state.id).upper, option('upperdir')),
          observe(t(`the host's / (${host.major}:${host.minor} ${host.root}, ${host.fstype}) in its mountinfo`, `它的 mountinfo 里的宿主机 /（${host.major}:${host.minor} ${host.root}，${host.fstype}）`), ABSENT, hostRootThere ? PRESENT : ABSENT),
        ];
      },
    },
    {
      id: 'privileges',
      title: t('Root, with 14 capabilities, no_new_privs and a seccomp filter', 'root，但只有 14 个能力，还有 no_new_privs 和 seccomp 过滤器'),
      explain: t(
        'PID 1 runs as root, and root here is the host\'s root (no user namespace). What keeps it in check: its capability sets hold only Docker\'s 14 (no `CAP_SYS_ADMIN`: no `mount`; no `CAP_SYS_MODULE`, `CAP_SYS_TIME`, `CAP_SYS_PTRACE`...), the bounding set too, so nothing it runs can get more; and `no_new_privs`, so no setuid program can raise a process inside; and a seccomp filter modelled on Docker\'s default profile, which refuses the dangerous calls it refuses (`unshare` and `mount` among them, so a user namespace cannot hand root\'s capabilities back). Lab `hardening` shows what each of these stops, with an attack that works without it.',
        '1 号进程以 root 身份运行，而这里的 root 就是宿主机的 root（没有用户命名空间）。管住它的有三样：它的能力集合里只有 Docker 的那 14 个能力（capability），边界集（bounding set）也一样，所以它运行的任何程序都拿不到更多（没有 `CAP_SYS_ADMIN`，就不能 `mount`；也没有 `CAP_SYS_MODULE`、`CAP_SYS_TIME`、`CAP_SYS_PTRACE`……）；`no_new_privs`，所以任何 setuid 程序都不能提升容器里进程的权限；还有一个仿照 Docker 默认配置写的 seccomp 过滤器，Docker 拒绝的那些危险系统调用它也拒绝（其中就有 `unshare` 和 `mount`，所以用户命名空间没法把 root 的能力还回来）。`hardening` 实验会演示每一道防线挡住了什么：每次都拿一个没有这道防线就能得逞的攻击来试。',
      ),
      command: "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/{pid1}/status",
      syscall: 'read("/proc/{pid1}/status")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const s = processStatus(pid);
        const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');
        return [
          observe(t(`Uid in /proc/${pid}/status (real, effective)`, `/proc/${pid}/status 里的 Uid（实际、有效）`), '0 0', s.uid.slice(0, 2).join(' ')),
          observe(t('CapEff: what it can do now', 'CapEff：它现在能做什么'), DOCKER_CAPS_HEX, hex(s.capEff)),
          observe(t('the same, by name', '同一组能力，按名字列出'), capabilityNames(capabilityMask(DOCKER_DEFAULT_CAPS)).join(' '), s.capEffNames.join(' ')),
          observe(t('CapBnd: the most it can ever have', 'CapBnd：它最多能拥有的'), DOCKER_CAPS_HEX, hex(s.capBnd)),
          observe('NoNewPrivs', 1, s.noNewPrivs ? 1 : 0),
          observe(t('Seccomp (2: a filter)', 'Seccomp（2：有过滤器）'), 2, s.seccomp),
        ];
      },
    },
    {
      id: 'network',
      title: t('Its network: a veth to nb0, an address, a DNAT rule', '它的网络：一条连到 nb0 的 veth，一个地址，一条 DNAT 规则'),
      explain: t(
        'Its network namespace holds `lo` and `eth0`, the inside end of a veth pair whose host end is a port of the bridge `nb0`, the docker0 of nestbox (the veth and bridge labs). `-p 127.0.0.1:{port}:80` became one DNAT rule in the `NESTBOX` chain of the nat table (the ports lab): a connection to the host\'s 127.0.0.1:{port} is sent to the container\'s address, port 80. The check asks its web server for `/hostname` through that port.',
        '它的网络命名空间里有 `lo` 和 `eth0`。`eth0` 是一个 veth 设备对在容器里的一端，宿主机上的那一端是网桥 `nb0` 的一个端口；`nb0` 就是 nestbox 的 docker0（veth 和 bridge 实验）。`-p 127.0.0.1:{port}:80` 变成了 nat 表 `NESTBOX` 链里的一条 DNAT 规则（ports 实验）：连到宿主机 127.0.0.1:{port} 的连接，会被送到容器的地址、80 端口。检查时会经这个端口向它的 Web 服务器要 `/hostname`。',
      ),
      command: 'nsenter --net=/proc/{pid1}/ns/net ip addr show eth0; readlink /sys/class/net/{veth}/master; iptables -t nat -S NESTBOX; wget -qO- http://127.0.0.1:{port}/hostname',
      syscall: t('setns(CLONE_NEWNET) + netlink RTM_GETADDR; readlink("/sys/class/net/VETH/master"); connect(127.0.0.1:PORT), rewritten by DNAT',
        'setns(CLONE_NEWNET) + netlink RTM_GETADDR；readlink("/sys/class/net/VETH/master")；connect(127.0.0.1:PORT)，目的地址被 DNAT 改写'),
      async verify(ctx) {
        const { pid1: pid, veth, address, port } = ctx.state;
        const eth0 = await link({ pid }, 'eth0');
        const master = existsSync(`/sys/class/net/${veth}/master`) ? basename(readlinkSync(`/sys/class/net/${veth}/master`)) : t('(none)', '（没有）');
        const iflink = existsSync(`/sys/class/net/${veth}/iflink`) ? readFileSync(`/sys/class/net/${veth}/iflink`, 'utf8').trim() : t('(no such interface)', '（没有这个网卡）');
        const rule = await dnatRule(ctx, port);
        const answer = await httpGet(ctx, 'host', `http://127.0.0.1:${port}/hostname`);
        return [
          observe(t(`its interfaces (/proc/${pid}/net/dev)`, `它的网卡（/proc/${pid}/net/dev）`), 'lo eth0', interfacesOf(pid).join(' ')),
          observe(t('eth0\'s address (ip addr, in its namespace)', 'eth0 的地址（ip addr，在它的命名空间里）'), `${address}/24`, eth0?.inet.join(' ') || t('(none)', '（没有）')),
          observe(t(`the host end ${veth}: its bridge (/sys/class/net/${veth}/master)`, `宿主机这一端 ${veth}：它所在的网桥（/sys/class/net/${veth}/master）`), 'nb0', master),
          observe(t(`its peer (/sys/class/net/${veth}/iflink) is eth0's ifindex`, `它的对端（/sys/class/net/${veth}/iflink）就是 eth0 的 ifindex`), String(eth0?.ifindex), iflink),
          observeThat(t('its DNAT rule (iptables -t nat -S NESTBOX)', '它的 DNAT 规则（iptables -t nat -S NESTBOX）'), `--dport ${port} ... --to-destination ${address}:80`, rule ?? t('(none)', '（没有）'), !!rule && rule.includes(`--to-destination ${address}:80`)),
          observe(t(`GET http://127.0.0.1:${port}/hostname from the host`, `从宿主机 GET http://127.0.0.1:${port}/hostname`), ctx.state.hostname, answer ?? t('(no answer)', '（没有回答）')),
        ];
      },
    },
    {
      id: 'exec',
      title: t('Work inside it with nestbox exec', '用 nestbox exec 在容器里干活'),
      explain: t(
        '`nestbox exec` is `nsenter` for containers: a thread joins every namespace of PID 1 (the mount namespace brings the container\'s root), and the new process starts in the container\'s cgroup with its capabilities and `no_new_privs`. `nestbox run`, by contrast, always makes a *new* container. A file written inside lands in the container\'s writable layer; the image does not change.',
        '`nestbox exec` 就是给容器用的 `nsenter`：一个线程加入 1 号进程的每个命名空间（mount 命名空间带来容器的根目录），新进程在容器的控制组里启动，带着容器的能力和 `no_new_privs`。`nestbox run` 则不同，它每次都创建一个*新的*容器。在容器里写的文件落在容器的可写层里，镜像不会变。',
      ),
      command: "sudo nestbox exec {name} sh -c 'hostname > /tmp/from-exec'",
      syscall: t('setns(mnt, uts, ipc, pid, cgroup, net of PID 1); write("cgroup.procs"); capset; prctl(PR_SET_NO_NEW_PRIVS); posix_spawn("sh")',
        'setns(mnt, uts, ipc, pid, cgroup, net) 加入 1 号进程的命名空间；write("cgroup.procs")；capset；prctl(PR_SET_NO_NEW_PRIVS)；posix_spawn("sh")'),
      exercise: {
        task: t(
          "In a second terminal on the host, run a command **in the running container {name}** that writes the container's hostname into **/tmp/from-exec** inside it. Then check.",
          '在宿主机的第二个终端里，**在正在运行的容器 {name} 里**运行一条命令，把容器的主机名写进容器里的 **/tmp/from-exec**。然后检查。',
        ),
        hints: [
          t('`nestbox run` starts a new container with a root of its own (and `--rm` throws it away): the file would never reach {name}. To work in a container that already runs, join it with `nestbox exec`.',
            '`nestbox run` 会启动一个有自己根目录的新容器（`--rm` 还会把它扔掉）：文件永远到不了 {name}。要在已经运行的容器里干活，就用 `nestbox exec` 加入它。'),
          t("The redirection must happen inside the container, so hand the whole line to a shell there: `sudo nestbox exec {name} sh -c 'hostname > /tmp/from-exec'`. Without `sh -c '...'`, your own shell would write the file on the host.",
            "重定向必须在容器里面发生，所以要把整行交给容器里的一个 shell：`sudo nestbox exec {name} sh -c 'hostname > /tmp/from-exec'`。不用 `sh -c '...'` 的话，写文件的是你自己的 shell，文件就写到了宿主机上。"),
        ],
        shell: 'host',
        async solve(ctx) {
          const r = await nestbox(ctx, ['exec', ctx.state.name, 'sh', '-c', 'hostname > /tmp/from-exec']);
          if (r.code !== 0) throw new Error(pick(`nestbox exec failed (exit ${r.code}): ${lastLine(r.stderr)}`, `nestbox exec 失败（退出码 ${r.code}）：${lastLine(r.stderr)}`));
        },
        async mistake(ctx) {
          // run instead of exec: a second, throwaway container writes the file in its own layer.
          await nestbox(ctx, ['run', '--rm', '--net', 'none', 'default', '--', 'sh', '-c', 'hostname > /tmp/from-exec']);
        },
      },
      async verify(ctx) {
        const inside = `/proc/${ctx.state.pid1}/root/tmp/from-exec`;
        const upper = join(paths(ctx.state.id).upper, 'tmp', 'from-exec');
        const image = join(rootfsDir(), 'tmp', 'from-exec');
        return [
          observe(t(`${inside} (its /tmp, from the host)`, `${inside}（从宿主机看它的 /tmp）`), ctx.state.hostname, existsSync(inside) ? readFileSync(inside, 'utf8').trim() : t('(no such file)', '（没有这个文件）')),
          observe(t(`in its writable layer: ${upper}`, `在它的可写层里：${upper}`), PRESENT, existsSync(upper) ? PRESENT : ABSENT),
          observe(t(`in the image: ${image}`, `在镜像里：${image}`), ABSENT, existsSync(image) ? PRESENT : ABSENT),
        ];
      },
    },
    {
      id: 'remove',
      title: t('Remove it: everything it held goes', '删掉它：它占用的一切都随之消失'),
      explain: t(
        '`nestbox rm -f` stops the container without a grace period (SIGTERM, then at once SIGKILL to every process in its cgroup), and its monitor, which waits for PID 1, takes over: it records the exit status, then undoes the container\'s ledger, newest first: the DNAT rule, the veth pair (deleting one end deletes both), the address, the cgroup. The last container on `nb0` also removes the bridge and its rules. `--rm` then removes the container\'s directory, with its writable layer, and frees its name.',
        '`nestbox rm -f` 停止容器时不留宽限时间（先发 SIGTERM，紧接着给它控制组里的每个进程发 SIGKILL），然后由等着 1 号进程的监视进程接手：它记下退出状态，再按容器的账本从新到旧逐项撤销：DNAT 规则、veth 设备对（删掉一端，两端就都没了）、地址、控制组。`nb0` 上的最后一个容器还会删掉网桥和它的规则。接着 `--rm` 删除容器的目录（连同它的可写层），并释放它的名字。',
      ),
      command: 'sudo nestbox rm -f {name}',
      syscall: t('kill(SIGKILL) each PID of cgroup.procs; waitpid (the monitor); netlink RTM_DELLINK; iptables -D; rmdir (cgroup)',
        '对 cgroup.procs 里的每个 PID 做 kill(SIGKILL)；waitpid（监视进程）；netlink RTM_DELLINK；iptables -D；rmdir（控制组）'),
      async perform(ctx) {
        const r = await nestbox(ctx, ['rm', '-f', ctx.state.name]);
        if (r.code !== 0) throw new Error(pick(`nestbox rm -f failed (exit ${r.code}): ${lastLine(r.stderr)}`, `nestbox rm -f 失败（退出码 ${r.code}）：${lastLine(r.stderr)}`));
        return t(`removed ${ctx.state.name}`, `已删除 ${ctx.state.name}`);
      },
      async verify(ctx) {
        const { pid1: pid, veth, port, id, name } = ctx.state;
        const cgroups = ctx.state.cgroupDirs.filter((d) => existsSync(d));
        return [
          observe(t(`PID ${pid} (its PID 1)`, `PID ${pid}（它的 1 号进程）`), GONE, stillRunning(ctx) ? t('running', '还在运行') : GONE),
          observe(t(`its cgroup directories (${ctx.state.cgroupDirs.length})`, `它的控制组目录（${ctx.state.cgroupDirs.length} 个）`), GONE, cgroups.length ? cgroups.join(' ') : GONE),
          observe(`/sys/class/net/${veth}`, GONE, existsSync(`/sys/class/net/${veth}`) ? PRESENT : GONE),
          observe(t(`a DNAT rule for port ${port}`, `端口 ${port} 的 DNAT 规则`), t('none', '没有'), (await dnatRule(ctx, port)) ?? t('none', '没有')),
          observe(t(`its directory ${paths(id).dir}`, `它的目录 ${paths(id).dir}`), GONE, existsSync(paths(id).dir) ? PRESENT : GONE),
          // lstat: the name is a symbolic link to the id, which existsSync would follow.
          observe(t(`its name (${join(namesDir(), name)})`, `它的名字（${join(namesDir(), name)}）`), t('free', '已释放'), lstatSync(join(namesDir(), name), { throwIfNoEntry: false }) ? t('taken', '仍被占用') : t('free', '已释放')),
          bridgeAfter(id),
        ];
      },
    },
  ],
};

export default lab;
