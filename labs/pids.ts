// Lab "pids": the pids controller caps how many processes (and threads) a cgroup may hold. A fork
// bomb started inside a cgroup with pids.max 20 hits the cap, its forks fail, the host does not
// notice, and the whole cgroup is killed. The file names are the same on cgroup v1 and v2.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import type { ExitStatus } from '../src/kernel/spawn.js';
import { listPids } from '../src/kernel/proc.js';
import { parsePidsLimit } from '../src/limits/parse.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites } from './cgroup-lab-kit.js';
import { sleep } from './kit.js';
import { startHeld, exitText, until } from './cgroup-held.js';

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
  if (cg.procs().length) throw new Error(`processes still in ${cg.name} after ${rounds} rounds of SIGKILL: ${cg.procs().join(' ')}`);
  return rounds;
}

/** Run the exercise's job in the cgroup: its exit status, the forks refused meanwhile, and what it printed. */
async function runJob(ctx: LabContext, cg: Cgroup): Promise<{ exit: ExitStatus; refused: number; output: string }> {
  await untilEmpty(cg); // leftovers of an earlier run would take slots
  const before = cg.pidsRefused();
  const job = await startHeld(ctx, cg, ['/bin/sh', '-c', JOB], 'job');
  const exit = await job.wait();
  return { exit, refused: cg.pidsRefused() - before, output: job.output().trim() };
}

