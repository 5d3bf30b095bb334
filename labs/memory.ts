// Lab "memory": a memory limit on a cgroup, and the OOM killer that enforces it. A process that
// allocates past the limit is killed by the kernel; the kill is read back from the cgroup's own
// counters and from waitpid, on cgroup v2 (memory.max, memory.events) and v1 (memory.limit_in_bytes,
// memory.oom_control).
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Text } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { Cgroup, MemoryEvents } from '../src/kernel/cgroup.js';
import type { ExitStatus } from '../src/kernel/spawn.js';
import { parseMemory } from '../src/limits/parse.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites, mib } from './cgroup-lab-kit.js';
import { startHeld, exitShown, bothNames } from './cgroup-held.js';

/** What the steps pass on: the lab's cgroup, the runs of dd, and the host's file names for the exercise's texts. */
interface MemoryState {
  cg: Cgroup;
  /** memory.events (v1: memory.oom_control) before the two dd runs of the "oom" step. */
  eventsBefore: MemoryEvents;
  /** How dd bs=16M ended (fits under the limit). */
  small: ExitStatus;
  /** How dd bs=64M ended (OOM-killed). */
  big: ExitStatus;
  /** The hard limit's file on this host ({limitFile} in the task). */
  limitFile: string;
  /** Which cgroup version that is, and the file's name on the other ({limitOther}). */
  limitOther: string;
  /** v1's memory plus swap file, when the kernel accounts swap; unset on v2. */
  swapFile?: string;
  /** The task's sentence about the memsw file ({swapTask}); empty when there is none. */
  swapTask: string;
  /** The command's second half for memsw ({swapCommand}); empty when there is none. */
  swapCommand: string;
  /** The reference answer in the last hint ({answer}). */
  answer: string;
}

const LIMIT = '32m';
const LOWER = '16m';

/**
 * Run `dd bs=<n>M count=1` inside the cgroup. dd allocates one buffer of n MiB and read(2)s
 * /dev/zero into it; the kernel writes every page of the buffer, so every page is really
 * allocated and charged to the cgroup (an untouched malloc would cost almost nothing).
 */
