// `nestbox lab start ID` on a terminal, in two ways:
//   - a learner: one step at a time, Enter runs it; an exercise offers a shell inside the lab's
//     namespaces, a check, hints one by one, and the reference answer;
//   - a teacher's demo (--yes): every exercise answered by its reference answer, each step waiting
//     for Enter or space before it runs (or, with --pace, a pause that grows with the step's text,
//     which a key pauses and resumes), the command and system calls of every step shown.
// Both are the same loop (runner.ts); this file is what they show and ask.
import chalk from 'chalk';
import { observeThat, type Lab, type Step, type Observation } from './types.js';
import type { LabSession } from './context.js';
import { runLab, LabUI } from './runner.js';
import { runStep, StepResult } from './unattended.js';
import { recordStep, loadProgress } from './progress.js';
import { LAB_ORDER } from '../../labs/index.js';
import * as present from './present.js';
import { baseEnv, waitForExit } from '../kernel/spawn.js';
import { setNonBlocking } from '../kernel/fcntl.js';
import { isAlive } from '../kernel/proc.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tr, pick, t } from '../i18n/lang.js';
import type { CleanupReport } from '../host/cleanup.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface InteractiveOptions { explain?: boolean; startAt?: number; yes?: boolean; pace?: number }

type Prompt = { prompt: (q: any) => Promise<any> };

async function enquirer(): Promise<Prompt> {
  const mod: any = await import('enquirer');
  return mod.default ?? mod;
}

export interface Choice { key: string; label: string }

/**
 * A menu: returns the key of the choice, or undefined after Ctrl-C. The answer line shows the
 * choice's words, as the learner read them.
 */
export async function choose(message: string, choices: Choice[], initial = 0): Promise<string | undefined> {
  const { prompt } = await enquirer();
  const byLabel = new Map(choices.map((c) => [c.label, c.key]));
  try {
    const answer = await prompt({ type: 'select', name: 'v', message, initial, choices: choices.map((c) => ({ name: c.label, value: c.key })), result: (label: string) => byLabel.get(label) ?? label });
    return answer.v as string;
  } catch {
    return undefined;
  }
}

/** Enter to go on; undefined after Ctrl-C. */
async function pressEnter(message: string): Promise<boolean> {
  const { prompt } = await enquirer();
  try {
    await prompt({ type: 'invisible', name: 'v', message });
    return true;
  } catch {
    return false;
  }
}


/** Run a lab on the terminal; returns true when every step passed. */
export async function runLabOnTerminal(lab: Lab, opts: InteractiveOptions): Promise<boolean> {
  const result = await runLab(lab, {
    answer: 'solve',
    startAt: opts.startAt,
    guardSignals: true,
    onProgress: (done) => recordStep(lab.id, done, lab.steps.length),
  }, opts.yes ? demoUI(opts) : learnerUI(opts));
  const after = LAB_ORDER[LAB_ORDER.indexOf(lab.id) + 1];
  // A lab finished before is not resumed (start.ts offers that only for one left part-way).
  const saved = loadProgress().labs[lab.id];
  const resumes = saved?.status === 'in-progress' && saved.step > 0;
  if (result.ok) {
    const next = after ? pick(` Next: ${chalk.yellow(`sudo nestbox lab start ${after}`)} (or ${chalk.yellow('sudo nestbox tutorial')})`,
      `下一个：${chalk.yellow(`sudo nestbox lab start ${after}`)}（或 ${chalk.yellow('sudo nestbox tutorial')}）`) : '';
    process.stdout.write(chalk.green.bold(pick(`\nLab ${lab.id} complete.`, `\n实验 ${lab.id} 完成。`)) + next + '\n');
  } else {
    const again = resumes ? pick(` resumes it at step ${saved.step + 1}`, ` 会从第 ${saved.step + 1} 步继续`) : pick(' starts it again', ' 会重新开始');
    process.stdout.write(chalk.yellow(pick(`\nLab ${lab.id} stopped. `, `\n实验 ${lab.id} 已停止。`)) + chalk.yellow.bold(`sudo nestbox lab start ${lab.id}`) + chalk.yellow(`${again}${pick('.', '。')}\n`));
  }
  return result.ok;
}

/** What both ways share: the header, the steps, the results, the cleanup report. */
function commonUI(opts: InteractiveOptions): LabUI {
  return {
    start: (lab) => present.labHeader(lab),
    restoring: (n) => process.stdout.write(chalk.dim(pick(`\nRestoring steps 1-${n} (their kernel objects were removed when you left)...\n`, `\n正在恢复第 1-${n} 步（你离开时，它们在内核里创建的对象都已删除）……\n`))),
    step: (step, i, total, state) => present.stepHeader(step, i, total, { explain: opts.explain || opts.yes }, state),
    result: (step, result) => present.stepResult(result),
    cleaned: (report) => cleanedUp(report),
    interrupted: (signal) => { if (signal !== 'SIGHUP') process.stdout.write(chalk.yellow(pick(`\n${signal}: cleaning up the lab...\n`, `\n${signal}：正在清理实验……\n`))); },
  };
}

