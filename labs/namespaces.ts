// Lab "namespaces": every namespace type, one at a time. Each step asks unshare(2) for one
// CLONE_NEW* flag and compares the new process's /proc/PID/ns/* links with the host's: exactly one
// inode number changes, the one the flag names.
import type { Lab, LabContext, Step } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { NAMESPACES, NAMESPACE_TYPES, NamespaceType, CLONE_NEWUSER } from '../src/kernel/constants.js';
import { namespaceId, namespaceIds, listPids, commandLine } from '../src/kernel/proc.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { KernelError } from '../src/kernel/errors.js';
import { hostTool, startForkedSleeper } from './kit.js';
import { existsSync, readFileSync } from 'node:fs';
import { startTime } from '../src/host/ledger.js';

/** What the steps pass on. */
interface NamespacesState {
  /** nestbox's own /proc/self/ns/* inode numbers, by type (types this kernel lacks are absent). */
  host: Partial<Record<NamespaceType, number>>;
  /** The sleep each new-TYPE step started in a new namespace of that type, by type (the first such step makes the record). */
  pids: Partial<Record<NamespaceType, number>>;
  /** What unshare(CLONE_NEWUSER) from a thread of nestbox gave: an errno name, or 'none'. */
  userError: string;
  /** When the exercise began, in clock ticks since boot (/proc/PID/stat's start time). */
  since: number;
}

const FLAG_NAMES: Record<NamespaceType, string> = {
  mnt: 'CLONE_NEWNS', uts: 'CLONE_NEWUTS', ipc: 'CLONE_NEWIPC', pid: 'CLONE_NEWPID',
  net: 'CLONE_NEWNET', user: 'CLONE_NEWUSER', cgroup: 'CLONE_NEWCGROUP', time: 'CLONE_NEWTIME',
};
const UNSHARE_OPTION: Record<NamespaceType, string> = {
  mnt: '--mount', uts: '--uts', ipc: '--ipc', pid: '--pid --fork', net: '--net', user: '--user', cgroup: '--cgroup', time: '--time',
};

/** Which namespace types differ between a process and the host (nestbox itself, which never moves). */
function differing(pid: number): NamespaceType[] {
  const host = namespaceIds('self');
  const mine = namespaceIds(pid);
  return NAMESPACE_TYPES.filter((t) => mine[t] !== undefined && host[t] !== undefined && mine[t] !== host[t]);
}

/** The "for children" link matters for pid and time: the process itself reads them from pid_for_children/time_for_children only after a fork. */
function oneTypeStep(type: NamespaceType): Step<NamespacesState> {
  return {
    id: `new-${type}`,
    title: t(`A new ${type} namespace (${FLAG_NAMES[type]})`, `新的 ${type} 命名空间（${FLAG_NAMES[type]}）`),
    explain: type === 'pid' || type === 'time'
      ? t(
        `unshare(${FLAG_NAMES[type]}) makes a new ${type} namespace for the *children* of the calling thread: the thread itself stays where it was (its /proc/PID/ns/${type}_for_children changes, not /proc/PID/ns/${type}), and the \`sleep\` it starts next is the first process inside.${type === 'time' ? ' (Before Linux 6.2 the kernel lets only a fork()ed child in, so there util-linux `unshare --time --fork` starts the sleep; the timens lab shows why.)' : ''} Every other link in /proc/PID/ns stays the host's: the flags are independent, and a container is just all of them at once.`,
        `unshare(${FLAG_NAMES[type]}) 新建的 ${type} 命名空间是给调用线程的*子进程*用的：线程自己留在原地（变的是它的 /proc/PID/ns/${type}_for_children，不是 /proc/PID/ns/${type}），它接下来启动的 \`sleep\` 是里面的第一个进程。${type === 'time' ? '（Linux 6.2 之前，内核只让 fork() 出来的子进程进去，所以在那种内核上由 util-linux 的 `unshare --time --fork` 来启动 sleep，原因见 timens 实验。）' : ''}/proc/PID/ns 里的其他链接都还是宿主机的：这些标志互不相干，容器只不过是把它们一次全用上。`,
      )
      : t(
        `unshare(${FLAG_NAMES[type]}) gives the calling thread a new ${type} namespace; a \`sleep\` started from that thread inherits it. Every other link in /proc/PID/ns stays the host's: the flags are independent, and a container is just all of them at once.`,
        `unshare(${FLAG_NAMES[type]}) 给调用它的线程一个新的 ${type} 命名空间，从这个线程启动的 \`sleep\` 会继承它。/proc/PID/ns 里的其他链接都还是宿主机的：这些标志互不相干，容器只不过是把它们一次全用上。`,
      ),
    command: `unshare ${UNSHARE_OPTION[type]} sleep infinity &  readlink /proc/$!/ns/*`,
    syscall: `unshare(${FLAG_NAMES[type]}); posix_spawn("/bin/sleep")`,
    async perform(ctx) {
      let pid: number;
      try {
        pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: NAMESPACES[type] }, `holds a new ${type} namespace`);
      } catch (err) {
        // Linux before 6.2 lets no vfork-style child (posix_spawn's) into a new time namespace; a
        // single-threaded helper that fork()s can, as the timens lab shows.
        if (type !== 'time' || !(err instanceof KernelError) || err.errno !== 22) throw err;
        pid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'holds a new time namespace');
        ctx.say(t('posix_spawn from the thread that unshared: EINVAL, since this kernel is older than 6.2 (see lab timens); util-linux `unshare --time --fork` forked the sleep instead',
          '从执行 unshare 的那个线程调用 posix_spawn：EINVAL，因为这个内核早于 6.2（见实验 timens）；于是改由 util-linux 的 `unshare --time --fork` fork 出 sleep'));
      }
      (ctx.state.pids ??= {})[type] = pid;
      return t(`sleep ${pid} started with ${FLAG_NAMES[type]}`, `用 ${FLAG_NAMES[type]} 启动了 sleep ${pid}`);
    },
    async verify(ctx) {
      const pid = ctx.state.pids[type]!; // set by this step's perform
      const changed = differing(pid);
      return [
        observeThat(`/proc/${pid}/ns/${type}`, t(`≠ host's ${type}:[${namespaceId('self', type)}]`, `≠ 宿主机的 ${type}:[${namespaceId('self', type)}]`), `${type}:[${namespaceId(pid, type)}]`, changed.includes(type)),
        observe(t(`namespace types that differ from the host's`, '与宿主机不同的命名空间类型'), type, changed.join(' ') || t('(none)', '（没有）')),
      ];
    },
  };
}

