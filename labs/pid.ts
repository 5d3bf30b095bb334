// Lab "pid": a PID namespace numbers its processes from 1. Its first process is the namespace's
// init: it adopts orphans, and when it dies the kernel kills everything else inside.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWNS, CLONE_NEWPID } from '../src/kernel/constants.js';
import { commandLine, isAlive, listPids, mountTable, namespaceId, processStatus } from '../src/kernel/proc.js';
import { kill } from '../src/kernel/syscalls.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { startTime } from '../src/host/ledger.js';
import { Tracked, track, fate, waitGone } from './processes.js';
import { commOf, runCaptured, runJoined, stopAndReap } from './kit.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateRoot } from '../src/recipes/rootfs.js';

/**
 * What the steps pass on. The keys name processes by their role, never `pid`: in this lab the word
 * PID stays a word in the texts (PID 1, PID namespace). The exercise's cleanup runs even when an
 * earlier step failed, so it reads box and first with `?.`.
 */
interface PidState {
  /** Step pid1's sleep: PID 1 of a new PID namespace that still reads the host's /proc. */
  first: Tracked;
  /** first's host PID, for {firstPid} in the texts. */
  firstPid: number;
  /** What busybox ps listed inside first's PID namespace, through the host's /proc. */
  staleRows: PsLine[];
  /** proc mounts on /proc on the host, before the namespace mounted its own. */
  hostProcMounts: number;
  /** Step mount-proc's sleep: PID 1 of a PID namespace with its own /proc (the exercise's target). */
  box: Tracked;
  /** box's host PID, for {boxPid} in the texts and the exercise's shell. */
  boxPid: number;
  /** box's pid:[N], for {boxNs} (undefined only if box had already ended when it was read). */
  boxNs: number | undefined;
  /** What busybox ps listed inside box's namespaces, through their own /proc. */
  ownRows: PsLine[];
  /** The sleep orphaned inside box's namespace, and its PID there. */
  orphan: Tracked & { inner: number };
}

const INIT = ['sleep', '86401'];
const ORPHAN = ['sleep', '86402'];
const PS = ['/bin/busybox', 'ps', '-o', 'pid,ppid,args'];

interface PsLine { pid: number; ppid: number; args: string }

/** Rows of `ps -o pid,ppid,args`. */
function parsePs(text: string): PsLine[] {
  const rows: PsLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3].trim() });
  }
  return rows;
}

/** Run busybox ps inside the namespaces of `pid` (pid only: the host's /proc; pid+mnt: its own). */
async function psInside(ctx: LabContext<PidState>, pid: number, types: ('pid' | 'mnt')[]): Promise<PsLine[]> {
  return parsePs((await runJoined(ctx, pid, types, PS)).out);
}

const procMounts = (pid: number | 'self') => mountTable(pid).filter((m) => m.mountPoint === '/proc' && m.fstype === 'proc');
const lastOf = (nspid: number[]) => nspid[nspid.length - 1];

/** Host PIDs of the live processes whose /proc/PID/ns/pid is `ns` (zombies have ended: left out). */
function liveIn(ns: number | undefined): number[] {
  return listPids().filter((p) => namespaceId(p, 'pid') === ns && isAlive(p));
}

/**
 * A process's ARGS column as busybox ps prints it: the command line, preceded by the short name in
 * braces when the two differ (systemd, started as /sbin/init, names itself "systemd": "{systemd}
 * /sbin/init").
 */
function psArgs(pid: number): string {
  const args = commandLine(pid);
  const comm = commOf(pid);
  const argv0 = args.split(' ')[0] ?? '';
  return comm && argv0.split('/').pop() !== comm ? `{${comm}} ${args}` : args;
}