const lab: Lab = {
  id: 'pids',
  title: 'pids: a fork bomb in a cage',
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-pids'],
  steps: [
    {
      id: 'limit',
      title: 'Create a cgroup that may hold 20 processes',
      explain:
        'Every new process or thread takes a PID and kernel memory, and both run out for the whole machine: a fork bomb (a program that forks copies of itself that fork again) can make a host unusable, and namespaces do nothing against it. ' +
        'The pids controller counts every task of the cgroup in `pids.current` and refuses any fork or clone that would go past `pids.max`: the fork(2) fails with EAGAIN in the caller, nothing is killed. ' +
        'The files have the same names on v1 and v2; Docker\'s `--pids-limit` writes `pids.max`.',
      command: 'mkdir /sys/fs/cgroup/nestbox/pids-lab; echo 20 > /sys/fs/cgroup/nestbox/pids-lab/pids.max   # v1: /sys/fs/cgroup/pids/nestbox/pids-lab/pids.max',
      syscall: 'mkdir(2) in cgroupfs; write(2) "20" to pids.max',
      async perform(ctx) {
        const cg = createCgroup(ctx, ['pids']);
        ctx.state.cg = cg;
        cg.setPidsMax(parsePidsLimit(LIMIT));
        sayWrites(ctx, cg);
        return `created ${cg.dir('pids')} (cgroup v${cg.version}, host layout ${cg.layout.mode}) with pids.max ${LIMIT}`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        return [observe('pids.max (same name on v1 and v2)', LIMIT, cg.pidsMax()), observe('pids.current', 0, cg.pidsCurrent())];
      },
    },
    {
      id: 'bomb',
      title: 'Start a fork bomb inside it',
      explain:
        '`f(){ f|f& }; f` defines a shell function that starts two copies of itself in the background and returns; each copy does the same. Unchecked, the number of processes doubles at every generation. ' +
        'It starts only once pids.max is in place and the shell that runs it is in the cgroup: every process it forks is charged there from the first one. ' +
        'nestbox samples `pids.current` while it runs, reads `pids.events` (forks refused at the cap) and counts the host\'s processes, then kills the whole cgroup.',
      command: `sh -c 'echo $$ > /sys/fs/cgroup/nestbox/pids-lab/cgroup.procs; exec timeout -s KILL 5 sh -c "f(){ f|f& }; f; exec sleep 10"' & cat /sys/fs/cgroup/nestbox/pids-lab/pids.current /sys/fs/cgroup/nestbox/pids-lab/pids.events; echo 1 > /sys/fs/cgroup/nestbox/pids-lab/cgroup.kill`,
      syscall: 'fork(2) refused with EAGAIN at pids.max; kill(2) SIGKILL to each PID in cgroup.procs (v2: write "1" to cgroup.kill)',
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const limit = parsePidsLimit(LIMIT);
        // Never start a bomb without its cage: the limit must read back from the kernel first.
        if (cg.pidsMax() !== limit) throw new Error(`pids.max of ${cg.name} reads ${cg.pidsMax()}, not ${limit}: the fork bomb is not started`);
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
          for (let i = 0; i < 12; i++) {
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
        ctx.say(`the bomb's shells reported ${failures} failed forks ("Cannot fork": EAGAIN from fork)`);
        // An exited process still counts until its parent collects it; the bomb's orphans belong to PID 1.
        ctx.say(`killed in ${ctx.state.killRounds} round(s) of SIGKILL; ` + (ctx.state.emptied ? `pids.current read 0 after ${ctx.state.stopMs} ms, once PID 1 had collected the orphans` : `pids.current still reads ${cg.pidsCurrent()}: exited processes not collected yet`));
        return `pids.current stayed at or below ${limit} (${samples.join(' ')}), then the cgroup was emptied`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        const { samples, refused, hostBefore, hostPeak } = ctx.state.bomb;
        const limit = Number(LIMIT);
        const top = Math.max(...samples);
        return [
          observeThat('pids.current while the bomb ran (12 samples, 40 ms apart)', `reaches ${limit}, never more`, samples.join(' '), top === limit),
          observeThat('forks refused (max in pids.events)', '> 0', refused, refused > 0),
          // Other programs on the host start and end processes too: allow them a margin. Unchecked,
          // the bomb would add thousands.
          observeThat('processes on the host (/proc): before → highest', `about ${limit} more (margin 50 for other programs), not thousands`, `${hostBefore} → ${hostPeak}`, hostPeak - hostBefore <= limit + 50),
          observe('pids.current after the kill', 0, cg.pidsCurrent()),
          observe('processes left in cgroup.procs', '(none)', cg.procs().join(' ') || '(none)'),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Give a job exactly what it needs',
      explain:
        `nestbox lowers pids.max to 3 and runs a job in the cgroup: a shell that starts five \`sleep\`s in the background and waits for them (\`sh -c '${JOB}'\`). ` +
        'With three processes allowed, the shell and two sleeps fill the cgroup, the third sleep cannot be forked, and the shell gives up. ' +
        'Find the smallest pids.max that lets the job run to the end.',
      command: `echo ${JOB_NEEDS} > {pidsMaxFile}`,
      syscall: 'write(2) to pids.max',
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        ctx.state.pidsMaxFile = join(cg.dir('pids'), 'pids.max'); // the file the task names
        cg.setPidsMax(3);
        sayWrites(ctx, cg);
        const run = await runJob(ctx, cg);
        if (run.output) ctx.say(`the job printed: ${run.output.split('\n')[0]}`);
        return `with pids.max 3 the job ${exitText(run.exit)}; forks refused: ${run.refused}`;
      },
      exercise: {
        task:
          'Set `pids.max` of the lab cgroup to the **smallest** value that lets the job (a shell plus the five sleeps it starts) succeed, from a shell on the host. ' +
          'The file is `{pidsMaxFile}` (pids.max on cgroup v1 and v2 alike). ' +
          'The check runs the job again.',
        hints: [
          'Count every process that is in the cgroup at the busiest moment, when all five sleeps run.',
          'The shell that runs the loop is a process of the cgroup too: 1 + 5.',
          `\`echo ${JOB_NEEDS} > {pidsMaxFile}\``,
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
        if (run.output) ctx.say(`the job printed: ${run.output.split('\n')[0]}`);
        return [
          observe('pids.max', JOB_NEEDS, max),
          observe('the job, exit status from waitpid', 'exited with code 0', exitText(run.exit)),
          observe('forks refused during the job (max in pids.events)', 0, run.refused),
        ];
      },
    },
  ],
};

export default lab;
