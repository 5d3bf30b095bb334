// Lab "cgroup-tree": cgroups nest, and a parent's limit binds everything below it. A parent with a
// 32 MiB memory limit holds two children; usage is read the way `docker stats` reads it, and the
// parent's numbers include its children's; a job in a child with a 64 MiB limit is still killed at
// the parent's 32 MiB.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Text } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, createChild, mib, runInCgroup, sayWrites, startIn, startJoined, whereText } from './cgroup-lab-kit.js';
import { exitWords } from './cgroup-held.js';
import { sleep, stopAndReap } from './kit.js';

interface CgroupTreeState {
  /** The parent cgroup (32 MiB) and its two children (a: 64 MiB, b: no limit of its own). */
  parent: Cgroup;
  a: Cgroup;
  b: Cgroup;
  /** Swap was in use, so the parent's swap was limited too. */
  swapLimited: boolean;
  /** The busy loop in a and the 4 MiB holder in b: unset in cleanup when the stats step never ran. */
  busy?: number;
  holder?: number;
  /** How the 48 MiB job in child a ended. */
  jobEnd: Text;
  /** The memory directories of parent, a and b on this host, for the exercise's text. */
  parentDir: string;
  aDir: string;
  bDir: string;
  /** The file that counts a limit's hits, in backquotes (English, Chinese). */
  hitsWhere: string;
  hitsWhereZh: string;
  /** The shell command that raises the parent's limit on this host. */
  answerCommand: string;
  /** The limit file's name on the other cgroup version (English, Chinese). */
  limitOther: string;
  limitOtherZh: string;
  /** answerCommand as the last hint shows it (English, Chinese). */
  answer: string;
  answerZh: string;
}

const MiB = 1024 * 1024;
const ms = (usec: number) => `${(usec / 1000).toFixed(0)} ms`;
const PARENT_LIMIT = 32 * MiB;
const CHILD_LIMIT = 64 * MiB;
const RAISED = 128 * MiB;
/** The job: dd allocates one 48 MiB buffer and fills it from /dev/zero. */
const JOB = 'exec dd if=/dev/zero of=/dev/null bs=48M count=1';

/** Swap in use? Then a memory limit alone would let the job swap instead of failing. */
function swapActive(): boolean {
  try {
    return readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
  } catch {
    return false;
  }
}

interface Usage { memory: number; limit: number | 'max'; cpuUsec: number; pids: number }

function usage(cg: Cgroup): Usage {
  return { memory: cg.memoryCurrent(), limit: cg.memoryMax(), cpuUsec: cg.cpuUsageUsec(), pids: cg.pidsCurrent() };
}

/** Children first, the parent last: whatever grows meanwhile only makes the parent's share larger. */
function readTree(ctx: LabContext<CgroupTreeState>): { a: Usage; b: Usage; parent: Usage } {
  const a = usage(ctx.state.a);
  const b = usage(ctx.state.b);
  return { a, b, parent: usage(ctx.state.parent) };
}

/** The parent's own count of refused charges: memory.events "max" on v2, memory.failcnt on v1. */
const limitHits = (cg: Cgroup) => cg.memoryOverLimit();
const hitsFile = (cg: Cgroup) => cg.file('memoryOverLimit');

/** Run the 48 MiB job in child a and say how it ended. */
async function runJob(ctx: LabContext<CgroupTreeState>): Promise<Text> {
  const { exit } = await runInCgroup(ctx, ctx.state.a, JOB, 'job');
  return exitWords(exit);
}

