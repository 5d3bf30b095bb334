// Writes oclif.manifest.json from the built commands, using @oclif/core's own loader (the same
// thing `oclif manifest` does, without that package's dependencies).
import { Plugin } from '@oclif/core';
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Every command is loaded here, from its bundle (scripts/bundle.js), to be described: without a
// code cache, which would otherwise keep what this run compiled instead of what a command does.
process.env.NESTBOX_NO_CODE_CACHE = '1';
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
await plugin.load();
const manifest = plugin.manifest;
manifest.version = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
writeFileSync(`${root}/oclif.manifest.json`, JSON.stringify(manifest, null, 2));
console.log(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`);

// The labs' catalog (src/lab/catalog.ts): what lab list shows, without loading every lab's code.
const { loadAllLabs } = await import('../dist/labs/index.js');
const { catalogEntry } = await import('../dist/src/lab/catalog.js');
const labs = (await loadAllLabs()).map(catalogEntry);
writeFileSync(`${root}/dist/labs/catalog.json`, JSON.stringify(labs, null, 1) + '\n');
console.log(`dist/labs/catalog.json: ${labs.length} labs`);
