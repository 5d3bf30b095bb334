#!/usr/bin/env -S node --
// nestbox's entry point. oclif reads oclif.manifest.json to list and describe commands without
// importing them, so `nestbox --help` stays cheap; a command's module is loaded only when it runs.
// `nestbox run` does not load oclif at all (src/cli/run-main.ts). The `--` on the first line keeps
// Node 20 from taking `nestbox run --env-file FILE` as its own --env-file option.
//
// This file is CommonJS (bin/package.json): Node starts a CommonJS script about 6 ms sooner than
// an ES module, and the commands below load CommonJS bundles (scripts/bundle.js).
'use strict';
const { join } = require('node:path');

const [command, ...rest] = process.argv.slice(2);
const dist = join(__dirname, '..', 'dist', 'src');
// Everything below loads from bundles, one file each instead of dozens of modules, run with V8's
// code cache: `run` and `create`, a container's creator and monitor, `nestbox oci`, oclif, and each
// command oclif runs.
const bundle = (name) => require(join(dist, 'bundle', 'code-cache.cjs')).loadBundle(name);

// What is waited for before leaving: Node aborts a process that exits while a thread still loads libc.
let threadsSettled = async () => {};

process.on('uncaughtException', (err) => {
  if (process.env.DEBUG) console.error(err);
  else console.error(`nestbox: ${err && err.message ? err.message.split('\n')[0] : err}`);
  process.exit(1);
});

async function main() {
  // The root help and the version are printed from the manifest, without loading oclif.
  if (command === undefined || ((command === '--help' || command === '-h' || command === 'help') && rest.length === 0)) {
    process.stdout.write(require(join(dist, 'bundle', 'root-help.cjs')).rootHelp());
    process.exit();
  }
  if ((command === '--version' || command === '-v' || command === 'version') && rest.length === 0) {
    console.log(require(join(dist, 'bundle', 'root-help.cjs')).versionLine());
    process.exit();
  }

  // `nestbox internal ...` (a container's creator and monitor) never goes through oclif.
  if (command === 'internal') {
    const internal = bundle('internal');
    await internal.internalMain(rest);
    await internal.threadsSettled();
    process.exit();
  }

  // `nestbox oci ...`, nestbox as an OCI runtime (bin/nestbox-oci is the same), never goes through
  // oclif: podman calls it several times for every container.
  if (command === 'oci') {
    const oci = bundle('oci');
    const code = await oci.ociMain(rest);
    await oci.threadsSettled();
    process.exit(code);
  }

  // `nestbox run` and `nestbox create` skip oclif: the start of a container is what learners time,
  // and oclif's loading and manifest would add to it (their --help still goes through oclif).
  if (command === 'run' || command === 'create') {
    // A container needs two threads (src/kernel/spawn.ts), and each takes some 20 ms to boot: they
    // start first, and boot while the run code loads and the arguments are read. The run code
    // takes them over (warmThreads). (-d only registers the container; its creator makes it.)
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    const detaching = own.some((a) => a === '--detach' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(a));
    const warm = command === 'run' && !rest.includes('--help') && !detaching && process.getuid?.() === 0;
    if (warm) {
      const { Worker } = require('node:worker_threads');
      globalThis[Symbol.for('nestbox.threads')] = [0, 1].map(() => new Worker(join(dist, 'bundle', 'spawn-thread.js'), { env: {}, stdout: false, stderr: false, workerData: { preload: true } }));
    }
    const run = bundle('run');
    threadsSettled = run.threadsSettled;
    if (warm) run.warmThreads(2);
    let ran = false;
    try {
      ran = await run.runMain(rest, command);
    } catch (err) {
      run.reportError(err);
      ran = true;
    }
    if (ran) {
      await threadsSettled();
      process.exit();
    }
  }

  // Everything else goes through oclif. It finds its settings in the package.json of the directory
  // it is given (the project's, one level up), and there the list of commands: the bundles'.
  const { execute } = bundle('oclif');
  await execute({ dir: join(__dirname, '..', 'package.json') }).catch((err) => {
    if (process.env.DEBUG) console.error(err);
    const message = String(err?.message ?? err).split('\n')[0];
    if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}`);
    process.exitCode = err?.oclif?.exit ?? 2;
  });
  await threadsSettled();
}

main();
