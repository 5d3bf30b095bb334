// Lab "hardening": what a runtime takes away from a container, and why. The course's notes stop at
// isolation; a root process in a container is still the host's root. Each defence `nestbox run`
// applies is shown by an attack that works without it and fails with it:
//
//   read-only /proc/sys   a root process writes the kernel's knobs (writing is only a file mode check)
//   capabilities          without CAP_SYS_ADMIN it cannot remount that read-only /proc/sys writable
//   no_new_privs          a uid-1000 process gets euid 0 back from a setuid-root program
//   masked /proc paths    /proc/timer_list shows the timers of processes the box cannot list
//   seccomp               a user namespace gives root's capabilities back, unless unshare is refused
//
// The box is built from the kernel layer directly (src/kernel/spawn.ts), not with `nestbox run`, so
// that each pair of attempts differs in exactly one thing: the same box before and after one mount,
// or the same command with one capability set or the other, with or without no_new_privs.
//
// Nothing here changes the host: the only sysctl written is kernel/hostname inside the box's own UTS
// namespace, with the value it already has; every mount is made in the box's mount namespace or in
// one that lives for a single command; the setuid copy lives in such a private tmpfs.
import type { Lab, LabContext, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC, DOCKER_DEFAULT_CAPS, capabilityMask,
  MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, NamespaceType,
} from '../src/kernel/constants.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import { baseEnv, inNamespaces } from '../src/kernel/spawn.js';
import { mountTable, processStatus } from '../src/kernel/proc.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { shellQuote } from '../src/net/exec.js';
import { MASKED_PATHS } from '../src/recipes/rootfs.js';
import { assembleFilter } from '../src/kernel/seccomp.js';
import { seccompPolicy } from '../src/runtime/seccomp-profile.js';
import { copyRootfs } from './chroot.js';
import { privateRoot, pivotInto } from '../src/recipes/rootfs.js';
import { Ran, runCaptured, stopAndReap, hostTool, sleep } from './kit.js';
import { hostnameOf } from './uts.js';

/** What a read of /proc/timer_list in the box gave (see readTimerList). */
interface TimerListRead { bytes: number; count: number; sleeper?: number; code: number }

interface HardeningState {
  /** PID 1 of the box, as a host PID. The box step's cleanup also runs when the lab ended before it was set (stopAndReap skips it). */
  boxPid: number;
  /** The box's root: a copy of the default rootfs in the work directory. */
  root: string;
  hostHostname: string;
  /** proc-sys: the hostname write before and after /proc/sys was made read-only. */
  writeBefore: Ran;
  writeAfter: Ran;
  /** capabilities: the remount with every capability and with Docker's 14, and /proc/sys after each. */
  remountAll: Ran;
  modeAfterAll: string | Text;
  remount14: Ran;
  modeAfter14: string | Text;
  /** no-new-privs: the setuid cat without and with no_new_privs. */
  withoutNnp: Ran;
  withNnp: Ran;
  /** leak: the host's sleep, and what the box read of /proc/timer_list. The box step's cleanup reads sleeperPid too: unset when the lab ended before leak. */
  sleeperPid?: number;
  leak: TimerListRead;
  /** seccomp: the user-namespace attack without and with the filter. */
  userns: Ran;
  usernsFiltered: Ran;
}

/** The namespaces of the box, which every attacker joins (as `nestbox exec` does). */
const BOX: NamespaceType[] = ['mnt', 'uts', 'ipc', 'pid'];
const S_IFCHR = 0o020000;
/** A capability mask as /proc/PID/status prints it. */
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');
const DOCKER_CAPS_HEX = hex(capabilityMask(DOCKER_DEFAULT_CAPS));
/** How long the host's sleep sleeps: an unusual number, easy to find among the timers. */
const SLEEP_SECONDS = 31337;

/** What a container-like process gets by default from `nestbox run`: Docker's 14, and no_new_privs (Docker sets it only when asked). */
const CONTAINED = { capabilities: DOCKER_DEFAULT_CAPS as string[], noNewPrivs: true };

/** Run a shell command in the box as root, like `nestbox exec`, with the privileges given. */
function attack(ctx: LabContext<HardeningState>, script: string, privileges: { capabilities?: string[]; noNewPrivs?: boolean; seccomp?: Uint8Array }): Promise<Ran> {
  const cmd = `$ nsenter -t ${ctx.state.boxPid} -m -u -i -p sh -c ${shellQuote(script)}   # `;
  const caps = privileges.capabilities?.length;
  ctx.say(t(
    `${cmd}${caps !== undefined ? `${caps} capabilities` : 'every capability'}${privileges.noNewPrivs ? ', no_new_privs' : ''}${privileges.seccomp ? ', seccomp filter' : ''}`,
    `${cmd}${caps !== undefined ? `${caps} 个能力` : '全部能力'}${privileges.noNewPrivs ? '，no_new_privs' : ''}${privileges.seccomp ? '，seccomp 过滤器' : ''}`,
  ));
  return runCaptured(ctx, { argv: ['/bin/sh', '-c', script], join: { pid: ctx.state.boxPid, types: BOX }, ...privileges });
}

/** Change the box's mounts from outside, as a runtime does: a thread joins its mount namespace. */
function inBox(ctx: LabContext<HardeningState>, steps: ThreadStep[]): Promise<void> {
  return inNamespaces({ join: { pid: ctx.state.boxPid, types: ['mnt'] }, steps });
}

/** The runtime's read-only /proc/sys: a bind of it on itself, then that bind remounted read-only. */
const READ_ONLY_PROC_SYS: ThreadStep[] = [
  { call: 'mount', source: '/proc/sys', target: '/proc/sys', fstype: null, flags: MS_BIND | MS_REC },
  { call: 'mount', source: null, target: '/proc/sys', fstype: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC },
];
/** The same as the learner would type it, with the start of a comment that says where. */
const READ_ONLY_SHOWN = '$ mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro,nosuid,nodev,noexec /proc/sys   # ';

