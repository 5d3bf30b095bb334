// Runs every compiled test file (dist/test/**/*.test.js) in its own Node process, one after the
// other (kernel tests must not race each other), and ends with one line: "N passed, N failed".
// uvu prints per-file totals; this script adds them up. A file that crashes before printing its
// totals counts as one failure. Usage: npm test [-- filter...] (a file runs when its path contains
// one of the filters). NESTBOX_TEST_FILE_TIMEOUT (seconds, default 600) stops a whole file; each
// test has its own, shorter limit (NESTBOX_TEST_TIMEOUT, test/helpers.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const fileTimeout = Number(process.env.NESTBOX_TEST_FILE_TIMEOUT ?? 600) * 1000;

if (!existsSync(testDir)) {
  console.error('no compiled tests: run `npm run build` first');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.js') ? [p] : [];
  }).sort();
}

const files = find(testDir).filter((f) => !filters.length || filters.some((x) => relative(testDir, f).includes(x)));
let passed = 0, failed = 0, skipped = 0;
const failures = [];
const started = Date.now();

for (const file of files) {
  const name = relative(testDir, file);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    env: { NESTBOX_LANG: 'en', ...process.env, NODE_DISABLE_COLORS: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: fileTimeout,
    maxBuffer: 64 << 20,
  });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1]);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1]);
  const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  let line;
  if (Number.isFinite(total) && Number.isFinite(ok)) {
    passed += ok;
    skipped += skip;
    const bad = total - ok - skip;
    failed += bad;
    if (bad > 0 || r.status !== 0) {
      if (bad === 0) failed += 1;
      failures.push(name);
    }
    line = `${bad > 0 || r.status !== 0 ? 'FAIL' : 'ok  '} ${name}: ${ok}/${total}${skip ? `, ${skip} skipped` : ''} (${Date.now() - t0} ms)`;
  } else {
    failed += 1;
    failures.push(name);
    line = `FAIL ${name}: crashed (${r.signal ?? 'exit ' + r.status}) (${Date.now() - t0} ms)`;
  }
  console.log(line);
  // Only print a file's own output when it failed, or when it explains a skip.
  if (failures.at(-1) === name) console.log(out.replace(/^/gm, '    '));
  else for (const l of out.split('\n')) if (/^SKIP/.test(l)) console.log('    ' + l);
}

console.log(`\n${files.length} test files in ${((Date.now() - started) / 1000).toFixed(1)} s${failures.length ? '; failed: ' + failures.join(', ') : ''}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
