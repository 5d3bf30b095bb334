// Loading nestbox's bundles (scripts/bundle.js) with V8's code cache.
//
// V8 compiles each function the first time it is called, and a short command such as
// `nestbox run` or `nestbox lab list` calls hundreds of functions once (oclif alone is some
// hundred files): compiling them is a good part of what nestbox adds to Node's own start. V8 can
// serialise the machine-independent bytecode of everything it has compiled ("code cache") and
// take it back next time instead of compiling again. Node 22 does this
// for modules (module.enableCompileCache); on Node 18 and 20 only vm.Script offers it, so the
// bundles are plain CommonJS scripts run through vm.Script. The first run of a bundle writes its
// cache when it ends (with every function that run compiled); later runs take it, and a cache
// that does not match (another bundle, another Node) is ignored and written again.
import { readFileSync, statSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { Script } from 'node:vm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundleDir = fileURLToPath(new URL('../bundle/', import.meta.url));

/** Bundles loaded without a usable cache: theirs is written when the process (or thread) ends. */
const unsaved: { path: string; tag: string; script: Script }[] = [];

/** Each bundle's exports, once loaded. */
const loaded = new Map<string, any>();

/**
 * Load dist/src/bundle/NAME.cjs and return its exports. V8 checks a cache only against the
 * source's length, so the cache also carries the bundle's size and mtime and Node's version: a
 * rebuilt bundle never runs with the bytecode of the one before.
 */
export function loadBundle(name: string): any {
  // One instance per bundle: bin/run.js and the commands share oclif's (src/cli/oclif.ts).
  if (!loaded.has(name)) loaded.set(name, load(name));
  return loaded.get(name);
}

function load(name: string): any {
  const path = join(bundleDir, `${name}.cjs`);
  const cachePath = join(bundleDir, `${name}.code-cache`);
  // ASCII only (scripts/bundle.js escapes the rest): Latin-1 reads it without decoding UTF-8.
  const source = readFileSync(path, 'latin1');
  const { size, mtimeMs } = statSync(path);
  const tag = `nestbox code cache ${process.version} ${size} ${mtimeMs}\n`;
  let cachedData: Buffer | undefined;
  // NESTBOX_NO_CODE_CACHE: neither read nor written (the build loads every command once, to list
  // them, and a cache written then would hold little of what a real run compiles).
  const useCache = !process.env.NESTBOX_NO_CODE_CACHE;
  if (useCache) try {
    const file = readFileSync(cachePath);
    if (file.subarray(0, tag.length).toString('latin1') === tag) cachedData = file.subarray(tag.length);
  } catch { /* none yet */ }
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __import) {${source}\n})`, { filename: path, cachedData });
  if (useCache && (!cachedData || script.cachedDataRejected)) {
    if (!unsaved.length) process.once('exit', saveCaches);
    unsaved.push({ path: cachePath, tag, script });
  }
  const module = { exports: {} as any };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path), importModule);
  return module.exports;
}

/**
 * import() for the bundles, of what a bundle does not hold: a Node module (`import('node:path')`),
 * or a file oclif finds at run time (its hooks, such as src/cli/not-found.ts). Code that vm.Script
 * compiled has no module loader for an import() of its own (Node 18 and 20 give it one only behind
 * --experimental-vm-modules), so scripts/bundle.js turns each `import(` into `__import(`, this
 * function, whose import() is this module's.
 */
const importModule = (specifier: string) => import(specifier);

/** Write the caches of this run's bundles (a file nobody may write, such as a read-only install, is skipped). */
function saveCaches(): void {
  for (const { path, tag, script } of unsaved.splice(0)) {
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([Buffer.from(tag, 'latin1'), script.createCachedData()]));
      renameSync(tmp, path);
    } catch {
      try { unlinkSync(tmp); } catch { /* never made */ }
    }
  }
}
