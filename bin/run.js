#!/usr/bin/env node
// nestbox's entry point. oclif reads oclif.manifest.json to list and describe commands without
// importing them, so `nestbox --help` stays cheap; a command's module is loaded only when it runs.
import { execute } from '@oclif/core/execute';

process.on('uncaughtException', (err) => {
  if (process.env.DEBUG) console.error(err);
  else console.error(`nestbox: ${err && err.message ? err.message.split('\n')[0] : err}`);
  process.exit(1);
});

await execute({ dir: import.meta.url }).catch((err) => {
  if (process.env.DEBUG) console.error(err);
  const message = String(err?.message ?? err).split('\n')[0];
  if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}`);
  process.exitCode = err?.oclif?.exit ?? 2;
});