const lab: Lab<CgroupTreeState> = {
  id: 'cgroup-tree',
  title: t('cgroup-tree: a parent limit binds its children; usage adds up', 'cgroup-tree：父组的限制管住子组，用量层层累加'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-memory', 'cgroup-cpu', 'cgroup-pids'],
  steps: [
    {
      id: 'tree',
      title: t('Build a parent with two children', '建一个父组，下面带两个子组'),
      explain: t(
        'A cgroup directory can hold more cgroup directories, and every limit applies to the whole subtree below it: a child can set its own, tighter limit, never a looser one in effect. ' +
        'Docker uses this shape: every container is a child of one parent (`docker/` or `system.slice/`). ' +
        'On v2 a parent passes a controller to its children through `cgroup.subtree_control`. On v1 the memory controller was once flat unless `memory.use_hierarchy` was 1; since Linux 5.11 it is always 1.',
        '控制组的目录里还可以再建控制组目录，每个限制都管着它下面的整棵子树：子组可以给自己设一个更紧的限制，却没法让一个更宽的限制真正生效。' +
        'Docker 用的就是这种结构：每个容器都是同一个父组（`docker/` 或 `system.slice/`）下的子组。' +
        '在 v2 上，父组通过 `cgroup.subtree_control` 把控制器交给子组。在 v1 上，内存控制器原本是平的，除非 `memory.use_hierarchy` 为 1；从 Linux 5.11 起，它恒为 1。',
      ),
      command: 'mkdir -p /sys/fs/cgroup/nestbox/tree/a /sys/fs/cgroup/nestbox/tree/b; echo 32M > /sys/fs/cgroup/nestbox/tree/memory.max; echo 64M > /sys/fs/cgroup/nestbox/tree/a/memory.max',
      syscall: t('mkdir(2) three times; write(2) to memory.max (v1: memory.limit_in_bytes)',
        '三次 mkdir(2)；write(2) 写 memory.max（v1 是 memory.limit_in_bytes）'),
      async perform(ctx) {
        const parent = createCgroup(ctx, ['memory', 'cpu', 'cpuacct', 'pids']);
        const a = createChild(ctx, parent, 'a');
        const b = createChild(ctx, parent, 'b');
        Object.assign(ctx.state, { parent, a, b });
        parent.setMemoryMax(PARENT_LIMIT);
        // With swap on, the limit would only push the job to swap; forbid it for the subtree.
        ctx.state.swapLimited = swapActive();
        if (ctx.state.swapLimited) parent.disableSwap(PARENT_LIMIT);
        a.setMemoryMax(CHILD_LIMIT);
        sayWrites(ctx, parent, a, b);
        const place = whereText(parent);
        ctx.say(t(`parent: ${place.en}`, `父组：${place.zh}`));
        ctx.say(t(`children: ${a.allDirs()[0]}, ${b.allDirs()[0]}${a.allDirs().length > 1 ? ' (and the same names in each controller\'s tree)' : ''}`,
          `子组：${a.allDirs()[0]}、${b.allDirs()[0]}${a.allDirs().length > 1 ? '（每个控制器的树里都有同名的目录）' : ''}`));
        return t(`${parent.name} limited to ${mib(PARENT_LIMIT)}, child a to ${mib(CHILD_LIMIT)}, child b unlimited`,
          `${parent.name} 的上限是 ${mib(PARENT_LIMIT)}，子组 a 是 ${mib(CHILD_LIMIT)}，子组 b 不设上限`);
      },
      async verify(ctx) {
        const { parent, a, b } = ctx.state;
        const out: Observation[] = [
          observe(t('parent: memory limit', '父组：内存上限'), mib(PARENT_LIMIT), mib(parent.memoryMax())),
          observe(t('child a: memory limit', '子组 a：内存上限'), mib(CHILD_LIMIT), mib(a.memoryMax())),
          observe(t('child b: memory limit', '子组 b：内存上限'), 'max', mib(b.memoryMax())),
        ];
        // Each version has its own way of making a parent's limit bind its children, and the lab
        // shows this host's: v2's cgroup.subtree_control, v1's memory.use_hierarchy.
        if (parent.version === 2) {
          const control = readFileSync(join(parent.dir(), 'cgroup.subtree_control'), 'utf8').trim();
          out.push(observeThat(t('parent: cgroup.subtree_control', '父组：cgroup.subtree_control'), t('has memory cpu pids', '包含 memory cpu pids'), control, ['memory', 'cpu', 'pids'].every((c) => control.split(' ').includes(c))));
        } else {
          const file = join(parent.dir('memory'), 'memory.use_hierarchy');
          out.push(observe(t('parent: memory.use_hierarchy', '父组：memory.use_hierarchy'), '1', existsSync(file) ? readFileSync(file, 'utf8').trim() : t('(absent)', '（没有这个文件）')));
        }
        return out;
      },
    },
    {
      id: 'stats',
      title: t('Read usage like docker stats', '像 docker stats 那样读取用量'),
      explain: t(
        'Every controller also counts. `docker stats` reads, for each container\'s cgroup, the memory in use and its limit, the CPU time used (a CPU % is its growth over the time between two readings), and the number of tasks. ' +
        'Child a runs a busy loop, child b a shell that keeps 4 MiB in a variable. A parent\'s counters include all its descendants, so the parent\'s numbers are at least the sum of its children\'s. ' +
        '(Docker also subtracts reclaimable page cache, `inactive_file` in memory.stat, from the memory shown.)',
        '每个控制器也都在统计。`docker stats` 为每个容器的控制组读取这几样：在用的内存和它的上限，已用的 CPU 时间（CPU 百分比就是两次读数之间它增长了多少，占这段时间的比例），还有任务数。' +
        '子组 a 里跑着一个忙循环，子组 b 里是一个 shell，它在一个变量里存着 4 MiB。父组的计数器包含它所有的后代，所以父组的数字至少是各个子组之和。' +
        '（Docker 显示内存时，还会减去可回收的页缓存，也就是 memory.stat 里的 `inactive_file`。）',
      ),
      command: 'cat /sys/fs/cgroup/nestbox/tree/{memory.current,memory.max,cpu.stat,pids.current}   # v1: memory.usage_in_bytes, memory.limit_in_bytes, cpuacct.usage, pids.current',
      syscall: t('read(2) of the cgroup files, twice, 250 ms apart', 'read(2) 读这几个控制组文件，读两次，中间隔 250 毫秒'),
      async perform(ctx) {
        const { parent, a, b } = ctx.state;
        ctx.state.busy = await startIn(ctx, a, ['/bin/sh', '-c', 'while :; do :; done'], 'busy loop in cgroup-tree child a');
        // The holder joins b before it allocates, so its 4 MiB are charged to b from the start.
        ctx.state.holder = await startJoined(ctx, b, `x=$(head -c ${4 * MiB} /dev/zero | tr '\\000' x); sleep 3600`, 'memory holder in cgroup-tree child b');
        sayWrites(ctx, a);
        ctx.say(t(`child b's shell wrote its own PID to cgroup.procs in ${b.allDirs().join(', ')}`,
          `子组 b 的 shell 把自己的 PID 写进了这些目录里的 cgroup.procs：${b.allDirs().join('、')}`));
        for (let waited = 0; waited < 2000 && b.memoryCurrent() < 4 * MiB; waited += 20) await sleep(20);
        const first = readTree(ctx);
        await sleep(250);
        const second = readTree(ctx);
        const files = `${parent.file('memoryCurrent')} / ${parent.file('memoryMax')}, ${parent.file('cpuUsage')}, ${parent.file('pidsCurrent')}`;
        const others = `${parent.otherFile('memoryCurrent')} / ${parent.otherFile('memoryMax')}, ${parent.otherFile('cpuUsage')}, ${parent.otherFile('pidsCurrent')}`;
        ctx.say(t(`read from ${files} (cgroup v${parent.version}); on v${3 - parent.version}: ${others}`,
          `读的是 ${files}（cgroup v${parent.version}）；在 v${3 - parent.version} 上是 ${others}`));
        ctx.say('NAME                 CPU %    MEM USAGE / LIMIT       PIDS');
        for (const [name, cg] of [['parent', parent], ['a', a], ['b', b]] as const) {
          const u1 = first[name as 'parent'];
          const u2 = second[name as 'parent'];
          const cpu = ((u2.cpuUsec - u1.cpuUsec) / 250000) * 100;
          ctx.say(`${cg.name.padEnd(20)} ${cpu.toFixed(1).padStart(5)}%   ${`${mib(u2.memory)} / ${mib(u2.limit)}`.padEnd(22)}  ${u2.pids}`);
        }
        return t(`busy loop PID ${ctx.state.busy} in a, memory holder PID ${ctx.state.holder} in b`,
          `忙循环（PID ${ctx.state.busy}）在 a 里，占着内存的 shell（PID ${ctx.state.holder}）在 b 里`);
      },
      async verify(ctx) {
        // The three cgroups are read one after the other, and a child's charge can move between two
        // reads (the kernel hands memory to a cgroup and takes it back in per-CPU batches of 64
        // pages): a reading that caught such a moment is taken again.
        let u = readTree(ctx);
        for (let i = 0; i < 5 && (u.parent.memory < u.a.memory + u.b.memory || u.parent.pids !== u.a.pids + u.b.pids); i++) {
          await sleep(20);
          u = readTree(ctx);
        }
        return [
          observeThat(t('tasks (pids.current): parent = a + b', '任务数（pids.current）：父组 = a + b'), `${u.a.pids + u.b.pids}`, `${u.parent.pids} (a ${u.a.pids} + b ${u.b.pids})`, u.parent.pids === u.a.pids + u.b.pids),
          observeThat(t('memory in use: parent ≥ a + b', '在用内存：父组 ≥ a + b'), `≥ ${mib(u.a.memory + u.b.memory)}`, `${mib(u.parent.memory)} (a ${mib(u.a.memory)} + b ${mib(u.b.memory)})`, u.parent.memory >= u.a.memory + u.b.memory),
          // The kernel adds each slice of CPU time to the task's cgroup and then to each ancestor in
          // turn, so a reading can catch the parent one slice behind: allow a few milliseconds.
          observeThat(t('CPU time: parent ≥ a + b', 'CPU 时间：父组 ≥ a + b'),
            t(`≥ ${ms(u.a.cpuUsec + u.b.cpuUsec)} (to a few ms)`, `≥ ${ms(u.a.cpuUsec + u.b.cpuUsec)}（允许差几毫秒）`),
            `${ms(u.parent.cpuUsec)} (a ${ms(u.a.cpuUsec)} + b ${ms(u.b.cpuUsec)})`, u.parent.cpuUsec + 5000 >= u.a.cpuUsec + u.b.cpuUsec),
          observeThat(t('memory in use: child b (the holder)', '在用内存：子组 b（占着内存的 shell）'), '≥ 4.0 MiB', mib(u.b.memory), u.b.memory >= 4 * MiB),
          observeThat(t('CPU time: child a (the busy loop)', 'CPU 时间：子组 a（忙循环）'), '> 0 ms', ms(u.a.cpuUsec), u.a.cpuUsec > 0),
        ];
      },
    },
    {
      id: 'oom',
      title: t("A 48 MiB job in child a meets the parent's limit", '子组 a 里 48 MiB 的任务撞上了父组的上限'),
      explain: t(
        'Child a may use 64 MiB by its own limit, but every page it takes is also charged to the parent, which allows 32 MiB for a and b together. ' +
        'When a charge would cross the parent\'s limit, the kernel reclaims what it can in the parent\'s subtree and, failing that, the OOM killer picks the largest task in that subtree: the job.',
        '按子组 a 自己的上限，它可以用 64 MiB；可它占用的每一页也同时记在父组头上，而父组只允许 a 和 b 加起来用 32 MiB。' +
        '一次记账将要越过父组的上限时，内核先在父组的子树里尽量回收；回收不出来，OOM killer 就在这棵子树里挑出最大的任务，挑中的正是它。',
      ),
      command: `echo $$ > /sys/fs/cgroup/nestbox/tree/a/cgroup.procs; dd if=/dev/zero of=/dev/null bs=48M count=1`,
      syscall: t('write(2) of its own PID to cgroup.procs; execve("dd"); the page faults are charged up the tree',
        'write(2) 把自己的 PID 写进 cgroup.procs；execve("dd")；缺页时分到的内存，沿着树一级一级往上记账'),
      async perform(ctx) {
        const end: Text = await runJob(ctx);
        ctx.state.jobEnd = end;
        return t(`the job in ${ctx.state.a.name}: ${end.en}`, `${ctx.state.a.name} 里的任务：${end.zh}`);
      },
      async verify(ctx) {
        const { parent, a } = ctx.state;
        const peak = a.memoryPeak();
        const out: Observation[] = [
          observe(t('the 48 MiB dd in child a', '子组 a 里 48 MiB 的 dd'), t('killed by SIGKILL', '被 SIGKILL 杀死'), ctx.state.jobEnd),
          observeThat(t(`parent: ${hitsFile(parent)} (its limit hit)`, `父组：${hitsFile(parent)}（上限被触顶的次数）`), '≥ 1', limitHits(parent), limitHits(parent) >= 1),
          observe(t(`child a: ${hitsFile(a)} (its own limit)`, `子组 a：${hitsFile(a)}（它自己的上限）`), 0, limitHits(a)),
          observeThat(t(`child a: ${a.file('memoryEvents')} oom_kill`, `子组 a：${a.file('memoryEvents')} oom_kill`), '≥ 1', a.memoryEvents().oomKill, a.memoryEvents().oomKill >= 1),
        ];
        if (peak !== undefined) {
          const peakFile = a.file('memoryPeak');
          out.push(observeThat(t(`child a: peak (${peakFile})`, `子组 a：峰值（${peakFile}）`),
            t(`≤ ${mib(PARENT_LIMIT)}, the parent's limit`, `≤ ${mib(PARENT_LIMIT)}，即父组的上限`), mib(peak), peak <= PARENT_LIMIT));
        }
        return out;
      },
    },
    {
      id: 'exercise',
      title: t('Make room for the job', '给这个任务腾出地方'),
      explain: t(
        'To let the job finish you must change the limit that stopped it. The check runs the same 48 MiB `dd` in child a again.',
        '要让这个任务跑完，就得改掉拦住它的那个限制。检查时，会在子组 a 里再跑一次同样的 48 MiB `dd`。',
      ),
      command: '{answerCommand}',
      syscall: t('write(2) to memory.max (v1: memory.limit_in_bytes)', 'write(2) 写 memory.max（v1 是 memory.limit_in_bytes）'),
      async perform(ctx) {
        const { parent, a, b } = ctx.state;
        // The directories and files as they are named on this host, for the task and the hints.
        Object.assign(ctx.state, {
          parentDir: parent.dir('memory'), aDir: a.dir('memory'), bDir: b.dir('memory'),
          hitsWhere: `\`${hitsFile(parent)}\``,
          hitsWhereZh: `\`${hitsFile(parent)}\``,
        });
        const limit = join(parent.dir('memory'), parent.file('memoryMax'));
        // v1 with swap limited too: memory plus swap (memsw) may never be below memory, so it goes up
        // first. v2's swap knob is swap alone and needs no such care.
        const memsw = parent.version === 1 && ctx.state.swapLimited && parent.memorySwapLimit() !== undefined ? join(parent.dir('memory'), parent.file('memorySwapMax')) : undefined;
        ctx.state.answerCommand = `${memsw ? `echo 128M > ${memsw}; ` : ''}echo 128M > ${limit}`;
        ctx.state.limitOther = `on cgroup v${3 - parent.version}: ${parent.otherFile('memoryMax')}`;
        ctx.state.limitOtherZh = `在 cgroup v${3 - parent.version} 上是 ${parent.otherFile('memoryMax')}`;
        ctx.state.answer = `\`${ctx.state.answerCommand}\`${memsw ? ' (memory plus swap first: it may never be below the memory limit)' : ''}`;
        ctx.state.answerZh = `\`${ctx.state.answerCommand}\`${memsw ? '（先改内存加 swap 的上限：它永远不能低于内存上限）' : ''}`;
      },
      exercise: {
        task: t(
          'Change one memory limit so that a 48 MiB job in child **a** completes; child b keeps its 4 MiB. ' +
          'The parent is `{parentDir}`, child a `{aDir}`, child b `{bDir}`.',
          '只改一个内存上限，让子组 **a** 里 48 MiB 的任务顺利跑完；子组 b 仍然占着它的 4 MiB。' +
          '父组是 `{parentDir}`，子组 a 是 `{aDir}`，子组 b 是 `{bDir}`。',
        ),
        hints: [
          t("Child a's own limit is already 64 MiB. Which limit did the kernel count as hit? Compare {hitsWhere} in the parent and in child a.",
            '子组 a 自己的上限已经是 64 MiB 了。内核记下被触顶的是哪个上限？比较一下父组和子组 a 里的 {hitsWhereZh}。'),
          t('Raise the parent\'s limit ({limitOther}): {answer}', '调高父组的上限（{limitOtherZh}）：{answerZh}'),
        ],
        shell: 'host',
        async solve(ctx) {
          const parent: Cgroup = ctx.state.parent;
          // On v1 with swap limited, the cgroup raises memory plus swap first itself.
          parent.setMemoryMax(RAISED);
          sayWrites(ctx, parent);
        },
        async mistake(ctx) {
          // The tempting fix: a looser limit on the child itself. The parent still allows 32 MiB.
          ctx.state.a.setMemoryMax(RAISED);
          sayWrites(ctx, ctx.state.a);
        },
      },
      async verify(ctx) {
        const parent: Cgroup = ctx.state.parent;
        const end = await runJob(ctx);
        const limit = parent.memoryMax();
        return [
          observe(t('the 48 MiB dd in child a, run again', '子组 a 里 48 MiB 的 dd，再跑一次'), t('exited with code 0', '以退出码 0 退出'), end),
          observeThat(t('parent: memory limit', '父组：内存上限'), t('> 48 MiB (room for the job)', '> 48 MiB（给任务留出地方）'), mib(limit), limit === 'max' || limit > 48 * MiB),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.busy, ctx.state.holder);
      },
    },
  ],
};

export default lab;
