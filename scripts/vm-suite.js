// What CI runs on a learner's kind of machine (inside scripts/vm): `nestbox doctor`, every lab with
// --yes, each followed by ../shared/tools/residue-check, then the test files named by the
// arguments (as `npm test -- FILTER...`). Ends with one line: "N passed, N failed".
// Usage: node scripts/vm-suite.js [--labs ID,ID | --no-labs] [TEST-FILTER...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const residue = join(root, '..', 'shared', 'tools', 'residue-check');
const args = process.argv.slice(2);
const labsArg = args.indexOf('--labs');
const only = labsArg >= 0 ? args.splice(labsArg, 2)[1].split(',') : undefined;
const noLabs = args.includes('--no-labs');
const filters = args.filter((a) => a !== '--no-labs');

/** Under QEMU's emulation (scripts/vm says which it chose) everything runs ten to twenty times slower. */
const emulated = () => process.env.NESTBOX_VM_ACCEL !== 'kvm';

let passed = 0, failed = 0;
const failures = [];
const started = Date.now();

/** One counted item: a line now, and its output when it failed. */
function item(name, ok, output, ms) {
  if (ok) passed++; else { failed++; failures.push(name); }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${(ms / 1000).toFixed(1)} s)`);
  if (!ok) console.log(output.trimEnd().split('\n').slice(-40).map((l) => `    ${l}`).join('\n'));
}

function run(name, argv, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 << 20 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  return { ok: r.status === 0, out, ms: Date.now() - t0 };
}

/** Run argv, copying its output through (its own summary line held back), and return it all. */
function streamed(argv, env) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const pass = (d) => {
      out += d;
      process.stdout.write(String(d).replace(/^\d+ passed, \d+ failed.*\n?/m, ''));
    };
    child.stdout.on('data', pass);
    child.stderr.on('data', pass);
    child.on('close', (code) => resolve({ ok: code === 0, out, ms: Date.now() - t0 }));
  });
}

function check(name, argv) {
  const r = run(name, argv);
  item(name, r.ok, r.out, r.ms);
  return r;
}

const hostResidue = () => existsSync(residue) ? check('residue-check', [residue]) : undefined;

check('nestbox doctor', [process.execPath, bin, 'doctor']);
if (!noLabs) {
  const catalog = JSON.parse(readFileSync(join(root, 'dist', 'labs', 'catalog.json'), 'utf8'));
  for (const { id } of catalog.filter((l) => !only || only.includes(l.id))) {
    check(`lab ${id} --yes`, [process.execPath, bin, 'lab', 'start', id, '--yes']);
    if (existsSync(residue)) check(`residue-check after lab ${id}`, [residue]);
  }
}
if (filters.length) {
  // Under emulation everything takes ten to twenty times longer: the limits grow to match.
  // The test runner's lines are passed on as they come (a file at a time): under emulation the
  // whole run takes long, and whoever watches it should see where it is.
  const r = await streamed([process.execPath, join(root, 'scripts', 'test.js'), ...filters], {
    NESTBOX_TEST_TIMEOUT: process.env.NESTBOX_TEST_TIMEOUT ?? '900', NESTBOX_TEST_FILE_TIMEOUT: process.env.NESTBOX_TEST_FILE_TIMEOUT ?? '3600',
    NESTBOX_TEST_PATIENCE: process.env.NESTBOX_TEST_PATIENCE ?? (emulated() ? '15' : '2'),
  });
  const m = /^(\d+) passed, (\d+) failed/m.exec(r.out);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    if (Number(m[2])) failures.push('tests');
  } else {
    item('tests (no summary line)', false, r.out, r.ms);
  }
  hostResidue();
}

console.log(`\nvm suite in ${((Date.now() - started) / 1000).toFixed(0)} s${failures.length ? '; failed: ' + failures.join(', ') : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