/** What /proc/sys is before the runtime's bind: no mount of its own, part of the writable /proc. */
const PART_OF_PROC = t('(not a mount point: rw, as part of /proc)', '（不是挂载点：作为 /proc 的一部分，可写）');

/** "ro" or "rw": how /proc/sys is mounted in the box now (the last mount there is the one seen). */
function procSysMode(ctx: LabContext<HardeningState>): string | Text {
  const m = mountTable(ctx.state.boxPid).filter((x) => x.mountPoint === '/proc/sys').pop();
  return m ? (m.options.includes('ro') ? 'ro' : 'rw') : PART_OF_PROC;
}

/** Write the box's hostname back to itself through /proc/sys: a write that changes nothing. */
const WRITE_HOSTNAME = 'echo "$(cat /proc/sys/kernel/hostname)" > /proc/sys/kernel/hostname';
/** Undo a read-only mount. MS_BIND makes it a change of this one mount's flags, never of the filesystem. */
const REMOUNT_RW = 'grep ^CapEff: /proc/self/status; mount -o remount,bind,rw /proc/sys';

/** Become root again in a new user namespace, and use it: mount a tmpfs in a new mount namespace. */
const USERNS_ATTACK = 'grep ^Seccomp: /proc/self/status; unshare -Urm sh -c "grep ^CapEff: /proc/self/status; mount -t tmpfs none /mnt && echo mounted"';

/** A field of /proc/self/status as a command printed it ("Uid", "CapEff", ...). */
function field(out: string, key: string): string | Text {
  return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(out)?.[1].trim().split(/\s+/).join(' ') ?? t('(not printed)', '（没有打印出来）');
}

/** The last line a command printed: its error message, when it failed. */
const lastLine = (r: Ran) => r.out.split('\n').pop() ?? '';
const outcome = (r: Ran) => t(`exit ${r.code}${r.code ? `: ${lastLine(r)}` : ''}`, `退出码 ${r.code}${r.code ? `：${lastLine(r)}` : ''}`);
const EXIT_0 = t('exit 0', '退出码 0');
const NOT_A_MOUNT_POINT = t('not a mount point', '不是挂载点');
const NOT_FOUND = t('not found', '没找到');
const MOUNTED = t('mounted', '挂上了');
/** What a read of /proc/timer_list gave: its size and the timers in it. */
const timerListRead = (r: { bytes: number; count: number }) => t(`${r.bytes} bytes, ${r.count} timers`, `${r.bytes} 字节，${r.count} 个定时器`);

/**
 * The timers in /proc/timer_list ("# expires at A-B nsecs [in X to Y nsecs]"), as seconds from
 * now; and whether one is the host's sleep: due in about SLEEP_SECONDS (it started moments ago).
 */
function timers(text: string): { count: number; sleeper?: number } {
  const due = [...text.matchAll(/\[in (-?\d+) to -?\d+ nsecs\]/g)].map((m) => Number(m[1]) / 1e9);
  return { count: due.length, sleeper: due.find((s) => Math.abs(s - SLEEP_SECONDS) < 60) };
}

/** PIDs in the box's own /proc, reached from the host through its root. */
function pidsInBox(ctx: LabContext<HardeningState>): string {
  try {
    return readdirSync(`/proc/${ctx.state.boxPid}/root/proc`).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)).join(' ');
  } catch {
    return '(unreadable)';
  }
}

/** Read /proc/timer_list the way a contained root process in the box would. */
async function readTimerList(ctx: LabContext<HardeningState>): Promise<TimerListRead> {
  const r = await attack(ctx, 'cat /proc/timer_list', CONTAINED);
  return { bytes: r.code === 0 ? Buffer.byteLength(r.out) : 0, code: r.code, ...timers(r.out) };
}

/**
 * As uid 1000, run a setuid-root copy of the host's `cat` on /proc/self/status: the kernel's own
 * record of the credentials it ended up with. The copy is made on a tmpfs mounted over /tmp in a
 * mount namespace that exists for this one command (a fresh tmpfs allows setuid; many hosts mount
 * their /tmp nosuid). coreutils' cat, because busybox, run setuid, drops the privilege itself.
 */
function setuidCat(ctx: LabContext<HardeningState>, noNewPrivs: boolean): Promise<Ran> {
  const cmd = `$ cp /bin/cat /tmp/cat; chmod 4755 /tmp/cat; setpriv --reuid 1000 --regid 1000 --clear-groups${noNewPrivs ? ' --no-new-privs' : ''} /tmp/cat /proc/self/status   # `;
  ctx.say(t(`${cmd}in a private /tmp`, `${cmd}在一个私有的 /tmp 里`));
  const run = (name: string, args: string[]): ThreadStep => ({ call: 'run', path: hostTool(name), argv: [name, ...args], env: [] });
  return runCaptured(ctx, {
    argv: ['/tmp/cat', '/proc/self/status'],
    unshare: CLONE_NEWNS,
    steps: [
      privateRoot(),
      { call: 'mount', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, data: 'mode=1777,size=4m' },
      run('cp', [hostTool('cat'), '/tmp/cat']),
      run('chmod', ['4755', '/tmp/cat']), // owned by root (who copied it), setuid
    ],
    user: { uid: 1000, gid: 1000 },
    capabilities: DOCKER_DEFAULT_CAPS,
    noNewPrivs,
  });
}

