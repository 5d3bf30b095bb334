// Lab "pids": the pids controller caps how many processes (and threads) a cgroup may hold. A fork
// bomb started inside a cgroup with pids.max 20 hits the cap, its forks fail, the host does not
// notice, and the whole cgroup is killed. The file names are the same on cgroup v1 and v2.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import type { ExitStatus } from '../src/kernel/spawn.js';
import { listPids } from '../src/kernel/proc.js';
import { parsePidsLimit } from '../src/limits/parse.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites } from './cgroup-lab-kit.js';
import { sleep } from './kit.js';
import { startHeld, exitShown, until } from './cgroup-held.js';

/** What the steps pass on: the lab's cgroup, what the fork bomb did, and the file the exercise names. */
interface PidsState {
  cg: Cgroup;
  /** Rounds of SIGKILL it took to empty the cgroup after the bomb. */
  killRounds: number;
  /** Whether pids.current read 0 again after the kill (orphans collected by PID 1). */
  emptied: boolean;
  /** Milliseconds from the first kill to the cgroup being empty (or giving up). */
  stopMs: number;
  /** The bomb's run: pids.current samples, forks refused (pids.events max), and the host's process count before and at its highest. */
  bomb: { samples: number[]; refused: number; hostBefore: number; hostPeak: number };
  /** The cgroup's pids.max on this host ({pidsMaxFile} in the task). */
  pidsMaxFile: string;
}

const LIMIT = '20';
/** A shell function that starts two copies of itself in the background, forever. */
const BOMB = 'f(){ f|f& }; f';
/** The job of the exercise: one shell and the five sleeps it starts, six processes at its busiest. */
const JOB = 'for i in 1 2 3 4 5; do sleep 0.3 & done; wait';
const JOB_NEEDS = 6;
/** The bomb's own deadline, should nestbox die before it stops the bomb: timeout kills its process group. */
const BOMB_DEADLINE_S = '5';

/**
 * pids.current counts a process until its parent collects its exit status: orphans of a bomb are
 * collected by PID 1 (systemd does it at once; other inits may take a second or two).
 */
async function untilEmpty(cg: Cgroup, ms = 4000): Promise<boolean> {
  return until(() => cg.pidsCurrent() === 0, ms);
}

/**
 * Kill every process of the cgroup until none is left. On v2 cgroup.kill does it in one write and
 * stops forks racing with it; on v1 each PID listed in cgroup.procs gets SIGKILL, and a process
 * that forked between the read and the kill is caught in the next round.
 */
async function killAll(cg: Cgroup, ms = 3000): Promise<number> {
  let rounds = 0;
  const deadline = Date.now() + ms;
  while (cg.procs().length && Date.now() < deadline) {
    cg.kill();
    rounds++;
    await sleep(10);
  }
  if (cg.procs().length) {
    const left = cg.procs().join(' ');
    throw new Error(pick(`processes still in ${cg.name} after ${rounds} rounds of SIGKILL: ${left}`, `发了 ${rounds} 轮 SIGKILL 之后，${cg.name} 里还有进程：${left}`));
  }
  return rounds;
}

/** Run the exercise's job in the cgroup: its exit status, the forks refused meanwhile, and what it printed. */
async function runJob(ctx: LabContext<PidsState>, cg: Cgroup): Promise<{ exit: ExitStatus; refused: number; output: string }> {
  await untilEmpty(cg); // leftovers of an earlier run would take slots
  const before = cg.pidsRefused();
  const job = await startHeld(ctx, cg, ['/bin/sh', '-c', JOB], 'job');
  const exit = await job.wait();
  return { exit, refused: cg.pidsRefused() - before, output: job.output().trim() };
}

/** "no processes" in cgroup.procs. */
const NONE = t('(none)', '（无）');

