// oclif is loaded from one bundle (src/cli/oclif.ts): a module that imported @oclif/core itself
// would load a second oclif, file by file, at every command that reaches it, and its Command class
// would not be the one bin/run.js runs commands with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('only src/cli/oclif-parts.ts imports @oclif/core', () => {
  const importers = [...sources(join(root, 'src')), ...sources(join(root, 'labs'))]
    .filter((f) => /from '@oclif\/core[^']*'|import\('@oclif\/core/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(root, f));
  assert.equal(importers, ['src/cli/oclif-parts.ts']);
});

test('the commands get their Command class from the bundle bin/run.js runs them with', async () => {
  const { Command } = await import('../../src/cli/oclif.js');
  const { NestboxCommand } = await import('../../src/cli/base.js');
  const { createRequire } = await import('node:module');
  const bundle = createRequire(import.meta.url)('../../src/bundle/code-cache.cjs').loadBundle('oclif');
  assert.is(Command, bundle.Command);
  assert.ok(NestboxCommand.prototype instanceof bundle.Command);
});

test.run();
