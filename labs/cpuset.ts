// Lab "cpuset": the cpuset controller decides which CPUs a cgroup's processes may run on. A busy
// process is pinned to one CPU through cpuset.cpus, and the kernel's own record of where it ran
// (/proc/PID/stat field 39) shows the pin holding.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, parseCpuList, sayWrites, startIn, statField, statusField, where } from './cgroup-lab-kit.js';
import { sleep, stopAndReap } from './kit.js';

/** The CPUs a cgroup may use right now: cpuset.cpus.effective on v2, cpuset.effective_cpus on v1. */
function effectiveCpus(cg: Cgroup): string {
  const file = cg.version === 2 ? 'cpuset.cpus.effective' : 'cpuset.effective_cpus';
  return readFileSync(join(cg.dir('cpuset'), file), 'utf8').trim();
}

function cpusetCpus(cg: Cgroup): string {
  return readFileSync(join(cg.dir('cpuset'), 'cpuset.cpus'), 'utf8').trim();
}

/** Where the process last ran (field 39 of /proc/PID/stat), sampled `n` times 20 ms apart. */
async function samplePlaces(pid: number, n = 5): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await sleep(20);
    seen.push(statField(pid, 39) ?? '?');
  }
  return seen;
}

/** The observations every step makes: the cgroup's file, the process's allowed set, and where it ran. */
async function pinObservations(ctx: LabContext, cpu: number): Promise<ReturnType<typeof observe>[]> {
  const cg: Cgroup = ctx.state.cg;
  const pid: number = ctx.state.pid;
  const places = await samplePlaces(pid);
  return [
    observe(`cpuset.cpus of ${cg.name}`, cpu, cpusetCpus(cg)),
    observe(`Cpus_allowed_list in /proc/${pid}/status`, cpu, statusField(pid, 'Cpus_allowed_list')),
    observeThat(`field 39 of /proc/${pid}/stat, 5 samples`, `always ${cpu}`, places.join(' '), places.every((p) => p === String(cpu))),
  ];
}