function learnerUI(opts: InteractiveOptions): LabUI {
  return {
    ...commonUI(opts),
    // An invisible prompt: Enter runs the step, Ctrl-C leaves the lab (cleaned up).
    gate: async (step) => step.exercise !== undefined || pressEnter(chalk.dim(pick('Press enter to run it (Ctrl-C quits)', '按回车执行这一步（Ctrl-C 退出）'))),
    exercise: (step, ctx) => exercise(step, ctx, opts),
  };
}

/**
 * A demo for a class: nothing to answer, but nothing rushes by either. Without --pace each step
 * waits for Enter or space; with it, for a time that grows with the step's text, during which space
 * pauses and resumes and Enter goes on at once. Off a terminal (a script, the tests) nothing waits.
 */
function demoUI(opts: InteractiveOptions): LabUI {
  const common = commonUI(opts);
  return {
    ...common,
    gate: async (step) => {
      if (!process.stdin.isTTY) {
        if (opts.pace) await sleep(paceFor(step, opts.pace));
        return true;
      }
      return opts.pace ? pacedWait(paceFor(step, opts.pace)) : keyToGo();
    },
    task: (step, state) => present.exerciseTask(step, state, opts),
    result: (step, result, state) => {
      // The reference answer was applied: show what it did, as a learner would have typed it.
      if (step.exercise) present.explainLines(step, state, pick('the reference answer:', '参考答案：'));
      common.result!(step, result, state);
    },
  };
}

/** Milliseconds to leave a step on the screen: `pace` for a short one, more for more to read. */
function paceFor(step: Step, pace: number): number {
  const text = `${tr(step.explain)} ${step.exercise ? tr(step.exercise.task) : ''}`;
  // A reading unit: an English word, or two Chinese characters.
  const units = (text.match(/[A-Za-z0-9_./-]+/g)?.length ?? 0) + (text.match(/[\u3400-\u9fff]/g)?.length ?? 0) / 2;
  return Math.round(pace * Math.max(1, units / 40));
}

/** Read single keys from the terminal while `fn` waits; raw mode, restored afterwards. */
async function withKeys<T>(fn: (onKey: (handler: (key: string) => void) => void) => Promise<T>): Promise<T> {
  const stdin = process.stdin;
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.resume();
  let handler: ((key: string) => void) | undefined;
  const listener = (d: Buffer) => {
    const key = d.toString();
    // In raw mode Ctrl-C is a byte, not a signal: make it one, so the lab cleans up as usual.
    if (key === '\x03') { process.kill(process.pid, 'SIGINT'); return; }
    handler?.(key);
  };
  stdin.on('data', listener);
  try {
    return await fn((h) => { handler = h; });
  } finally {
    stdin.removeListener('data', listener);
    stdin.setRawMode(wasRaw);
    stdin.pause();
  }
}

function keyToGo(): Promise<boolean> {
  process.stdout.write(chalk.dim(pick('  [Enter or space: run this step · q: quit]', '  [回车或空格：执行这一步 · q：退出]')));
  return withKeys((onKey) => new Promise<boolean>((resolve) => onKey((key) => {
    if (key === '\r' || key === '\n' || key === ' ') resolve(true);
    if (key === 'q') resolve(false);
  }))).finally(() => process.stdout.write('\r\x1b[2K'));
}

function pacedWait(ms: number): Promise<boolean> {
  return withKeys((onKey) => new Promise<boolean>((resolve) => {
    let left = ms;
    let paused = false;
    const note = () => process.stdout.write('\r\x1b[2K' + chalk.dim(paused
      ? pick('  [paused · space: resume · Enter: next step · q: quit]', '  [已暂停 · 空格：继续 · 回车：下一步 · q：退出]')
      : pick('  [space: pause · Enter: next step now]', '  [空格：暂停 · 回车：马上下一步]')));
    note();
    const tick = setInterval(() => {
      if (paused) return;
      left -= 100;
      if (left <= 0) done(true);
    }, 100);
    const done = (go: boolean) => { clearInterval(tick); process.stdout.write('\r\x1b[2K'); resolve(go); };
    onKey((key) => {
      if (key === ' ' || key === 'p') { paused = !paused; note(); }
      if (key === '\r' || key === '\n') done(true);
      if (key === 'q') done(false);
    });
  }));
}

