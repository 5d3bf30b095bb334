// Lab "timens": a time namespace shifts CLOCK_MONOTONIC and CLOCK_BOOTTIME (never the wall clock),
// so a container moved to another machine (checkpoint/restore) keeps seeing its clocks run on.
import type { Lab, LabContext, Observation, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { CLONE_NEWTIME } from '../src/kernel/constants.js';
import { KernelError } from '../src/kernel/errors.js';
import { namespaceId, listPids, parseNamespaceLink, kernelVersion } from '../src/kernel/proc.js';
import { startTime } from '../src/host/ledger.js';
import { hostTool, runCaptured, startSleeper, startForkedSleeper, reapHelpers } from './kit.js';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';

/** What the steps pass on. */
interface TimensState {
  /** nestbox's time:[N], the host's time namespace. */
  hostTime: number | undefined;
  /** How posix_spawn from the thread that unshared went: started (Linux 6.2+), or EINVAL before. */
  threadSpawn: 'started' | 'EINVAL';
  /** Step thread's sleep, in a time namespace with no offsets. */
  threadPid: number;
  /** Writing its timens_offsets after it entered: 'written', or the errno code (EACCES). */
  lateWrite: string;
  /** setns into its namespace from a thread of nestbox: 'joined', or the errno name (EUSERS). */
  join: string;
  /** Step helper's sleep, in a time namespace one day ahead. */
  helperPid: number;
  /** When the exercise began, in clock ticks since boot (/proc/PID/stat's start time). */
  since: number;
}

const DAY = 86400;
const WEEK = 7 * DAY;

/** /proc/PID/timens_offsets squeezed: "monotonic 86400 0; boottime 86400 0" (seconds, nanoseconds). */
function offsets(pid: number | 'self'): string {
  return readFileSync(`/proc/${pid}/timens_offsets`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('; ');
}

/** Seconds since boot on the host's CLOCK_BOOTTIME: the first number of /proc/uptime. */
function hostUptime(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/**
 * Read the clocks from inside `pid`'s time namespace. setns into a time namespace needs a
 * single-threaded caller (EUSERS otherwise), so util-linux nsenter joins it and runs the readers.
 * Returns the boot-clock and wall-clock differences, inside minus host, in whole seconds.
 */
async function clocksInside(ctx: LabContext<TimensState>, pid: number): Promise<{ boot?: number; wall?: number; error?: Shown }> {
  const r = await runCaptured(ctx, { argv: [hostTool('nsenter'), '--target', String(pid), '--time', '--', '/bin/sh', '-c', 'cut -d" " -f1 /proc/uptime; date +%s'] });
  const boot = hostUptime();
  const wall = Math.floor(Date.now() / 1000);
  const [up, date] = r.out.split('\n').map(Number);
  if (r.code !== 0 || !Number.isFinite(up) || !Number.isFinite(date)) return { error: r.out || t(`nsenter failed (exit ${r.code})`, `nsenter 失败（退出码 ${r.code}）`) };
  return { boot: Math.round(up - boot), wall: date - wall };
}

/** The namespace's offsets and both clocks, as observations. */
async function clockObservations(ctx: LabContext<TimensState>, pid: number, boottime: number): Promise<Observation[]> {
  const c = await clocksInside(ctx, pid);
  const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1;
  return [
    observeThat(`/proc/${pid}/timens_offsets`, `boottime ${boottime} 0`, offsets(pid), offsets(pid).includes(`boottime ${boottime} 0`)),
    observeThat(t('/proc/uptime inside minus on the host (CLOCK_BOOTTIME)', '/proc/uptime：里面减去宿主机（CLOCK_BOOTTIME）'), t(`${boottime} s (±1)`, `${boottime} 秒（±1）`),
      c.boot !== undefined ? t(`${c.boot} s`, `${c.boot} 秒`) : c.error, near(c.boot, boottime)),
    observeThat(t('date +%s inside minus on the host (CLOCK_REALTIME)', 'date +%s：里面减去宿主机（CLOCK_REALTIME）'), t('0 s (±1)', '0 秒（±1）'),
      c.wall !== undefined ? t(`${c.wall} s`, `${c.wall} 秒`) : c.error, near(c.wall, 0)),
  ];
}

/** An errno name for a code Node's table may lack (EUSERS is 87 on Linux). */
const errName = (e: KernelError) => (e.errno === 87 ? 'EUSERS' : e.code);

/** What a step recorded, as shown: the words it stored in state, or an errno name as it is. */
const OUTCOMES: Record<string, Shown> = {
  started: t('started', '启动成功'),
  written: t('written', '写入成功'),
  joined: t('joined', '加入成功'),
};
const outcome = (v: string): Shown => OUTCOMES[v] ?? v;
/** Both languages of an outcome, for a sentence built around it. */
const both = (v: string): [string, string] => {
  const o = outcome(v);
  return typeof o === 'string' ? [o, o] : [o.en, o.zh];
};

const FOUND = t('a process started since the exercise began, in its own time namespace', '练习开始后启动、有自己 time 命名空间的进程');

const lab: Lab<TimensState> = {
  id: 'timens',
  title: t('The time namespace: clocks that start somewhere else', 'time 命名空间：从别处起算的时钟'),
  module: 1,
  lesson: 'namespaces',
  needs: ['root', 'ns-time'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's time namespace", '先看看宿主机的 time 命名空间'),
      explain: t(
        'A time namespace adds offsets to two clocks: CLOCK_MONOTONIC and CLOCK_BOOTTIME (what /proc/uptime shows). The wall clock, CLOCK_REALTIME, is the same everywhere. Besides /proc/PID/ns/time, a process has /proc/PID/ns/time_for_children: like a PID namespace, a new time namespace is for the children of the caller, not for the caller itself.',
        'time 命名空间给两个时钟加上偏移量：CLOCK_MONOTONIC 和 CLOCK_BOOTTIME（/proc/uptime 显示的就是它）。墙上时钟 CLOCK_REALTIME 在哪里都一样。除了 /proc/PID/ns/time，进程还有一个 /proc/PID/ns/time_for_children：和 PID 命名空间一样，新的 time 命名空间是给调用者的子进程用的，调用者自己并不进去。',
      ),
      command: 'readlink /proc/self/ns/time /proc/self/ns/time_for_children; cat /proc/self/timens_offsets',
      syscall: t('readlink(2), read(2) on /proc/self/timens_offsets', 'readlink(2)；read(2) 读 /proc/self/timens_offsets'),
      async perform(ctx) {
        ctx.state.hostTime = namespaceId('self', 'time');
        return t(`nestbox is in time:[${ctx.state.hostTime}], the host's time namespace`, `nestbox 在 time:[${ctx.state.hostTime}] 里，也就是宿主机的 time 命名空间`);
      },
      async verify(ctx) {
        return [
          observe(t('/proc/self/ns/time_for_children of nestbox', 'nestbox 的 /proc/self/ns/time_for_children'), `time:[${ctx.state.hostTime}]`, `time:[${parseNamespaceLink(readlinkSync('/proc/self/ns/time_for_children'))}]`),
          observe(t('/proc/self/timens_offsets (seconds nanoseconds)', '/proc/self/timens_offsets（秒 纳秒）'), 'monotonic 0 0; boottime 0 0', offsets('self')),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'thread',
      title: t("Why nestbox's own thread cannot set the offsets", '为什么 nestbox 自己的线程设不了偏移量'),
      explain: t(
        'The offsets are written into /proc/PID/timens_offsets after `unshare(CLONE_NEWTIME)` and *before* the first process enters the namespace; from then on they are frozen (EACCES). A thread of nestbox can unshare, but it cannot write the offsets of its own pending namespace (the file belongs to the whole process), and what it can do next depends on the kernel. Since Linux 6.2 its posix_spawn works and the child enters the namespace at execve, with offsets 0. Before 6.2 (Debian 12 runs 6.1) the kernel refuses the spawn with EINVAL: posix_spawn makes a vfork-style child that shares its parent\'s memory, clock page included, and such a child may not change time namespace; only a fork()ed child may. Joining later with setns is no way round either: like a user namespace, a time namespace only takes a single-threaded process (EUSERS).',
        '偏移量要在 `unshare(CLONE_NEWTIME)` 之后、第一个进程进入这个命名空间*之前*，写进 /proc/PID/timens_offsets；从那以后偏移量就固定了（再写会得到 EACCES）。nestbox 的一个线程可以 unshare，却写不了自己那个还没有进程进入的新命名空间的偏移量（这个文件属于整个进程）；接下来它还能做什么，要看内核版本。从 Linux 6.2 起，它的 posix_spawn 能成功，子进程在 execve 时进入新命名空间，偏移量是 0。在 6.2 之前（Debian 12 用的是 6.1），内核会以 EINVAL 拒绝这次 spawn：posix_spawn 创建的是 vfork 式的子进程，和父进程共用内存，时钟页也是共用的，这样的子进程不能换到另一个 time 命名空间；只有 fork() 出来的子进程可以。事后再用 setns 加入也绕不过去：和用户命名空间一样，time 命名空间只接受单线程的进程（EUSERS）。',
      ),
      command: t('unshare --time --fork sleep infinity &  # no offsets given: 0',
        'unshare --time --fork sleep infinity &  # 没给偏移量：就是 0'),
      syscall: t('unshare(CLONE_NEWTIME); posix_spawn("sleep") -> a child, or EINVAL before Linux 6.2; write(2) on timens_offsets -> EACCES; setns(CLONE_NEWTIME) -> EUSERS',
        'unshare(CLONE_NEWTIME)；posix_spawn("sleep") -> 得到一个子进程（Linux 6.2 之前是 EINVAL）；write(2) 写 timens_offsets -> EACCES；setns(CLONE_NEWTIME) -> EUSERS'),
      async perform(ctx) {
        let pid: number;
        try {
          pid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'], unshare: CLONE_NEWTIME }, 'entered a time namespace with no offsets');
          ctx.state.threadSpawn = 'started';
        } catch (err) {
          if (!(err instanceof KernelError) || err.call !== 'posix_spawn' || err.errno !== 22) throw err;
          ctx.state.threadSpawn = 'EINVAL';
          // A single-threaded helper that forks, as the kernel asks: its child enters the namespace.
          pid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'entered a time namespace with no offsets');
          ctx.say(t('posix_spawn from the thread that unshared: EINVAL (this kernel is older than 6.2); util-linux `unshare --time --fork` started the sleep instead',
            '从执行 unshare 的那个线程调用 posix_spawn：EINVAL（这个内核早于 6.2）；于是改由 util-linux 的 `unshare --time --fork` 来启动 sleep'));
        }
        ctx.state.threadPid = pid;
        try {
          writeFileSync(`/proc/${pid}/timens_offsets`, `boottime ${DAY} 0`);
          ctx.state.lateWrite = 'written';
        } catch (err) {
          ctx.state.lateWrite = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        }
        try {
          await runCaptured(ctx, { argv: [hostTool('true')], join: { pid, types: ['time'] } });
          ctx.state.join = 'joined';
        } catch (err) {
          if (!(err instanceof KernelError)) throw err;
          ctx.state.join = errName(err);
        }
        const ns = namespaceId(pid, 'time');
        const [write, join] = [both(ctx.state.lateWrite), both(ctx.state.join)];
        return t(`sleep ${pid} is in time:[${ns}]; setting offsets now: ${write[0]}; setns from a thread of nestbox: ${join[0]}`,
          `sleep ${pid} 在 time:[${ns}] 里；现在再设偏移量：${write[1]}；从 nestbox 的线程 setns：${join[1]}`);
      },
      async verify(ctx) {
        const pid = ctx.state.threadPid;
        const ns = namespaceId(pid, 'time');
        const [major, minor] = kernelVersion();
        const modern = major > 6 || (major === 6 && minor >= 2);
        return [
          observeThat(t('posix_spawn from the thread that unshared', '从执行 unshare 的那个线程调用 posix_spawn'),
            modern ? t('started (Linux 6.2 and later)', '启动成功（Linux 6.2 及以后）') : t('EINVAL (Linux before 6.2)', 'EINVAL（Linux 6.2 之前）'),
            outcome(ctx.state.threadSpawn), ['started', 'EINVAL'].includes(ctx.state.threadSpawn)),
          observeThat(`/proc/${pid}/ns/time`, t(`≠ host's time:[${ctx.state.hostTime}]`, `≠ 宿主机的 time:[${ctx.state.hostTime}]`), `time:[${ns}]`, ns !== undefined && ns !== ctx.state.hostTime),
          observe(`/proc/${pid}/timens_offsets`, 'monotonic 0 0; boottime 0 0', offsets(pid)),
          observe(t(`write to /proc/${pid}/timens_offsets after it entered`, `进程进入之后再写 /proc/${pid}/timens_offsets`), 'EACCES', outcome(ctx.state.lateWrite)),
          observe(t('setns into it from a thread of nestbox', '从 nestbox 的线程用 setns 加入它'), 'EUSERS', outcome(ctx.state.join)),
        ];
      },
    },
    {
      id: 'helper',
      title: t('A single-threaded helper: unshare, set the offsets, then fork', '单线程的辅助进程：先 unshare，再设偏移量，然后 fork'),
      explain: t(
        `util-linux \`unshare --time --boottime N --fork\` does the steps in order, in its one thread: unshare(CLONE_NEWTIME), write the offsets into its own /proc/self/timens_offsets, then fork a child that runs the program: the child is the first process of the namespace. (From Linux 6.2 an execve alone would also enter it, so \`--fork\` could be left out; on 6.1 the program would stay in the old namespace.) Here both clocks move one day (${DAY} s) ahead; the wall clock does not move.`,
        `util-linux 的 \`unshare --time --boottime N --fork\` 在它唯一的线程里按顺序做这几步：unshare(CLONE_NEWTIME)；把偏移量写进自己的 /proc/self/timens_offsets；然后 fork 出一个子进程来运行程序，这个子进程就是命名空间里的第一个进程。（从 Linux 6.2 起，单靠 execve 也能进入，所以 \`--fork\` 可以不加；在 6.1 上，程序会留在旧的命名空间里。）这里两个时钟都调快一天（${DAY} 秒），墙上时钟不动。`,
      ),
      command: `unshare --time --monotonic ${DAY} --boottime ${DAY} --fork sleep infinity &`,
      syscall: t(`unshare(CLONE_NEWTIME); write("monotonic ${DAY} 0\\nboottime ${DAY} 0") to /proc/self/timens_offsets; fork(); execve("sleep")`,
        `unshare(CLONE_NEWTIME)；write("monotonic ${DAY} 0\\nboottime ${DAY} 0") 写进 /proc/self/timens_offsets；fork()；execve("sleep")`),
      async perform(ctx) {
        ctx.state.helperPid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--monotonic', String(DAY), '--boottime', String(DAY), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'holds a time namespace one day ahead');
        const ns = namespaceId(ctx.state.helperPid, 'time');
        return t(`sleep ${ctx.state.helperPid} is in time:[${ns}]`, `sleep ${ctx.state.helperPid} 在 time:[${ns}] 里`);
      },
      async verify(ctx) {
        const pid = ctx.state.helperPid;
        return [
          observe(`/proc/${pid}/timens_offsets`, `monotonic ${DAY} 0; boottime ${DAY} 0`, offsets(pid)),
          ...(await clockObservations(ctx, pid, DAY)).slice(1),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('A boot clock one week ahead', '让启动时钟快一周'),
      explain: t('Now you make a time namespace. Remember which clock /proc/uptime reads.', '现在由你来创建一个 time 命名空间。记住 /proc/uptime 读的是哪个时钟。'),
      command: `unshare --time --boottime ${WEEK} --fork sleep 1000 &`,
      syscall: t(`unshare(CLONE_NEWTIME); write("boottime ${WEEK} 0") to timens_offsets; fork(); execve("sleep")`,
        `unshare(CLONE_NEWTIME)；write("boottime ${WEEK} 0") 写进 timens_offsets；fork()；execve("sleep")`),
      async perform(ctx) {
        // Only processes started from now on count as the learner's (start time in clock ticks since boot).
        ctx.state.since = Math.floor(hostUptime() * 100) - 1;
        return t('the check looks for a process started from now on, in a time namespace of its own', '检查会寻找一个从现在起启动、有自己 time 命名空间的进程');
      },
      exercise: {
        task: t(
          `From a second terminal on the host (as root), start a long-running process (\`sleep 1000\` will do) in a new time namespace in which /proc/uptime reads one week (${WEEK} s) more than on the host, and leave it running. nestbox ends it when the lab ends.`,
          `在宿主机的第二个终端里（以 root 身份），在一个新的 time 命名空间里启动一个长时间运行的进程（\`sleep 1000\` 就行），这个命名空间里的 /proc/uptime 要比宿主机多出一周（${WEEK} 秒）。让这个进程一直运行，实验结束时 nestbox 会结束它。`,
        ),
        hints: [
          t('util-linux `unshare --time` makes the namespace; `--monotonic` and `--boottime` take offsets in seconds. /proc/uptime is CLOCK_BOOTTIME. Before Linux 6.2 only a forked child enters the namespace: add `--fork`.',
            'util-linux 的 `unshare --time` 负责创建命名空间；`--monotonic` 和 `--boottime` 接受以秒为单位的偏移量。/proc/uptime 读的是 CLOCK_BOOTTIME。在 Linux 6.2 之前，只有 fork 出来的子进程才会进入新命名空间：记得加上 `--fork`。'),
          t(`\`unshare --time --boottime ${WEEK} --fork sleep 1000 &\`, then compare \`nsenter -t $(pgrep -n sleep) -T cat /proc/uptime\` with \`cat /proc/uptime\`.`,
            `\`unshare --time --boottime ${WEEK} --fork sleep 1000 &\`，然后把 \`nsenter -t $(pgrep -n sleep) -T cat /proc/uptime\` 和 \`cat /proc/uptime\` 的结果比一比。`),
        ],
        shell: 'host',
        async solve(ctx) {
          await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--boottime', String(WEEK), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'the exercise answer');
        },
        async mistake(ctx) {
          // The other clock: CLOCK_MONOTONIC moves, /proc/uptime (CLOCK_BOOTTIME) does not.
          await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--monotonic', String(WEEK), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'a wrong answer');
        },
      },
      async verify(ctx) {
        const lab = new Set([ctx.state.hostTime, namespaceId(ctx.state.threadPid, 'time'), namespaceId(ctx.state.helperPid, 'time')]);
        const found = listPids()
          .filter((p) => (startTime(p) ?? 0) >= ctx.state.since)
          .map((p) => ({ p, ns: namespaceId(p, 'time') }))
          .filter((c) => c.ns !== undefined && !lab.has(c.ns));
        if (!found.length) {
          return [observeThat(FOUND, t('a PID', '一个 PID'), t('none', '没有'), false)];
        }
        // Prefer a process whose namespace has the asked-for offset; the learner may have tried twice.
        const best = found.find((c) => offsets(c.p).includes(`boottime ${WEEK} 0`)) ?? found[found.length - 1];
        // Not started through nestbox, but asked for by the lab: end it with the lab.
        if (!ctx.ledger.entries().some((e) => e.kind === 'process' && e.pid === best.p)) {
          ctx.ledger.record({ kind: 'process', pid: best.p, starttime: startTime(best.p), note: 'the learner\'s process in a time namespace' });
        }
        return [
          observeThat(FOUND, t('a PID', '一个 PID'), t(`${best.p} in time:[${best.ns}]`, `${best.p}，位于 time:[${best.ns}]`), true),
          ...(await clockObservations(ctx, best.p, WEEK)),
        ];
      },
    },
  ],
};

export default lab;
