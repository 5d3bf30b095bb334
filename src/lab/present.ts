// How a lab looks in the terminal: step headers, the explanation, the equivalent command and
// syscall (--explain), what was done, and what the kernel shows now, in colour, wrapped to the
// terminal's width.
import chalk from 'chalk';
import type { Lab, Observation, Step } from './types.js';
import type { StepResult } from './unattended.js';
import { renderMarkdown, wrap, visibleLength } from '../render/markdown.js';

export interface PresentOptions { explain?: boolean; width?: number }

const out = (s = '') => process.stdout.write(s + '\n');
const columns = () => Math.max(60, Math.min(process.stdout.columns || 100, 120));

/** Inline `code` in a plain line (hints, labels, messages) drawn as code, as the lessons do. */
export function inline(text: string): string {
  return text.replace(/`([^`]+)`/g, (_, code) => chalk.yellow(code));
}

/** A line wrapped to the terminal with a hanging indent, so nothing breaks in the middle of a word. */
function wrapped(first: string, rest: string, text: string): string {
  // A line that fits is left alone: its runs of spaces may be columns (iptables -nvL, ps).
  if (!text.includes('\n') && visibleLength(first) + visibleLength(text) <= columns()) return first + text;
  const [head, ...tail] = wrap(text, columns() - visibleLength(first));
  return [first + head, ...tail.flatMap((l) => wrap(l, columns() - rest.length)).map((l) => rest + l)].join('\n');
}

export function labHeader(lab: Lab): void {
  out(chalk.bold.cyan(`\n${lab.title}`));
  out(chalk.dim(`lab ${lab.id}, module ${lab.module}; the lesson: nestbox lesson show ${lab.lesson}`));
}

export function stepHeader(step: Step, index: number, total: number, opts: PresentOptions, state: Record<string, any> = {}): void {
  const label = step.exercise ? 'Exercise' : 'Step';
  const title = `── ${label} ${index + 1}/${total}: ${fill(step.title, state)} `;
  out('\n' + chalk.bold(title) + chalk.dim('─'.repeat(Math.max(0, Math.min(columns(), 80) - visibleLength(title)))));
  out(renderMarkdown(fill(step.explain, state), { width: opts.width ?? columns() }).trimEnd());
  // An exercise's command is its answer: shown with --explain only after it is done.
  if (opts.explain && !step.exercise && (step.command || step.syscall)) explainLines(step, state);
}

export function explainLines(step: Step, state: Record<string, any>): void {
  if (step.command) out(wrapped(chalk.dim('  shell:   '), '           ', chalk.yellow(fill(step.command, state))));
  if (step.syscall) out(wrapped(chalk.dim('  syscall: '), '           ', chalk.magenta(fill(step.syscall, state))));
}

export function exerciseTask(step: Step, state: Record<string, any>, opts: PresentOptions): void {
  out(renderMarkdown('**Your turn.** ' + fill(step.exercise!.task, state), { width: opts.width ?? columns() }).trimEnd());
}

export function hint(text: string, state: Record<string, any>): void {
  out(wrapped(chalk.yellow('  hint: '), '        ', inline(fill(text, state))));
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
export function observations(list: Observation[]): void {
  if (!list.length) return;
  out(chalk.dim('  what the kernel shows now:'));
  const room = columns();
  const w = Math.min(44, Math.max(...list.map((o) => visibleLength(inline(o.what)))));
  for (const o of list) {
    const mark = o.ok ? chalk.green('✔') : chalk.red('✘');
    const label = inline(o.what);
    const value = o.ok ? chalk.green(o.observed) : `observed ${chalk.red(o.observed)}, expected ${chalk.yellow(o.expected)}`;
    const one = `  ${mark} ${label}${' '.repeat(Math.max(0, w - visibleLength(label)))}  `;
    if (visibleLength(label) <= w && visibleLength(one) + visibleLength(value) <= room) {
      out(one + value);
    } else {
      out(wrapped(`  ${mark} `, '    ', label));
      out(wrapped('      ', '      ', value));
    }
  }
}

/** What a step did and what the kernel shows; `quiet` leaves out the verdict (an exercise's setup). */
export function stepResult(result: StepResult, opts: { quiet?: boolean } = {}): void {
  for (const line of result.said) out(wrapped(chalk.dim('  · '), '    ', inline(line)));
  if (result.did) out(wrapped(chalk.cyan('  done: '), '        ', inline(result.did)));
  if (result.error) out(wrapped(chalk.red('  error: '), '         ', result.error));
  observations(result.observations);
  if (!opts.quiet) out(result.ok ? chalk.green.bold('  PASS') : chalk.red.bold('  FAIL'));
}