/** The exercise loop: perform the setup, then let the learner work until the check passes or they quit. */
async function exercise(step: Step, ctx: LabSession, opts: InteractiveOptions): Promise<StepResult | undefined> {
  const setup = step.perform ? await runStep({ ...step, exercise: undefined, verify: async () => [{ what: 'setup', expected: 'ok', observed: 'ok', ok: true }] }, ctx, 'none') : undefined;
  if (setup && !setup.ok) return setup;
  // What the setup did is the "before" half of the exercise: show it (not its placeholder check).
  if (setup) present.stepResult({ ...setup, observations: [], ok: true, said: setup.said }, { quiet: true });
  writeSession(ctx, step.id);
  // `nestbox lab check` in a second terminal asks (SIGUSR2) and this process answers: the check
  // runs here, with the lab's live state (open cgroups, namespaces), into check.json.
  const answerCheck = () => {
    void step.verify(ctx)
      .catch((e: Error) => checkFailed(e))
      .then((observations) => {
        ctx.takeSaid(); // what the check narrated belongs to the other terminal's answer
        writeFileSync(join(ctx.workDir, 'check.json'), JSON.stringify({ at: Date.now(), observations }));
      });
  };
  process.on('SIGUSR2', answerCheck);
  try {
    return await exerciseLoop(step, ctx, opts);
  } finally {
    process.removeListener('SIGUSR2', answerCheck);
    rmSync(join(ctx.workDir, 'session.json'), { force: true });
  }
}

async function exerciseLoop(step: Step, ctx: LabSession, opts: InteractiveOptions): Promise<StepResult | undefined> {
  const ex = step.exercise!;
  present.exerciseTask(step, ctx.state, opts);
  let hint = 0;
  // The menu keeps its cursor where the learner last chose; at first, on the shell (where the
  // exercise is done) when there is one, else on "Check my work".
  let last = 'shell';
  for (;;) {
    const choices: Choice[] = [
      ...(ex.shell && ex.shell !== 'host' ? [{ key: 'shell', label: pick('Open a shell inside the lab namespace', '在实验的命名空间里打开一个 shell') }] : []),
      { key: 'check', label: pick('Check my work', '检查我的结果') },
      { key: 'hint', label: hint < ex.hints.length ? pick(`Show a hint (${hint + 1}/${ex.hints.length})`, `给我一个提示（${hint + 1}/${ex.hints.length}）`) : pick('Show the hints again', '再看一遍所有提示') },
      { key: 'solve', label: pick('Solve it for me (the reference answer)', '替我做（参考答案）') },
      { key: 'quit', label: pick('Quit the lab (everything is cleaned up)', '退出实验（创建的一切都会清理掉）') },
    ];
    const choice = await choose(pick('What next?', '下一步做什么？'), choices, Math.max(0, choices.findIndex((c) => c.key === last)));
    if (choice === undefined) return undefined;
    last = choice;
    if (choice === 'quit') {
      const sure = await choose(pick('Quit the lab? Everything it made is removed; you can resume later.', '退出实验吗？它创建的一切都会删除，之后可以接着做。'),
        [{ key: 'stay', label: pick('No, back to the exercise', '不，回到练习') }, { key: 'quit', label: pick('Yes, quit', '是的，退出') }]);
      if (sure === 'quit' || sure === undefined) return undefined;
      last = 'check';
      continue;
    }
    if (choice === 'shell') {
      // The learner may have ended the namespace's process from another terminal: say so, stay.
      await openShell(step, ctx).catch((e: Error) => process.stdout.write(chalk.red(`  ${pick('No shell', '打不开 shell')}: ${e.message}\n`)));
      last = 'check'; // back from the shell: "Check my work" is the likely next choice
    }
    if (choice === 'hint') {
      // Each hint once in order; after the last, all of them again.
      const shown = hint < ex.hints.length ? [ex.hints[hint]] : ex.hints;
      for (const h of shown) present.hint(h, ctx.state);
      hint++;
    }
    if (choice === 'solve') {
      // What the learner did first may stand in the reference answer's way (a file already
      // deleted, a map already written once): say what failed and let the check tell the rest.
      const failed = await ex.solve(ctx).then(() => undefined, (e: Error) => e);
      if (failed) process.stdout.write(chalk.yellow(pick(`  The reference answer could not be applied: ${failed.message}\n`, `  参考答案没能执行成功：${failed.message}\n`)));
      present.explainLines(step, ctx.state, pick('the reference answer:', '参考答案：'));
    }
    if (choice === 'check' || choice === 'solve') {
      const observations = await step.verify(ctx).catch((e: Error) => checkFailed(e));
      const result: StepResult = { id: step.id, title: step.title, said: ctx.takeSaid(), observations, ok: observations.every((o) => o.ok) };
      if (result.ok) return result; // shown by the loop, as every step's result is
      present.stepResult(result);
      if (hint < ex.hints.length) process.stdout.write(chalk.dim(pick('  Not yet. Ask for a hint if you are stuck.\n', '  还没成功。卡住了就要个提示吧。\n')));
    }
  }
}