async function allocate(ctx: LabContext<MemoryState>, cg: Cgroup, n: number): Promise<ExitStatus> {
  const dd = await startHeld(ctx, cg, ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', `bs=${n}M`, 'count=1'], `dd-${n}M`);
  dd.release();
  return dd.wait();
}

function oomFile(cg: Cgroup): Text {
  const [here, there, other] = [cg.file('memoryEvents'), cg.otherFile('memoryEvents'), 3 - cg.version];
  return t(`oom_kill in ${here} (v${other}: ${there})`, `${here} 里的 oom_kill（v${other}：${there}）`);
}

/**
 * The two versions' swap files do not mean the same: v2's is swap alone, v1's memory plus swap. The
 * label says which one is read, and what the other would hold.
 */
const SWAP_LABEL: Record<1 | 2, Text> = {
  2: t('memory.swap.max: swap alone (v1: memory.memsw.limit_in_bytes, memory plus swap, would read the limit)',
    'memory.swap.max：只限 swap（v1 的 memory.memsw.limit_in_bytes 限的是内存加 swap，会读到上限值）'),
  1: t('memory.memsw.limit_in_bytes: memory plus swap (v2: memory.swap.max, swap alone, would read 0)',
    'memory.memsw.limit_in_bytes：内存加 swap（v2 的 memory.swap.max 只限 swap，会读到 0）'),
};

/** The exit status from waitpid, as the check expects it. */
const EXITED_0 = t('exited with code 0', '以退出码 0 退出');
const KILLED_137 = t('killed by SIGKILL (status 137)', '被 SIGKILL 杀死（状态 137）');

const lab: Lab<MemoryState> = {
  id: 'memory',
  title: t('memory: a limit, and the OOM killer that enforces it', 'memory：内存上限，以及执行它的 OOM killer'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-memory'],
  steps: [
    {
      id: 'limit',
      title: t('Create a cgroup with a 32 MiB memory limit', '创建一个内存上限为 32 MiB 的控制组'),
      explain: t(
        'The memory controller charges every page a process uses to its cgroup: heap and stack, the page cache of files it reads, page tables. ' +
        'A limit is one number in one file; when a charge would cross it, the kernel first tries to reclaim pages from the cgroup itself, and only when nothing can be reclaimed does it kill. ' +
        'Swap would be such a way out (the excess goes to disk and the process crawls on), so swap is switched off for this cgroup: the limit then means what it says. ' +
        'cgroup v1 keeps memory in a tree of its own (`/sys/fs/cgroup/memory/`), v2 has one tree for every controller.',
        '内存控制器把进程用到的每一页内存都记在它所在的控制组头上：堆和栈、它读过的文件的页缓存、页表。' +
        '上限就是一个文件里的一个数。某次记账将要越过它时，内核先设法在这个控制组自己的内存里回收一些页，实在回收不出来，才会杀进程。' +
        'swap 本来也是一条退路（超出的部分换到磁盘上，进程慢吞吞地接着跑），所以这个控制组的 swap 被关掉了：这样，上限说多少就是多少。' +
        'cgroup v1 把内存放在单独的一棵树里（`/sys/fs/cgroup/memory/`），v2 则只有一棵树，所有控制器都在上面。',
      ),
      command: t('mkdir /sys/fs/cgroup/nestbox/memory-lab; echo 32M > /sys/fs/cgroup/nestbox/memory-lab/memory.max; echo 0 > /sys/fs/cgroup/nestbox/memory-lab/memory.swap.max   # v1: /sys/fs/cgroup/memory/nestbox/memory-lab/memory.limit_in_bytes and memory.memsw.limit_in_bytes',
        'mkdir /sys/fs/cgroup/nestbox/memory-lab; echo 32M > /sys/fs/cgroup/nestbox/memory-lab/memory.max; echo 0 > /sys/fs/cgroup/nestbox/memory-lab/memory.swap.max   # v1：/sys/fs/cgroup/memory/nestbox/memory-lab/memory.limit_in_bytes 和 memory.memsw.limit_in_bytes'),
      syscall: t('mkdir(2) in cgroupfs; write(2) to memory.max and memory.swap.max (v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes)',
        '在 cgroupfs 里 mkdir(2)；write(2) 写 memory.max 和 memory.swap.max（v1 是 memory.limit_in_bytes、memory.memsw.limit_in_bytes）'),
      async perform(ctx) {
        const limit = parseMemory(LIMIT);
        const cg = createCgroup(ctx, ['memory']);
        ctx.state.cg = cg;
        cg.setMemoryMax(limit);
        // v1 counts memory plus swap in memsw: setting it equal to the limit leaves no room for swap.
        cg.disableSwap(limit);
        sayWrites(ctx, cg);
        return t(`created ${cg.dir('memory')} (cgroup v${cg.version}, host layout ${cg.layout.mode}) with a ${mib(limit)} limit`,
          `创建了 ${cg.dir('memory')}（cgroup v${cg.version}，宿主机的布局：${cg.layout.mode}），上限是 ${mib(limit)}`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const limit = parseMemory(LIMIT);
        const swap = cg.memorySwapLimit();
        const out: Observation[] = [observe(bothNames(cg, 'memoryMax'), limit, cg.memoryMax())];
        // memory.swap.max limits swap alone (0 = none); memsw limits memory plus swap (= the limit: none left for swap).
        if (swap !== undefined) out.push(observe(SWAP_LABEL[cg.version], cg.swapLimitWithoutSwap(limit), swap));
        const current = cg.memoryCurrent();
        out.push(observeThat(bothNames(cg, 'memoryCurrent'), t('< 1 MiB: nothing runs in it yet', '< 1 MiB：里面还没有进程在跑'),
          t(`${current} bytes`, `${current} 字节`), current < 1024 ** 2));
        return out;
      },
    },
    {
      id: 'oom',
      title: t('Allocate 16 MiB, then 64 MiB, inside the cgroup', '在控制组里先分配 16 MiB，再分配 64 MiB'),
      explain: t(
        '`dd bs=64M count=1` allocates a 64 MiB buffer and has the kernel fill it from `/dev/zero`, so every page is really used. ' +
        'Each new page is charged to the cgroup; at 32 MiB there is nothing to reclaim (no file cache, no swap), so the kernel runs the OOM killer *for this cgroup only*: it picks the biggest process inside and sends it SIGKILL. ' +
        'The process cannot catch it; its parent sees "killed by signal 9", which a shell prints as status 137 (128 + 9) and Docker reports as `OOMKilled`. ' +
        'The kernel counts the kill in the cgroup (`memory.events` on v2, `memory.oom_control` on v1) and logs it in `dmesg`. The host, and every other cgroup, never noticed.',
        '`dd bs=64M count=1` 分配一块 64 MiB 的缓冲区，再让内核从 `/dev/zero` 把它填满，所以每一页都真的用上了。' +
        '每个新页都记在这个控制组头上；到了 32 MiB，已经没有什么可以回收（没有文件缓存，也没有 swap），于是内核*只针对这个控制组*运行 OOM killer：它挑出组里最大的进程，给它发 SIGKILL。' +
        '进程捕获不了这个信号；它的父进程看到的是“被信号 9 杀死”，shell 把它显示为状态 137（128 + 9），Docker 则报告为 `OOMKilled`。' +
        '内核在控制组里记下这次 kill（v2 记在 `memory.events`，v1 记在 `memory.oom_control`），并把它写进 `dmesg` 的日志。宿主机和其他所有控制组都毫无察觉。',
      ),
      command: `sh -c 'echo $$ > /sys/fs/cgroup/nestbox/memory-lab/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=64M count=1'; echo $?; grep oom_kill /sys/fs/cgroup/nestbox/memory-lab/memory.events`,
      syscall: t('write(2) of the PID to cgroup.procs; execve("/bin/dd"); page faults charged to the cgroup; the OOM killer sends SIGKILL; waitpid(2)',
        'write(2) 把 PID 写进 cgroup.procs；execve("/bin/dd")；缺页时分到的内存记在这个控制组名下；OOM killer 发出 SIGKILL；waitpid(2)'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        ctx.state.eventsBefore = cg.memoryEvents();
        ctx.state.small = await allocate(ctx, cg, 16);
        ctx.state.big = await allocate(ctx, cg, 64);
        sayWrites(ctx, cg);
        const [small, big] = [exitShown(ctx.state.small), exitShown(ctx.state.big)];
        return t(`dd bs=16M: ${small.en}; dd bs=64M: ${big.en}`, `dd bs=16M：${small.zh}；dd bs=64M：${big.zh}`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const before: MemoryEvents = ctx.state.eventsBefore;
        const after = cg.memoryEvents();
        const limit = parseMemory(LIMIT);
        const peak = cg.memoryPeak();
        const current = cg.memoryCurrent();
        return [
          observe(t('dd bs=16M, exit status from waitpid', 'dd bs=16M 的退出状态（来自 waitpid）'), EXITED_0, exitShown(ctx.state.small)),
          observe(t('dd bs=64M, exit status from waitpid', 'dd bs=64M 的退出状态（来自 waitpid）'), KILLED_137, exitShown(ctx.state.big)),
          observe(oomFile(cg), before.oomKill + 1, after.oomKill),
          // Charges refused at the limit: v2 counts them in memory.events "max". v1's memory.failcnt would,
          // but with swap off the charge fails on the memory+swap counter first, whose failcnt
          // kernels since 6.13 no longer keep: on v1 the OOM kill count is the evidence.
          ...(cg.version === 2 ? [observeThat(t('max in memory.events (v1: memory.failcnt)', 'memory.events 里的 max（v1：memory.failcnt）'),
            t(`> ${before.max}: charges refused at the limit`, `> ${before.max}：在上限处被拒绝的记账`), after.max, after.max > before.max)] : []),
          peak === undefined
            ? observeThat(bothNames(cg, 'memoryPeak'), t('a high-water mark', '一个最高水位'), t('not reported by this kernel', '这个内核不提供'), true)
            : observeThat(bothNames(cg, 'memoryPeak'), t(`up to the limit, ${mib(limit)}, never above`, `最多到上限 ${mib(limit)}，从不超过`), mib(peak), peak <= limit && peak >= 0.9 * limit),
          observeThat(bothNames(cg, 'memoryCurrent'), t('< 2 MiB: the killed process\'s pages were freed', '< 2 MiB：被杀进程的内存页已经释放'), mib(current), current < 2 * 1024 ** 2),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Set the limit yourself', '自己设置上限'),
      explain: t(
        'nestbox first runs `dd bs=24M` in the cgroup: under 32 MiB it runs to the end. Your limit must make the same allocation fail. ' +
        'The kernel reads the limit in bytes and accepts the suffixes K, M and G; reading the file back shows what it stored.',
        'nestbox 先在控制组里运行一次 `dd bs=24M`：上限是 32 MiB 时，它能顺利跑完。你设的上限要让同样的分配失败。' +
        '内核按字节读取上限，也接受 K、M、G 这几个后缀；把文件读回来，就能看到它实际存下的值。',
      ),
      command: 'echo 16M > {limitFile}{swapCommand}',
      syscall: t('write(2) "16M" to memory.max (v1: memory.limit_in_bytes, then memory.memsw.limit_in_bytes)',
        'write(2) 把 "16M" 写进 memory.max（v1：先写 memory.limit_in_bytes，再写 memory.memsw.limit_in_bytes）'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        // The files as they are named on this host, for the task and the hints.
        ctx.state.limitFile = join(cg.dir('memory'), cg.file('memoryMax'));
        // The task's placeholders are filled with strings: in this run's language.
        ctx.state.limitOther = pick(`cgroup v${cg.version}; on v${3 - cg.version} the file is ${cg.otherFile('memoryMax')}`,
          `cgroup v${cg.version}；在 v${3 - cg.version} 上，这个文件是 ${cg.otherFile('memoryMax')}`);
        // v1 limits memory plus swap in a second file, which step 1 set to the old limit: it must come
        // down too, or a host with swap could swap out the excess instead of killing. v2's
        // memory.swap.max limits swap alone: it stays 0 whatever memory.max says.
        const memsw = cg.version === 1 && cg.memorySwapLimit() !== undefined ? join(cg.dir('memory'), cg.file('memorySwapMax')) : undefined;
        ctx.state.swapFile = memsw;
        ctx.state.swapTask = memsw
          ? pick(` Step 1 also set \`${memsw}\` (memory plus swap) to 32M: lower it to 16M too, after the limit (it may never be below it). Otherwise, on a host with swap, the kernel could swap out what does not fit instead of killing.`,
            `第 1 步还把 \`${memsw}\`（内存加 swap）设成了 32M：改完上限之后，把它也降到 16M（它永远不能小于上限）。否则在有 swap 的宿主机上，内核可能把放不下的部分换出到 swap，而不是杀掉进程。`)
          : '';
        ctx.state.swapCommand = memsw ? `; echo 16M > ${memsw}` : '';
        ctx.state.answer = memsw
          ? pick(`\`echo 16M > ${ctx.state.limitFile}\`, then \`echo 16M > ${memsw}\` (in this order: the kernel refuses memory plus swap below memory).`,
            `先 \`echo 16M > ${ctx.state.limitFile}\`，再 \`echo 16M > ${memsw}\`（顺序不能反：内核不允许“内存加 swap”的上限低于内存上限）。`)
          : pick(`\`echo 16M > ${ctx.state.limitFile}\`.`, `\`echo 16M > ${ctx.state.limitFile}\`。`);
        const fits = exitShown(await allocate(ctx, cg, 24));
        return t(`dd bs=24M under the ${mib(parseMemory(LIMIT))} limit: ${fits.en}`, `上限为 ${mib(parseMemory(LIMIT))} 时，dd bs=24M：${fits.zh}`);
      },
      exercise: {
        task: t(
          'Lower the memory limit of the lab cgroup to **16M** from a shell on the host, so that a 24 MiB allocation is OOM-killed. ' +
          'On this host the limit is `{limitFile}` ({limitOther}).{swapTask} ' +
          'The check runs `dd bs=24M` in the cgroup again.',
          '在宿主机的 shell 里，把实验控制组的内存上限降到 **16M**，让一次 24 MiB 的分配被 OOM kill。' +
          '在这台宿主机上，上限文件是 `{limitFile}`（{limitOther}）。{swapTask}' +
          '检查时会在控制组里再运行一次 `dd bs=24M`。',
        ),
        hints: [
          t('Not the soft limits: `memory.low` (v2) and `memory.soft_limit_in_bytes` (v1) steer reclaim when the whole machine runs short, and `memory.high` (v2) slows the cgroup down and makes it reclaim; none of them ever kills. The hard limit is the file named in the task.',
            '不是软限制：`memory.low`（v2）和 `memory.soft_limit_in_bytes`（v1）只在整台机器内存紧张时影响回收，`memory.high`（v2）让控制组慢下来、被迫回收；它们都不会杀进程。硬上限是任务里给出的那个文件。'),
          t('`cat` the file afterwards: 16M reads back as 16777216.', '改完之后 `cat` 一下这个文件：16M 读回来是 16777216。'),
          t('On this host: {answer}', '在这台宿主机上：{answer}'),
        ],
        shell: 'host',
        async solve(ctx) {
          const cg: Cgroup = ctx.state.cg;
          // On v1 the cgroup brings memory plus swap down after the limit itself.
          cg.setMemoryMax(parseMemory(LOWER));
          sayWrites(ctx, cg);
        },
        async mistake(ctx) {
          // A soft limit (what Docker's --memory-reservation writes): reclaim guidance, no kill.
          const cg: Cgroup = ctx.state.cg;
          const file = cg.file('memoryLow');
          writeFileSync(join(cg.dir('memory'), file), '16M');
          ctx.say(t(`wrote "16M" to ${join(cg.dir('memory'), file)}`, `把 "16M" 写入了 ${join(cg.dir('memory'), file)}`));
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const before = cg.memoryEvents();
        const run = await allocate(ctx, cg, 24);
        const after = cg.memoryEvents();
        const swap = cg.memorySwapLimit();
        return [
          observe(bothNames(cg, 'memoryMax'), parseMemory(LOWER), cg.memoryMax()),
          // No way out through swap: v1 memory plus swap = the limit, v2 swap alone = 0.
          ...(swap === undefined ? [] : [observe(SWAP_LABEL[cg.version], cg.swapLimitWithoutSwap(parseMemory(LOWER)), swap)]),
          observe(t('dd bs=24M, exit status from waitpid', 'dd bs=24M 的退出状态（来自 waitpid）'), KILLED_137, exitShown(run)),
          observe(oomFile(cg), before.oomKill + 1, after.oomKill),
        ];
      },
    },
  ],
};

export default lab;
