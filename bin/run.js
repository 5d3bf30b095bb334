#!/usr/bin/env -S node --
// nestbox's entry point. oclif reads oclif.manifest.json to list and describe commands without
// importing them, so `nestbox --help` stays cheap; a command's module is loaded only when it runs.
// `nestbox run` does not load oclif at all (src/cli/run-main.ts). The `--` on the first line keeps
// Node 20 from taking `nestbox run --env-file FILE` as its own --env-file option.
const [command, ...rest] = process.argv.slice(2);

// `nestbox run` needs two threads for the container (src/kernel/spawn.ts): booting them now lets
// them start while oclif loads, instead of after.
const detaching = rest.includes('-d') || rest.includes('--detach');
const containerThreads = command === 'run' && !rest.includes('--help') && !detaching && process.getuid?.() === 0
  ? import('../dist/src/kernel/spawn.js').then((m) => { m.warmThreads(2); return m; })
  : undefined;

process.on('uncaughtException', (err) => {
  if (process.env.DEBUG) console.error(err);
  else console.error(`nestbox: ${err && err.message ? err.message.split('\n')[0] : err}`);
  process.exit(1);
});

// The root help and the version are printed from the manifest, without loading oclif.
if (command === undefined || ((command === '--help' || command === '-h' || command === 'help') && rest.length === 0)) {
  const { rootHelp } = await import('../dist/src/cli/root-help.js');
  process.stdout.write(rootHelp());
  process.exit();
}
if ((command === '--version' || command === '-v' || command === 'version') && rest.length === 0) {
  const { versionLine } = await import('../dist/src/cli/root-help.js');
  console.log(versionLine());
  process.exit();
}

// `nestbox internal ...` (a container's creator and monitor) never goes through oclif.
if (command === 'internal') {
  const { internalMain } = await import('../dist/src/cli/internal-main.js');
  const spawning = await import('../dist/src/kernel/spawn.js');
  await internalMain(rest);
  await spawning.threadsSettled();
  process.exit();
}

// `nestbox oci ...`, nestbox as an OCI runtime (bin/nestbox-oci is the same), never goes through
// oclif: podman calls it several times for every container.
if (command === 'oci') {
  const { ociMain } = await import('../dist/src/oci/cli.js');
  const spawning = await import('../dist/src/kernel/spawn.js');
  const code = await ociMain(rest);
  await spawning.threadsSettled();
  process.exit(code);
}

// `nestbox run` and `nestbox create` skip oclif, whose loading costs more than the container itself
// (their --help still goes through oclif).
if (command === 'run' || command === 'create') {
  const { runMain, reportError } = await import('../dist/src/cli/run-main.js');
  let ran = false;
  try {
    ran = await runMain(rest, command);
  } catch (err) {
    reportError(err);
    ran = true;
  }
  if (ran) {
    if (containerThreads) await (await containerThreads).threadsSettled();
    process.exit();
  }
}

const { execute } = await import('@oclif/core/execute');
await execute({ dir: import.meta.url }).catch((err) => {
  if (process.env.DEBUG) console.error(err);
  const message = String(err?.message ?? err).split('\n')[0];
  if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}`);
  process.exitCode = err?.oclif?.exit ?? 2;
});
// Never leave while a thread is still loading libc: Node would abort the process.
if (containerThreads) await (await containerThreads).threadsSettled();
