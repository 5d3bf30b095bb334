// Lab "ipc": System V message queues, semaphore sets and shared memory segments live in an IPC
// namespace; a process sees, and can reach by key, only those of its own namespace.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWIPC } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { which } from '../src/host/exec.js';
import { readFileSync } from 'node:fs';
import { runJoined, stopAndReap } from './kit.js';

type IpcKind = 'msg' | 'sem' | 'shm';

/** One row of /proc/sysvipc/{msg,sem,shm}, by column name (key, msqid, perms, cuid, ctime...). */
type IpcRow = Record<string, string>;

/** Parse a /proc/sysvipc table: a header line of column names, then one object a line. */
export function parseSysvipc(text: string): IpcRow[] {
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
const runInside = (ctx: LabContext, pid: number, argv: string[]) => runJoined(ctx, pid, ['ipc'], argv);

/** The same table read by a `cat` that joined the lab's IPC namespace. */
async function insideTable(ctx: LabContext, pid: number, kind: IpcKind): Promise<IpcRow[]> {
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
const rowText = (r: IpcRow | undefined, kind: IpcKind) => (r ? `id ${r[ID[kind]]}, key ${hexKey(r.key)}` : 'absent');

/** Host queues that were not there when the exercise began: a stray `ipcmk -Q` typed on the host. */
function strayHostQueues(ctx: LabContext): IpcRow[] {
  const before = new Set<string>(ctx.state.hostQueuesBefore ?? []);
  return hostTable('msg').filter((r) => !before.has(`${r.msqid}/${r.key}`) && Number(r.ctime) >= ctx.state.exerciseSince && r.cuid === '0');
}

const lab: Lab = {
  id: 'ipc',
  title: 'The IPC namespace: message queues, semaphores and shared memory of its own',
  module: 5,
  lesson: 'ipc',
  needs: ['root', 'ns-ipc'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's System V IPC objects",
      explain: "System V IPC objects (message queues, semaphore sets, shared memory segments) have no path in the filesystem: a process finds one by a numeric *key* and uses it by *id*. The kernel keeps one table of each kind per IPC namespace, and `/proc/sysvipc/msg`, `sem` and `shm` print the tables of the namespace of the process that *reads* them. Two containers that both pick key 42 must not meet, so each gets its own tables.",
      command: 'readlink /proc/self/ns/ipc; ipcs',
      syscall: 'readlink(2) on /proc/self/ns/ipc; read(2) of /proc/sysvipc/msg, sem, shm',
      async perform(ctx) {
        ctx.state.hostIpc = namespaceId('self', 'ipc');
        const counts = (['msg', 'sem', 'shm'] as const).map((k) => `${hostTable(k).length} ${k}`);
        return `the host is in ipc:[${ctx.state.hostIpc}] and holds ${counts.join(', ')}`;
      },
      async verify(ctx) {
        return [observe('/proc/self/ns/ipc', `ipc:[${ctx.state.hostIpc}]`, `ipc:[${namespaceId('self', 'ipc')}]`)];
      },
    },
    {
      id: 'unshare',
      title: 'Create an IPC namespace: its tables start empty',
      explain: "`unshare(CLONE_NEWIPC)` gives the thread a new IPC namespace. Unlike a mount or UTS namespace it is not a copy: it starts with empty tables (and its own limits under /proc/sys/kernel/msgmni and friends). A `sleep` keeps it alive. To look inside, nestbox runs `cat /proc/sysvipc/...` joined to the namespace, because the file shows the namespace of its reader.",
      command: 'unshare --ipc sleep infinity & nsenter --target $! --ipc ipcs',
      syscall: 'unshare(CLONE_NEWIPC); posix_spawn("/bin/sleep"); setns(fd of /proc/PID/ns/ipc, CLONE_NEWIPC) for the reader',
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWIPC }, 'holds the lab IPC namespace');
        return `started PID ${ctx.state.pid} in a new IPC namespace`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = namespaceId(pid, 'ipc');
        const obs = [observeThat(`/proc/${pid}/ns/ipc`, `≠ host's ipc:[${ctx.state.hostIpc}]`, `ipc:[${inside}]`, inside !== undefined && inside !== ctx.state.hostIpc)];
        for (const kind of ['msg', 'sem', 'shm'] as const) {
          obs.push(observe(`entries in /proc/sysvipc/${kind}, read inside`, 0, (await insideTable(ctx, pid, kind)).length));
        }
        return obs;
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'create',
      title: 'Create a queue, a semaphore set and a shared memory segment inside',
      explain: "`ipcmk` calls `msgget`, `semget` and `shmget` with `IPC_CREAT` and a random key. Run joined to the lab's IPC namespace, the objects go into that namespace's tables: read from inside they are there, with the key and id the kernel chose; the host's tables have no object with those keys. The objects belong to the namespace, not to `ipcmk` (which has already exited): they live until the namespace's last process exits, and then the kernel destroys them all.",
      command: 'nsenter --target PID --ipc ipcmk -Q -S 1 -M 4096',
      syscall: 'setns(CLONE_NEWIPC); msgget(key, IPC_CREAT|0644); semget(key, 1, IPC_CREAT|0644); shmget(key, 4096, IPC_CREAT|0644)',
      async perform(ctx) {
        const { code, out } = await runInside(ctx, ctx.state.pid, [ipcmk(), '-Q', '-S', '1', '-M', '4096']);
        if (code !== 0) throw new Error(`ipcmk failed: ${out.trim()}`);
        ctx.state.created = parseIpcmk(out);
        return `ipcmk, joined to PID ${ctx.state.pid}'s namespace, printed: ${out.trim().split('\n').join('; ')}`;
      },
      async verify(ctx) {
        const obs = [];
        for (const kind of ['msg', 'sem', 'shm'] as const) {
          const id = ctx.state.created?.[kind];
          const row = (await insideTable(ctx, ctx.state.pid, kind)).find((r) => r[ID[kind]] === id);
          obs.push(observeThat(`${ID[kind]} ${id} in /proc/sysvipc/${kind}, inside`, `present (id ${id})`, rowText(row, kind), row !== undefined));
          const onHost = row ? hostTable(kind).find((r) => r.key === row.key) : undefined;
          obs.push(observe(`key ${row ? hexKey(row.key) : '?'} in the host's /proc/sysvipc/${kind}`, 'absent', rowText(onHost, kind)));
        }
        return obs;
      },
    },
    {
      id: 'exercise',
      title: 'Create a message queue inside the lab namespace',
      explain: "Now make a queue yourself, inside. The host's queue table must not change.",
      command: 'nsenter --target PID --ipc ipcmk -Q',
      syscall: 'setns(fd of /proc/PID/ns/ipc, CLONE_NEWIPC); msgget(key, IPC_CREAT|0644)',
      async perform(ctx) {
        // What is there now, inside and on the host, so the check can tell what the learner added.
        ctx.state.insideQueuesBefore = (await insideTable(ctx, ctx.state.pid, 'msg')).map((r) => r.msqid);
        ctx.state.hostQueuesBefore = hostTable('msg').map((r) => `${r.msqid}/${r.key}`);
        ctx.state.exerciseSince = Math.floor(Date.now() / 1000);
        ctx.state.strays = [];
      },
      exercise: {
        task: 'Create one more **message queue** inside the lab\'s IPC namespace. In the shell nestbox opens there: `ipcmk -Q`, then `ipcs -q` to see it.',
        hints: [
          "Open the shell inside the lab namespace first: `ipcmk` in your own terminal creates the queue in the host's namespace.",
          'Compare `nsenter --target PID --ipc ipcs -q` (inside) with `ipcs -q` (the host). A queue made on the host by mistake is removed when the lab ends (or now: `ipcrm -q ID`, with the id `ipcs -q` shows).',
          'From a second terminal: `nsenter --target PID --ipc ipcmk -Q`.',
        ],
        shell: { pidKey: 'pid', types: ['ipc'] },
        async solve(ctx) {
          const { code, out } = await runInside(ctx, ctx.state.pid, [ipcmk(), '-Q']);
          if (code !== 0) throw new Error(`ipcmk failed: ${out.trim()}`);
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
          if (!ctx.state.strays.some((s: IpcRow) => s.msqid === r.msqid)) ctx.state.strays.push({ msqid: r.msqid, key: r.key });
        }
        const list = (rows: IpcRow[]) => rows.map((r) => `id ${r.msqid} key ${hexKey(r.key)}`).join(', ') || 'none';
        return [
          observeThat(`new queues inside (read joined to PID ${ctx.state.pid})`, 'at least one', list(added), added.length > 0),
          observe("new queues in the host's /proc/sysvipc/msg", 'none', list(strays)),
        ];
      },
      async cleanup(ctx) {
        // The ledger has no IPC kind: remove the host queues that appeared during this exercise
        // (seen by a check, or still there now), each only if the same id still carries the same key.
        if (ctx.state.exerciseSince === undefined) return;
        for (const s of [...(ctx.state.strays ?? []) as IpcRow[], ...strayHostQueues(ctx)]) {
          if (hostTable('msg').some((r) => r.msqid === s.msqid && r.key === s.key)) await ctx.exec(which('ipcrm') ?? '/usr/bin/ipcrm', ['-q', s.msqid]);
        }
      },
    },
  ],
};

export default lab;