/** Now, in the unit of /proc/PID/stat's start time: clock ticks (100 a second) since boot. */
function ticksNow(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/**
 * Processes started since the exercise began that have namespaces of their own. By start time, not
 * by PID: PIDs wrap around (at 32768 on many systems), start times do not.
 */
function learnerProcesses(ctx: LabContext<NamespacesState>): { pid: number; types: NamespaceType[] }[] {
  return listPids()
    .filter((p) => (startTime(p) ?? 0) >= ctx.state.since && p !== process.pid && commandLine(p))
    .map((pid) => ({ pid, types: differing(pid) }))
    .filter((p) => p.types.length > 0 && !Object.values(ctx.state.pids).includes(p.pid));
}

/** What unshare(CLONE_NEWUSER) gave: an errno name, or 'none' when it worked. */
const userError = (e: string) => (e === 'none' ? t('none', '没有出错') : t(e, e));

const available = NAMESPACE_TYPES.filter((t) => t !== 'user' && existsSync(`/proc/self/ns/${t}`));

const lab: Lab<NamespacesState> = {
  id: 'namespaces',
  title: t('Namespaces: one flag, one isolated resource', '命名空间：一个标志，隔离一种资源'),
  module: 1,
  lesson: 'namespaces',
  needs: ['root', 'ns-mnt', 'ns-uts', 'ns-ipc', 'ns-pid', 'ns-net'],
  steps: [
    {
      id: 'host',
      title: t("The host's namespaces", '宿主机的命名空间'),
      explain: t(
        'Every process is in one namespace of each type. `/proc/PID/ns/TYPE` is a link whose target names the namespace by an inode number: two processes with the same number share that resource. nestbox itself never leaves the host\'s namespaces, so its own links are the reference.',
        '每个进程在每种类型里都属于一个命名空间。`/proc/PID/ns/TYPE` 是一个链接，链接的目标用一个 inode 编号来标识命名空间：编号相同的两个进程共用那种资源。nestbox 自己从不离开宿主机的命名空间，所以拿它自己的链接作为比较的基准。',
      ),
      command: 'ls -l /proc/self/ns',
      syscall: t('readlink(2) on /proc/self/ns/*', '对 /proc/self/ns/* 逐个 readlink(2)'),
      async perform(ctx) {
        ctx.state.host = namespaceIds('self');
        return NAMESPACE_TYPES.filter((t) => ctx.state.host[t]).map((t) => `${t}:[${ctx.state.host[t]}]`).join(' ');
      },
      async verify(ctx) {
        return NAMESPACE_TYPES.filter((t) => ctx.state.host[t]).map((t) => observe(`/proc/self/ns/${t}`, `${t}:[${ctx.state.host[t]}]`, `${t}:[${namespaceId('self', t)}]`));
      },
    },
    ...available.map(oneTypeStep),
    {
      id: 'user',
      title: t('The one that needs a single thread: CLONE_NEWUSER', '要求单线程的那一种：CLONE_NEWUSER'),
      explain: t(
        'A user namespace changes who a process *is*, and every thread of a process shares one memory, so the kernel only lets a single-threaded process unshare it. nestbox runs on Node, which always has several threads: the lab `user` shows the EINVAL this gives and how a single-threaded helper creates the namespace instead.',
        '用户命名空间改变的是一个进程*是谁*，而同一个进程的所有线程共用一份内存，所以内核只允许单线程的进程 unshare 它。nestbox 跑在 Node 上，而 Node 总是有好几个线程：实验 `user` 会演示由此得到的 EINVAL，以及怎样改由一个单线程的辅助进程来创建这个命名空间。',
      ),
      command: 'unshare --user sleep infinity &',
      syscall: t('unshare(CLONE_NEWUSER) -> EINVAL from a multithreaded process', '在多线程的进程里 unshare(CLONE_NEWUSER) -> EINVAL'),
      async perform(ctx) {
        try {
          await ctx.spawn({ argv: ['/bin/true'], env: baseEnv(), unshare: CLONE_NEWUSER });
          ctx.state.userError = 'none';
        } catch (err) {
          ctx.state.userError = (err as { code?: string }).code ?? (err as Error).message;
        }
        const error = userError(ctx.state.userError);
        return t(`unshare(CLONE_NEWUSER) from a thread of nestbox: ${error.en}`, `从 nestbox 的一个线程调用 unshare(CLONE_NEWUSER)：${error.zh}`);
      },
      async verify(ctx) {
        return [observe(t('unshare(CLONE_NEWUSER) in a multithreaded process', '在多线程进程里调用 unshare(CLONE_NEWUSER)'), 'EINVAL', userError(ctx.state.userError))];
      },
    },
    {
      id: 'exercise',
      title: t('Two namespaces at once, with unshare(1)', '用 unshare(1) 一次创建两个命名空间'),
      explain: t(
        'Flags combine: a container asks for six or seven at once. Now you start a process with exactly two new namespaces, IPC and UTS, and the check finds it by reading /proc.',
        '这些标志可以组合：一个容器一次就要六七个。现在由你来启动一个进程，让它恰好有两个新的命名空间：IPC 和 UTS。检查会读取 /proc 把它找出来。',
      ),
      command: 'unshare --ipc --uts sleep 600 &',
      syscall: 'unshare(CLONE_NEWIPC|CLONE_NEWUTS); execve("sleep")',
      async perform(ctx) {
        // Only processes started from now on count.
        ctx.state.since = ticksNow() - 1;
        return t('waiting for a process with new ipc and uts namespaces (and no other new ones)', '等待一个带有新的 ipc 和 uts 命名空间（且没有其他新命名空间）的进程');
      },
      exercise: {
        task: t(
          'In a second terminal, as root, start a process with new **IPC and UTS** namespaces and nothing else: `unshare --ipc --uts sleep 600 &`. Then check your work here. The lab ends that process when it finishes.',
          '在第二个终端里以 root 身份启动一个进程，让它有新的 **IPC 和 UTS** 命名空间，其他的都不要：`unshare --ipc --uts sleep 600 &`。然后回到这里检查。实验结束时会结束这个进程。',
        ),
        hints: [
          t('`unshare` (util-linux) takes one option per namespace type: `--ipc` and `--uts`. Leave out `--mount`, `--pid`, `--net`.',
            '`unshare`（util-linux）每种命名空间类型对应一个选项，这里要的是 `--ipc` 和 `--uts`。不要加 `--mount`、`--pid`、`--net`。'),
          t('Run it in the background with `&` so it keeps running: `unshare --ipc --uts sleep 600 &`, then `readlink /proc/$!/ns/ipc` shows a number different from `readlink /proc/self/ns/ipc`.',
            '用 `&` 把它放到后台，让它一直运行：`unshare --ipc --uts sleep 600 &`。之后 `readlink /proc/$!/ns/ipc` 显示的编号会和 `readlink /proc/self/ns/ipc` 的不同。'),
        ],
        shell: 'host',
        async solve(ctx) {
          await ctx.spawn({ argv: ['/bin/sleep', '600'], env: baseEnv(), unshare: NAMESPACES.ipc | NAMESPACES.uts }, 'the reference answer');
        },
        async mistake(ctx) {
          // One namespace too many: a mount namespace as well.
          await ctx.spawn({ argv: ['/bin/sleep', '600'], env: baseEnv(), unshare: NAMESPACES.ipc | NAMESPACES.uts | NAMESPACES.mnt }, 'a wrong answer');
        },
      },
      async verify(ctx) {
        const found = learnerProcesses(ctx);
        const exact = found.find((p) => p.types.join(' ') === 'uts ipc');
        // The learner's process is ended with the lab, like everything else it made.
        if (exact) ctx.ledger.record({ kind: 'process', pid: exact.pid, starttime: startTime(exact.pid), note: 'the exercise\'s process' });
        const seen = found.map((p) => `${p.pid}: ${p.types.join('+')}`).join(', ') || t('no new process with namespaces of its own', '没有拥有自己命名空间的新进程');
        return [observeThat(t('a new process whose namespaces differ from the host\'s in exactly ipc and uts', '一个新进程，它的命名空间恰好在 ipc 和 uts 两项上与宿主机不同'), 'uts ipc', exact ? `${exact.pid}: uts ipc` : seen, !!exact)];
      },
    },
  ],
};

export default lab;
