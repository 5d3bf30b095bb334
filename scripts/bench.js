// Start-up benchmark: medians of several runs of each command, beside `node -e 0` measured in the
// same run (the floor any Node CLI pays), with the ratio to it. The container case is
// `nestbox run --rm --net none <default rootfs> /bin/true`, and `runc run` on the same rootfs when
// runc is installed. Usage: npm run bench [-- runs [NAME...]]   (as root, for the container cases;
// NAMEs keep only the cases whose name contains one of them, beside `node -e 0`)
//
// Every case runs without NODE_EXTRA_CA_CERTS and NODE_OPTIONS. Node reads the certificate file
// named by NODE_EXTRA_CA_CERTS at each start, before any script runs (a system bundle of 150
// certificates costs some 35 ms on a 2-CPU VM): where it is set, every Node command, `node -e 0`
// included, is that much slower, and the ratios below would shrink without anything getting
// faster. A learner's machine does not set it; when this one does, its cost is shown apart.
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 11);
const only = process.argv.slice(3);
const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const root = process.getuid?.() === 0;
const rootfs = process.env.NESTBOX_LIB_DIR ? join(process.env.NESTBOX_LIB_DIR, 'rootfs/default') : '/var/lib/nestbox/rootfs/default';

const cases = [
  ['node -e 0', process.execPath, ['-e', '0']],
  ['nestbox --help', process.execPath, [cli, '--help']],
  ['nestbox doctor', process.execPath, [cli, 'doctor']],
  ['nestbox lab list', process.execPath, [cli, 'lab', 'list']],
  ['nestbox lesson show uts', process.execPath, [cli, 'lesson', 'show', 'uts', '--no-pager']],
  ['nestbox ns ls', process.execPath, [cli, 'ns', 'ls']],
];

// The environment each case runs in (see the top of this file).
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;
const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
if (extraCerts) cases.push([`node -e 0, NODE_EXTRA_CA_CERTS as set here`, process.execPath, ['-e', '0'], { ...env, NODE_EXTRA_CA_CERTS: extraCerts }]);

let bundle;
if (root) {
  spawnSync(process.execPath, [cli, 'rootfs', 'create'], { stdio: 'ignore' }); // first use builds it
  cases.push(['nestbox run --rm --net none', process.execPath, [cli, 'run', '--rm', '--net', 'none', rootfs, '--', '/bin/true']]);
  const runc = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim();
  if (runc) {
    // An OCI bundle on the same rootfs: runc's own default spec, made read-only-root and netns-only.
    bundle = mkdtempSync(join(tmpdir(), 'nestbox-bench-'));
    execFileSync(runc, ['spec', '--bundle', bundle]);
    const spec = JSON.parse(execFileSync('cat', [join(bundle, 'config.json')], { encoding: 'utf8' }));
    spec.root = { path: rootfs, readonly: true };
    spec.process.terminal = false;
    spec.process.args = ['/bin/true'];
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    let n = 0;
    cases.push(['runc run (same rootfs)', runc, () => ['run', '--bundle', bundle, `nestbox-bench-${process.pid}-${n++}`]]);
  }
}

function time(file, args, caseEnv = env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, typeof args === 'function' ? args() : args, { stdio: 'ignore', env: caseEnv });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args} exited ${r.status}`);
  return ms;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

if (only.length) cases.splice(0, cases.length, ...cases.filter(([name], i) => i === 0 || name.includes('NODE_EXTRA_CA_CERTS') || only.some((o) => name.includes(o))));

// Interleave the cases so load changes hit all of them alike; the first round warms caches.
const samples = cases.map(() => []);
for (let i = 0; i < runs + 1; i++) {
  cases.forEach(([, file, args, caseEnv], j) => { const t = time(file, args, caseEnv); if (i > 0) samples[j].push(t); });
}
if (bundle) rmSync(bundle, { recursive: true, force: true });
const base = median(samples[0]);
console.log(`median of ${runs} runs${root ? '' : ' (not root: container cases skipped)'}, without NODE_EXTRA_CA_CERTS and NODE_OPTIONS`);
cases.forEach(([name], j) => {
  const m = median(samples[j]);
  console.log(`${name.padEnd(Math.max(...cases.map(([n]) => n.length)))} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x node -e 0`);
});
