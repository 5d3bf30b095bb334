// Lab "cpuset": the cpuset controller decides which CPUs a cgroup's processes may run on. A busy
// process is pinned to one CPU through cpuset.cpus, and the kernel's own record of where it ran
// (/proc/PID/stat field 39) shows the pin holding.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, parseCpuList, sayWrites, startIn, statField, statusField, whereText } from './cgroup-lab-kit.js';
import { sleep, stopAndReap } from './kit.js';

/** What the steps pass on: the cgroup, its busy process, and the CPUs it is pinned to. */
interface CpusetState {
  cg: Cgroup;
  /** The CPUs the new cgroup could use (its effective list when created). */
  cpus: number[];
  /** Host PID of the busy loop inside the cgroup. */
  pid: number;
  /** The CPU the "pin" step pins it to: the highest-numbered one. */
  pinned: number;
  /** The CPU the exercise moves it to ({other} in the task): the lowest-numbered one. */
  other: number;
  /** The cgroup's cpuset.cpus on this host ({cpusFile} in the task). */
  cpusFile: string;
}

/** The CPUs a cgroup may use right now: cpuset.cpus.effective on v2, cpuset.effective_cpus on v1. */
const effectiveCpus = (cg: Cgroup) => cg.cpusetEffective();

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
async function pinObservations(ctx: LabContext<CpusetState>, cpu: number): Promise<ReturnType<typeof observe>[]> {
  const cg: Cgroup = ctx.state.cg;
  const pid: number = ctx.state.pid;
  const places = await samplePlaces(pid);
  return [
    observe(t(`cpuset.cpus of ${cg.name}`, `${cg.name} 的 cpuset.cpus`), cpu, cpusetCpus(cg)),
    observe(t(`Cpus_allowed_list in /proc/${pid}/status`, `/proc/${pid}/status 里的 Cpus_allowed_list`), cpu, statusField(pid, 'Cpus_allowed_list')),
    observeThat(t(`field 39 of /proc/${pid}/stat, 5 samples`, `/proc/${pid}/stat 的第 39 个字段，采样 5 次`), t(`always ${cpu}`, `始终是 ${cpu}`), places.join(' '), places.every((p) => p === String(cpu))),
  ];
}

