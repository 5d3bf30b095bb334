// Lab "uts": the UTS namespace gives a process its own hostname (and NIS domain name).
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { CLONE_NEWUTS } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { readFileSync } from 'node:fs';
import { runJoined } from './kit.js';

interface UtsState {
  /** The host's UTS namespace (inode number) and hostname, before anything changes. */
  hostUts: number;
  hostHostname: string;
  /** The sleep that holds the lab's UTS namespace. */
  pid: number;
}

/** Read a process's hostname from inside its UTS namespace: a short `cat` joins it (like nsenter -u). */
export async function hostnameOf(ctx: LabContext<object>, pid: number): Promise<string> {
  return (await runJoined(ctx, pid, ['uts'], ['/bin/cat', '/proc/sys/kernel/hostname'])).out;
}

const lab: Lab<UtsState> = {
  id: 'uts',
  title: t('The UTS namespace: a hostname of its own', 'UTS 命名空间：自己的主机名'),
  module: 2,
  lesson: 'uts',
  needs: ['root', 'ns-uts'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's own UTS namespace", '先看看宿主机自己的 UTS 命名空间'),
      explain: t(
        'Every process is in exactly one UTS namespace; `/proc/PID/ns/uts` is a link whose inode number names it. Processes with the same number share one hostname.',
        '每个进程都恰好属于一个 UTS 命名空间。`/proc/PID/ns/uts` 是一个符号链接，链接里的 inode 编号就是这个命名空间的名字。编号相同的进程，共用同一个主机名。',
      ),
      command: 'readlink /proc/self/ns/uts; hostname',
      syscall: t('readlink(2) on /proc/self/ns/uts, uname(2)', '对 /proc/self/ns/uts 做 readlink(2)；uname(2)'),
      async perform(ctx) {
        ctx.state.hostUts = namespaceId('self', 'uts')!;
        ctx.state.hostHostname = gethostname();
        return t(`the host's UTS namespace is uts:[${ctx.state.hostUts}], hostname "${ctx.state.hostHostname}"`,
          `宿主机的 UTS 命名空间是 uts:[${ctx.state.hostUts}]，主机名是 "${ctx.state.hostHostname}"`);
      },
      async verify(ctx) {
        return [observe(t('hostname from /proc/sys/kernel/hostname', '/proc/sys/kernel/hostname 里的主机名'), ctx.state.hostHostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())];
      },
    },
    {
      id: 'unshare',
      title: t('Create a UTS namespace and give it a hostname', '创建一个 UTS 命名空间，给它起个主机名'),
      explain: t(
        'A thread of nestbox calls `unshare(CLONE_NEWUTS)`. Namespaces belong to threads, so only that thread moves, into a fresh UTS namespace (a copy of the old one), and `sethostname()` changes the copy. The `sleep` it then starts inherits the namespace and keeps it alive. The host keeps its name.',
        'nestbox 的一个线程调用 `unshare(CLONE_NEWUTS)`。命名空间是属于线程的，所以只有这一个线程搬进了新的 UTS 命名空间（它一开始是旧命名空间的拷贝），接着 `sethostname()` 改的是这份拷贝。这个线程随后启动的 `sleep` 继承了新命名空间，并让它一直存在。宿主机的名字不变。',
      ),
      command: `unshare --uts sh -c 'hostname nestbox-lab; exec sleep infinity' &`,
      syscall: 'unshare(CLONE_NEWUTS); sethostname("nestbox-lab"); posix_spawn("/bin/sleep")',
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWUTS, hostname: 'nestbox-lab' }, 'holds the lab UTS namespace');
        return t(`started PID ${ctx.state.pid} in a new UTS namespace`, `在新的 UTS 命名空间里启动了 PID ${ctx.state.pid}`);
      },
      async verify(ctx) {
        const inside = namespaceId(ctx.state.pid, 'uts');
        return [
          observeThat(`/proc/${ctx.state.pid}/ns/uts`, t(`≠ host's uts:[${ctx.state.hostUts}]`, `≠ 宿主机的 uts:[${ctx.state.hostUts}]`), `uts:[${inside}]`, inside !== undefined && inside !== ctx.state.hostUts),
          observe(t('hostname inside (read through setns)', '命名空间里的主机名（通过 setns 读取）'), 'nestbox-lab', await hostnameOf(ctx, ctx.state.pid)),
          observe(t('hostname on the host', '宿主机的主机名'), ctx.state.hostHostname, gethostname()),
          observe(t('mount namespace (not unshared)', '挂载命名空间（没有 unshare）'), `mnt:[${namespaceId('self', 'mnt')}]`, `mnt:[${namespaceId(ctx.state.pid, 'mnt')}]`),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Rename the namespace yourself', '自己给命名空间改名'),
      explain: t(
        'Now you change the hostname *inside* the namespace. Whatever you do in there, the host must keep its name.',
        '现在由你来修改命名空间*里面*的主机名。不管你在里面做什么，宿主机的名字都必须保持不变。',
      ),
      command: 'nsenter --target PID --uts hostname box1',
      syscall: t('setns(fd of /proc/PID/ns/uts, CLONE_NEWUTS); sethostname("box1")',
        'setns(/proc/PID/ns/uts 的 fd, CLONE_NEWUTS)；sethostname("box1")'),
      exercise: {
        task: t(
          'Set the hostname inside the lab namespace to **box1**. Use the shell nestbox opens inside it (`hostname box1`), or from another terminal: `nsenter --target PID --uts hostname box1`.',
          '把实验命名空间里的主机名改成 **box1**。可以用 nestbox 在里面打开的 shell（`hostname box1`），也可以在另一个终端里运行：`nsenter --target PID --uts hostname box1`。',
        ),
        hints: [
          t('`hostname` with no argument prints the name of the UTS namespace it runs in: in the lab shell it says nestbox-lab, in your own terminal the host\'s name. Change it where it says nestbox-lab.',
            '不带参数的 `hostname` 打印它所在 UTS 命名空间的名字：在实验的 shell 里是 nestbox-lab，在你自己的终端里是宿主机的名字。要在显示 nestbox-lab 的地方改。'),
          t('Inside the lab shell, run `hostname box1`, then `exit`.', '在实验的 shell 里运行 `hostname box1`，然后 `exit`。'),
          t('From a second terminal, `nsenter -t PID -u` joins the UTS namespace of process PID first: `nsenter -t PID -u hostname box1`.',
            '在第二个终端里，`nsenter -t PID -u` 会先加入进程 PID 的 UTS 命名空间：`nsenter -t PID -u hostname box1`。'),
        ],
        shell: { pidKey: 'pid', types: ['uts'] },
        async solve(ctx) {
          const p = await ctx.spawn({ argv: ['/bin/hostname', 'box1'], env: baseEnv(), join: { pid: ctx.state.pid, types: ['uts'] } });
          await waitForExit(p);
        },
        async mistake(ctx) {
          // Changing it somewhere else: a brand-new namespace, not the lab's.
          const p = await ctx.spawn({ argv: ['/bin/hostname', 'box1'], env: baseEnv(), unshare: CLONE_NEWUTS });
          await waitForExit(p);
        },
      },
      async verify(ctx) {
        return [
          observe(t('hostname inside the lab namespace', '实验命名空间里的主机名'), 'box1', await hostnameOf(ctx, ctx.state.pid)),
          observe(t('hostname on the host', '宿主机的主机名'), ctx.state.hostHostname, gethostname()),
        ];
      },
    },
  ],
};

export default lab;
