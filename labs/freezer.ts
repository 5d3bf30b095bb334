// Lab "freezer": a cgroup can be frozen and thawed as a whole. A shell that counts into a file is
// frozen (cgroup.freeze on v2, freezer.state on v1), the counter stops, SIGCONT changes nothing,
// and thawing the cgroup lets it count on.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { kill } from '../src/kernel/syscalls.js';
import { SIGNALS } from '../src/kernel/constants.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, sayWrites, startIn, statusField, whereText } from './cgroup-lab-kit.js';
import { sleep, stopAndReap } from './kit.js';

interface FreezerState {
  /** The cgroup the counting shell runs in (in the freezer tree on v1). */
  cg: Cgroup;
  /** The file the shell writes its count to, under the lab's workDir. */
  counterFile: string;
  /** The counting shell. */
  pid: number;
  /** The file that freezes and thaws the cgroup on this host (cgroup.freeze on v2, freezer.state on v1), and what thaws it. */
  freezeFile: string;
  thawValue: string;
  /** The other cgroup version's way to thaw, for the exercise's text (English, Chinese). */
  freezeOther: string;
  freezeOtherZh: string;
  /** The counter just before the freeze. */
  before: number;
}

/**
 * The counter's last value: the last line of the file. The shell appends a line each time (one
 * write): a shell that truncated the file first could be frozen between the two, leaving it empty.
 */
async function counter(ctx: LabContext<FreezerState>): Promise<number> {
  for (let i = 0; i < 40; i++) {
    let n = NaN;
    try { n = parseInt(readFileSync(ctx.state.counterFile, 'utf8').trimEnd().split('\n').pop()!, 10); } catch { /* not written yet */ }
    if (!Number.isNaN(n)) return n;
    await sleep(5);
  }
  return NaN;
}

/** Read the counter, wait, read again (the shell adds one every 50 ms). */
async function counterOver(ctx: LabContext<FreezerState>, ms: number): Promise<[number, number]> {
  const a = await counter(ctx);
  await sleep(ms);
  return [a, await counter(ctx)];
}

/** The file that says whether the cgroup is frozen (cgroup.events on v2, freezer.state on v1), named for the learner. */
function stateFileName(cg: Cgroup): string {
  return `${cg.name}/${cg.file('frozenState')}`;
}

/** Where in the kernel the process sleeps (/proc/PID/wchan): the freezer's own function when frozen. */
function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').trim() || '0';
  } catch {
    return '(gone)';
  }
}

/** Wait until the kernel reports the whole cgroup frozen (v2 sets "frozen 1" once every task has stopped). */
async function untilFrozen(cg: Cgroup, ms = 1000): Promise<void> {
  for (let waited = 0; waited < ms && cg.frozenState() !== 'frozen'; waited += 10) await sleep(10);
}

/** Observations that the cgroup is frozen and the process stands still. */
async function frozenObservations(ctx: LabContext<FreezerState>): Promise<Observation[]> {
  const cg: Cgroup = ctx.state.cg;
  const pid: number = ctx.state.pid;
  const [a, b] = await counterOver(ctx, 300);
  // v1 parks each task in __refrigerator() in uninterruptible sleep (D); v2 traps it like a
  // job-control stop, in interruptible sleep (S), so that SIGKILL still gets through.
  const state = statusField(pid, 'State');
  const expectState = cg.frozenTaskState();
  const sleepsIn = wchan(pid);
  return [
    observe(stateFileName(cg), cg.frozenReport(true), cg.frozenStateText()),
    observeThat(t('counter over 300 ms', '300 毫秒内的计数'), t('unchanged', '不变'), `${a} → ${b}`, a === b),
    observeThat(t(`State in /proc/${pid}/status`, `/proc/${pid}/status 里的 State`),
      t(`${expectState} (cgroup v${cg.version} freezer)`, `${expectState}（cgroup v${cg.version} 的冻结）`), state, state.startsWith(expectState)),
    observeThat(t(`/proc/${pid}/wchan (where it sleeps)`, `/proc/${pid}/wchan（它睡在内核的哪个函数里）`),
      // The shell starts `sleep` with vfork, and waits for the child freezably: frozen at that
      // moment, it sleeps in kernel_clone instead.
      t('a freezer function (kernel_clone when frozen waiting for its vfork child)', '冻结机制里的函数（如果冻结时正在等 vfork 出来的子进程，就是 kernel_clone）'),
      sleepsIn, /refrigerator|freez|get_signal|kernel_clone/.test(sleepsIn)),
  ];
}