const lab: Lab<CpusetState> = {
  id: 'cpuset',
  title: t('cpuset: pin a process to one CPU', 'cpuset：把进程钉在一个 CPU 上'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-cpuset'],
  steps: [
    {
      id: 'busy',
      title: t('Start a busy process in a cpuset cgroup', '在 cpuset 控制组里启动一个忙碌的进程'),
      explain: t(
        'A cpuset cgroup carries a list of CPUs (and of memory nodes) its processes may run on. ' +
        'A new cgroup uses its parent\'s list (on v2 an empty `cpuset.cpus` means just that; on v1 a new cgroup starts with no CPUs at all, and nestbox copies the parent\'s list into it), so a process moved into it may still run anywhere. ' +
        'The scheduler keeps, for every process, the set it may choose from (`Cpus_allowed_list` in `/proc/PID/status`) and the CPU it last ran on (field 39 of `/proc/PID/stat`). ' +
        'An endless shell loop keeps one CPU busy, so that field always has something fresh to say.',
        'cpuset 控制组带着一份 CPU 列表（还有一份内存节点列表），组里的进程只能在这些 CPU 上运行。' +
        '新建的控制组用的是父组的列表（在 v2 上，`cpuset.cpus` 为空就是这个意思；在 v1 上，新控制组一开始一个 CPU 也没有，nestbox 会把父组的列表复制进去），所以移进来的进程仍然可以在任何 CPU 上运行。' +
        '调度器为每个进程记着两样东西：它可以挑选的 CPU 集合（`/proc/PID/status` 里的 `Cpus_allowed_list`），以及它上一次运行所在的 CPU（`/proc/PID/stat` 的第 39 个字段）。' +
        '一个无限循环的 shell 让一个 CPU 一直忙着，这样那个字段总有新鲜的内容可看。',
      ),
      command: 'mkdir /sys/fs/cgroup/nestbox/cpuset-demo; sh -c "while :; do :; done" & echo $! > /sys/fs/cgroup/nestbox/cpuset-demo/cgroup.procs   # v1: /sys/fs/cgroup/cpuset/nestbox/...',
      syscall: t('mkdir(2) in cgroupfs; posix_spawn("/bin/sh"); write(2) of the PID to cgroup.procs',
        '在 cgroupfs 里 mkdir(2)；posix_spawn("/bin/sh")；write(2) 把 PID 写进 cgroup.procs'),
      async perform(ctx) {
        const cg = createCgroup(ctx, ['cpuset']);
        ctx.state.cg = cg;
        ctx.state.cpus = parseCpuList(effectiveCpus(cg));
        ctx.state.pid = await startIn(ctx, cg, ['/bin/sh', '-c', 'while :; do :; done'], 'busy loop for the cpuset lab');
        // v1 starts a cpuset cgroup empty, and no process may join until both files are set: nestbox
        // filled them, and the lab says so (v2 has nothing to say here).
        if (cg.version === 1) {
          const read = (f: string) => readFileSync(join(cg.dir('cpuset'), f), 'utf8').trim();
          const [cpus, mems] = [read('cpuset.cpus'), read('cpuset.mems')];
          ctx.say(t(`cgroup v1: nestbox filled cpuset.cpus = "${cpus}" and cpuset.mems = "${mems}" from the parent (on v2 both may stay empty: empty means "the parent's")`,
            `cgroup v1：nestbox 从父组复制了 cpuset.cpus = "${cpus}" 和 cpuset.mems = "${mems}"（在 v2 上两者都可以留空：空就表示“用父组的”）`));
        }
        sayWrites(ctx, cg);
        const where = whereText(cg);
        ctx.say(t(`the cgroup: ${where.en}`, `控制组：${where.zh}`));
        const file = cg.file('cpusetEffective');
        ctx.say(t(`CPUs it may use: ${effectiveCpus(cg)} (${file})`, `它可以用的 CPU：${effectiveCpus(cg)}（${file}）`));
        if (ctx.state.cpus.length < 2) ctx.say(t('this machine offers one CPU only: pinning still works, but there is no other CPU to move to', '这台机器只有一个 CPU：钉住照样有效，只是没有别的 CPU 可以挪过去'));
        return t(`busy loop PID ${ctx.state.pid} runs in ${cg.name}`, `忙循环 PID ${ctx.state.pid} 在 ${cg.name} 里运行`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const pid: number = ctx.state.pid;
        const places = await samplePlaces(pid);
        const allowed = effectiveCpus(cg);
        return [
          observeThat(t(`cgroup.procs of ${cg.name}`, `${cg.name} 的 cgroup.procs`), t(`lists ${pid}`, `列出 ${pid}`), cg.procs().join(' '), cg.procs().includes(pid)),
          observe(t(`Cpus_allowed_list in /proc/${pid}/status`, `/proc/${pid}/status 里的 Cpus_allowed_list`), allowed, statusField(pid, 'Cpus_allowed_list')),
          observeThat(t(`field 39 of /proc/${pid}/stat, 5 samples`, `/proc/${pid}/stat 的第 39 个字段，采样 5 次`), t(`within ${allowed}`, `都在 ${allowed} 之内`), places.join(' '), places.every((p) => ctx.state.cpus.includes(Number(p)))),
        ];
      },
    },
    {
      id: 'pin',
      title: t('Pin it to one CPU', '把它钉在一个 CPU 上'),
      explain: t(
        'Writing a CPU list to `cpuset.cpus` narrows the set for every process in the cgroup at once; the kernel migrates a running process straight away. ' +
        'This is how `docker run --cpuset-cpus` works. The file has the same name on both cgroup versions; v1 also wants `cpuset.mems` set before any process may join, which nestbox copies from the parent.',
        '往 `cpuset.cpus` 里写一个 CPU 列表，组里每个进程的可选集合会一下子全部缩小；正在运行的进程会被内核立刻迁移过去。' +
        '`docker run --cpuset-cpus` 就是这样实现的。这个文件在两个 cgroup 版本里同名；v1 还要求先设好 `cpuset.mems`，进程才能加入，nestbox 从父组复制了它。',
      ),
      command: 'echo 1 > /sys/fs/cgroup/nestbox/cpuset-demo/cpuset.cpus; grep Cpus_allowed_list /proc/PID/status; cut -d" " -f39 /proc/PID/stat',
      syscall: t('write(2) "1" to cpuset.cpus (the kernel calls set_cpus_allowed_ptr() for each task)',
        'write(2) 把 "1" 写进 cpuset.cpus（内核随即对组里的每个任务调用 set_cpus_allowed_ptr()）'),
      async perform(ctx) {
        const cpus: number[] = ctx.state.cpus;
        ctx.state.pinned = cpus[cpus.length - 1];
        ctx.state.other = cpus[0];
        ctx.state.cg.setCpuset(String(ctx.state.pinned));
        ctx.state.cpusFile = join(ctx.state.cg.dir('cpuset'), 'cpuset.cpus'); // the file the exercise names
        sayWrites(ctx, ctx.state.cg);
        return t(`PID ${ctx.state.pid} may now run on CPU ${ctx.state.pinned} only`, `PID ${ctx.state.pid} 现在只能在 CPU ${ctx.state.pinned} 上运行`);
      },
      async verify(ctx) {
        return pinObservations(ctx, ctx.state.pinned);
      },
    },
    {
      id: 'exercise',
      title: t('Move it to the other CPU', '把它挪到另一个 CPU 上'),
      explain: t(
        'The cgroup is the ceiling: a process may narrow its own set with `sched_setaffinity()` (`taskset`), but only within the CPUs its cpuset allows. To move the whole group elsewhere you change the cgroup.',
        '控制组是天花板：进程可以用 `sched_setaffinity()`（`taskset`）缩小自己的集合，但只能在它的 cpuset 允许的 CPU 范围之内。要把整个组挪到别处，得改控制组。',
      ),
      command: 'echo {other} > {cpusFile}',
      syscall: t('write(2) "0" to cpuset.cpus', 'write(2) 把 "0" 写进 cpuset.cpus'),
      exercise: {
        task: t(
          'Pin the busy process PID to the **other** CPU, CPU {other} (the lowest-numbered one), by changing its cgroup, whose CPU list is `{cpusFile}` (cpuset.cpus on cgroup v1 and v2 alike).',
          '通过修改控制组，把忙碌的进程 PID 钉到**另一个** CPU 上，也就是 CPU {other}（编号最小的那个）。这个控制组的 CPU 列表是 `{cpusFile}`（在 cgroup v1 和 v2 上都叫 cpuset.cpus）。',
        ),
        hints: [
          t('`taskset -p -c {other} PID` fails with "Invalid argument": the affinity you ask for must overlap the cpuset, and the cpuset allows one CPU only. Change the cgroup instead.',
            '`taskset -p -c {other} PID` 会失败，报 "Invalid argument"：你要求的 CPU 亲和性（affinity）必须和 cpuset 有交集，而这个 cpuset 只允许一个 CPU。改控制组才行。'),
          t('The cgroup\'s list of CPUs is the file `cpuset.cpus`; writing it moves every process of the cgroup at once.', '控制组的 CPU 列表就是文件 `cpuset.cpus`；写这个文件，组里所有进程会一起挪过去。'),
          t('`echo {other} > {cpusFile}`', '参考答案：`echo {other} > {cpusFile}`'),
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
          const said = `taskset -p -c ${ctx.state.other} ${ctx.state.pid}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
          ctx.say(t(`${said} (exit ${r.code})`, `${said}（退出码 ${r.code}）`));
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
