// Lab "cpu": CPU bandwidth (a quota of CPU time per period) and CPU weights (shares), each measured
// from the kernel's own accounting: a busy loop's CPU time divided by wall time comes out at the
// quota, and two loops fighting for one CPU split it by their weights.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { Cgroup, createCgroup as makeCgroup, sharesToWeight } from '../src/kernel/cgroup.js';
import { parseCpus, parseCpuShares } from '../src/limits/parse.js';
import { pick } from '../src/i18n/lang.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites, parseCpuList } from './cgroup-lab-kit.js';
import { sleep } from './kit.js';
import { startHeld, bothNames, Held } from './cgroup-held.js';

const BUSY = ['/bin/sh', '-c', 'while :; do :; done'];
/** A measurement passes within 10% of the value set. */
const TOLERANCE = 0.1;
const MEASURE_MS = 2000;

export interface Measurement { percent: number; usageUs: number; wallUs: number }

/** CPU time the cgroup used over `ms` of wall time, in percent of one CPU (from cpuacct.usage / cpu.stat usage_usec). */
async function measure(cgs: Cgroup[], ms: number): Promise<Measurement[]> {
  const u0 = cgs.map((cg) => cg.cpuUsageUsec());
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const u1 = cgs.map((cg) => cg.cpuUsageUsec());
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  return cgs.map((_, i) => ({ usageUs: u1[i] - u0[i], wallUs, percent: ((u1[i] - u0[i]) / wallUs) * 100 }));
}

/** What the steps pass on: the lab's cgroup, what was measured in it, and the host's file names for the exercise's texts. */
interface CpuState {
  /** The cgroup of step 1 (half a CPU; the exercise lowers it to 20%). */
  cg: Cgroup;
  /** The busy loop's share of one CPU in the "measure" step. */
  measured: Measurement;
  /** cpu.stat nr_periods / nr_throttled over that measurement (differences, not totals). */
  throttled: { periods: number; throttled: number };
  /** The two groups of the "weights" step: shares 1024, then 512. */
  weightGroups: Cgroup[];
  /** The weights step's measurement: each group's CPU time, the ratio expected, and the CPU both loops were pinned to. */
  weightRun: { hi: Measurement; lo: Measurement; expected: number; cpu: number };
  /** The quota's file on this host ({quotaFile} in the task). */
  quotaFile: string;
  /** Which cgroup version that is, and how the other one names it ({quotaOther}). */
  quotaOther: string;
  /** The reference answer's command on this host ({answerCommand}). */
  answerCommand: string;
}

const within = (measured: number, set: number) => Math.abs(measured / set - 1) <= TOLERANCE;

/**
 * Run a busy loop in the cgroup and measure its share of one CPU against `setPercent`. Other
 * programs on the machine can only take CPU time away from the loop (the quota caps it from
 * above), so a low reading may be noise and is measured once more; a reading far above the
 * quota is not noise and stands.
 */
async function measureLoop(ctx: LabContext<CpuState>, cg: Cgroup, setPercent: number, name: string): Promise<{ m: Measurement; tries: number }> {
  const loop = await startHeld(ctx, cg, BUSY, name);
  try {
    loop.release();
    await sleep(50); // let it start: the shell execs, the first period begins
    let m = (await measure([cg], MEASURE_MS))[0];
    let tries = 1;
    if (!within(m.percent, setPercent) && m.percent < setPercent * 1.5) {
      ctx.say(t(`measured ${m.percent.toFixed(1)}%, outside 10% of ${setPercent}%: the machine may be busy, measuring once more`,
        `测得 ${m.percent.toFixed(1)}%，和 ${setPercent}% 相差超过 10%：机器可能正忙，再测一次`));
      m = (await measure([cg], MEASURE_MS))[0];
      tries = 2;
    }
    return { m, tries };
  } finally {
    await loop.stop();
  }
}

function quotaFiles(cg: Cgroup): string {
  return bothNames(cg, 'cpuMax');
}

function quotaText(cg: Cgroup): string {
  const { quota, period } = cg.cpuMax();
  return `${quota} ${period}`;
}

/** The first CPU this process may run on (its affinity may exclude CPU 0). */
function firstCpu(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  return parseCpuList(line?.split(':')[1] ?? '0')[0] ?? 0;
}

/** "no processes" in cgroup.procs. */
const NONE = t('(none)', '（无）');