const lab: Lab<FreezerState> = {
  id: 'freezer',
  title: t('freezer: stop a whole cgroup and let it go again', 'freezer：让整个控制组停下来，再放它继续'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root', 'cgroup-freezer'],
  steps: [
    {
      id: 'counter',
      title: t('Start a counting process in its own cgroup', '在单独的控制组里启动一个计数进程'),
      explain: t(
        'A shell adds one to a number every 50 ms and writes it to a file, so you can watch it work without touching it. ' +
        'It runs in a cgroup of its own, and so does every process it starts: a child begins in its parent\'s cgroup. ' +
        'On v1 that cgroup lives in the `freezer` tree; on v2 freezing is part of every cgroup and needs no controller.',
        '一个 shell 每 50 毫秒把一个数加一，再写进一个文件，这样你不用碰它，就能看着它干活。' +
        '它运行在自己的控制组里，它启动的每个进程也是：子进程一出生就在父进程的控制组里。' +
        '在 v1 上，这个控制组在 `freezer` 这棵树里；在 v2 上，冻结是每个控制组自带的功能，不需要哪个控制器。',
      ),
      command: `mkdir /sys/fs/cgroup/nestbox/freezer-demo; sh -c 'i=0; while :; do i=$((i+1)); echo $i >> counter; sleep 0.05; done' & echo $! > /sys/fs/cgroup/nestbox/freezer-demo/cgroup.procs`,
      syscall: t('mkdir(2) in cgroupfs; posix_spawn("/bin/sh"); write(2) of the PID to cgroup.procs',
        '在 cgroupfs 里 mkdir(2)；posix_spawn("/bin/sh")；write(2) 把 PID 写进 cgroup.procs'),
      async perform(ctx) {
        const cg = createCgroup(ctx, ['freezer']);
        ctx.state.cg = cg;
        ctx.state.counterFile = join(ctx.workDir, 'counter');
        const script = `i=0; while :; do i=$((i+1)); echo $i >> ${ctx.state.counterFile}; sleep 0.05; done`;
        ctx.state.pid = await startIn(ctx, cg, ['/bin/sh', '-c', script], 'counter for the freezer lab');
        sayWrites(ctx, cg);
        const place = whereText(cg);
        ctx.say(t(`the cgroup: ${place.en}`, `控制组：${place.zh}`));
        ctx.say(t(`the counter: ${ctx.state.counterFile}`, `计数文件：${ctx.state.counterFile}`));
        // The file that freezes and thaws it on this host, for the exercise.
        ctx.state.freezeFile = join(cg.dir('freezer'), cg.file('freeze'));
        ctx.state.thawValue = cg.freezeValue(false);
        // The other version's way, for a learner who will meet it there.
        const other = cg.version === 2 ? 'THAWED' : '0';
        ctx.state.freezeOther = `cgroup v${cg.version}; on v${3 - cg.version}: ${other} into ${cg.otherFile('freeze')}`;
        ctx.state.freezeOtherZh = `cgroup v${cg.version}；在 v${3 - cg.version} 上是往 ${cg.otherFile('freeze')} 写 ${other}`;
        return t(`counting shell PID ${ctx.state.pid} runs in ${cg.name}`, `计数的 shell（PID ${ctx.state.pid}）在 ${cg.name} 里运行`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        await sleep(60); // let the first number land
        const [a, b] = await counterOver(ctx, 200);
        return [
          observeThat(t(`cgroup.procs of ${cg.name}`, `${cg.name} 的 cgroup.procs`), t(`lists ${ctx.state.pid}`, `列出 ${ctx.state.pid}`), cg.procs().join(' '), cg.procs().includes(ctx.state.pid)),
          observe(stateFileName(cg), cg.frozenReport(false), cg.frozenStateText()),
          observeThat(t('counter over 200 ms', '200 毫秒内的计数'), t('grows', '在增长'), `${a} → ${b}`, b > a),
        ];
      },
    },
    {
      id: 'freeze',
      title: t('Freeze the cgroup', '冻结这个控制组'),
      explain: t(
        'Freezing stops every task of the cgroup at a safe point, as a group, and the tasks cannot tell: nothing is sent to them. ' +
        'Docker\'s `pause` does exactly this. v1 writes `FROZEN` to `freezer.state` and reads `FREEZING` until all tasks have stopped; ' +
        'v2 writes `1` to `cgroup.freeze` and reports `frozen 1` in `cgroup.events` once they have. ' +
        'In `/proc/PID/status` a v1 task sleeps uninterruptibly (D, in `__refrigerator`), a v2 task interruptibly (S).',
        '冻结让控制组里的所有任务作为一个整体，在一个安全点停下来，而任务自己毫无察觉：没有任何东西发给它们。' +
        'Docker 的 `pause` 做的正是这件事。v1 往 `freezer.state` 写 `FROZEN`，在所有任务停下之前，读出来的是 `FREEZING`；' +
        'v2 往 `cgroup.freeze` 写 `1`，等任务全部停下，`cgroup.events` 里就报告 `frozen 1`。' +
        '在 `/proc/PID/status` 里，v1 的任务处于不可中断的睡眠（D，停在 `__refrigerator` 里），v2 的任务处于可中断的睡眠（S）。',
      ),
      command: 'echo 1 > /sys/fs/cgroup/nestbox/freezer-demo/cgroup.freeze   # v1: echo FROZEN > /sys/fs/cgroup/freezer/nestbox/freezer-demo/freezer.state',
      syscall: t('write(2) "1" to cgroup.freeze (v1: "FROZEN" to freezer.state)',
        'write(2) 把 "1" 写进 cgroup.freeze（v1：把 "FROZEN" 写进 freezer.state）'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.cg;
        ctx.state.before = await counter(ctx);
        cg.freeze();
        await untilFrozen(cg);
        sayWrites(ctx, cg);
        const at = await counter(ctx);
        return t(`froze ${cg.name} at counter ${at}`, `冻结了 ${cg.name}，此时计数为 ${at}`);
      },
      async verify(ctx) {
        return frozenObservations(ctx);
      },
    },
    {
      id: 'sigcont',
      title: t('Send SIGCONT to the frozen process', '给被冻结的进程发送 SIGCONT'),
      explain: t(
        'SIGSTOP and SIGCONT drive job control: a stopped process is reported to its parent, and SIGCONT resumes it. ' +
        'The freezer is a separate mechanism that sits above signals, so SIGCONT finds no stop to end and the task stays frozen. ' +
        '(SIGKILL differs between the versions: v2 lets it through and the task dies; v1 holds it until the thaw.)',
        'SIGSTOP 和 SIGCONT 是作业控制（job control）用的：进程被停止时，它的父进程会得到通知，SIGCONT 则让它继续运行。' +
        '冻结是另一套独立的机制，位于信号之上，所以 SIGCONT 找不到可以结束的“停止”，任务仍然冻着。' +
        '（SIGKILL 在两个版本上不一样：v2 让它通过，任务随即死去；v1 把它扣住，直到解冻。）',
      ),
      command: 'kill -CONT PID',
      syscall: 'kill(PID, SIGCONT)',
      async perform(ctx) {
        kill(ctx.state.pid, SIGNALS.SIGCONT);
        return t(`sent SIGCONT to PID ${ctx.state.pid}`, `向 PID ${ctx.state.pid} 发送了 SIGCONT`);
      },
      async verify(ctx) {
        return frozenObservations(ctx);
      },
    },
    {
      id: 'exercise',
      title: t('Thaw it', '把它解冻'),
      explain: t(
        'Only the cgroup file that froze the group can thaw it. Once thawed, every task carries on where it stopped, and the counter moves again.',
        '只有当初冻结这个组的那个控制组文件，才能把它解冻。解冻之后，每个任务都从停下的地方接着运行，计数又动起来了。',
      ),
      command: 'echo {thawValue} > {freezeFile}',
      syscall: t('write(2) "0" to cgroup.freeze (v1: "THAWED" to freezer.state)',
        'write(2) 把 "0" 写进 cgroup.freeze（v1：把 "THAWED" 写进 freezer.state）'),
      exercise: {
        task: t(
          'Thaw the cgroup of the counting shell PID so that the counter moves again. On this host it was frozen through `{freezeFile}` ({freezeOther}).',
          '解冻计数的 shell（进程 PID）所在的控制组，让计数重新动起来。在这台宿主机上，它是通过 `{freezeFile}` 冻结的（{freezeOtherZh}）。',
        ),
        hints: [
          t('Signals do not help: `kill -CONT PID` reaches a stopped process, not a frozen one. Write the same cgroup file that froze it.',
            '信号帮不上忙：`kill -CONT PID` 能唤醒被停止的进程，却唤不醒被冻结的进程。要写的是当初冻结它的那个控制组文件。'),
          t('`echo {thawValue} > {freezeFile}`', '运行 `echo {thawValue} > {freezeFile}`。'),
        ],
        shell: 'host',
        async solve(ctx) {
          ctx.state.cg.thaw();
          sayWrites(ctx, ctx.state.cg);
        },
        async mistake(ctx) {
          // The job-control reflex: SIGCONT wakes a SIGSTOPped process, but a frozen one stays put.
          kill(ctx.state.pid, SIGNALS.SIGCONT);
          ctx.say(t(`sent SIGCONT to PID ${ctx.state.pid}`, `向 PID ${ctx.state.pid} 发送了 SIGCONT`));
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.cg;
        // A thaw is immediate, but allow the shell a few of its 50 ms naps to show it.
        const a = await counter(ctx);
        let b = a;
        for (let waited = 0; waited < 400 && b === a; waited += 25) {
          await sleep(25);
          b = await counter(ctx);
        }
        return [
          observe(stateFileName(cg), cg.frozenReport(false), cg.frozenStateText()),
          observeThat(t('counter within 400 ms', '400 毫秒内的计数'), t('grows', '在增长'), `${a} → ${b}`, b > a),
        ];
      },
      async cleanup(ctx) {
        // A v1 task holds SIGKILL until it is thawed: thaw first, then stop and collect it.
        const cg: Cgroup | undefined = ctx.state.cg;
        try { if (cg && cg.frozenState() !== 'thawed') cg.thaw(); } catch { /* already removed */ }
        await stopAndReap(ctx, ctx.state.pid);
      },
    },
  ],
};

export default lab;