const lab: Lab<PidState> = {
  id: 'pid',
  title: t('The PID namespace: PID 1 inside, any PID outside', 'PID 命名空间：里面是 PID 1，外面可以是任何 PID'),
  module: 3,
  lesson: 'pid',
  needs: ['root', 'ns-pid', 'ns-mnt'],
  steps: [
    {
      id: 'pid1',
      title: t('PID 1 inside, another PID outside', '里面是 PID 1，外面是另一个 PID'),
      explain: t(
        'A PID namespace numbers processes from 1, and it is nested: every process also has a PID in each namespace above its own. `unshare(CLONE_NEWPID)` does not move the caller (its PID cannot change); it decides where its next child goes, and that child is PID 1 of the new namespace. The line `NSpid` in /proc/PID/status lists a process\'s PIDs from the host\'s namespace down to its own.',
        'PID 命名空间从 1 开始给进程编号，而且是嵌套的：每个进程在它上面的每一层命名空间里也各有一个 PID。`unshare(CLONE_NEWPID)` 不会移动调用者（它的 PID 不能变），它决定的是调用者的下一个子进程去哪里，这个子进程就是新命名空间的 1 号进程。/proc/PID/status 里的 `NSpid` 一行列出一个进程的各个 PID，从宿主机的命名空间一直到它自己所在的命名空间。',
      ),
      command: 'unshare --pid --fork sleep 86401 &  grep NSpid /proc/PID/status',
      syscall: 'unshare(CLONE_NEWPID); posix_spawn("/bin/sleep")',
      async perform(ctx) {
        const pid = await ctx.spawn({ argv: INIT, path: '/bin/sleep', env: baseEnv(), unshare: CLONE_NEWPID }, 'PID 1 of a PID namespace, host /proc');
        ctx.state.first = track(pid);
        // Named keys, not `pid`: in this lab the word PID stays a word (PID 1, PID namespace).
        ctx.state.firstPid = pid;
        return t(`started "${INIT.join(' ')}" as host PID ${pid} in a new PID namespace`, `在新的 PID 命名空间里启动了 "${INIT.join(' ')}"，宿主机 PID 是 ${pid}`);
      },
      async verify(ctx) {
        const { pid } = ctx.state.first;
        const st = processStatus(pid);
        const host = namespaceId('self', 'pid');
        const inner = namespaceId(pid, 'pid');
        return [
          observe(t(`NSpid in /proc/${pid}/status (host PID, PID inside)`, `/proc/${pid}/status 里的 NSpid（宿主机 PID，里面的 PID）`), `${pid} 1`, st.nspid.join(' ')),
          observeThat(`/proc/${pid}/ns/pid`, t(`≠ host's pid:[${host}]`, `≠ 宿主机的 pid:[${host}]`), `pid:[${inner}]`, inner !== undefined && inner !== host),
          observe(t(`PPid in /proc/${pid}/status (nestbox, outside the namespace)`, `/proc/${pid}/status 里的 PPid（nestbox，在命名空间外面）`), process.pid, st.ppid),
        ];
      },
    },
    {
      id: 'host-proc',
      title: t("A new PID namespace still reads the host's /proc", '新的 PID 命名空间读的仍是宿主机的 /proc'),
      explain: t(
        "`ps` knows nothing about namespaces: it reads `/proc`. A procfs shows the PID namespace of whoever mounted it, and the only /proc this namespace can see is the host's, mounted long ago by a host process. So `ps` run inside the new namespace lists every process of the host, under host PIDs, its own PID 1 included. The isolation itself is real (from inside, `kill` cannot reach a process outside the namespace by any number), but the view through /proc is not.",
        '`ps` 对命名空间一无所知，它只读 `/proc`。一个 procfs 显示的是挂载它的那个进程所在的 PID 命名空间；而这个命名空间能看到的 /proc 只有宿主机的那一个，早就由宿主机上的进程挂载好了。所以在新命名空间里运行的 `ps` 会列出宿主机的每一个进程，用的是宿主机 PID，连这个命名空间自己的 1 号进程也在其中。隔离本身是真的（在里面，`kill` 不管用什么编号，都够不着命名空间外面的进程），但通过 /proc 看到的景象不是。',
      ),
      command: 'nsenter --target {firstPid} --pid busybox ps -o pid,ppid,args',
      syscall: t('setns(/proc/{firstPid}/ns/pid, CLONE_NEWPID); posix_spawn("busybox ps"), which reads the host\'s /proc',
        'setns(/proc/{firstPid}/ns/pid, CLONE_NEWPID)；posix_spawn("busybox ps")，它读的是宿主机的 /proc'),
      async perform(ctx) {
        const { pid } = ctx.state.first;
        const rows = await psInside(ctx, pid, ['pid']);
        ctx.state.staleRows = rows;
        for (const r of rows.filter((r) => r.pid === 1 || r.pid === pid || r.pid === process.pid || r.args.startsWith('/bin/busybox ps') || r.args.startsWith('ps '))) {
          const row = `${String(r.pid).padStart(6)} ${String(r.ppid).padStart(6)}  ${r.args.slice(0, 70)}`;
          ctx.say(t(`ps inside: ${row}`, `里面的 ps：${row}`));
        }
        const ns = namespaceId(pid, 'pid');
        const now = listPids().length;
        return t(`busybox ps, run inside pid:[${ns}], listed ${rows.length} processes, ps itself among them (the host lists ${now} now that ps has ended)`,
          `在 pid:[${ns}] 里运行的 busybox ps 列出了 ${rows.length} 个进程，ps 自己也在其中（ps 已经结束，宿主机现在列出 ${now} 个）`);
      },
      async verify(ctx) {
        const { pid } = ctx.state.first;
        const rows = ctx.state.staleRows;
        const row1 = rows.find((r) => r.pid === 1)?.args;
        const init = row1 ?? 'absent';
        const hostInit = psArgs(1);
        const sleep = rows.find((r) => r.args === INIT.join(' '));
        const self = rows.some((r) => r.pid === process.pid);
        const LISTED = t('listed', '在列表里');
        const ABSENT = t('absent', '不在列表里');
        const hostPid = (n: number) => t(`listed as ${n}, its host PID`, `列为 ${n}，即它的宿主机 PID`);
        return [
          observeThat(t('PID 1 in that ps output', '这份 ps 输出里的 PID 1'), t(`the host's init (${hostInit.slice(0, 40)})`, `宿主机的 init（${hostInit.slice(0, 40)}）`),
            row1 !== undefined ? row1.slice(0, 60) : ABSENT, hostInit !== '' && (init.startsWith(hostInit.slice(0, 40)) || hostInit.startsWith(init))),
          observeThat(t(`nestbox (host PID ${process.pid}, outside the namespace) in it`, `其中的 nestbox（宿主机 PID ${process.pid}，在命名空间外面）`), LISTED, self ? LISTED : ABSENT, self),
          observe(t(`the namespace's own "${INIT.join(' ')}" in it`, `其中这个命名空间自己的 "${INIT.join(' ')}"`), hostPid(pid),
            sleep ? (sleep.pid === pid ? hostPid(pid) : t(`listed as ${sleep.pid}`, `列为 ${sleep.pid}`)) : ABSENT),
        ];
      },
    },
    {
      id: 'mount-proc',
      title: t('Mount a fresh /proc from inside the namespace', '在命名空间里面挂载一个新的 /proc'),
      explain: t(
        "A container needs a /proc of its own: a new procfs, mounted by a process that is **inside** the new PID namespace (the kernel ties a procfs to the PID namespace of the process that mounts it, and nestbox itself stays in the host's). So the child does it, as its first act: `sh -c 'mount -t proc proc /proc && exec sleep ...'`. It runs in a private mount namespace (MS_REC|MS_PRIVATE first), so the new /proc covers the host's only in there. `ps` inside then lists only the namespace's processes.",
        "容器需要一个自己的 /proc：一个新的 procfs，而且要由一个身处新 PID 命名空间**里面**的进程来挂载（内核把 procfs 和挂载它的进程所在的 PID 命名空间绑在一起，而 nestbox 自己一直留在宿主机的命名空间里）。所以由子进程来挂载，这是它做的第一件事：`sh -c 'mount -t proc proc /proc && exec sleep ...'`。它运行在一个私有的挂载命名空间里（先设 MS_REC|MS_PRIVATE），所以新的 /proc 只在那里面盖住宿主机的 /proc。之后在里面运行的 `ps` 就只列出这个命名空间的进程。",
      ),
      command: t("unshare --pid --mount --propagation private --fork sh -c 'mount -t proc proc /proc && exec sleep 86401' &  nsenter -t <its host pid> -p -m busybox ps -o pid,ppid,args",
        "unshare --pid --mount --propagation private --fork sh -c 'mount -t proc proc /proc && exec sleep 86401' &  nsenter -t <它在宿主机上的 PID> -p -m busybox ps -o pid,ppid,args"),
      syscall: t('unshare(CLONE_NEWPID|CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); posix_spawn("/bin/sh"), which calls mount("proc", "/proc", "proc", 0, NULL)',
        'unshare(CLONE_NEWPID|CLONE_NEWNS)；mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)；posix_spawn("/bin/sh")，由它调用 mount("proc", "/proc", "proc", 0, NULL)'),
      async perform(ctx) {
        ctx.state.hostProcMounts = procMounts('self').length;
        const pid = await ctx.spawn({
          argv: ['/bin/sh', '-c', `mount -t proc proc /proc && exec ${INIT.join(' ')}`],
          env: baseEnv(),
          unshare: CLONE_NEWPID | CLONE_NEWNS,
          // systemd makes / shared: without this, the new /proc would be mounted on the host's too.
          steps: [privateRoot()],
        }, 'PID 1 of a PID namespace with its own /proc');
        const box = track(pid);
        ctx.state.box = box;
        ctx.state.boxNs = namespaceId(pid, 'pid');
        ctx.state.boxPid = pid;
        // The shell becomes sleep (exec) once its mount has succeeded.
        for (let i = 0; i < 200 && commandLine(pid) !== INIT.join(' ') && fate(box).alive; i++) await sleep(5);
        if (commandLine(pid) !== INIT.join(' ')) {
          const it = fate(box).text;
          throw new Error(pick(`the namespace's shell did not mount /proc (it ${it.en})`, `命名空间里的 shell 没能挂载 /proc（它的状态：${it.zh}）`));
        }
        const rows = await psInside(ctx, pid, ['pid', 'mnt']);
        ctx.state.ownRows = rows;
        for (const r of rows) {
          const row = `${String(r.pid).padStart(6)} ${String(r.ppid).padStart(6)}  ${r.args}`;
          ctx.say(t(`ps inside: ${row}`, `里面的 ps：${row}`));
        }
        const ppid = processStatus(pid).ppid;
        ctx.say(t(`outside, the host sees the same sleep as PID ${pid}, parent ${ppid} (nestbox); ps inside shows PPID 0 for a parent outside the namespace`,
          `在外面，宿主机看到的是同一个 sleep，PID 是 ${pid}，父进程是 ${ppid}（nestbox）；父进程在命名空间外面时，里面的 ps 把 PPID 显示为 0`));
        return t(`host PID ${pid} mounted a fresh /proc inside its PID and mount namespaces`, `宿主机 PID 为 ${pid} 的进程在它的 PID 和挂载命名空间里挂载了一个新的 /proc`);
      },
      async verify(ctx) {
        const { pid } = ctx.state.box;
        const rows = ctx.state.ownRows;
        const inside = procMounts(pid);
        const top = inside[inside.length - 1];
        const listing = rows.map((r) => `${r.pid} ${r.args.split(' ')[0] === '/bin/busybox' ? 'ps' : r.args}`).join('; ');
        const onlyOwn = rows.length === 2 && rows.some((r) => r.pid === 1 && r.args === INIT.join(' ')) && rows.some((r) => r.args.startsWith(PS.join(' ')));
        const stacked = (n: number) => t(`${n} (the host's, and the new one on top)`, `${n}（宿主机的那个，加上盖在上面的新的那个）`);
        const want = ctx.state.hostProcMounts + 1;
        return [
          observeThat(t('ps inside, reading the new /proc', '命名空间里的 ps，读的是新的 /proc'), t(`PID 1 "${INIT.join(' ')}" and ps itself, nothing else`, `PID 1 "${INIT.join(' ')}" 和 ps 自己，没有别的`), listing, onlyOwn),
          observe(t(`NSpid in /proc/${pid}/status (read through the host's /proc)`, `/proc/${pid}/status 里的 NSpid（通过宿主机的 /proc 读取）`), `${pid} 1`, processStatus(pid).nspid.join(' ')),
          observe(t(`proc mounts on /proc in /proc/${pid}/mountinfo`, `/proc/${pid}/mountinfo 里挂在 /proc 上的 proc 挂载`), stacked(want), inside.length === want ? stacked(want) : `${inside.length}`),
          observe(t('propagation of the new /proc mount', '新 /proc 挂载的传播类型'), 'private', top?.propagation ?? t('absent', '没有这个挂载')),
          observe(t('proc mounts on /proc on the host (/proc/self/mountinfo)', '宿主机上挂在 /proc 上的 proc 挂载（/proc/self/mountinfo）'), ctx.state.hostProcMounts, procMounts('self').length),
        ];
      },
    },
    {
      id: 'orphan',
      title: t("Orphans are adopted by the namespace's PID 1", '孤儿进程由命名空间的 1 号进程收养'),
      explain: t(
        "When a process exits, its children are not left without a parent: the kernel gives them to the init of their PID namespace (or a subreaper), never to a process outside it. Here a shell inside the namespace starts `sleep` in the background and exits at once; the orphaned sleep's parent becomes the namespace's PID 1. An init must also collect (wait for) the orphans that end, or they stay zombies; `sleep` never does, which is why runtimes offer a tiny init (`docker run --init`, tini) as PID 1.",
        '一个进程退出后，它的子进程不会没有父进程：内核把它们交给所在 PID 命名空间的 init（或者一个 subreaper），绝不会交给命名空间外面的进程。这里，命名空间里的一个 shell 在后台启动 `sleep`，然后马上退出；成了孤儿的 sleep，父进程就变成了命名空间的 1 号进程。init 还必须回收（wait）那些结束了的孤儿进程，否则它们会一直是僵尸进程；`sleep` 从来不做这件事，所以容器运行时才提供一个很小的 init（`docker run --init`、tini）来当 1 号进程。',
      ),
      command: "nsenter -t {boxPid} -p -m sh -c 'sleep 86402 & echo $!'; grep PPid /proc/<orphan>/status",
      syscall: t('setns(pid, mnt); posix_spawn("/bin/sh"): fork(2) + exit(2); the kernel reparents the child to the namespace\'s child_reaper',
        'setns(pid, mnt)；posix_spawn("/bin/sh")：fork(2) + exit(2)；内核把子进程的父进程改成命名空间的 child_reaper'),
      async perform(ctx) {
        const { pid } = ctx.state.box;
        const { out } = await runCaptured(ctx, { argv: ['/bin/sh', '-c', `${ORPHAN.join(' ')} </dev/null >/dev/null 2>&1 & echo $!`], join: { pid, types: ['pid', 'mnt'] } });
        const inner = Number(out);
        // $! is the PID inside the namespace; find the same process among the host's by its NSpid.
        const ns = namespaceId(pid, 'pid');
        const host = listPids().find((p) => namespaceId(p, 'pid') === ns && lastOf(processStatus(p).nspid) === inner);
        if (!host) throw new Error(pick(`the orphaned sleep (PID ${inner} inside) was not found`, `没有找到成了孤儿的 sleep（它在里面的 PID 是 ${inner}）`));
        ctx.ledger.record({ kind: 'process', pid: host, starttime: startTime(host), note: 'orphaned sleep' });
        ctx.state.orphan = { ...track(host), inner };
        return t(`the shell exited; its "${ORPHAN.join(' ')}" (PID ${inner} inside, ${host} on the host) was orphaned`,
          `shell 已经退出；它启动的 "${ORPHAN.join(' ')}"（里面的 PID 是 ${inner}，宿主机上是 ${host}）成了孤儿进程`);
      },
      async verify(ctx) {
        const { pid } = ctx.state.box;
        const { orphan } = ctx.state;
        const st = processStatus(orphan.pid);
        const rows = await psInside(ctx, pid, ['pid', 'mnt']);
        const row = rows.find((r) => r.pid === orphan.inner);
        const init = t(`${pid}, the namespace's PID 1`, `${pid}，即命名空间的 1 号进程`);
        return [
          observe(t(`PPid in /proc/${orphan.pid}/status (host view)`, `/proc/${orphan.pid}/status 里的 PPid（从宿主机看）`), init, st.ppid === pid ? init : st.ppid),
          observe(t(`PPID of ${orphan.inner} in ps inside the namespace`, `命名空间里的 ps 显示的 ${orphan.inner} 的 PPID`), 1, row?.ppid ?? t('absent', '不在列表里')),
          observe(t(`NSpid in /proc/${orphan.pid}/status`, `/proc/${orphan.pid}/status 里的 NSpid`), `${orphan.pid} ${orphan.inner}`, st.nspid.join(' ')),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Kill PID 1 and the whole namespace goes', '杀掉 1 号进程，整个命名空间随之消失'),
      explain: t(
        "PID 1 defines a container's life. When the init of a PID namespace ends, the kernel sends SIGKILL to every other process in it and no new process may enter; that is why a container stops when its main process exits. PID 1 is also protected: from inside, even `kill -9 1` is ignored, and from the host only SIGKILL (or SIGSTOP) gets through unless init installed handlers.",
        '1 号进程决定了容器的寿命。PID 命名空间的 init 一结束，内核就给里面所有其他进程发 SIGKILL，而且再也不让新进程进入；所以主进程一退出，容器就停了。1 号进程还受到保护：在里面，连 `kill -9 1` 都会被忽略；从宿主机发来的信号，除非 init 安装了处理函数，否则只有 SIGKILL（或 SIGSTOP）能送达。',
      ),
      command: t('kill -9 {boxPid}   # from the host; then: ls -l /proc/*/ns/pid | grep {boxNs}',
        'kill -9 {boxPid}   # 在宿主机上执行；然后：ls -l /proc/*/ns/pid | grep {boxNs}'),
      syscall: t('kill(host PID of init, SIGKILL); the kernel: zap_pid_ns_processes() kills the rest',
        'kill(init 在宿主机上的 PID, SIGKILL)；内核：zap_pid_ns_processes() 杀掉其余的进程'),
      exercise: {
        task: t(
          "End this container the way `docker kill` does: send SIGKILL to the namespace's init (process 1 inside, {boxPid} on the host). Then every process of the namespace, the orphaned `sleep 86402` too, must be gone. The shell nestbox offers runs inside the namespace: try `kill -9 1` there first, and `ps` to see that init survives it.",
          '像 `docker kill` 那样结束这个容器：给命名空间的 init（里面是 1 号进程，宿主机上是 {boxPid}）发送 SIGKILL。之后命名空间里的每个进程，包括成了孤儿的 `sleep 86402`，都必须消失。nestbox 提供的 shell 运行在命名空间里面：先在那里试试 `kill -9 1`，再用 `ps` 看看 init 是不是还活着。',
        ),
        hints: [
          t('Inside the namespace the kernel ignores every signal to its init that init has no handler for, SIGKILL included. From the host, init is an ordinary process with a host PID.',
            '在命名空间里面，发给 init 的信号只要 init 没有为它设置处理函数，内核就一律忽略，SIGKILL 也不例外。从宿主机看，init 只是一个有宿主机 PID 的普通进程。'),
          t('Killing the orphan, or any process other than init, ends only that process: the namespace lives on as long as its init does.',
            '杀掉那个孤儿进程，或者 init 以外的任何进程，都只会结束那一个进程：只要 init 还活着，命名空间就还在。'),
          t('A plain `kill {boxPid}` sends SIGTERM; `sleep` has no handler for it, so the kernel drops it. That is why `docker stop` sends SIGKILL when its timeout runs out.',
            '普通的 `kill {boxPid}` 发送的是 SIGTERM；`sleep` 没有为它设置处理函数，所以内核直接把它丢掉。这也是 `docker stop` 在超时之后改发 SIGKILL 的原因。'),
          t('From a host terminal: `kill -9 {boxPid}` (init\'s host PID).', '在宿主机的终端里运行：`kill -9 {boxPid}`（init 的宿主机 PID）。'),
        ],
        shell: { pidKey: 'boxPid', types: ['pid', 'mnt'] },
        async solve(ctx) {
          kill(ctx.state.box.pid, 9);
        },
        async mistake(ctx) {
          // A process inside the namespace, but not its init.
          kill(ctx.state.orphan.pid, 9);
        },
      },
      async verify(ctx) {
        const { box, orphan } = ctx.state;
        await waitGone(box);
        const init = fate(box);
        const left = liveIn(ctx.state.boxNs);
        const o = fate(orphan);
        const ns = ctx.state.boxNs;
        const none = t('none', '没有');
        return [
          observeThat(t(`PID 1 of pid:[${ns}] (host PID ${box.pid})`, `pid:[${ns}] 的 PID 1（宿主机 PID ${box.pid}）`), t('gone', '已不存在'), init.text, !init.alive),
          observe(t(`live processes with /proc/*/ns/pid = pid:[${ns}]`, `/proc/*/ns/pid 为 pid:[${ns}] 的活着的进程`), none, left.length ? left.map((p) => `${p} (${commandLine(p)})`).join(', ') : none),
          observeThat(t(`the orphaned sleep (host PID ${orphan.pid})`, `成了孤儿的 sleep（宿主机 PID ${orphan.pid}）`), t('gone, killed by the kernel', '已不存在，被内核杀掉了'), o.text, !o.alive),
        ];
      },
      async cleanup(ctx) {
        // Collect our children (the two inits); the kernel takes the orphan down with its init.
        await stopAndReap(ctx, ctx.state.box?.pid, ctx.state.first?.pid);
      },
    },
  ],
};

export default lab;