/** A shell in the lab's namespaces, on the learner's terminal; the lab waits until it exits. */
async function openShell(step: Step, ctx: LabSession): Promise<void> {
  const shell = step.exercise!.shell as { pidKey: string; types: any[] };
  const pid: number = ctx.state[shell.pidKey];
  if (!isAlive(pid)) {
    throw new Error(pick(`PID ${pid}, which held the lab's namespaces, has ended, and its namespaces with it. Check your work to see what the kernel shows, or quit and start the lab again.`,
      `撑着实验命名空间的 PID ${pid} 已经结束，它的命名空间也随之消失。先检查结果看看内核现在的状态，或者退出后重新开始实验。`));
  }
  process.stdout.write(chalk.dim(pick(`  Opening /bin/sh inside the ${shell.types.join('+')} namespace of PID ${pid}; type exit to come back.\n`,
    `  在 PID ${pid} 的 ${shell.types.join('+')} 命名空间里打开 /bin/sh；输入 exit 回到实验。\n`)));
  // The shell owns the terminal from now on; Node must not read from it meanwhile, and the terminal
  // goes back to blocking reads before the shell starts (Node's libuv keeps it non-blocking).
  process.stdin.pause();
  const wasNonBlocking = process.stdin.isTTY ? setNonBlocking(0, false) : false;
  // Ctrl-C in the shell reaches the whole foreground process group, nestbox too: ignore it until
  // the shell exits, or the lab would clean up under the learner's feet.
  const saved = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {});
  // +m: no job control. A shell in another PID namespace could not hand the terminal back to
  // nestbox when it exits (nestbox's process group has no number in there), and nestbox would be
  // stopped by the next read from the terminal.
  const child = await ctx.spawn({
    argv: ['/bin/sh', '+m', '-i'],
    env: baseEnv({ PS1: `[lab ${ctx.labId}] # ` }),
    join: { pid, types: shell.types },
    cwd: '/',
  });
  try {
    await waitForExit(child);
  } finally {
    if (wasNonBlocking) setNonBlocking(0, true);
    process.removeAllListeners('SIGINT');
    for (const l of saved) process.on('SIGINT', l as any);
  }
}

function cleanedUp(report: CleanupReport): void {
  if (report.removed.length) process.stdout.write(chalk.dim(`\n${pick('cleaned up: ', '已清理：')}${summarize(report.removed)}\n`));
  if (report.failed.length) process.stdout.write(chalk.red(pick(`could not remove: ${report.failed.join('; ')} (run: sudo nestbox cleanup)\n`, `没能删除：${report.failed.join('; ')}（请运行 sudo nestbox cleanup）\n`)));
}

/** "process 12, process 13, cgroup /sys/..." -> "2 processes, 1 cgroup" (the details are in the ledger). */
/** A check that threw instead of reading the kernel: shown as one failed observation, with its message. */
function checkFailed(e: Error): Observation[] {
  return [observeThat(t('the check', '检查'), t('no error', '不出错'), e.message, false)];
}

function summarize(removed: string[]): string {
  const counts = new Map<string, number>();
  for (const r of removed) {
    // "iptables chain NAME" is a chain, not a rule (both start with the word iptables).
    const kind = r.startsWith('iptables chain ') ? 'chain' : r.split(' ')[0];
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const zh: Record<string, string> = {
    process: '个进程', iptables: '条 iptables 规则', netns: '个网络命名空间', directory: '个目录', link: '个网络接口', cgroup: '个控制组',
    mount: '个挂载', file: '个文件', chain: '条 iptables 链', sysctl: '个 sysctl 设置', container: '个容器',
  };
  const names: Record<string, [string, string]> = {
    iptables: ['iptables rule', 'iptables rules'], chain: ['iptables chain', 'iptables chains'], netns: ['network namespace', 'network namespaces'], directory: ['directory', 'directories'],
  };
  const plural = (k: string, n: number) => (names[k] ? names[k][n === 1 ? 0 : 1] : n === 1 ? k : k.endsWith('s') ? `${k}es` : `${k}s`);
  return [...counts].map(([k, n]) => pick(`${n} ${plural(k, n)}`, `${n} ${zh[k] ?? k}`)).join(pick(', ', '，'));
}

/** Where `nestbox lab check` finds the running lab's state (current step, PIDs). */
function writeSession(ctx: LabSession, step: string): void {
  try {
    writeFileSync(join(ctx.workDir, 'session.json'), JSON.stringify({ step, pid: process.pid, workDir: ctx.workDir, state: ctx.state }));
  } catch { /* not essential */ }
}
