// The commands learners time (`run`, `create`, the container's creator and monitor, `nestbox oci`,
// which podman calls several times per container, and the worker thread that makes namespaces)
// load from one file each instead of some sixty modules: resolving and reading that many files
// costs Node more than the container itself takes to start. The bundles are build output next to
// the modules they are made of (dist/src/bundle sits at the same depth as dist/src/runtime, so
// every path the code computes from its own location stays right); the source a learner reads is
// still src/. koffi, a native addon, stays outside.
//
// They are CommonJS scripts, loaded by src/boot/code-cache.ts with V8's code cache (which Node 18
// and 20 offer only to scripts): `import.meta.url` becomes the bundle's own file URL.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const outdir = 'dist/src/bundle';
// A rebuild leaves nothing of the bundles before it, their code caches included (code-cache.ts
// checks as well).
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: {
    run: 'dist/src/cli/run-main.js',
    internal: 'dist/src/cli/internal-main.js',
    oci: 'dist/src/oci/cli.js',
    'spawn-thread': 'dist/src/kernel/spawn-thread.js',
    // What bin/run.js loads the bundles with, and its own root help.
    'code-cache': 'dist/src/boot/code-cache.js',
    'root-help': 'dist/src/cli/root-help.js',
    // oclif (some hundred CommonJS files), for every other command and for bin/run.js (src/cli/oclif.ts).
    oclif: 'dist/src/cli/oclif-parts.js',
  },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  // typescript: oclif loads it only to run a project's TypeScript sources in development.
  external: ['koffi', 'typescript'],
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  logLevel: 'warning',
});

// code-cache.ts reads the bundles as Latin-1, which is quicker than decoding UTF-8 and the same for
// ASCII; esbuild writes ASCII (other characters escaped), but keeps some comments as they are, and
// a character inside a regular expression literal (one in oclif's colour library): there, as in a
// string, \uXXXX is the same character.
for (const f of readdirSync(outdir).filter((f) => f.endsWith('.cjs'))) {
  const text = readFileSync(`${outdir}/${f}`, 'utf8');
  if (f === 'oclif.cjs') writeFileSync(`${outdir}/${f}`, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\bawait import\(/g, 'await __import('));
  const at = readFileSync(`${outdir}/${f}`).findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`${outdir}/${f}: a character that is not ASCII at byte ${at} (a comment in the source?)`);
}

// The bundled code starts its worker threads from ./spawn-thread.js, as the modules do: here that
// file loads the bundle with its cache. The directory's package.json makes its .js CommonJS.
writeFileSync(`${outdir}/package.json`, '{\n  "type": "commonjs"\n}\n');
writeFileSync(`${outdir}/spawn-thread.js`, "require('./code-cache.cjs').loadBundle('spawn-thread');\n");