const lab: Lab<PidsState> = {
  id: 'pids',
  title: t('pids: a fork bomb in a cage', 'pids：关进笼子的 fork 炸弹'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-pids'],
  steps: [
    {
      id: 'limit',
      title: t('Create a cgroup that may hold 20 processes', '创建一个最多容纳 20 个进程的控制组'),
      explain: t(
        'Every new process or thread takes a PID and kernel memory, and both run out for the whole machine: a fork bomb (a program that forks copies of itself that fork again) can make a host unusable, and namespaces do nothing against it. ' +
        'The pids controller counts every task of the cgroup in `pids.current` and refuses any fork or clone that would go past `pids.max`: the fork(2) fails with EAGAIN in the caller, nothing is killed. ' +
        'The files have the same names on v1 and v2; Docker\'s `--pids-limit` writes `pids.max`.',
        '每个新进程或线程都要占用一个 PID 和一些内核内存，而这两样对整台机器来说都是有限的：一个 fork 炸弹（不断 fork 出自己的副本、副本又接着 fork 的程序）就能让宿主机没法用，命名空间对它毫无办法。' +
        'pids 控制器在 `pids.current` 里统计控制组的每一个任务，凡是会让数量超过 `pids.max` 的 fork 或 clone 一律拒绝：调用者的 fork(2) 以 EAGAIN 失败，没有任何进程被杀。' +
        '这些文件在 v1 和 v2 上同名；Docker 的 `--pids-limit` 写的就是 `pids.max`。',
      ),
      command: 'mkdir /sys/fs/cgroup/nestbox/pids-lab; echo 20 > /sys/fs/cgroup/nestbox/pids-lab/pids.max   # v1: /sys/fs/cgroup/pids/nestbox/pids-lab/pids.max',
      syscall: t('mkdir(2) in cgroupfs; write(2) "20" to pids.max', '在 cgroupfs 里 mkdir(2)；write(2) 把 "20" 写进 pids.max'),
      async perform(ctx) {
        const cg = createCgroup(ctx, ['pids']);
        ctx.state.cg = cg;
        cg.setPidsMax(parsePidsLimit(LIMIT));
        sayWrites(ctx, cg);
        return t(`created ${cg.dir('pids')} (cgroup v${cg.version}, host layout ${cg.layout.mode}) with pids.max ${LIMIT}`,
          `创建了 ${cg.dir('pids')}（cgroup v${cg.version}，宿主机的布局：${cg.layout.mode}），pids.max 为 ${LIMIT}`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        return [observe(t('pids.max (same name on v1 and v2)', 'pids.max（v1 和 v2 上同名）'), LIMIT, cg.pidsMax()), observe('pids.current', 0, cg.pidsCurrent())];
      },
    },
    {
      id: 'bomb',
      title: t('Start a fork bomb inside it', '在里面启动一个 fork 炸弹'),
      explain: t(
        '`f(){ f|f& }; f` defines a shell function that starts two copies of itself in the background and returns; each copy does the same. Unchecked, the number of processes doubles at every generation. ' +
        'It starts only once pids.max is in place and the shell that runs it is in the cgroup: every process it forks is charged there from the first one. ' +
        'nestbox samples `pids.current` while it runs, reads `pids.events` (forks refused at the cap) and counts the host\'s processes, then kills the whole cgroup.',
        '`f(){ f|f& }; f` 定义了一个 shell 函数：它在后台启动自己的两个副本，然后返回；每个副本又做同样的事。不加限制的话，进程数每一代翻一番。' +
        '只有等 pids.max 设好、运行炸弹的 shell 也已经在控制组里了，炸弹才会启动：它 fork 出的每个进程，从第一个起就都记在这个控制组上。' +
        '炸弹运行期间，nestbox 对 `pids.current` 采样，读取 `pids.events`（在上限处被拒绝的 fork），并数一数宿主机上的进程，最后杀掉整个控制组。',
      ),
      command: `sh -c 'echo $$ > /sys/fs/cgroup/nestbox/pids-lab/cgroup.procs; exec timeout -s KILL 5 sh -c "f(){ f|f& }; f; exec sleep 10"' & cat /sys/fs/cgroup/nestbox/pids-lab/pids.current /sys/fs/cgroup/nestbox/pids-lab/pids.events; echo 1 > /sys/fs/cgroup/nestbox/pids-lab/cgroup.kill`,
      syscall: t('fork(2) refused with EAGAIN at pids.max; kill(2) SIGKILL to each PID in cgroup.procs (v2: write "1" to cgroup.kill)',
        '到了 pids.max，fork(2) 被拒，返回 EAGAIN；对 cgroup.procs 里的每个 PID 用 kill(2) 发 SIGKILL（v2：把 "1" 写进 cgroup.kill）'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const limit = parsePidsLimit(LIMIT);
        // Never start a bomb without its cage: the limit must read back from the kernel first.
        const max = cg.pidsMax();
        if (max !== limit) throw new Error(pick(`pids.max of ${cg.name} reads ${max}, not ${limit}: the fork bomb is not started`, `${cg.name} 的 pids.max 读出来是 ${max}，不是 ${limit}：fork 炸弹没有启动`));
        await untilEmpty(cg);
        const hostBefore = listPids().length;
        const refusedBefore = cg.pidsRefused();
        // `timeout` is a second guard: if nestbox died before stopping it, the bomb's process group
        // gets SIGKILL after a few seconds anyway. The bomb's first shell stays (as `sleep`) so that
        // timeout has something to wait for until its deadline.
        const bomb = await startHeld(ctx, cg, ['/usr/bin/timeout', '-s', 'KILL', BOMB_DEADLINE_S, '/bin/sh', '-c', `${BOMB}; exec sleep 10`], 'fork-bomb');
        const samples: number[] = [];
        let hostPeak = hostBefore;
        try {
          bomb.release();
          // Twelve samples, or more while the kernel has refused no fork yet: on a loaded machine
          // (a class's shared VM) the bomb's forks come slower, and the cap is what there is to see.
          // A sample may miss the moment pids.current touches the cap (a bomb whose forks fail can
          // also die out); pids.events counts every fork refused there, so it is the proof.
          const until = Date.now() + 3000;
          while (samples.length < 12 || (cg.pidsRefused() === refusedBefore && Date.now() < until)) {
            await sleep(40);
            samples.push(cg.pidsCurrent());
            hostPeak = Math.max(hostPeak, listPids().length);
          }
        } finally {
          // Whatever happened above, the bomb does not outlive this step.
          const t0 = Date.now();
          ctx.state.killRounds = await killAll(cg);
          await bomb.stop();
          ctx.state.emptied = await untilEmpty(cg);
          ctx.state.stopMs = Date.now() - t0;
        }
        ctx.state.bomb = { samples, refused: cg.pidsRefused() - refusedBefore, hostBefore, hostPeak };
        const failures = readFileSync(join(ctx.workDir, 'fork-bomb.log'), 'utf8').split('\n').filter((l) => /fork/i.test(l)).length;
        ctx.say(t(`the bomb's shells reported ${failures} failed forks ("Cannot fork": EAGAIN from fork)`,
          `炸弹的 shell 报告了 ${failures} 次 fork 失败（"Cannot fork"：fork 返回了 EAGAIN）`));
        // An exited process still counts until its parent collects it; the bomb's orphans belong to PID 1.
        const still = cg.pidsCurrent();
        ctx.say(ctx.state.emptied
          ? t(`killed in ${ctx.state.killRounds} round(s) of SIGKILL; pids.current read 0 after ${ctx.state.stopMs} ms, once PID 1 had collected the orphans`,
            `用 ${ctx.state.killRounds} 轮 SIGKILL 杀光；${ctx.state.stopMs} ms 后 pids.current 读到 0，这时 1 号进程已经回收了这些孤儿进程`)
          : t(`killed in ${ctx.state.killRounds} round(s) of SIGKILL; pids.current still reads ${still}: exited processes not collected yet`,
            `用 ${ctx.state.killRounds} 轮 SIGKILL 杀光；pids.current 仍然是 ${still}：已退出的进程还没有被回收`));
        return t(`pids.current stayed at or below ${limit} (${samples.join(' ')}), then the cgroup was emptied`,
          `pids.current 始终没有超过 ${limit}（${samples.join(' ')}），随后控制组被清空`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const { samples, refused, hostBefore, hostPeak } = ctx.state.bomb;
        const limit = Number(LIMIT);
        const top = Math.max(...samples);
        return [
          observeThat(t(`pids.current while the bomb ran (${samples.length} samples, 40 ms apart)`, `炸弹运行时的 pids.current（采样 ${samples.length} 次，间隔 40 ms）`),
            t(`never more than ${limit}`, `从不超过 ${limit}`), samples.join(' '), top > 0 && top <= limit),
          observeThat(t('forks refused (max in pids.events)', '被拒绝的 fork（pids.events 里的 max）'), '> 0', refused, refused > 0),
          // Other programs on the host start and end processes too: allow them a margin. Unchecked,
          // the bomb would add thousands.
          observeThat(t('processes on the host (/proc): before → highest', '宿主机上的进程数（/proc）：之前 → 最高'),
            t(`about ${limit} more (margin 50 for other programs), not thousands`, `大约多 ${limit} 个（给其他程序留 50 的余量），而不是成千上万`), `${hostBefore} → ${hostPeak}`, hostPeak - hostBefore <= limit + 50),
          observe(t('pids.current after the kill', '杀掉之后的 pids.current'), 0, cg.pidsCurrent()),
          observe(t('processes left in cgroup.procs', 'cgroup.procs 里剩下的进程'), NONE, cg.procs().join(' ') || NONE),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Give a job exactly what it needs', '给作业恰好够用的额度'),
      explain: t(
        `nestbox lowers pids.max to 3 and runs a job in the cgroup: a shell that starts five \`sleep\`s in the background and waits for them (\`sh -c '${JOB}'\`). ` +
        'With three processes allowed, the shell and two sleeps fill the cgroup, the third sleep cannot be forked, and the shell gives up. ' +
        'Find the smallest pids.max that lets the job run to the end.',
        `nestbox 把 pids.max 降到 3，然后在控制组里运行一个作业：一个 shell 在后台启动五个 \`sleep\`，再等它们结束（\`sh -c '${JOB}'\`）。` +
        '只允许三个进程时，shell 加上两个 sleep 就把控制组占满了，第三个 sleep fork 不出来，shell 只好放弃。' +
        '请找出能让这个作业顺利跑完的最小 pids.max。',
      ),
      command: `echo ${JOB_NEEDS} > {pidsMaxFile}`,
      syscall: t('write(2) to pids.max', 'write(2) 写 pids.max'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        ctx.state.pidsMaxFile = join(cg.dir('pids'), 'pids.max'); // the file the task names
        cg.setPidsMax(3);
        sayWrites(ctx, cg);
        const run = await runJob(ctx, cg);
        if (run.output) ctx.say(t(`the job printed: ${run.output.split('\n')[0]}`, `作业的输出：${run.output.split('\n')[0]}`));
        const exit = exitShown(run.exit);
        return t(`with pids.max 3 the job ${exit.en}; forks refused: ${run.refused}`, `pids.max 为 3 时，作业${exit.zh}；被拒绝的 fork：${run.refused} 次`);
      },
      exercise: {
        task: t(
          'Set `pids.max` of the lab cgroup to the **smallest** value that lets the job (a shell plus the five sleeps it starts) succeed, from a shell on the host. ' +
          'The file is `{pidsMaxFile}` (pids.max on cgroup v1 and v2 alike). ' +
          'The check runs the job again.',
          '在宿主机的 shell 里，把实验控制组的 `pids.max` 设成能让作业（一个 shell 加上它启动的五个 sleep）成功的**最小**值。' +
          '文件是 `{pidsMaxFile}`（在 cgroup v1 和 v2 上都叫 pids.max）。' +
          '检查时会再运行一次这个作业。',
        ),
        hints: [
          t('Count every process that is in the cgroup at the busiest moment, when all five sleeps run.', '数一数最忙的时刻（五个 sleep 都在运行时）控制组里一共有几个进程。'),
          t('The shell that runs the loop is a process of the cgroup too: 1 + 5.', '运行这个循环的 shell 本身也是控制组里的一个进程：1 + 5。'),
          t(`\`echo ${JOB_NEEDS} > {pidsMaxFile}\``, `参考答案：\`echo ${JOB_NEEDS} > {pidsMaxFile}\``),
        ],
        shell: 'host',
        async solve(ctx) {
          ctx.state.cg.setPidsMax(parsePidsLimit(String(JOB_NEEDS)));
          sayWrites(ctx, ctx.state.cg);
        },
        async mistake(ctx) {
          // Counting the sleeps and forgetting the shell that starts them.
          ctx.state.cg.setPidsMax(parsePidsLimit('5'));
          sayWrites(ctx, ctx.state.cg);
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const max = cg.pidsMax();
        const run = await runJob(ctx, cg);
        if (run.output) ctx.say(t(`the job printed: ${run.output.split('\n')[0]}`, `作业的输出：${run.output.split('\n')[0]}`));
        return [
          observe('pids.max', JOB_NEEDS, max),
          observe(t('the job, exit status from waitpid', '作业的退出状态（来自 waitpid）'), t('exited with code 0', '以退出码 0 退出'), exitShown(run.exit)),
          observe(t('forks refused during the job (max in pids.events)', '作业运行期间被拒绝的 fork（pids.events 里的 max）'), 0, run.refused),
        ];
      },
    },
  ],
};

export default lab;
