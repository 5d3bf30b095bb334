// How a lab looks in the terminal: step headers, the explanation, the equivalent command and
// syscall, what was done, and what the kernel shows now, in colour, wrapped to the terminal's
// width (by display width: a Chinese character takes two columns), in the learner's language.
import chalk from 'chalk';
import type { Lab, Observation, Shown, Step } from './types.js';
import type { StepResult } from './unattended.js';
import { renderMarkdown, wrap } from '../render/markdown.js';
import { displayWidth } from '../render/text-width.js';
import { glyphs } from '../render/glyphs.js';
import { tr, pick } from '../i18n/lang.js';

export interface PresentOptions { explain?: boolean; width?: number }

const out = (s = '') => process.stdout.write(s + '\n');
const columns = () => Math.max(40, Math.min(process.stdout.columns || 100, 120));

/** Inline `code` in a plain line (hints, labels, messages) drawn as code, as the lessons do. */
export function inline(text: string): string {
  return text.replace(/`([^`]+)`/g, (_, code) => chalk.yellow(code));
}

/** A line wrapped to the terminal with a hanging indent, so nothing breaks in the middle of a word. */
function wrapped(first: string, rest: string, text: string): string {
  // A line that fits is left alone: its runs of spaces may be columns (iptables -nvL, ps).
  if (!text.includes('\n') && displayWidth(first) + displayWidth(text) <= columns()) return first + text;
  const [head, ...tail] = wrap(text, columns() - displayWidth(first));
  return [first + head, ...tail.flatMap((l) => wrap(l, columns() - displayWidth(rest))).map((l) => rest + l)].join('\n');
}

export function labHeader(lab: Lab): void {
  out(chalk.bold.cyan(`\n${tr(lab.title)}`));
  out(chalk.dim(pick(`lab ${lab.id}, module ${lab.module}; the lesson: nestbox lesson show ${lab.lesson}`,
    `实验 ${lab.id}，第 ${lab.module} 单元；对应的课：nestbox lesson show ${lab.lesson}`)));
}

export function stepHeader(step: Step, index: number, total: number, opts: PresentOptions, state: Record<string, any> = {}): void {
  const label = step.exercise ? pick('Exercise', '练习') : pick('Step', '步骤');
  const h = glyphs().h;
  const title = `${h}${h} ${label} ${index + 1}/${total}${pick(': ', '：')}${fill(tr(step.title), state)} `;
  out('\n' + chalk.bold(title) + chalk.dim(h.repeat(Math.max(0, Math.min(columns(), 80) - displayWidth(title)))));
  out(renderMarkdown(fill(tr(step.explain), state), { width: opts.width ?? columns() }).trimEnd());
  // An exercise's command is its answer: shown only once it is done.
  if (opts.explain && !step.exercise) explainLines(step, state);
}

/** The shell command and the system calls a step stands for. */
export function explainLines(step: Step, state: Record<string, any>, label?: string): void {
  if (label) out(chalk.dim(`  ${label}`));
  const shell = pick('  shell:   ', '  命令：    ');
  const syscall = pick('  syscall: ', '  系统调用：');
  if (step.command) out(wrapped(chalk.dim(shell), ' '.repeat(displayWidth(shell)), chalk.yellow(fill(tr(step.command), state))));
  if (step.syscall) out(wrapped(chalk.dim(syscall), ' '.repeat(displayWidth(syscall)), chalk.magenta(fill(tr(step.syscall), state))));
}

export function exerciseTask(step: Step, state: Record<string, any>, opts: PresentOptions): void {
  out(renderMarkdown(pick('**Your turn.** ', '**轮到你了**。') + fill(tr(step.exercise!.task), state), { width: opts.width ?? columns() }).trimEnd());
}

export function hint(text: Shown, state: Record<string, any>): void {
  const label = pick('  hint: ', '  提示：');
  out(wrapped(chalk.yellow(label), ' '.repeat(displayWidth(label)), inline(fill(tr(text), state))));
}

/**
 * Put the lab's live values into a text: {key} becomes state[key] (a PID, a path), and the word PID
 * becomes state.pid, so commands can be copied as they are.
 */
export function fill(text: string, state: Record<string, any>): string {
  const withKeys = text.replace(/\{([A-Za-z][\w]*)\}/g, (m, key) => (state[key] !== undefined ? String(state[key]) : m));
  return state.pid ? withKeys.replace(/\bPID\b/g, String(state.pid)) : withKeys;
}

/**
 * Observed against expected, one line each: "✔ what  observed". A label too long for a column
 * gets a line of its own, with the value on the next.
 */
/** A value as shown: a yes/no the kernel gave as true/false reads as 是/否 in Chinese. */
const value = (v: Shown) => {
  const s = tr(v);
  return s === 'true' || s === 'false' ? pick(s, s === 'true' ? '是' : '否') : s;
};

export function observations(list: Observation[]): void {
  if (!list.length) return;
  out(chalk.dim(pick('  what the kernel shows now:', '  内核现在的状态：')));
  const room = columns();
  const labels = list.map((o) => inline(tr(o.what)));
  const w = Math.min(44, Math.max(...labels.map(displayWidth)));
  const g = glyphs();
  list.forEach((o, k) => {
    const mark = o.ok ? chalk.green(g.tick) : chalk.red(g.cross);
    const label = labels[k];
    const shown = o.ok ? chalk.green(value(o.observed)) : pick(`observed ${chalk.red(value(o.observed))}, expected ${chalk.yellow(value(o.expected))}`,
      `看到的是 ${chalk.red(value(o.observed))}，应当是 ${chalk.yellow(value(o.expected))}`);
    const one = `  ${mark} ${label}${' '.repeat(Math.max(0, w - displayWidth(label)))}  `;
    if (displayWidth(label) <= w && displayWidth(one) + displayWidth(shown) <= room) {
      out(one + shown);
    } else {
      out(wrapped(`  ${mark} `, '    ', label));
      out(wrapped('      ', '      ', shown));
    }
  });
}

/** What a step did and what the kernel shows; `quiet` leaves out the verdict (an exercise's setup). */
export function stepResult(result: StepResult, opts: { quiet?: boolean } = {}): void {
  for (const line of result.said) out(wrapped(chalk.dim(`  ${glyphs().bullet} `), '    ', inline(tr(line))));
  const done = pick('  done: ', '  完成：');
  const error = pick('  error: ', '  出错：');
  if (result.did) out(wrapped(chalk.cyan(done), ' '.repeat(displayWidth(done)), inline(tr(result.did))));
  if (result.error) out(wrapped(chalk.red(error), ' '.repeat(displayWidth(error)), result.error));
  observations(result.observations);
  if (!opts.quiet) out(result.ok ? chalk.green.bold(pick('  PASS', '  通过')) : chalk.red.bold(pick('  FAIL', '  未通过')));
}
