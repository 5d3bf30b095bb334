// Lab "cgroup-tree": cgroups nest, and a parent's limit binds everything below it. A parent with a
// 32 MiB memory limit holds two children; usage is read the way `docker stats` reads it, and the
// parent's numbers include its children's; a job in a child with a 64 MiB limit is still killed at
// the parent's 32 MiB.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { describeExit } from '../src/kernel/reap.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, createChild, mib, runInCgroup, sayWrites, startIn, startJoined, where } from './cgroup-lab-kit.js';
import { sleep, stopAndReap } from './kit.js';

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
function readTree(ctx: LabContext): { a: Usage; b: Usage; parent: Usage } {
  const a = usage(ctx.state.a);
  const b = usage(ctx.state.b);
  return { a, b, parent: usage(ctx.state.parent) };
}

/** The parent's own count of refused charges: memory.events "max" on v2, memory.failcnt on v1. */
function limitHits(cg: Cgroup): number {
  const e = cg.memoryEvents();
  return cg.version === 2 ? e.max : e.failcnt ?? 0;
}

function hitsFile(cg: Cgroup): string {
  return cg.version === 2 ? 'memory.events max' : 'memory.failcnt';
}

/** Run the 48 MiB job in child a and say how it ended. */
async function runJob(ctx: LabContext): Promise<string> {
  const { exit } = await runInCgroup(ctx, ctx.state.a, JOB, 'job');
  return describeExit(exit);
}

