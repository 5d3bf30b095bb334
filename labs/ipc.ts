// Lab "ipc": System V message queues, semaphore sets and shared memory segments live in an IPC
// namespace; a process sees, and can reach by key, only those of its own namespace.
import type { Lab, LabContext, Observation, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWIPC } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { which } from '../src/host/exec.js';
import { readFileSync } from 'node:fs';
import { runJoined, stopAndReap } from './kit.js';

type IpcKind = 'msg' | 'sem' | 'shm';

/** One row of /proc/sysvipc/{msg,sem,shm}, by column name (key, msqid, perms, cuid, ctime...). */
type IpcRow = Record<string, string>;

interface IpcState {
  /** The host's IPC namespace (inode number). */
  hostIpc: number;
  /** The sleep that holds the lab's IPC namespace. */
  pid: number;
  /** The ids ipcmk printed for the objects it made inside, by kind. */
  created: Partial<Record<IpcKind, string>>;
  /** When the exercise began: msqids inside, "msqid/key" of the host's queues, and the time (epoch seconds). */
  insideQueuesBefore: string[];
  hostQueuesBefore: string[];
  /** Unset until the exercise's perform runs (the step's cleanup runs regardless). */
  exerciseSince?: number;
  /** Host queues a check saw appear during the exercise: the step's cleanup removes them. */
  strays: { msqid: string; key: string }[];
}

/** Parse a /proc/sysvipc table: a header line of column names, then one object a line. */
function parseSysvipc(text: string): IpcRow[] {
  const [header, ...rows] = text.split('\n').filter((l) => l.trim());
  if (!header) return [];
  const names = header.trim().split(/\s+/);
  return rows.map((line) => Object.fromEntries(line.trim().split(/\s+/).map((v, i) => [names[i], v])));
}

const ID: Record<IpcKind, string> = { msg: 'msqid', sem: 'semid', shm: 'shmid' };

/** A table as the host sees it: /proc/sysvipc shows the IPC namespace of the process that reads it. */
function hostTable(kind: IpcKind): IpcRow[] {
  return parseSysvipc(readFileSync(`/proc/sysvipc/${kind}`, 'utf8'));
}

/** Run a program joined to PID's IPC namespace (like nsenter --target PID --ipc): its exit code and output. */
const runInside = (ctx: LabContext<IpcState>, pid: number, argv: string[]) => runJoined(ctx, pid, ['ipc'], argv);

/** The same table read by a `cat` that joined the lab's IPC namespace. */
async function insideTable(ctx: LabContext<IpcState>, pid: number, kind: IpcKind): Promise<IpcRow[]> {
  return parseSysvipc((await runInside(ctx, pid, ['/bin/cat', `/proc/sysvipc/${kind}`])).out);
}

/** "Message queue id: 3" -> { msg: '3' } (util-linux ipcmk's output). */
function parseIpcmk(out: string): Partial<Record<IpcKind, string>> {
  const ids: Partial<Record<IpcKind, string>> = {};
  for (const [kind, label] of [['msg', 'Message queue'], ['sem', 'Semaphore'], ['shm', 'Shared memory']] as const) {
    const m = new RegExp(`${label} id: (\\d+)`).exec(out);
    if (m) ids[kind] = m[1];
  }
  return ids;
}

let ipcmkPath: string | undefined;
const ipcmk = () => (ipcmkPath ??= which('ipcmk') ?? '/usr/bin/ipcmk');
/** Keys as ipcs prints them: /proc/sysvipc shows a signed decimal, ipcs the same 32 bits in hex. */
const hexKey = (key: string) => '0x' + (Number(key) >>> 0).toString(16).padStart(8, '0');
const ABSENT = t('absent', '没有');
const NONE = t('none', '没有');
const rowText = (r: IpcRow | undefined, kind: IpcKind): Shown =>
  (r ? t(`id ${r[ID[kind]]}, key ${hexKey(r.key)}`, `ID ${r[ID[kind]]}，键 ${hexKey(r.key)}`) : ABSENT);

/** Host queues that were not there when the exercise began: a stray `ipcmk -Q` typed on the host. */
function strayHostQueues(ctx: LabContext<IpcState>): IpcRow[] {
  const since = ctx.state.exerciseSince;
  // Before the exercise began nothing is a stray (no ctime is >= undefined).
  if (since === undefined) return [];
  const before = new Set<string>(ctx.state.hostQueuesBefore ?? []);
  return hostTable('msg').filter((r) => !before.has(`${r.msqid}/${r.key}`) && Number(r.ctime) >= since && r.cuid === '0');
}

