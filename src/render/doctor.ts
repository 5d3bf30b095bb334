import chalk from 'chalk';
import type { DoctorReport } from '../doctor/checks.js';

const MARK = { pass: chalk.green('✔ pass'), warn: chalk.yellow('! warn'), fail: chalk.red('✘ fail') };

export function printDoctorReport(report: DoctorReport): void {
  console.log(chalk.bold(`nestbox doctor: Linux ${report.kernel}, cgroup ${report.cgroup.mode}`));
  const width = Math.max(...report.checks.map((c) => c.title.length));
  for (const c of report.checks) {
    console.log(`  ${MARK[c.status]}  ${c.title.padEnd(width)}  ${chalk.dim(c.detail)}`);
    if (c.fix && c.status !== 'pass') console.log(`          ${' '.repeat(width)}  fix: ${chalk.cyan(c.fix)}`);
  }
  const unavailable = Object.entries(report.unavailableLabs);
  if (unavailable.length) {
    console.log(chalk.bold('\nLabs unavailable on this machine:'));
    for (const [lab, why] of unavailable) console.log(`  ${lab.padEnd(12)} ${chalk.dim(why)}`);
  }
  console.log(report.ok ? chalk.green('\nReady: every required check passes.') : chalk.red('\nNot ready: fix the failed checks above.'));
}
