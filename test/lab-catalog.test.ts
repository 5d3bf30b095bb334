// The labs' catalog written at build time (dist/labs/catalog.json) must say what the labs' code says:
// `lab list` and the tutorial read it instead of loading every lab.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAllLabs } from '../labs/index.js';
import { catalogEntry, listLabs } from '../src/lab/catalog.js';

const file = fileURLToPath(new URL('../labs/catalog.json', import.meta.url));

test('the build wrote the catalog, and it matches every lab', async () => {
  assert.ok(existsSync(file), 'npm run build writes dist/labs/catalog.json');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')), (await loadAllLabs()).map(catalogEntry));
});

test('lab list reads it: ids in course order, each with its step count', async () => {
  const listed = await listLabs();
  const labs = await loadAllLabs();
  assert.equal(listed.map((l) => [l.id, l.steps]), labs.map((l) => [l.id, l.steps.length]));
});

test.run();