const lab: Lab<CpuState> = {
  id: 'cpu',
  title: t('cpu: a CPU quota, measured, and weights between groups', 'cpu：实测 CPU 配额，以及组与组之间的权重'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-cpu'],
  steps: [
    {
      id: 'quota',
      title: t('Create a cgroup with half a CPU', '创建一个只有半个 CPU 的控制组'),
      explain: t(
        'CPU bandwidth control gives a cgroup a *quota* of CPU time in every *period*: 50 000 µs every 100 000 µs is half a CPU (Docker\'s `--cpus 0.5`). ' +
        'The quota counts the time of all its threads on all CPUs together; once it is spent, the kernel takes the group\'s threads off the CPU (throttles them) until the next period begins. ' +
        'v2 writes both numbers into one file, `cpu.max` ("max" means no limit); v1 has `cpu.cfs_quota_us` (-1: no limit) and `cpu.cfs_period_us`. ' +
        'On v1 the CPU time used is counted by a separate controller, `cpuacct`; v2 counts it in `cpu.stat` of every cgroup.',
        'CPU 带宽控制给控制组一份*配额*，规定每个*周期*里它能用多少 CPU 时间：每 100 000 µs 用 50 000 µs，就是半个 CPU（Docker 的 `--cpus 0.5`）。' +
        '配额把组里所有线程在所有 CPU 上用掉的时间加在一起算；一旦用完，内核就让组里的线程离开 CPU（也就是限流），直到下一个周期开始。' +
        'v2 把两个数写进同一个文件 `cpu.max`（“max” 表示不限）；v1 用的是 `cpu.cfs_quota_us`（-1 表示不限）和 `cpu.cfs_period_us`。' +
        '在 v1 上，用掉的 CPU 时间由另一个控制器 `cpuacct` 统计；v2 则在每个控制组的 `cpu.stat` 里统计。',
      ),
      command: 'mkdir /sys/fs/cgroup/nestbox/cpu-lab; echo "50000 100000" > /sys/fs/cgroup/nestbox/cpu-lab/cpu.max   # v1: echo 50000 > /sys/fs/cgroup/cpu/nestbox/cpu-lab/cpu.cfs_quota_us',
      syscall: t('mkdir(2) in cgroupfs; write(2) "50000 100000" to cpu.max (v1: cpu.cfs_period_us, then cpu.cfs_quota_us)',
        '在 cgroupfs 里 mkdir(2)；write(2) 把 "50000 100000" 写进 cpu.max（v1：先写 cpu.cfs_period_us，再写 cpu.cfs_quota_us）'),
      async perform(ctx) {
        const { quotaUs, periodUs } = parseCpus('0.5');
        // cpuacct: on v1 CPU time is accounted in its own tree; on v2 it is part of every cgroup.
        const cg = createCgroup(ctx, ['cpu', 'cpuacct']);
        ctx.state.cg = cg;
        cg.setCpuMax(quotaUs, periodUs);
        sayWrites(ctx, cg);
        return t(`created ${cg.allDirs().join(' and ')} (cgroup v${cg.version}, host layout ${cg.layout.mode}): ${quotaUs} µs of CPU every ${periodUs} µs`,
          `创建了 ${cg.allDirs().join(' 和 ')}（cgroup v${cg.version}，宿主机的布局：${cg.layout.mode}）：每 ${periodUs} µs 可用 ${quotaUs} µs 的 CPU 时间`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        return [observe(quotaFiles(cg), '50000 100000', quotaText(cg)), observe(t('processes in cgroup.procs', 'cgroup.procs 里的进程'), NONE, cg.procs().join(' ') || NONE)];
      },
    },
    {
      id: 'measure',
      title: t('Run a busy loop in it and measure', '在里面跑一个忙循环，测一测'),
      explain: t(
        'A shell loop that never sleeps would take a whole CPU. Inside the cgroup it runs 50 ms, is throttled for the remaining 50 ms of the period, and runs again. ' +
        'Its CPU time is read from the kernel twice, two seconds apart (`cpuacct.usage` on v1, `usage_usec` in `cpu.stat` on v2): CPU time divided by wall time is its share of one CPU. ' +
        '`cpu.stat` also counts the periods in which the group ran out of quota (`nr_throttled`).',
        '一个从不睡眠的 shell 循环本来会占满一整个 CPU。在这个控制组里，它跑 50 ms，在这个周期剩下的 50 ms 里被限流，然后再接着跑。' +
        '它用掉的 CPU 时间要从内核读两次，中间隔两秒（v1 读 `cpuacct.usage`，v2 读 `cpu.stat` 里的 `usage_usec`）：CPU 时间除以实际流逝的时间（墙钟时间），就是它占一个 CPU 的比例。' +
        '`cpu.stat` 还记录了组用完配额的周期数（`nr_throttled`）。',
      ),
      command: `sh -c 'echo $$ > /sys/fs/cgroup/nestbox/cpu-lab/cgroup.procs; while :; do :; done' & grep usage_usec /sys/fs/cgroup/nestbox/cpu-lab/cpu.stat; sleep 2; grep usage_usec /sys/fs/cgroup/nestbox/cpu-lab/cpu.stat; kill $!`,
      syscall: t('read(2) of cpu.stat (v1: cpuacct.usage) before and after; clock_gettime(CLOCK_MONOTONIC)',
        '前后各 read(2) 一次 cpu.stat（v1 是 cpuacct.usage）；clock_gettime(CLOCK_MONOTONIC)'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const before = cg.cpuThrottling();
        const { m, tries } = await measureLoop(ctx, cg, 50, 'busy-50');
        const after = cg.cpuThrottling();
        ctx.state.measured = m;
        ctx.state.throttled = { periods: after.periods - before.periods, throttled: after.throttled - before.throttled };
        ctx.say(t(`CPU time ${(m.usageUs / 1000).toFixed(0)} ms in ${(m.wallUs / 1000).toFixed(0)} ms of wall time${tries > 1 ? ' (second measurement)' : ''}`,
          `${(m.wallUs / 1000).toFixed(0)} ms 墙钟时间里用了 ${(m.usageUs / 1000).toFixed(0)} ms CPU 时间${tries > 1 ? '（第二次测量）' : ''}`));
        return t(`the loop got ${m.percent.toFixed(1)}% of one CPU; set: 50%`, `忙循环得到了一个 CPU 的 ${m.percent.toFixed(1)}%；设定值：50%`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const m = ctx.state.measured;
        const thr = ctx.state.throttled;
        const usage = bothNames(cg, 'cpuUsage');
        return [
          observeThat(t(`CPU time / wall time (${usage})`, `CPU 时间 / 墙钟时间（${usage}）`), t('50% of one CPU, ±10%', '一个 CPU 的 50%，±10%'),
            t(`${m.percent.toFixed(1)}% of one CPU (set 50%)`, `一个 CPU 的 ${m.percent.toFixed(1)}%（设定 50%）`), within(m.percent, 50)),
          observeThat(t('periods throttled (cpu.stat nr_throttled / nr_periods)', '被限流的周期（cpu.stat nr_throttled / nr_periods）'), t('some: the quota ran out', '有一些：配额用完了'),
            t(`${thr.throttled} of ${thr.periods}`, `${thr.periods} 个里有 ${thr.throttled} 个`), thr.throttled > 0),
        ];
      },
    },
    {
      id: 'weights',
      title: t('Two groups on one CPU: weights 1024 and 512', '两个组争一个 CPU：权重 1024 和 512'),
      explain: t(
        'A weight does not limit anything while a CPU is free: it only says how to share a CPU that several groups want at the same time. ' +
        'Two busy loops are pinned to the same CPU with `taskset`, one in a group with the default weight, one with half of it; the scheduler gives them CPU time in proportion, about 2 : 1. ' +
        'v1 calls it `cpu.shares` (default 1024); v2 `cpu.weight` (1 to 10000, default 100). On v2 nestbox converts shares with the linear formula runc used before version 1.3.2, which turns 1024 into 39 and 512 into 20 (newer runc and crun use a curve that turns 1024 into about 100). ' +
        'Only the ratio between groups that compete matters, and it survives the conversion.',
        'CPU 有空闲时，权重什么也不限制：它只规定几个组同时想用同一个 CPU 时怎么分。' +
        '用 `taskset` 把两个忙循环钉在同一个 CPU 上，一个放进默认权重的组，另一个放进权重只有一半的组；调度器按比例分给它们 CPU 时间，大约 2 : 1。' +
        'v1 把权重叫作 `cpu.shares`（默认 1024）；v2 叫 `cpu.weight`（1 到 10000，默认 100）。在 v2 上，nestbox 用 runc 1.3.2 之前的线性公式换算 shares，它把 1024 换成 39，把 512 换成 20（更新的 runc 和 crun 用一条曲线，把 1024 换成 100 左右）。' +
        '要紧的只是相互争用的组之间的比例，而这个比例经过换算依然保留。',
      ),
      command: t(`echo 1024 > .../cpuweight-hi/cpu.shares; echo 512 > .../cpuweight-lo/cpu.shares; taskset -c 0 sh -c 'echo $$ > .../cpuweight-hi/cgroup.procs; while :; do :; done' &   # and the same for cpuweight-lo; v2: cpu.weight 39 and 20`,
        `echo 1024 > .../cpuweight-hi/cpu.shares; echo 512 > .../cpuweight-lo/cpu.shares; taskset -c 0 sh -c 'echo $$ > .../cpuweight-hi/cgroup.procs; while :; do :; done' &   # cpuweight-lo 也照样做一遍；v2 上是 cpu.weight 39 和 20`),
      syscall: t('write(2) to cpu.shares (v2: cpu.weight); sched_setaffinity(2) (taskset); read(2) of cpuacct.usage (v2: cpu.stat)',
        'write(2) 写 cpu.shares（v2 是 cpu.weight）；sched_setaffinity(2)（也就是 taskset）；read(2) 读 cpuacct.usage（v2 是 cpu.stat）'),
      async perform(ctx) {
        const cpu = firstCpu();
        const groups: Cgroup[] = [];
        for (const [name, shares] of [['hi', '1024'], ['lo', '512']]) {
          const cg = makeCgroup(`cpuweight-${ctx.unique}-${name}`, ['cpu', 'cpuacct']);
          ctx.ledger.record({ kind: 'cgroup', dirs: cg.allDirs() });
          cg.setCpuShares(parseCpuShares(shares));
          sayWrites(ctx, cg);
          groups.push(cg);
        }
        ctx.state.weightGroups = groups;
        const loops: Held[] = [];
        try {
          for (const [i, cg] of groups.entries()) loops.push(await startHeld(ctx, cg, ['/usr/bin/taskset', '-c', String(cpu), ...BUSY], `busy-${i ? 'lo' : 'hi'}`));
          for (const loop of loops) loop.release();
          await sleep(100);
          const expected = groups[0].cpuWeight() / groups[1].cpuWeight();
          let [hi, lo] = await measure(groups, 1500);
          if (!within(hi.usageUs / lo.usageUs, expected)) {
            ctx.say(t(`ratio ${(hi.usageUs / lo.usageUs).toFixed(2)}, outside 10% of ${expected.toFixed(2)}: measuring once more`,
              `比例是 ${(hi.usageUs / lo.usageUs).toFixed(2)}，和 ${expected.toFixed(2)} 相差超过 10%：再测一次`));
            [hi, lo] = await measure(groups, 1500);
          }
          ctx.state.weightRun = { hi, lo, expected, cpu };
        } finally {
          for (const loop of loops) await loop.stop();
        }
        const { hi, lo } = ctx.state.weightRun;
        return t(`on CPU ${cpu}: ${(hi.usageUs / 1000).toFixed(0)} ms for the 1024 group, ${(lo.usageUs / 1000).toFixed(0)} ms for the 512 group`,
          `在 CPU ${cpu} 上：权重 1024 的组得到 ${(hi.usageUs / 1000).toFixed(0)} ms，权重 512 的组得到 ${(lo.usageUs / 1000).toFixed(0)} ms`);
      },
      async verify(ctx) {
        const [hiCg, loCg]: Cgroup[] = ctx.state.weightGroups;
        const { hi, lo, expected } = ctx.state.weightRun;
        const ratio = hi.usageUs / lo.usageUs;
        const weightName = bothNames(hiCg, 'cpuWeight');
        return [
          // The weights were given as v1 shares, 1024 and 512; v2 stores them converted (cpu.weight 39 and 20).
          observe(t(`${weightName} of the first group`, `第一个组的 ${weightName}`), hiCg.version === 2 ? sharesToWeight(1024) : 1024, hiCg.cpuWeight()),
          observe(t(`${weightName} of the second group`, `第二个组的 ${weightName}`), loCg.version === 2 ? sharesToWeight(512) : 512, loCg.cpuWeight()),
          observeThat(t('CPU time, first group : second group', 'CPU 时间，第一个组 : 第二个组'), t(`${expected.toFixed(2)} : 1, ±10%`, `${expected.toFixed(2)} : 1，±10%`),
            t(`${ratio.toFixed(2)} : 1 (${(hi.usageUs / 1000).toFixed(0)} ms and ${(lo.usageUs / 1000).toFixed(0)} ms)`, `${ratio.toFixed(2)} : 1（${(hi.usageUs / 1000).toFixed(0)} ms 和 ${(lo.usageUs / 1000).toFixed(0)} ms）`), within(ratio, expected)),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Set a quota of 20%', '设一个 20% 的配额'),
      explain: t(
        'Now you set the quota of the cgroup of step 1. Quota and period are both in microseconds; the share of a CPU is quota divided by period. ' +
        'The check starts a busy loop in the group and measures it for two seconds, as before.',
        '现在由你来设置第 1 步那个控制组的配额。配额和周期的单位都是微秒；配额除以周期，就是它能用一个 CPU 的多少。' +
        '检查时和前面一样，在组里启动一个忙循环，测量两秒。',
      ),
      command: '{answerCommand}',
      syscall: t('write(2) to cpu.max (v1: cpu.cfs_quota_us)', 'write(2) 写 cpu.max（v1 是 cpu.cfs_quota_us）'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        // The file as it is named on this host, for the task and the hints: the versions differ in
        // shape (v2 one line with both numbers, v1 a file per number), so each has its own answer.
        if (cg.version === 2) {
          ctx.state.quotaFile = join(cg.dir('cpu'), 'cpu.max');
          // The task's placeholders are filled with strings: in this run's language.
          ctx.state.quotaOther = pick('cgroup v2: quota and period on one line; on v1 the quota has a file of its own, cpu.cfs_quota_us',
            'cgroup v2：配额和周期写在同一行；在 v1 上，配额有自己单独的文件 cpu.cfs_quota_us');
          ctx.state.answerCommand = `echo "20000 100000" > ${ctx.state.quotaFile}`;
        } else {
          ctx.state.quotaFile = join(cg.dir('cpu'), 'cpu.cfs_quota_us');
          ctx.state.quotaOther = pick('cgroup v1: the quota alone, the period stays 100000 µs in cpu.cfs_period_us; on v2 both are in cpu.max',
            'cgroup v1：这里只有配额，周期仍是 cpu.cfs_period_us 里的 100000 µs；在 v2 上，两者都在 cpu.max 里');
          ctx.state.answerCommand = `echo 20000 > ${ctx.state.quotaFile}`;
        }
      },
      exercise: {
        task: t(
          'Limit the lab cgroup (now at 50%) to **20%** of one CPU, from a shell on the host. ' +
          'On this host the file is `{quotaFile}` ({quotaOther}).',
          '在宿主机的 shell 里，把实验控制组（现在是 50%）限制到一个 CPU 的 **20%**。' +
          '在这台宿主机上，要改的文件是 `{quotaFile}`（{quotaOther}）。',
        ),
        hints: [
          t('20% is 20 ms of CPU time in every 100 ms period: quota 20000, period 100000.', '20% 就是每 100 ms 的周期里有 20 ms 的 CPU 时间：配额 20000，周期 100000。'),
          t('Changing the period while the quota stays 50000 gives the group *more* CPU: 50000 every 20000 µs is 2.5 CPUs. Change the quota.',
            '配额还是 50000 时去改周期，组反而会得到*更多* CPU：每 20000 µs 用 50000 µs，就是 2.5 个 CPU。要改的是配额。'),
          t('On this host: `{answerCommand}`.', '在这台宿主机上：`{answerCommand}`。'),
        ],
        shell: 'host',
        async solve(ctx) {
          const { quotaUs, periodUs } = parseCpus('0.2');
          ctx.state.cg.setCpuMax(quotaUs, periodUs);
          sayWrites(ctx, ctx.state.cg);
        },
        async mistake(ctx) {
          // The period written instead of the quota: 50000 µs every 20000 µs.
          ctx.state.cg.setCpuMax(50000, 20000);
          sayWrites(ctx, ctx.state.cg);
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const { quota, period } = cg.cpuMax();
        const set = quota === 'max' ? t('no limit', '不限') : t(`${((quota / period) * 100).toFixed(1)}%`, `${((quota / period) * 100).toFixed(1)}%`);
        const { m } = await measureLoop(ctx, cg, 20, 'busy-20');
        return [
          observeThat(quotaFiles(cg), t('quota / period = 20%', '配额 / 周期 = 20%'), t(`${quota} ${period} (${set.en})`, `${quota} ${period}（${set.zh}）`), quota !== 'max' && Math.abs(quota / period - 0.2) < 0.005),
          observeThat(t('busy loop: CPU time / wall time', '忙循环：CPU 时间 / 墙钟时间'), t('20% of one CPU, ±10%', '一个 CPU 的 20%，±10%'),
            t(`${m.percent.toFixed(1)}% of one CPU`, `一个 CPU 的 ${m.percent.toFixed(1)}%`), within(m.percent, 20)),
        ];
      },
    },
  ],
};

export default lab;
