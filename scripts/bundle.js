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

// Every command oclif runs, one bundle each, named after its id ("lab:list" in
// command-lab-list.cjs), beside the others so that paths computed from import.meta.url stay right.
const commandsDir = 'dist/src/commands';
const commandFiles = (function walk(dir) {
  return readdirSync(`${commandsDir}/${dir}`, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(`${dir}${e.name}/`) : e.name.endsWith('.js') ? [`${dir}${e.name}`] : []);
})('');
const commands = commandFiles.map((file) => {
  const id = file.replace(/\.js$/, '').replace(/\/index$/, '').split('/').join(':');
  return { id, bundle: `command-${id.replace(/:/g, '-')}`, file };
});

await build({
  entryPoints: {
    ...Object.fromEntries(commands.map((c) => [c.bundle, `${commandsDir}/${c.file}`])),
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
// ASCII. esbuild escapes what is not ASCII in strings, but leaves it as it is inside a regular
// expression literal (the Chinese of a lesson's "注意：" callout, a byte of oclif's colour library):
// there, as in a string, \uXXXX is the same character, so every such character is written so.
for (const f of readdirSync(outdir).filter((f) => f.endsWith('.cjs'))) {
  const text = readFileSync(`${outdir}/${f}`, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(`${outdir}/${f}`, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
// An import() left in a bundle (of a Node module, `await import('node:path')`, or of a file oclif
// finds at run time) cannot run in code compiled by vm.Script on Node 18 and 20 (code-cache.ts):
// each calls the loader's own import() instead, which it passes in as __import. Not in the two
// files bin/run.js requires as they are.
for (const f of readdirSync(outdir).filter((f) => f.endsWith('.cjs') && f !== 'code-cache.cjs' && f !== 'root-help.cjs')) {
  const text = readFileSync(`${outdir}/${f}`, 'utf8');
  const calls = /(?<![\w$.'"`])import\(/g;
  if (calls.test(text)) writeFileSync(`${outdir}/${f}`, text.replace(calls, '__import('));
}

// oclif finds the commands here (package.json: oclif.commands, the "explicit" strategy): each
// command's class is loaded, with its bundle, when oclif asks for it, and only then.
writeFileSync(`${outdir}/commands.cjs`, [
  "'use strict';",
  "const { loadBundle } = require('./code-cache.cjs');",
  'const COMMANDS = {};',
  `for (const [id, bundle] of ${JSON.stringify(commands.map((c) => [c.id, c.bundle]))}) {`,
  '  Object.defineProperty(COMMANDS, id, { enumerable: true, get: () => loadBundle(bundle).default });',
  '}',
  'module.exports = { COMMANDS };',
  '',
].join('\n'));

// The bundled code starts its worker threads from ./spawn-thread.js, as the modules do: here that
// file loads the bundle with its cache. The directory's package.json makes its .js CommonJS.
writeFileSync(`${outdir}/package.json`, '{\n  "type": "commonjs"\n}\n');
writeFileSync(`${outdir}/spawn-thread.js`, "require('./code-cache.cjs').loadBundle('spawn-thread');\n");