const lab: Lab<HardeningState> = {
  id: 'hardening',
  title: t('Hardening: what a container must not be able to do, and the defences', '加固：容器不该能做的事，以及挡住它们的防线'),
  module: 14,
  lesson: 'run',
  needs: ['root', 'ns-mnt', 'ns-pid', 'ns-uts', 'ns-ipc'],
  steps: [
    {
      id: 'box',
      title: t('A box with no defences', '一个没有任何防线的盒子'),
      explain: t([
        'Namespaces change what a process *sees*; they take nothing away from what root *can do*, and a container\'s root is the host\'s root. This lab builds a box the way `nestbox run` does, from a copy of the default rootfs: new mount, PID, UTS and IPC namespaces, `pivot_root` into the copy, a `/dev` with only `null`, and its own `/proc`, mounted from inside its PID namespace. It leaves out the defences `nestbox run` adds, so the next steps can show, one at a time, what each of them stops.',
        '',
        'The lab then runs commands *in* the box the way `nestbox exec` does (joining its namespaces), as root, with the capabilities it chooses for each attempt.',
      ].join('\n'), [
        '命名空间改变的是进程能*看到*什么；root *能做*什么，它一点也没有拿走，而容器里的 root 就是宿主机的 root。这个实验像 `nestbox run` 那样，用默认 rootfs 的一份拷贝搭一个盒子：新的 mount、PID、UTS 和 IPC 命名空间，`pivot_root` 进这份拷贝，一个只有 `null` 的 `/dev`，以及它自己的 `/proc`（从它的 PID 命名空间里面挂载）。`nestbox run` 另外加上的那些防线，这里一道也不加，好让接下来的步骤一次一道地演示：每道防线各挡住了什么。',
        '',
        '之后，实验会像 `nestbox exec` 那样加入盒子的命名空间，以 root 身份在盒子*里*运行命令；每次尝试带哪些能力，由实验来定。',
      ].join('\n')),
      command: "cp -a ROOTFS BOX; unshare -mpui --fork sh -c 'mount --make-rprivate /; mount --bind BOX BOX; mount -t tmpfs tmpfs BOX/dev; mknod BOX/dev/null c 1 3; cd BOX; pivot_root . .; umount -l .; mount -t proc proc /proc; hostname box; exec sleep infinity' &",
      syscall: t('unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC); mount(MS_REC|MS_PRIVATE); mount(MS_BIND); mount("tmpfs"); mknod; pivot_root(".", "."); umount2(".", MNT_DETACH); then setns(mnt, pid) + mount("proc")',
        'unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC)；mount(MS_REC|MS_PRIVATE)；mount(MS_BIND)；mount("tmpfs")；mknod；pivot_root(".", ".")；umount2(".", MNT_DETACH)；然后 setns(mnt, pid) + mount("proc")'),
      async perform(ctx) {
        const root = join(ctx.workDir, 'box');
        await copyRootfs(ctx, root);
        ctx.state.boxPid = await ctx.spawn({
          argv: ['/bin/sleep', 'infinity'], // the box's own sleep: the root has moved by then
          env: baseEnv(),
          unshare: CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
          hostname: 'box',
          steps: [
            privateRoot(),
            { call: 'mount', source: root, target: root, fstype: null, flags: MS_BIND | MS_REC }, // pivot_root needs a mount point
            { call: 'mount', source: 'tmpfs', target: join(root, 'dev'), fstype: 'tmpfs', flags: MS_NOSUID, data: 'mode=755,size=64k' },
            { call: 'mknod', path: join(root, 'dev', 'null'), mode: S_IFCHR | 0o666, major: 1, minor: 3 },
            ...pivotInto(root),
          ],
        }, 'PID 1 of the box');
        // /proc shows the PID namespace of whoever mounts it: a process inside must do it.
        await inNamespaces({
          join: { pid: ctx.state.boxPid, types: ['mnt', 'pid'] },
          steps: [{ call: 'run', path: '/bin/mount', argv: ['mount', '-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc', '/proc'], env: [] }],
        });
        ctx.state.root = root;
        ctx.state.hostHostname = gethostname();
        return t(`the box's first process is PID ${ctx.state.boxPid} on the host, its root a copy of the rootfs in ${root}`,
          `盒子的第一个进程在宿主机上是 PID ${ctx.state.boxPid}，它的根是 ${root} 里的一份 rootfs 拷贝`);
      },
      async verify(ctx) {
        const pid = ctx.state.boxPid;
        const mounts = mountTable(pid);
        const root = mounts.find((m) => m.mountPoint === '/');
        return [
          observe(t(`NSpid in /proc/${pid}/status: on the host, inside`, `/proc/${pid}/status 里的 NSpid：宿主机上的、盒子里的`), `${pid} 1`, processStatus(pid).nspid.join(' ')),
          // mountinfo names a bind by its path inside its filesystem: the copy's path, or its tail when /run is a filesystem of its own.
          observeThat(t(`its / (/proc/${pid}/mountinfo)`, `它的 /（/proc/${pid}/mountinfo）`), t(`the copy, ${ctx.state.root}`, `那份拷贝，${ctx.state.root}`), root?.root ?? t('(none)', '（没有）'), !!root && root.root.endsWith(join(basename(ctx.workDir), 'box'))),
          observe(t('PIDs in its own /proc', '它自己的 /proc 里的 PID'), '1', pidsInBox(ctx)),
          observe(t('its hostname (through setns)', '它的主机名（通过 setns 读取）'), 'box', await hostnameOf(ctx, pid)),
          observe(t('/proc/sys in its mountinfo', '它的 mountinfo 里的 /proc/sys'), PART_OF_PROC, procSysMode(ctx)),
          observe(t('/proc/timer_list in its mountinfo', '它的 mountinfo 里的 /proc/timer_list'), NOT_A_MOUNT_POINT, mounts.some((m) => m.mountPoint === '/proc/timer_list') ? t('a mount point', '是挂载点') : NOT_A_MOUNT_POINT),
        ];
      },
      async cleanup(ctx) {
        // The ledger kills them too; stopping them here also collects their exit (no zombies).
        await stopAndReap(ctx, ctx.state.boxPid, ctx.state.sleeperPid);
      },
    },
    {
      id: 'proc-sys',
      title: t('Read-only /proc/sys: the kernel\'s knobs are not the container\'s', '只读的 /proc/sys：内核参数不归容器管'),
      explain: t([
        'Most of `/proc/sys` belongs to the whole machine, not to a namespace. `kernel/core_pattern`, for one, names the program the kernel runs, as root on the host, whenever any process dumps core: a container that can write it can run anything on the host (a known escape). And writing there takes no capability at all: the file\'s owner (root) and mode are the whole check.',
        '',
        'The lab will not touch a knob of the host. It writes `kernel/hostname`, which belongs to the box\'s own UTS namespace, with the value it already has: a write that changes nothing, but is refused the same way. The attacker is what `nestbox run` gives: root with Docker\'s 14 capabilities and no_new_privs (which Docker adds only with `--security-opt no-new-privileges`). Then the defence, as runtimes apply it: `/proc/sys` bound on itself and that bind remounted read-only. Then the same write again.',
      ].join('\n'), [
        '`/proc/sys` 的大部分属于整台机器，而不属于某个命名空间。比如 `kernel/core_pattern`，它指定一个程序：任何进程产生 core dump 时，内核都会以宿主机 root 的身份运行这个程序。能写这个文件的容器，就能在宿主机上运行任何东西（这是一种已知的逃逸手法）。而往那里写根本不需要任何能力：文件的属主（root）和权限位就是全部的检查。',
        '',
        '实验不会去碰宿主机的任何参数。它写的是 `kernel/hostname`，这个文件属于盒子自己的 UTS 命名空间，写进去的还是它原来的值：这次写入什么也不改变，但被拒绝的方式完全一样。攻击者拿的是 `nestbox run` 给的身份：带 Docker 那 14 个能力和 no_new_privs 的 root（Docker 只有加了 `--security-opt no-new-privileges` 才设 no_new_privs）。接着加上防线，做法和各个运行时一样：把 `/proc/sys` 绑定挂载到它自己上面，再把这个绑定挂载重新挂载为只读。然后把同样的写入再做一次。',
      ].join('\n')),
      command: `nsenter -t {boxPid} -m -u -i -p sh -c '${WRITE_HOSTNAME}'; nsenter -t {boxPid} -m sh -c 'mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys'; nsenter -t {boxPid} -m -u -i -p sh -c '${WRITE_HOSTNAME}'`,
      syscall: 'open("/proc/sys/kernel/hostname", O_WRONLY) + write; mount(MS_BIND); mount(MS_BIND|MS_REMOUNT|MS_RDONLY); open(...) = EROFS',
      async perform(ctx) {
        ctx.state.writeBefore = await attack(ctx, WRITE_HOSTNAME, CONTAINED);
        ctx.say(t(`${READ_ONLY_SHOWN}in the box`, `${READ_ONLY_SHOWN}在盒子里`));
        await inBox(ctx, READ_ONLY_PROC_SYS);
        ctx.state.writeAfter = await attack(ctx, WRITE_HOSTNAME, CONTAINED);
        return t('wrote the box\'s hostname back to itself, made /proc/sys read-only, wrote again', '把盒子的主机名原样写回，把 /proc/sys 设为只读，再写一次');
      },
      async verify(ctx) {
        const before: Ran = ctx.state.writeBefore, after: Ran = ctx.state.writeAfter;
        return [
          observe(t('the write, /proc/sys writable', '写入，/proc/sys 可写时'), EXIT_0, outcome(before)),
          observe(t(`/proc/sys in the box (/proc/${ctx.state.boxPid}/mountinfo)`, `盒子里的 /proc/sys（/proc/${ctx.state.boxPid}/mountinfo）`), 'ro', procSysMode(ctx)),
          observeThat(t('the same write, /proc/sys read-only', '同样的写入，/proc/sys 只读时'), t('refused: Read-only file system (EROFS)', '被拒绝：Read-only file system（EROFS）'), outcome(after), after.code !== 0 && /read-only/i.test(after.out)),
          observe(t('the box\'s hostname (the value written was its own)', '盒子的主机名（写进去的就是它自己的值）'), 'box', await hostnameOf(ctx, ctx.state.boxPid)),
          observe(t('the host\'s hostname (unchanged)', '宿主机的主机名（没有变）'), ctx.state.hostHostname, gethostname()),
        ];
      },
    },
    {
      id: 'capabilities',
      title: t('Capabilities: without CAP_SYS_ADMIN there is no undoing it', '能力：没有 CAP_SYS_ADMIN，就撤销不了'),
      explain: t([
        'A read-only mount holds only as long as the process cannot remount it, and `mount` needs `CAP_SYS_ADMIN`. Root has about 40 capabilities; `nestbox run`, like Docker, keeps 14 (`chown`, `kill`, `setuid`, binding ports below 1024...) and drops the bounding set to match, so nothing the container runs can get the others back. `--privileged` keeps them all.',
        '',
        'Two attempts at `mount -o remount,bind,rw /proc/sys` in the box, differing in one thing, the capability sets: every capability (what `--privileged` gives: all that nestbox itself holds, which on some VMs lacks one or two the host keeps back from root), then Docker\'s 14. In between, the lab puts the read-only mount back.',
      ].join('\n'), [
        '只读挂载要想管用，前提是进程没办法把它重新挂载，而 `mount` 需要 `CAP_SYS_ADMIN`。root 有大约 40 个能力；`nestbox run` 和 Docker 一样只保留 14 个（`chown`、`kill`、`setuid`、绑定 1024 以下的端口……），并把边界集（bounding set）也降到这 14 个，所以容器运行的任何程序都拿不回其余的能力。`--privileged` 则全部保留。',
        '',
        '在盒子里两次尝试 `mount -o remount,bind,rw /proc/sys`，只差一样东西，就是能力集合：第一次带全部能力（也就是 `--privileged` 给的：nestbox 自己持有的全部能力；在有些虚拟机上，宿主机会扣下一两个不给 root，那这里也就少那一两个），第二次只带 Docker 的 14 个。两次之间，实验会把只读挂载重新加上。',
      ].join('\n')),
      command: t("nsenter -t {boxPid} -m -u -i -p sh -c 'mount -o remount,bind,rw /proc/sys'   # as root with every capability, then with Docker's 14",
        "nsenter -t {boxPid} -m -u -i -p sh -c 'mount -o remount,bind,rw /proc/sys'   # 先以拥有全部能力的 root 运行，再换成只有 Docker 那 14 个能力的 root"),
      syscall: t('mount(NULL, "/proc/sys", NULL, MS_REMOUNT|MS_BIND, NULL): allowed with CAP_SYS_ADMIN, EPERM without',
        'mount(NULL, "/proc/sys", NULL, MS_REMOUNT|MS_BIND, NULL)：有 CAP_SYS_ADMIN 就允许，没有就是 EPERM'),
      async perform(ctx) {
        ctx.state.remountAll = await attack(ctx, REMOUNT_RW, { noNewPrivs: true });
        ctx.state.modeAfterAll = procSysMode(ctx);
        ctx.say(t(`${READ_ONLY_SHOWN}in the box, again`, `${READ_ONLY_SHOWN}在盒子里，再做一次`));
        await inBox(ctx, READ_ONLY_PROC_SYS);
        ctx.state.remount14 = await attack(ctx, REMOUNT_RW, CONTAINED);
        ctx.state.modeAfter14 = procSysMode(ctx);
        return t('tried the remount with every capability, then with Docker\'s 14', '先带全部能力、再只带 Docker 的 14 个能力，各试了一次重新挂载');
      },
      async verify(ctx) {
        const all: Ran = ctx.state.remountAll, few: Ran = ctx.state.remount14;
        return [
          observe(t('every capability nestbox holds: its CapEff', 'nestbox 持有的全部能力：它的 CapEff'), hex(processStatus('self').capEff), field(all.out, 'CapEff')),
          observe(t('its remount', '它的重新挂载'), EXIT_0, outcome(all)),
          observe(t('/proc/sys in the box after it', '之后盒子里的 /proc/sys'), 'rw', ctx.state.modeAfterAll),
          observe(t("Docker's 14: its CapEff", 'Docker 的 14 个能力：它的 CapEff'), DOCKER_CAPS_HEX, field(few.out, 'CapEff')),
          observeThat(t('its remount', '它的重新挂载'), t('refused: permission denied (EPERM)', '被拒绝：permission denied（EPERM）'), outcome(few), few.code !== 0 && /denied|not permitted/i.test(few.out)),
          observe(t('/proc/sys in the box after it', '之后盒子里的 /proc/sys'), 'ro', ctx.state.modeAfter14),
        ];
      },
    },
    {
      id: 'no-new-privs',
      title: t('no_new_privs: a setuid program gives nothing back', 'no_new_privs：setuid 程序什么也还不回来'),
      explain: t([
        'A container can run as an ordinary user (`nestbox run -u 1000`). But its image may hold setuid-root programs (`su`, `passwd`, `mount`...): `execve` of such a file makes the process\'s effective uid 0, and gives root\'s capabilities back, as many as the bounding set allows. `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS)`, inherited by every child and impossible to unset) makes `execve` ignore setuid bits and file capabilities.',
        '',
        'The lab copies the host\'s `cat`, setuid root, into a private `/tmp`, and runs it as uid 1000 with Docker\'s 14 in the bounding set, once without and once with no_new_privs. `cat /proc/self/status` prints what the kernel recorded for the process: `Uid` is real, effective, saved, filesystem.',
      ].join('\n'), [
        '容器可以以普通用户的身份运行（`nestbox run -u 1000`）。但它的镜像里可能有属主是 root 的 setuid 程序（`su`、`passwd`、`mount`……）：`execve` 这样一个文件，进程的有效 uid 就变成 0，root 的能力也还给了它，边界集允许多少就还多少。`no_new_privs`（`prctl(PR_SET_NO_NEW_PRIVS)`，每个子进程都会继承，一旦设上就取消不了）让 `execve` 忽略 setuid 位和文件能力（file capabilities）。',
        '',
        '实验把宿主机的 `cat` 复制进一个私有的 `/tmp`，设为属主是 root 的 setuid 程序，然后以 uid 1000 运行它，边界集里是 Docker 的 14 个能力：一次不设 no_new_privs，一次设。`cat /proc/self/status` 打印内核为这个进程记下的信息：`Uid` 一行依次是实际、有效、保存（saved）和文件系统 uid。',
      ].join('\n')),
      command: 'cp /bin/cat /tmp/cat; chmod 4755 /tmp/cat; setpriv --reuid 1000 --regid 1000 --clear-groups /tmp/cat /proc/self/status; setpriv --reuid 1000 --regid 1000 --clear-groups --no-new-privs /tmp/cat /proc/self/status',
      syscall: t('setresuid(1000, 1000, 1000); [prctl(PR_SET_NO_NEW_PRIVS, 1);] execve("/tmp/cat") of a file with mode 4755 owned by uid 0',
        'setresuid(1000, 1000, 1000)；[prctl(PR_SET_NO_NEW_PRIVS, 1);] execve("/tmp/cat")，这个文件属于 uid 0，权限位是 4755'),
      async perform(ctx) {
        ctx.state.withoutNnp = await setuidCat(ctx, false);
        ctx.state.withNnp = await setuidCat(ctx, true);
        return t('ran a setuid-root cat as uid 1000, without and with no_new_privs', '以 uid 1000 运行了属主为 root 的 setuid cat，先不设、再设 no_new_privs');
      },
      async verify(ctx) {
        const without: Ran = ctx.state.withoutNnp, withNnp: Ran = ctx.state.withNnp;
        return [
          observe(t('without no_new_privs: Uid (real, effective, saved, fs)', '不设 no_new_privs：Uid（实际、有效、保存、文件系统）'), '1000 0 0 0', field(without.out, 'Uid')),
          observe(t('its CapEff: the 14 are back', '它的 CapEff：14 个能力又回来了'), DOCKER_CAPS_HEX, field(without.out, 'CapEff')),
          observe(t('with no_new_privs: Uid', '设了 no_new_privs：Uid'), '1000 1000 1000 1000', field(withNnp.out, 'Uid')),
          observe(t('its CapEff', '它的 CapEff'), hex(0n), field(withNnp.out, 'CapEff')),
          observe(t('its NoNewPrivs', '它的 NoNewPrivs'), '1', field(withNnp.out, 'NoNewPrivs')),
        ];
      },
    },
    {
      id: 'leak',
      title: t('Masked paths: /proc/timer_list shows the host next door', '屏蔽路径：/proc/timer_list 把隔壁的宿主机暴露出来'),
      explain: t([
        'Some files in `/proc` describe the whole machine, and no namespace filters them. `/proc/timer_list` lists every pending high-resolution timer on every CPU, each with when it fires: the sleeps of *all* processes, in every PID namespace. That is how much and when the neighbours run, which side-channel attacks feed on. `/proc/kcore` (the kernel\'s memory), `/proc/keys` and others are masked for the same reason.',
        '',
        `The lab starts \`sleep ${SLEEP_SECONDS}\` on the host, a process the box cannot list, and a root process in the box (Docker's 14 capabilities) reads \`/proc/timer_list\` and finds its timer, due in about ${SLEEP_SECONDS} seconds.`,
      ].join('\n'), [
        '`/proc` 里有些文件描述的是整台机器，没有哪个命名空间会替你过滤。`/proc/timer_list` 列出每个 CPU 上每一个还没到期的高精度定时器，以及它什么时候触发：也就是*所有*进程的睡眠，不管它们在哪个 PID 命名空间里。从中能看出邻居们运行了多少、什么时候运行，侧信道攻击（side-channel attack）靠的就是这类信息。`/proc/kcore`（内核的内存）、`/proc/keys` 等文件被屏蔽，也是同样的原因。',
        '',
        `实验在宿主机上启动 \`sleep ${SLEEP_SECONDS}\`，这是一个盒子列不出来的进程；然后盒子里的一个 root 进程（带 Docker 的 14 个能力）读取 \`/proc/timer_list\`，找到了它的定时器，大约 ${SLEEP_SECONDS} 秒后到期。`,
      ].join('\n')),
      command: t(`sleep ${SLEEP_SECONDS} &   # on the host; then: nsenter -t {boxPid} -m -u -i -p sh -c 'ls /proc; cat /proc/timer_list'`,
        `sleep ${SLEEP_SECONDS} &   # 在宿主机上；然后：nsenter -t {boxPid} -m -u -i -p sh -c 'ls /proc; cat /proc/timer_list'`),
      syscall: t('clock_nanosleep (the host\'s sleep arms an hrtimer); open("/proc/timer_list") + read, inside the box',
        'clock_nanosleep（宿主机上的 sleep 会设一个 hrtimer）；在盒子里 open("/proc/timer_list") + read'),
      async perform(ctx) {
        ctx.state.sleeperPid = await ctx.spawn({ argv: [hostTool('sleep'), String(SLEEP_SECONDS)], env: baseEnv() }, 'a host process the box cannot see');
        // Its timer exists once it is in clock_nanosleep: wait until the host's own list shows it.
        for (let i = 0; i < 100 && timers(readFileSync('/proc/timer_list', 'utf8')).sleeper === undefined; i++) await sleep(10);
        ctx.state.leak = await readTimerList(ctx);
        return t(`started sleep ${SLEEP_SECONDS} as PID ${ctx.state.sleeperPid} on the host, read /proc/timer_list in the box`,
          `在宿主机上启动了 sleep ${SLEEP_SECONDS}（PID ${ctx.state.sleeperPid}），并在盒子里读了 /proc/timer_list`);
      },
      async verify(ctx) {
        const leak = ctx.state.leak;
        return [
          observe(t('PIDs the box can list (its /proc)', '盒子能列出的 PID（它的 /proc）'), '1', pidsInBox(ctx)),
          observeThat(t('/proc/timer_list, read in the box', '在盒子里读到的 /proc/timer_list'), t('readable: every CPU\'s timers', '可读：每个 CPU 的定时器'), timerListRead(leak), leak.code === 0 && leak.count > 0),
          observeThat(t(`the host's sleep (PID ${ctx.state.sleeperPid}) in it`, `其中宿主机的 sleep（PID ${ctx.state.sleeperPid}）`), t(`a timer due in ~${SLEEP_SECONDS} s`, `一个约 ${SLEEP_SECONDS} 秒后到期的定时器`),
            leak.sleeper !== undefined ? t(`due in ${leak.sleeper.toFixed(1)} s`, `${leak.sleeper.toFixed(1)} 秒后到期`) : NOT_FOUND, leak.sleeper !== undefined),
        ];
      },
    },
    {
      id: 'mask',
      title: t('Mask /proc/timer_list', '屏蔽 /proc/timer_list'),
      explain: t(
        `The defence is one mount: \`/dev/null\` bound over the file (a masked directory gets an empty read-only tmpfs instead). Reading it then gives nothing, and a process without \`CAP_SYS_ADMIN\` cannot unmount it. \`nestbox run\` masks Docker's ${MASKED_PATHS.length} paths this way (those this kernel has). The mount must be made in the *box's* mount namespace.`,
        `防线只是一次挂载：把 \`/dev/null\` 绑定挂载到这个文件上（被屏蔽的目录则换成一个空的只读 tmpfs）。之后再读它，什么也读不到；没有 \`CAP_SYS_ADMIN\` 的进程也卸载不掉它。\`nestbox run\` 就是这样屏蔽 Docker 的 ${MASKED_PATHS.length} 个路径的（只屏蔽这个内核上有的那些）。这次挂载必须在*盒子的*挂载命名空间里做。`,
      ),
      command: 'nsenter -t {boxPid} -m mount --bind /dev/null /proc/timer_list',
      syscall: t('setns(CLONE_NEWNS) into the box; mount("/dev/null", "/proc/timer_list", NULL, MS_BIND, NULL)',
        'setns(CLONE_NEWNS) 进入盒子；mount("/dev/null", "/proc/timer_list", NULL, MS_BIND, NULL)'),
      exercise: {
        task: t(
          'Mask **/proc/timer_list** in the box: bind **/dev/null** over it, in the box\'s mount namespace. Use the shell nestbox opens inside the box, or a second terminal (with `nsenter`, into the mount namespace of PID {boxPid}). The check reads it again from inside the box.',
          '在盒子里屏蔽 **/proc/timer_list**：在盒子的挂载命名空间里，把 **/dev/null** 绑定挂载到它上面。可以用 nestbox 在盒子里打开的 shell，也可以用第二个终端（用 `nsenter` 进入 PID {boxPid} 的挂载命名空间）。检查时会从盒子里面再读一次这个文件。',
        ),
        hints: [
          t('A mount made in your own shell on the host lands in the host\'s mount namespace, and one made after `unshare -m` in a throwaway copy of it: neither is the box\'s. Enter the box first: the lab\'s shell, or `nsenter -t {boxPid} -m`.',
            '在宿主机上你自己的 shell 里做的挂载，落在宿主机的挂载命名空间里；`unshare -m` 之后做的挂载，落在它的一份用完就扔的拷贝里：两者都不是盒子的。先进入盒子：用实验的 shell，或者 `nsenter -t {boxPid} -m`。'),
          t('In the lab\'s shell: `mount --bind /dev/null /proc/timer_list`, then `exit`. From a second terminal: `sudo nsenter -t {boxPid} -m mount --bind /dev/null /proc/timer_list`.',
            '在实验的 shell 里：`mount --bind /dev/null /proc/timer_list`，然后 `exit`。在第二个终端里：`sudo nsenter -t {boxPid} -m mount --bind /dev/null /proc/timer_list`。'),
        ],
        shell: { pidKey: 'boxPid', types: BOX },
        async solve(ctx) {
          const r = await attack(ctx, 'mount --bind /dev/null /proc/timer_list', {});
          if (r.code !== 0) throw new Error(pick(`the reference answer failed: ${r.out}`, `参考答案执行失败：${r.out}`));
        },
        async mistake(ctx) {
          // `unshare -m mount --bind ...`: the bind lands in a new mount namespace of its own, which
          // goes away with the mount command. The box (and the host) never see it.
          await runCaptured(ctx, { argv: [hostTool('mount'), '--bind', '/dev/null', '/proc/timer_list'], unshare: CLONE_NEWNS, steps: [privateRoot()] });
        },
      },
      async verify(ctx) {
        const read = await readTimerList(ctx);
        const mask = mountTable(ctx.state.boxPid).filter((m) => m.mountPoint === '/proc/timer_list').pop();
        const host = timers(readFileSync('/proc/timer_list', 'utf8'));
        return [
          observeThat(t(`/proc/timer_list in the box (/proc/${ctx.state.boxPid}/mountinfo)`, `盒子里的 /proc/timer_list（/proc/${ctx.state.boxPid}/mountinfo）`), t('a bind of /dev/null', '/dev/null 的绑定挂载'),
            mask ? (mask.root === '/null' ? t(`a bind of /dev/null (root /null, ${mask.fstype})`, `/dev/null 的绑定挂载（root 为 /null，${mask.fstype}）`) : `${mask.root} (${mask.fstype})`) : NOT_A_MOUNT_POINT, mask?.root === '/null'),
          observe(t('/proc/timer_list, read in the box', '在盒子里读到的 /proc/timer_list'), timerListRead({ bytes: 0, count: 0 }), timerListRead(read)),
          observe(t('the host\'s sleep in it', '其中宿主机的 sleep'), NOT_FOUND, read.sleeper !== undefined ? t('found', '找到了') : NOT_FOUND),
          observeThat(t('the host\'s own /proc/timer_list (only the box is masked)', '宿主机自己的 /proc/timer_list（只有盒子里的被屏蔽）'), t('readable', '可读'), t(`${host.count} timers`, `${host.count} 个定时器`), host.count > 0),
        ];
      },
    },
    {
      id: 'seccomp',
      title: t('seccomp: a user namespace gives root\'s powers back, unless the call is refused', 'seccomp：用户命名空间会把 root 的权力还回来，除非这个调用被拒绝'),
      explain: t([
        'Every defence so far leaves one door open. Creating a **user namespace** needs no privilege at all, and in a new one the creator holds *every* capability, over that namespace and the namespaces it makes from there. So the contained root of the box, with its 14 capabilities, can run `unshare -Urm` and be root with `CAP_SYS_ADMIN` again: mount filesystems, create network devices, load netfilter rules. Those are in its own namespaces and harm no one by themselves; but they run kernel code that was written for root only, and a long line of container escapes began exactly like this (CVE-2022-0185 in the filesystem-context code, CVE-2022-25636 and CVE-2023-32233 in nf_tables).',
        '',
        'The defence is **seccomp**: a small BPF program, installed with `seccomp(SECCOMP_SET_MODE_FILTER)`, that the kernel runs on every system call of the process and of all it starts, before the call itself. It sees the call\'s number, the ABI it came through, and its arguments, and can make the call fail with an errno. The kernel takes a filter only from a process with no_new_privs (or `CAP_SYS_ADMIN`), and it can never be removed. `nestbox run` installs one modelled on Docker\'s default profile (`src/runtime/seccomp-profile.ts`), and as in Docker\'s, most refusals depend on the capabilities the container holds. Without `CAP_SYS_ADMIN`, `unshare`, `setns`, `mount` and `clone` with namespace flags are refused, and `clone3`, whose flags sit in memory where a filter cannot look, is answered ENOSYS ("not implemented"), so the C library falls back to `clone`, whose flags it can read. `bpf` is refused without `CAP_SYS_ADMIN` or `CAP_BPF`, and `open_by_handle_at` without `CAP_DAC_READ_SEARCH`; Docker\'s 14 hold none of these. `keyctl` (keyrings are not namespaced), `kexec_load`, `userfaultfd`, `io_uring` and others are refused whatever the capabilities.',
        '',
        'Two attempts at the same `unshare -Urm sh -c \'mount -t tmpfs none /mnt\'` in the box, both as root with Docker\'s 14 and no_new_privs, differing in one thing: the second runs under the filter. `Seccomp` in `/proc/PID/status` reads 0 (none), 1 (strict) or 2 (a filter). (The new user namespace shows every capability the kernel knows, even one the host\'s root lacks: they count only for objects that namespace owns.)',
      ].join('\n'), [
        '到目前为止的每道防线，都还留着一扇门。创建**用户命名空间**根本不需要任何特权，而在新的用户命名空间里，创建者拥有*全部*能力，作用范围是这个命名空间，以及它从这里再创建的那些命名空间。所以盒子里受限的 root，虽然只有 14 个能力，却可以运行 `unshare -Urm`，重新成为拥有 `CAP_SYS_ADMIN` 的 root：挂载文件系统、创建网络设备、加载 netfilter 规则。这些都发生在它自己的命名空间里，本身伤害不到谁；但它们运行的是原本只为 root 编写的内核代码，一长串容器逃逸正是这样开始的（文件系统上下文（filesystem context）代码里的 CVE-2022-0185，nf_tables 里的 CVE-2022-25636 和 CVE-2023-32233）。',
        '',
        '防线是 **seccomp**：一个很小的 BPF 程序，用 `seccomp(SECCOMP_SET_MODE_FILTER)` 装上。此后这个进程和它启动的所有进程每做一次系统调用，内核都先运行一遍这个程序，再执行调用本身。它能看到调用号、调用走的是哪种 ABI，以及调用的参数，并且可以让调用以某个 errno 失败。内核只接受来自设了 no_new_privs（或持有 `CAP_SYS_ADMIN`）的进程的过滤器，而且过滤器一旦装上，就永远去不掉。`nestbox run` 装的过滤器仿照 Docker 的默认配置（`src/runtime/seccomp-profile.ts`），和 Docker 一样，大多数拒绝都取决于容器持有哪些能力。没有 `CAP_SYS_ADMIN` 时，`unshare`、`setns`、`mount` 和带命名空间标志的 `clone` 都被拒绝；`clone3` 的标志放在内存里，过滤器看不到，所以它得到的回答是 ENOSYS，即“没有实现”，于是 C 库退回去用 `clone`，而 `clone` 的标志过滤器读得到。没有 `CAP_SYS_ADMIN` 或 `CAP_BPF` 时，`bpf` 被拒绝；没有 `CAP_DAC_READ_SEARCH` 时，`open_by_handle_at` 被拒绝；Docker 的 14 个能力里，这几个一个也没有。`keyctl`（内核的密钥环没有命名空间隔离）、`kexec_load`、`userfaultfd`、`io_uring` 等调用，不管有什么能力都被拒绝。',
        '',
        '在盒子里把同一条 `unshare -Urm sh -c \'mount -t tmpfs none /mnt\'` 试两次，两次都以带 Docker 的 14 个能力和 no_new_privs 的 root 身份运行，只差一样：第二次在过滤器下运行。`/proc/PID/status` 里的 `Seccomp` 为 0 表示没有过滤，1 表示严格模式（strict），2 表示装了过滤器。（新的用户命名空间里显示的是内核知道的全部能力，连宿主机的 root 都没有的也算在内：这些能力只对这个命名空间拥有的对象有效。）',
      ].join('\n')),
      command: t(`nsenter -t {boxPid} -m -u -i -p sh -c '${USERNS_ATTACK}'   # Docker's 14 and no_new_privs; then the same under nestbox run's seccomp filter`,
        `nsenter -t {boxPid} -m -u -i -p sh -c '${USERNS_ATTACK}'   # Docker 的 14 个能力加 no_new_privs；然后在 nestbox run 的 seccomp 过滤器下再来一次`),
      syscall: t('unshare(CLONE_NEWUSER|CLONE_NEWNS) + mount("none", "/mnt", "tmpfs"); then prctl(PR_SET_NO_NEW_PRIVS) + seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) before execve: unshare = EPERM',
        'unshare(CLONE_NEWUSER|CLONE_NEWNS) + mount("none", "/mnt", "tmpfs")；然后在 execve 之前 prctl(PR_SET_NO_NEW_PRIVS) + seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)：unshare = EPERM'),
      async perform(ctx) {
        ctx.state.userns = await attack(ctx, USERNS_ATTACK, CONTAINED);
        ctx.state.usernsFiltered = await attack(ctx, USERNS_ATTACK, { ...CONTAINED, seccomp: assembleFilter(seccompPolicy(DOCKER_DEFAULT_CAPS)) });
        return t('made a user namespace and mounted a tmpfs in the box, then tried the same under the filter', '在盒子里建了一个用户命名空间并挂载了一个 tmpfs，然后在过滤器下把同样的事再试一次');
      },
      async verify(ctx) {
        const open: Ran = ctx.state.userns, filtered: Ran = ctx.state.usernsFiltered;
        const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
        return [
          observe(t('without a filter: Seccomp', '没有过滤器时：Seccomp'), '0', field(open.out, 'Seccomp')),
          observe(t('CapEff in its user namespace (all)', '它在新用户命名空间里的 CapEff（全部能力）'), hex((1n << BigInt(lastCap + 1)) - 1n), field(open.out, 'CapEff')),
          observeThat(t('its tmpfs mount', '它挂载的 tmpfs'), MOUNTED, /^mounted$/m.test(open.out) ? MOUNTED : outcome(open), /^mounted$/m.test(open.out)),
          observe(t('under the filter: Seccomp', '在过滤器下：Seccomp'), '2', field(filtered.out, 'Seccomp')),
          observeThat(t('its unshare', '它的 unshare'), t('refused: Operation not permitted (EPERM)', '被拒绝：Operation not permitted（EPERM）'), outcome(filtered), filtered.code !== 0 && /not permitted/i.test(filtered.out) && !/^mounted$/m.test(filtered.out)),
          observe(t('the box\'s PID 1: Seccomp', '盒子的 1 号进程：Seccomp'), '0', String(processStatus(ctx.state.boxPid).seccomp)),
        ];
      },
    },
  ],
};

export default lab;
