// How a lab looks in the terminal: step headers, the explanation, the equivalent command and
// syscall (--explain), what was done, and what the kernel shows now, in colour.
import chalk from 'chalk';
import type { Lab, Observation, Step } from './types.js';
import type { StepResult } from './unattended.js';
import { renderMarkdown } from '../render/markdown.js';

export interface PresentOptions { explain?: boolean; width?: number }

const out = (s = '') => process.stdout.write(s + '\n');

export function labHeader(lab: Lab): void {
  out(chalk.bold.cyan(`\n${lab.title}`) + chalk.dim(`  (lab ${lab.id}, module ${lab.module}; lesson: nestbox lesson show ${lab.lesson})`));
}

export function stepHeader(step: Step, index: number, total: number, opts: PresentOptions, state: Record<string, any> = {}): void {
  const label = step.exercise ? 'Exercise' : 'Step';
  out('\n' + chalk.bold(`── ${label} ${index + 1}/${total}: ${step.title} `) + chalk.dim('─'.repeat(Math.max(0, 60 - step.title.length))));
  out(renderMarkdown(step.explain, { width: opts.width }).trimEnd());
  if (opts.explain && (step.command || step.syscall)) {
    if (step.command) out(chalk.dim('  shell:   ') + chalk.yellow(withPid(step.command, state)));
    if (step.syscall) out(chalk.dim('  syscall: ') + chalk.magenta(step.syscall));
  }
}

export function exerciseTask(step: Step, state: Record<string, any>, opts: PresentOptions): void {
  const task = withPid(step.exercise!.task, state);
  out(renderMarkdown('**Your turn.** ' + task, { width: opts.width }).trimEnd());
}

/** Replace the word PID in a task or hint with the lab's actual PID, so commands can be copied. */
export function withPid(text: string, state: Record<string, any>): string {
  const pid = state.pid;
  return pid ? text.replace(/\bPID\b/g, String(pid)) : text;
}

export function observations(list: Observation[]): void {
  if (!list.length) return;
  out(chalk.dim('  what the kernel shows now:'));
  const w = Math.min(48, Math.max(...list.map((o) => o.what.length)));
  for (const o of list) {
    const mark = o.ok ? chalk.green('✔') : chalk.red('✘');
    const what = o.what.length > w ? o.what.slice(0, w - 1) + '…' : o.what.padEnd(w);
    if (o.ok) out(`  ${mark} ${what}  ${chalk.green(o.observed)}`);
    else out(`  ${mark} ${what}  observed ${chalk.red(o.observed)}, expected ${chalk.yellow(o.expected)}`);
  }
}

export function stepResult(result: StepResult): void {
  for (const line of result.said) out(chalk.dim('  · ') + line);
  if (result.did) out(chalk.cyan('  done: ') + result.did);
  if (result.error) out(chalk.red('  error: ') + result.error);
  observations(result.observations);
  out(result.ok ? chalk.green.bold('  PASS') : chalk.red.bold('  FAIL'));
}