const lab: Lab = {
  id: 'cgroup-tree',
  title: 'cgroup-tree: a parent limit binds its children; usage adds up',
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-memory', 'cgroup-cpu', 'cgroup-pids'],
  steps: [
    {
      id: 'tree',
      title: 'Build a parent with two children',
      explain:
        'A cgroup directory can hold more cgroup directories, and every limit applies to the whole subtree below it: a child can set its own, tighter limit, never a looser one in effect. ' +
        'Docker uses this shape: every container is a child of one parent (`docker/` or `system.slice/`). ' +
        'On v2 a parent passes a controller to its children through `cgroup.subtree_control`. On v1 the memory controller was once flat unless `memory.use_hierarchy` was 1; since Linux 5.11 it is always 1.',
      command: 'mkdir -p /sys/fs/cgroup/nestbox/tree/a /sys/fs/cgroup/nestbox/tree/b; echo 32M > /sys/fs/cgroup/nestbox/tree/memory.max; echo 64M > /sys/fs/cgroup/nestbox/tree/a/memory.max',
      syscall: 'mkdir(2) three times; write(2) to memory.max (v1: memory.limit_in_bytes)',
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
        ctx.say(`parent: ${where(parent)}`);
        ctx.say(`children: ${a.allDirs()[0]}, ${b.allDirs()[0]}${parent.version === 1 ? ' (and the same names in each controller\'s tree)' : ''}`);
        return `${parent.name} limited to ${mib(PARENT_LIMIT)}, child a to ${mib(CHILD_LIMIT)}, child b unlimited`;
      },
      async verify(ctx) {
        const { parent, a, b } = ctx.state as Record<string, Cgroup>;
        const out: Observation[] = [
          observe('parent: memory limit', mib(PARENT_LIMIT), mib(parent.memoryMax())),
          observe('child a: memory limit', mib(CHILD_LIMIT), mib(a.memoryMax())),
          observe('child b: memory limit', 'max', mib(b.memoryMax())),
        ];
        if (parent.version === 2) {
          const control = readFileSync(join(parent.dir(), 'cgroup.subtree_control'), 'utf8').trim();
          out.push(observeThat('parent: cgroup.subtree_control', 'has memory cpu pids', control, ['memory', 'cpu', 'pids'].every((c) => control.split(' ').includes(c))));
        } else {
          const file = join(parent.dir('memory'), 'memory.use_hierarchy');
          out.push(observe('parent: memory.use_hierarchy', '1', existsSync(file) ? readFileSync(file, 'utf8').trim() : '(absent)'));
        }
        return out;
      },
    },
    {
      id: 'stats',
      title: 'Read usage like docker stats',
      explain:
        'Every controller also counts. `docker stats` reads, for each container\'s cgroup, the memory in use and its limit, the CPU time used (a CPU % is its growth over the time between two readings), and the number of tasks. ' +
        'Child a runs a busy loop, child b a shell that keeps 4 MiB in a variable. A parent\'s counters include all its descendants, so the parent\'s numbers are at least the sum of its children\'s. ' +
        '(Docker also subtracts reclaimable page cache, `inactive_file` in memory.stat, from the memory shown.)',
      command: 'cat /sys/fs/cgroup/nestbox/tree/{memory.current,memory.max,cpu.stat,pids.current}   # v1: memory.usage_in_bytes, memory.limit_in_bytes, cpuacct.usage, pids.current',
      syscall: 'read(2) of the cgroup files, twice, 250 ms apart',
      async perform(ctx) {
        const { parent, a, b } = ctx.state as Record<string, Cgroup>;
        ctx.state.busy = await startIn(ctx, a, ['/bin/sh', '-c', 'while :; do :; done'], 'busy loop in cgroup-tree child a');
        // The holder joins b before it allocates, so its 4 MiB are charged to b from the start.
        ctx.state.holder = await startJoined(ctx, b, `x=$(head -c ${4 * MiB} /dev/zero | tr '\\000' x); sleep 3600`, 'memory holder in cgroup-tree child b');
        sayWrites(ctx, a);
        ctx.say(`child b's shell wrote its own PID to cgroup.procs in ${b.allDirs().join(', ')}`);
        for (let waited = 0; waited < 2000 && b.memoryCurrent() < 4 * MiB; waited += 20) await sleep(20);
        const first = readTree(ctx);
        await sleep(250);
        const second = readTree(ctx);
        const files = parent.version === 2 ? 'memory.current / memory.max, cpu.stat usage_usec, pids.current' : 'memory.usage_in_bytes / memory.limit_in_bytes, cpuacct.usage, pids.current';
        ctx.say(`read from ${files} (cgroup v${parent.version}); on v${3 - parent.version}: ${parent.version === 2 ? 'memory.usage_in_bytes / memory.limit_in_bytes, cpuacct.usage, pids.current' : 'memory.current / memory.max, cpu.stat usage_usec, pids.current'}`);
        ctx.say('NAME                 CPU %    MEM USAGE / LIMIT       PIDS');
        for (const [name, cg] of [['parent', parent], ['a', a], ['b', b]] as const) {
          const u1 = first[name as 'parent'];
          const u2 = second[name as 'parent'];
          const cpu = ((u2.cpuUsec - u1.cpuUsec) / 250000) * 100;
          ctx.say(`${cg.name.padEnd(20)} ${cpu.toFixed(1).padStart(5)}%   ${`${mib(u2.memory)} / ${mib(u2.limit)}`.padEnd(22)}  ${u2.pids}`);
        }
        return `busy loop PID ${ctx.state.busy} in a, memory holder PID ${ctx.state.holder} in b`;
      },
      async verify(ctx) {
        const t = readTree(ctx);
        return [
          observeThat('tasks (pids.current): parent = a + b', `${t.a.pids + t.b.pids}`, `${t.parent.pids} (a ${t.a.pids} + b ${t.b.pids})`, t.parent.pids === t.a.pids + t.b.pids),
          observeThat('memory in use: parent ≥ a + b', `≥ ${mib(t.a.memory + t.b.memory)}`, `${mib(t.parent.memory)} (a ${mib(t.a.memory)} + b ${mib(t.b.memory)})`, t.parent.memory >= t.a.memory + t.b.memory),
          // The kernel adds each slice of CPU time to the task's cgroup and then to each ancestor in
          // turn, so a reading can catch the parent one slice behind: allow a few milliseconds.
          observeThat('CPU time: parent ≥ a + b', `≥ ${ms(t.a.cpuUsec + t.b.cpuUsec)} (to a few ms)`, `${ms(t.parent.cpuUsec)} (a ${ms(t.a.cpuUsec)} + b ${ms(t.b.cpuUsec)})`, t.parent.cpuUsec + 5000 >= t.a.cpuUsec + t.b.cpuUsec),
          observeThat('memory in use: child b (the holder)', '≥ 4.0 MiB', mib(t.b.memory), t.b.memory >= 4 * MiB),
          observeThat('CPU time: child a (the busy loop)', '> 0 ms', ms(t.a.cpuUsec), t.a.cpuUsec > 0),
        ];
      },
    },
    {
      id: 'oom',
      title: "A 48 MiB job in child a meets the parent's limit",
      explain:
        'Child a may use 64 MiB by its own limit, but every page it takes is also charged to the parent, which allows 32 MiB for a and b together. ' +
        'When a charge would cross the parent\'s limit, the kernel reclaims what it can in the parent\'s subtree and, failing that, the OOM killer picks the largest task in that subtree: the job.',
      command: `echo $$ > /sys/fs/cgroup/nestbox/tree/a/cgroup.procs; dd if=/dev/zero of=/dev/null bs=48M count=1`,
      syscall: 'write(2) of its own PID to cgroup.procs; execve("dd"); the page faults are charged up the tree',
      async perform(ctx) {
        ctx.state.jobEnd = await runJob(ctx);
        return `the job in ${ctx.state.a.name}: ${ctx.state.jobEnd}`;
      },
      async verify(ctx) {
        const { parent, a } = ctx.state as Record<string, Cgroup>;
        const peak = a.memoryPeak();
        const out: Observation[] = [
          observe('the 48 MiB dd in child a', 'killed by SIGKILL', ctx.state.jobEnd),
          observeThat(`parent: ${hitsFile(parent)} (its limit hit)`, '≥ 1', limitHits(parent), limitHits(parent) >= 1),
          observe(`child a: ${hitsFile(a)} (its own limit)`, 0, limitHits(a)),
          observeThat(`child a: ${a.version === 2 ? 'memory.events' : 'oom_control'} oom_kill`, '≥ 1', a.memoryEvents().oomKill, a.memoryEvents().oomKill >= 1),
        ];
        if (peak !== undefined) {
          out.push(observeThat(`child a: peak (${a.version === 2 ? 'memory.peak' : 'max_usage_in_bytes'})`, `≤ ${mib(PARENT_LIMIT)}, the parent's limit`, mib(peak), peak <= PARENT_LIMIT));
        }
        return out;
      },
    },
    {
      id: 'exercise',
      title: 'Make room for the job',
      explain:
        'To let the job finish you must change the limit that stopped it. The check runs the same 48 MiB `dd` in child a again.',
      command: '{answerCommand}',
      syscall: 'write(2) to memory.max (v1: memory.limit_in_bytes)',
      async perform(ctx) {
        const { parent, a, b } = ctx.state as Record<string, Cgroup>;
        // The directories and files as they are named on this host, for the task and the hints.
        const v2 = parent.version === 2;
        Object.assign(ctx.state, { parentDir: parent.dir('memory'), aDir: a.dir('memory'), bDir: b.dir('memory'), hitsWhere: v2 ? 'the `max` line of `memory.events`' : '`memory.failcnt`' });
        const limit = join(parent.dir('memory'), v2 ? 'memory.max' : 'memory.limit_in_bytes');
        // v1 with swap limited too: memory plus swap may never be below memory, so it goes up first.
        const memsw = !v2 && ctx.state.swapLimited && parent.memorySwapLimit() !== undefined ? join(parent.dir('memory'), 'memory.memsw.limit_in_bytes') : undefined;
        ctx.state.answerCommand = `${memsw ? `echo 128M > ${memsw}; ` : ''}echo 128M > ${limit}`;
        ctx.state.limitOther = v2 ? 'on cgroup v1: memory.limit_in_bytes' : 'on cgroup v2: memory.max';
        ctx.state.answer = `\`${ctx.state.answerCommand}\`${memsw ? ' (memory plus swap first: it may never be below the memory limit)' : ''}`;
      },
      exercise: {
        task:
          'Change one memory limit so that a 48 MiB job in child **a** completes; child b keeps its 4 MiB. ' +
          'The parent is `{parentDir}`, child a `{aDir}`, child b `{bDir}`.',
        hints: [
          "Child a's own limit is already 64 MiB. Which limit did the kernel count as hit? Compare {hitsWhere} in the parent and in child a.",
          'Raise the parent\'s limit ({limitOther}): {answer}',
        ],
        shell: 'host',
        async solve(ctx) {
          const parent: Cgroup = ctx.state.parent;
          // On v1, memory+swap must stay ≥ memory: raise that one first.
          if (ctx.state.swapLimited && parent.version === 1) parent.disableSwap(RAISED);
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
          observe('the 48 MiB dd in child a, run again', 'exited with code 0', end),
          observeThat('parent: memory limit', '> 48 MiB (room for the job)', mib(limit), limit === 'max' || limit > 48 * MiB),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.busy, ctx.state.holder);
      },
    },
  ],
};

export default lab;