const lab: Lab = {
  id: 'cpuset',
  title: 'cpuset: pin a process to one CPU',
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-cpuset'],
  steps: [
    {
      id: 'busy',
      title: 'Start a busy process in a cpuset cgroup',
      explain:
        'A cpuset cgroup carries a list of CPUs (and of memory nodes) its processes may run on. A new cgroup starts with its parent\'s list, so a process moved into it may still run anywhere. ' +
        'The scheduler keeps, for every process, the set it may choose from (`Cpus_allowed_list` in `/proc/PID/status`) and the CPU it last ran on (field 39 of `/proc/PID/stat`). ' +
        'An endless shell loop keeps one CPU busy, so that field always has something fresh to say.',
      command: 'mkdir /sys/fs/cgroup/nestbox/cpuset-demo; sh -c "while :; do :; done" & echo $! > /sys/fs/cgroup/nestbox/cpuset-demo/cgroup.procs   # v1: /sys/fs/cgroup/cpuset/nestbox/...',
      syscall: 'mkdir(2) in cgroupfs; posix_spawn("/bin/sh"); write(2) of the PID to cgroup.procs',
      async perform(ctx) {
        const cg = createCgroup(ctx, ['cpuset']);
        ctx.state.cg = cg;
        ctx.state.cpus = parseCpuList(effectiveCpus(cg));
        ctx.state.pid = await startIn(ctx, cg, ['/bin/sh', '-c', 'while :; do :; done'], 'busy loop for the cpuset lab');
        if (cg.version === 1) {
          // v1 starts a cpuset cgroup empty, and no process may join until both files are set.
          const read = (f: string) => readFileSync(join(cg.dir('cpuset'), f), 'utf8').trim();
          ctx.say(`cgroup v1: nestbox filled cpuset.cpus = "${read('cpuset.cpus')}" and cpuset.mems = "${read('cpuset.mems')}" from the parent (on v2 both may stay empty: empty means "the parent's")`);
        }
        sayWrites(ctx, cg);
        ctx.say(`the cgroup: ${where(cg)}`);
        ctx.say(`CPUs it may use: ${effectiveCpus(cg)} (${cg.version === 2 ? 'cpuset.cpus.effective' : 'cpuset.effective_cpus'})`);
        if (ctx.state.cpus.length < 2) ctx.say('this machine offers one CPU only: pinning still works, but there is no other CPU to move to');
        return `busy loop PID ${ctx.state.pid} runs in ${cg.name}`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const pid: number = ctx.state.pid;
        const places = await samplePlaces(pid);
        const allowed = effectiveCpus(cg);
        return [
          observeThat(`cgroup.procs of ${cg.name}`, `lists ${pid}`, cg.procs().join(' '), cg.procs().includes(pid)),
          observe(`Cpus_allowed_list in /proc/${pid}/status`, allowed, statusField(pid, 'Cpus_allowed_list')),
          observeThat(`field 39 of /proc/${pid}/stat, 5 samples`, `within ${allowed}`, places.join(' '), places.every((p) => ctx.state.cpus.includes(Number(p)))),
        ];
      },
    },
    {
      id: 'pin',
      title: 'Pin it to one CPU',
      explain:
        'Writing a CPU list to `cpuset.cpus` narrows the set for every process in the cgroup at once; the kernel migrates a running process straight away. ' +
        'This is how `docker run --cpuset-cpus` works. The file has the same name on both cgroup versions; v1 also wants `cpuset.mems` set before any process may join, which nestbox copies from the parent.',
      command: 'echo 1 > /sys/fs/cgroup/nestbox/cpuset-demo/cpuset.cpus; grep Cpus_allowed_list /proc/PID/status; cut -d" " -f39 /proc/PID/stat',
      syscall: 'write(2) "1" to cpuset.cpus (the kernel calls set_cpus_allowed_ptr() for each task)',
      async perform(ctx) {
        const cpus: number[] = ctx.state.cpus;
        ctx.state.pinned = cpus[cpus.length - 1];
        ctx.state.other = cpus[0];
        ctx.state.cg.setCpuset(String(ctx.state.pinned));
        ctx.state.cpusFile = join(ctx.state.cg.dir('cpuset'), 'cpuset.cpus'); // the file the exercise names
        sayWrites(ctx, ctx.state.cg);
        return `PID ${ctx.state.pid} may now run on CPU ${ctx.state.pinned} only`;
      },
      async verify(ctx) {
        return pinObservations(ctx, ctx.state.pinned);
      },
    },
    {
      id: 'exercise',
      title: 'Move it to the other CPU',
      explain:
        'The cgroup is the ceiling: a process may narrow its own set with `sched_setaffinity()` (`taskset`), but only within the CPUs its cpuset allows. To move the whole group elsewhere you change the cgroup.',
      command: 'echo {other} > {cpusFile}',
      syscall: 'write(2) "0" to cpuset.cpus',
      exercise: {
        task:
          'Pin the busy process PID to the **other** CPU, CPU {other} (the lowest-numbered one), by changing its cgroup, whose CPU list is `{cpusFile}` (cpuset.cpus on cgroup v1 and v2 alike).',
        hints: [
          '`taskset -p -c {other} PID` fails with "Invalid argument": the affinity you ask for must overlap the cpuset, and the cpuset allows one CPU only. Change the cgroup instead.',
          'The cgroup\'s list of CPUs is the file `cpuset.cpus`; writing it moves every process of the cgroup at once.',
          '`echo {other} > {cpusFile}`',
        ],
        shell: 'host',
        async solve(ctx) {
          ctx.state.cg.setCpuset(String(ctx.state.other));
          sayWrites(ctx, ctx.state.cg);
        },
        async mistake(ctx) {
          // The per-process knob: sched_setaffinity() is intersected with the cpuset, and an empty
          // intersection is refused with EINVAL, so the process stays where the cgroup put it.
          const r = await ctx.exec('taskset', ['-p', '-c', String(ctx.state.other), String(ctx.state.pid)]);
          ctx.say(`taskset -p -c ${ctx.state.other} ${ctx.state.pid}: ${(r.stderr || r.stdout).trim().split('\n').pop()} (exit ${r.code})`);
        },
      },
      async verify(ctx) {
        return pinObservations(ctx, ctx.state.other);
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.pid);
      },
    },
  ],
};

export default lab;
