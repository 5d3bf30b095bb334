import chalk from 'chalk';
import type { DoctorReport } from '../doctor/checks.js';
import { glyphs } from './glyphs.js';
import { displayWidth, padEnd } from './text-width.js';
import { pick } from '../i18n/lang.js';

export function printDoctorReport(report: DoctorReport): void {
  const g = glyphs();
  const mark = {
    pass: chalk.green(`${g.tick} ${pick('pass', '通过')}`), warn: chalk.yellow(`! ${pick('warn', '注意')}`), fail: chalk.red(`${g.cross} ${pick('fail', '失败')}`),
  };
  console.log(chalk.bold(`nestbox doctor: Linux ${report.kernel}, cgroup ${report.cgroup.mode}`));
  const width = Math.max(...report.checks.map((c) => displayWidth(c.title)));
  const indent = ' '.repeat(2 + displayWidth(mark.pass) + 2 + width + 2);
  for (const c of report.checks) {
    console.log(`  ${mark[c.status]}  ${padEnd(c.title, width)}  ${chalk.dim(c.detail)}`);
    if (c.fix && c.status !== 'pass') console.log(`${indent}${pick('fix: ', '修复：')}${chalk.cyan(c.fix)}`);
  }
  const unavailable = Object.entries(report.unavailableLabs);
  if (unavailable.length) {
    console.log(chalk.bold(pick('\nLabs unavailable on this machine:', '\n这台机器上做不了的实验：')));
    for (const [lab, why] of unavailable) console.log(`  ${lab.padEnd(12)} ${chalk.dim(why)}`);
  }
  console.log(report.ok ? chalk.green(pick('\nReady: every required check passes.', '\n准备就绪：必需的检查全部通过。')) : chalk.red(pick('\nNot ready: fix the failed checks above.', '\n还没准备好：请先修复上面失败的检查。')));
}
