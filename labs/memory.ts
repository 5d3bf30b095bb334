// Lab "memory": a memory limit on a cgroup, and the OOM killer that enforces it. A process that
// allocates past the limit is killed by the kernel; the kill is read back from the cgroup's own
// counters and from waitpid, on cgroup v2 (memory.max, memory.events) and v1 (memory.limit_in_bytes,
// memory.oom_control).
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { Cgroup, FILE_NAMES, MemoryEvents } from '../src/kernel/cgroup.js';
import type { ExitStatus } from '../src/kernel/spawn.js';
import { parseMemory } from '../src/limits/parse.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites, mib } from './cgroup-lab-kit.js';
import { startHeld, exitText, bothNames } from './cgroup-held.js';

const LIMIT = '32m';
const LOWER = '16m';

/**
 * Run `dd bs=<n>M count=1` inside the cgroup. dd allocates one buffer of n MiB and read(2)s
 * /dev/zero into it; the kernel writes every page of the buffer, so every page is really
 * allocated and charged to the cgroup (an untouched malloc would cost almost nothing).
 */
async function allocate(ctx: LabContext, cg: Cgroup, n: number): Promise<ExitStatus> {
  const dd = await startHeld(ctx, cg, ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', `bs=${n}M`, 'count=1'], `dd-${n}M`);
  dd.release();
  return dd.wait();
}

function oomFile(cg: Cgroup): string {
  return cg.version === 2 ? 'oom_kill in memory.events (v1: memory.oom_control)' : 'oom_kill in memory.oom_control (v2: memory.events)';
}

const lab: Lab = {
  id: 'memory',
  title: 'memory: a limit, and the OOM killer that enforces it',
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-memory'],
  steps: [
    {
      id: 'limit',
      title: 'Create a cgroup with a 32 MiB memory limit',
      explain:
        'The memory controller charges every page a process uses to its cgroup: heap and stack, the page cache of files it reads, page tables. ' +
        'A limit is one number in one file; when a charge would cross it, the kernel first tries to reclaim pages from the cgroup itself, and only when nothing can be reclaimed does it kill. ' +
        'Swap would be such a way out (the excess goes to disk and the process crawls on), so swap is switched off for this cgroup: the limit then means what it says. ' +
        'cgroup v1 keeps memory in a tree of its own (`/sys/fs/cgroup/memory/`), v2 has one tree for every controller.',
      command: 'mkdir /sys/fs/cgroup/nestbox/memory-lab; echo 32M > /sys/fs/cgroup/nestbox/memory-lab/memory.max; echo 0 > /sys/fs/cgroup/nestbox/memory-lab/memory.swap.max   # v1: /sys/fs/cgroup/memory/nestbox/memory-lab/memory.limit_in_bytes and memory.memsw.limit_in_bytes',
      syscall: 'mkdir(2) in cgroupfs; write(2) to memory.max and memory.swap.max (v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes)',
      async perform(ctx) {
        const limit = parseMemory(LIMIT);
        const cg = createCgroup(ctx, ['memory']);
        ctx.state.cg = cg;
        cg.setMemoryMax(limit);
        // v1 counts memory plus swap in memsw: setting it equal to the limit leaves no room for swap.
        cg.disableSwap(limit);
        sayWrites(ctx, cg);
        return `created ${cg.dir('memory')} (cgroup v${cg.version}, host layout ${cg.layout.mode}) with a ${mib(limit)} limit`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const limit = parseMemory(LIMIT);
        const swap = cg.memorySwapLimit();
        const out: Observation[] = [observe(bothNames(cg, FILE_NAMES.memoryMax), limit, cg.memoryMax())];
        // memory.swap.max limits swap alone (0 = none); memsw limits memory plus swap (= the limit: none left for swap).
        if (swap !== undefined) {
          // The two files do not mean the same: say which one is read, and what the other holds.
          const what = cg.version === 2
            ? 'memory.swap.max: swap alone (v1: memory.memsw.limit_in_bytes, memory plus swap, would read the limit)'
            : 'memory.memsw.limit_in_bytes: memory plus swap (v2: memory.swap.max, swap alone, would read 0)';
          out.push(observe(what, cg.version === 2 ? 0 : limit, swap));
        }
        const current = cg.memoryCurrent();
        out.push(observeThat(bothNames(cg, FILE_NAMES.memoryCurrent), '< 1 MiB: nothing runs in it yet', `${current} bytes`, current < 1024 ** 2));
        return out;
      },
    },
    {
      id: 'oom',
      title: 'Allocate 16 MiB, then 64 MiB, inside the cgroup',
      explain:
        '`dd bs=64M count=1` allocates a 64 MiB buffer and has the kernel fill it from `/dev/zero`, so every page is really used. ' +
        'Each new page is charged to the cgroup; at 32 MiB there is nothing to reclaim (no file cache, no swap), so the kernel runs the OOM killer *for this cgroup only*: it picks the biggest process inside and sends it SIGKILL. ' +
        'The process cannot catch it; its parent sees "killed by signal 9", which a shell prints as status 137 (128 + 9) and Docker reports as `OOMKilled`. ' +
        'The kernel counts the kill in the cgroup (`memory.events` on v2, `memory.oom_control` on v1) and logs it in `dmesg`. The host, and every other cgroup, never noticed.',
      command: `sh -c 'echo $$ > /sys/fs/cgroup/nestbox/memory-lab/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=64M count=1'; echo $?; grep oom_kill /sys/fs/cgroup/nestbox/memory-lab/memory.events`,
      syscall: 'write(2) of the PID to cgroup.procs; execve("/bin/dd"); page faults charged to the cgroup; the OOM killer sends SIGKILL; waitpid(2)',
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        ctx.state.eventsBefore = cg.memoryEvents();
        ctx.state.small = await allocate(ctx, cg, 16);
        ctx.state.big = await allocate(ctx, cg, 64);
        sayWrites(ctx, cg);
        return `dd bs=16M: ${exitText(ctx.state.small)}; dd bs=64M: ${exitText(ctx.state.big)}`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const before: MemoryEvents = ctx.state.eventsBefore;
        const after = cg.memoryEvents();
        const limit = parseMemory(LIMIT);
        const peak = cg.memoryPeak();
        const current = cg.memoryCurrent();
        return [
          observe('dd bs=16M, exit status from waitpid', 'exited with code 0', exitText(ctx.state.small)),
          observe('dd bs=64M, exit status from waitpid', 'killed by SIGKILL (status 137)', exitText(ctx.state.big)),
          observe(oomFile(cg), before.oomKill + 1, after.oomKill),
          // Charges refused at the limit: v2 counts them in memory.events "max". v1's memory.failcnt would,
          // but with swap off the charge fails on the memory+swap counter first, whose failcnt
          // kernels since 6.13 no longer keep: on v1 the OOM kill count is the evidence.
          ...(cg.version === 2 ? [observeThat('max in memory.events (v1: memory.failcnt)', `> ${before.max}: charges refused at the limit`, after.max, after.max > before.max)] : []),
          peak === undefined
            ? observeThat(bothNames(cg, FILE_NAMES.memoryPeak), 'a high-water mark', 'not reported by this kernel', true)
            : observeThat(bothNames(cg, FILE_NAMES.memoryPeak), `up to the limit, ${mib(limit)}, never above`, mib(peak), peak <= limit && peak >= 0.9 * limit),
          observeThat(bothNames(cg, FILE_NAMES.memoryCurrent), '< 2 MiB: the killed process\'s pages were freed', mib(current), current < 2 * 1024 ** 2),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Set the limit yourself',
      explain:
        'nestbox first runs `dd bs=24M` in the cgroup: under 32 MiB it runs to the end. Your limit must make the same allocation fail. ' +
        'The kernel reads the limit in bytes and accepts the suffixes K, M and G; reading the file back shows what it stored.',
      command: 'echo 16M > {limitFile}{swapCommand}',
      syscall: 'write(2) "16M" to memory.max (v1: memory.limit_in_bytes, then memory.memsw.limit_in_bytes)',
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        // The files as they are named on this host, for the task and the hints.
        const v2 = cg.version === 2;
        ctx.state.limitFile = join(cg.dir('memory'), v2 ? FILE_NAMES.memoryMax.v2 : FILE_NAMES.memoryMax.v1);
        ctx.state.limitOther = v2 ? `cgroup v2; on v1 the file is ${FILE_NAMES.memoryMax.v1}` : `cgroup v1; on v2 the file is ${FILE_NAMES.memoryMax.v2}`;
        // v1 limits memory plus swap in a second file, which step 1 set to the old limit: it must come
        // down too, or a host with swap could swap out the excess instead of killing. v2's
        // memory.swap.max limits swap alone: it stays 0 whatever memory.max says.
        const memsw = !v2 && cg.memorySwapLimit() !== undefined ? join(cg.dir('memory'), FILE_NAMES.memorySwapMax.v1) : undefined;
        ctx.state.swapFile = memsw;
        ctx.state.swapTask = memsw
          ? ` Step 1 also set \`${memsw}\` (memory plus swap) to 32M: lower it to 16M too, after the limit (it may never be below it). Otherwise, on a host with swap, the kernel could swap out what does not fit instead of killing.`
          : '';
        ctx.state.swapCommand = memsw ? `; echo 16M > ${memsw}` : '';
        ctx.state.answer = memsw
          ? `\`echo 16M > ${ctx.state.limitFile}\`, then \`echo 16M > ${memsw}\` (in this order: the kernel refuses memory plus swap below memory).`
          : `\`echo 16M > ${ctx.state.limitFile}\`.`;
        const fits = await allocate(ctx, cg, 24);
        return `dd bs=24M under the ${mib(parseMemory(LIMIT))} limit: ${exitText(fits)}`;
      },
      exercise: {
        task:
          'Lower the memory limit of the lab cgroup to **16M** from a shell on the host, so that a 24 MiB allocation is OOM-killed. ' +
          'On this host the limit is `{limitFile}` ({limitOther}).{swapTask} ' +
          'The check runs `dd bs=24M` in the cgroup again.',
        hints: [
          'Not the soft limits: `memory.low`/`memory.high` (v2) and `memory.soft_limit_in_bytes` (v1) steer reclaim when the whole machine runs short; they never kill. The hard limit is the file named in the task.',
          '`cat` the file afterwards: 16M reads back as 16777216.',
          'On this host: {answer}',
        ],
        shell: 'host',
        async solve(ctx) {
          const cg: Cgroup = ctx.state.cg;
          cg.setMemoryMax(parseMemory(LOWER));
          // v1: memory plus swap follows the limit down (after it: memsw may never be below memory).
          if (cg.version === 1) cg.disableSwap(parseMemory(LOWER));
          sayWrites(ctx, cg);
        },
        async mistake(ctx) {
          // A soft limit (what Docker's --memory-reservation writes): reclaim guidance, no kill.
          const cg: Cgroup = ctx.state.cg;
          const file = cg.version === 2 ? 'memory.low' : 'memory.soft_limit_in_bytes';
          writeFileSync(join(cg.dir('memory'), file), '16M');
          ctx.say(`wrote "16M" to ${join(cg.dir('memory'), file)}`);
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const before = cg.memoryEvents();
        const run = await allocate(ctx, cg, 24);
        const after = cg.memoryEvents();
        const swap = cg.memorySwapLimit();
        return [
          observe(bothNames(cg, FILE_NAMES.memoryMax), parseMemory(LOWER), cg.memoryMax()),
          // No way out through swap: v1 memory plus swap = the limit, v2 swap alone = 0.
          ...(swap === undefined ? [] : [cg.version === 2
            ? observe('memory.swap.max: swap alone (v1: memory.memsw.limit_in_bytes, memory plus swap)', 0, swap)
            : observe('memory.memsw.limit_in_bytes: memory plus swap (v2: memory.swap.max, swap alone)', parseMemory(LOWER), swap)]),
          observe('dd bs=24M, exit status from waitpid', 'killed by SIGKILL (status 137)', exitText(run)),
          observe(oomFile(cg), before.oomKill + 1, after.oomKill),
        ];
      },
    },
  ],
};

export default lab;