const lab: Lab<IpcState> = {
  id: 'ipc',
  title: t('The IPC namespace: message queues, semaphores and shared memory of its own', 'IPC 命名空间：自己的消息队列、信号量和共享内存'),
  module: 5,
  lesson: 'ipc',
  needs: ['root', 'ns-ipc'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's System V IPC objects", '先看看宿主机上的 System V IPC 对象'),
      explain: t(
        "System V IPC objects (message queues, semaphore sets, shared memory segments) have no path in the filesystem: a process finds one by a numeric *key* and uses it by *id*. The kernel keeps one table of each kind per IPC namespace, and `/proc/sysvipc/msg`, `sem` and `shm` print the tables of the namespace of the process that *reads* them. Two containers that both pick key 42 must not meet, so each gets its own tables.",
        'System V IPC 对象（消息队列、信号量集、共享内存段）在文件系统里没有路径：进程先用一个数字*键*（key）找到对象，再凭它的*标识符*（ID）来使用它。内核在每个 IPC 命名空间里为每类对象各保存一张表；`/proc/sysvipc/msg`、`sem` 和 `shm` 打印的，是*读取*它们的那个进程所在命名空间的表。两个容器即使都选了键 42，也不能碰到一起，所以每个容器都有自己的一套表。',
      ),
      command: 'readlink /proc/self/ns/ipc; ipcs',
      syscall: t('readlink(2) on /proc/self/ns/ipc; read(2) of /proc/sysvipc/msg, sem, shm',
        '对 /proc/self/ns/ipc 做 readlink(2)；read(2) 读 /proc/sysvipc/msg、sem、shm'),
      async perform(ctx) {
        ctx.state.hostIpc = namespaceId('self', 'ipc')!;
        const [msg, sem, shm] = (['msg', 'sem', 'shm'] as const).map((k) => hostTable(k).length);
        return t(`the host is in ipc:[${ctx.state.hostIpc}] and holds ${msg} msg, ${sem} sem, ${shm} shm`,
          `宿主机在 ipc:[${ctx.state.hostIpc}] 里，有 ${msg} 个消息队列、${sem} 个信号量集、${shm} 个共享内存段`);
      },
      async verify(ctx) {
        return [observe('/proc/self/ns/ipc', `ipc:[${ctx.state.hostIpc}]`, `ipc:[${namespaceId('self', 'ipc')}]`)];
      },
    },
    {
      id: 'unshare',
      title: t('Create an IPC namespace: its tables start empty', '创建一个 IPC 命名空间：它的表一开始是空的'),
      explain: t(
        "`unshare(CLONE_NEWIPC)` gives the thread a new IPC namespace. Unlike a mount or UTS namespace it is not a copy: it starts with empty tables (and its own limits under /proc/sys/kernel/msgmni and friends). A `sleep` keeps it alive. To look inside, nestbox runs `cat /proc/sysvipc/...` joined to the namespace, because the file shows the namespace of its reader.",
        '`unshare(CLONE_NEWIPC)` 给线程一个新的 IPC 命名空间。和挂载命名空间、UTS 命名空间不同，它不是一份拷贝：它从空表开始（还有自己的一套上限，也就是 /proc/sys/kernel/msgmni 这类文件）。一个 `sleep` 让它一直存在。要看里面，nestbox 运行一个加入了这个命名空间的 `cat /proc/sysvipc/...`，因为这个文件显示的是读取者所在的命名空间。',
      ),
      command: 'unshare --ipc sleep infinity & nsenter --target $! --ipc ipcs',
      syscall: t('unshare(CLONE_NEWIPC); posix_spawn("/bin/sleep"); setns(fd of /proc/PID/ns/ipc, CLONE_NEWIPC) for the reader',
        'unshare(CLONE_NEWIPC)；posix_spawn("/bin/sleep")；读表的进程 setns(/proc/PID/ns/ipc 的 fd, CLONE_NEWIPC)'),
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWIPC }, 'holds the lab IPC namespace');
        return t(`started PID ${ctx.state.pid} in a new IPC namespace`, `在新的 IPC 命名空间里启动了 PID ${ctx.state.pid}`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = namespaceId(pid, 'ipc');
        const obs = [observeThat(`/proc/${pid}/ns/ipc`, t(`≠ host's ipc:[${ctx.state.hostIpc}]`, `≠ 宿主机的 ipc:[${ctx.state.hostIpc}]`), `ipc:[${inside}]`, inside !== undefined && inside !== ctx.state.hostIpc)];
        for (const kind of ['msg', 'sem', 'shm'] as const) {
          obs.push(observe(t(`entries in /proc/sysvipc/${kind}, read inside`, `在里面读到的 /proc/sysvipc/${kind} 条目数`), 0, (await insideTable(ctx, pid, kind)).length));
        }
        return obs;
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'create',
      title: t('Create a queue, a semaphore set and a shared memory segment inside', '在里面创建一个消息队列、一个信号量集和一个共享内存段'),
      explain: t(
        "`ipcmk` calls `msgget`, `semget` and `shmget` with `IPC_CREAT` and a random key. Run joined to the lab's IPC namespace, the objects go into that namespace's tables: read from inside they are there, with the key and id the kernel chose; the host's tables have no object with those keys. The objects belong to the namespace, not to `ipcmk` (which has already exited): they live until the namespace's last process exits, and then the kernel destroys them all.",
        '`ipcmk` 带着 `IPC_CREAT` 和一个随机的键，调用 `msgget`、`semget` 和 `shmget`。它加入实验的 IPC 命名空间后再运行，对象就进了那个命名空间的表：从里面读，它们都在，带着各自的键和内核分配的标识符；宿主机的表里没有任何对象带着这些键。这些对象属于命名空间，而不属于 `ipcmk`（它早已退出）：它们一直存在，直到命名空间的最后一个进程退出，那时内核会把它们全部销毁。',
      ),
      command: 'nsenter --target PID --ipc ipcmk -Q -S 1 -M 4096',
      syscall: 'setns(CLONE_NEWIPC); msgget(key, IPC_CREAT|0644); semget(key, 1, IPC_CREAT|0644); shmget(key, 4096, IPC_CREAT|0644)',
      async perform(ctx) {
        const { code, out } = await runInside(ctx, ctx.state.pid, [ipcmk(), '-Q', '-S', '1', '-M', '4096']);
        if (code !== 0) throw new Error(pick(`ipcmk failed: ${out.trim()}`, `ipcmk 失败：${out.trim()}`));
        ctx.state.created = parseIpcmk(out);
        const printed = out.trim().split('\n').join('; ');
        return t(`ipcmk, joined to PID ${ctx.state.pid}'s namespace, printed: ${printed}`, `加入 PID ${ctx.state.pid} 的命名空间后，ipcmk 打印出：${printed}`);
      },
      async verify(ctx) {
        const obs: Observation[] = [];
        for (const kind of ['msg', 'sem', 'shm'] as const) {
          const id = ctx.state.created?.[kind];
          const row = (await insideTable(ctx, ctx.state.pid, kind)).find((r) => r[ID[kind]] === id);
          obs.push(observeThat(t(`${ID[kind]} ${id} in /proc/sysvipc/${kind}, inside`, `里面的 /proc/sysvipc/${kind} 中的 ${ID[kind]} ${id}`), t(`present (id ${id})`, `存在（ID ${id}）`), rowText(row, kind), row !== undefined));
          const onHost = row ? hostTable(kind).find((r) => r.key === row.key) : undefined;
          const key = row ? hexKey(row.key) : '?';
          obs.push(observe(t(`key ${key} in the host's /proc/sysvipc/${kind}`, `宿主机的 /proc/sysvipc/${kind} 中的键 ${key}`), ABSENT, rowText(onHost, kind)));
        }
        return obs;
      },
    },
    {
      id: 'exercise',
      title: t('Create a message queue inside the lab namespace', '在实验的命名空间里创建一个消息队列'),
      explain: t("Now make a queue yourself, inside. The host's queue table must not change.", '现在由你自己在里面建一个队列。宿主机的消息队列表不能有任何变化。'),
      command: 'nsenter --target PID --ipc ipcmk -Q',
      syscall: t('setns(fd of /proc/PID/ns/ipc, CLONE_NEWIPC); msgget(key, IPC_CREAT|0644)',
        'setns(/proc/PID/ns/ipc 的 fd, CLONE_NEWIPC)；msgget(key, IPC_CREAT|0644)'),
      async perform(ctx) {
        // What is there now, inside and on the host, so the check can tell what the learner added.
        ctx.state.insideQueuesBefore = (await insideTable(ctx, ctx.state.pid, 'msg')).map((r) => r.msqid);
        ctx.state.hostQueuesBefore = hostTable('msg').map((r) => `${r.msqid}/${r.key}`);
        ctx.state.exerciseSince = Math.floor(Date.now() / 1000);
        ctx.state.strays = [];
      },
      exercise: {
        task: t(
          'Create one more **message queue** inside the lab\'s IPC namespace. In the shell nestbox opens there: `ipcmk -Q`, then `ipcs -q` to see it.',
          '在实验的 IPC 命名空间里再创建一个**消息队列**。可以用 nestbox 在里面打开的 shell：先运行 `ipcmk -Q`，再用 `ipcs -q` 看看它。',
        ),
        hints: [
          t("Open the shell inside the lab namespace first: `ipcmk` in your own terminal creates the queue in the host's namespace.",
            '先打开实验命名空间里的 shell：在你自己的终端里运行 `ipcmk`，队列会建在宿主机的命名空间里。'),
          t('Compare `nsenter --target PID --ipc ipcs -q` (inside) with `ipcs -q` (the host). A queue made on the host by mistake is removed when the lab ends (or now: `ipcrm -q ID`, with the id `ipcs -q` shows).',
            '比较一下 `nsenter --target PID --ipc ipcs -q`（里面）和 `ipcs -q`（宿主机）。不小心建在宿主机上的队列，会在实验结束时被删掉（也可以现在就删：`ipcrm -q ID`，ID 用 `ipcs -q` 显示的那个）。'),
          t('From a second terminal: `nsenter --target PID --ipc ipcmk -Q`.', '在第二个终端里运行：`nsenter --target PID --ipc ipcmk -Q`。'),
        ],
        shell: { pidKey: 'pid', types: ['ipc'] },
        async solve(ctx) {
          const { code, out } = await runInside(ctx, ctx.state.pid, [ipcmk(), '-Q']);
          if (code !== 0) throw new Error(pick(`ipcmk failed: ${out.trim()}`, `ipcmk 失败：${out.trim()}`));
        },
        async mistake(ctx) {
          // ipcmk from a terminal on the host: the queue lands in the host's namespace. The check
          // below finds it and the step's cleanup removes it.
          await ctx.exec(ipcmk(), ['-Q']);
        },
      },
      async verify(ctx) {
        const before = new Set<string>(ctx.state.insideQueuesBefore ?? []);
        const added = (await insideTable(ctx, ctx.state.pid, 'msg')).filter((r) => !before.has(r.msqid));
        const strays = strayHostQueues(ctx);
        // Remember what was seen on the host, so the step's cleanup removes it.
        ctx.state.strays ??= [];
        for (const r of strays) {
          if (!ctx.state.strays.some((s) => s.msqid === r.msqid)) ctx.state.strays.push({ msqid: r.msqid, key: r.key });
        }
        const list = (rows: IpcRow[]): Shown => (rows.length
          ? t(rows.map((r) => `id ${r.msqid} key ${hexKey(r.key)}`).join(', '), rows.map((r) => `ID ${r.msqid} 键 ${hexKey(r.key)}`).join('，'))
          : NONE);
        return [
          observeThat(t(`new queues inside (read joined to PID ${ctx.state.pid})`, `里面新增的队列（加入 PID ${ctx.state.pid} 的命名空间后读取）`), t('at least one', '至少一个'), list(added), added.length > 0),
          observe(t("new queues in the host's /proc/sysvipc/msg", '宿主机的 /proc/sysvipc/msg 里新增的队列'), NONE, list(strays)),
        ];
      },
      async cleanup(ctx) {
        // The ledger has no IPC kind: remove the host queues that appeared during this exercise
        // (seen by a check, or still there now), each only if the same id still carries the same key.
        if (ctx.state.exerciseSince === undefined) return;
        for (const s of [...(ctx.state.strays ?? []), ...strayHostQueues(ctx)]) {
          if (hostTable('msg').some((r) => r.msqid === s.msqid && r.key === s.key)) await ctx.exec(which('ipcrm') ?? '/usr/bin/ipcrm', ['-q', s.msqid]);
        }
      },
    },
  ],
};

export default lab;
