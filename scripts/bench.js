// Start-up benchmark: medians of several runs of each command, beside `node -e 0` measured in the
// same run (the floor any Node CLI pays), with the ratio to it. Usage: npm run bench [-- runs]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 11);
const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const cases = [
  ['node -e 0', process.execPath, ['-e', '0']],
  ['nestbox --help', process.execPath, [cli, '--help']],
  ['nestbox doctor', process.execPath, [cli, 'doctor']],
  ['nestbox doctor --json', process.execPath, [cli, 'doctor', '--json']],
  ['nestbox lab list', process.execPath, [cli, 'lab', 'list']],
  ['nestbox lesson show uts', process.execPath, [cli, 'lesson', 'show', 'uts', '--no-pager']],
  ['nestbox ns ls', process.execPath, [cli, 'ns', 'ls']],
];

function time(file, args) {
  const t0 = process.hrtime.bigint();
  spawnSync(file, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// interleave the cases so load changes hit all of them alike
const samples = cases.map(() => []);
for (let i = 0; i < runs + 1; i++) {
  cases.forEach(([, file, args], j) => { const t = time(file, args); if (i > 0) samples[j].push(t); });
}
const base = median(samples[0]);
console.log(`median of ${runs} runs`);
cases.forEach(([name], j) => {
  const m = median(samples[j]);
  console.log(`${name.padEnd(24)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x node -e 0`);
});
