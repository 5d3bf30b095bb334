// `nestbox --help` is printed without oclif (src/cli/root-help.ts): it must say what oclif's own
// root help says, command for command, and list every command there is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const env = { ...process.env, COLUMNS: '80' };

test('the same text as oclif\'s root help', () => {
  const ours = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env });
  assert.is(ours.status, 0, ours.stderr);
  // oclif itself, asked for the same help.
  const script = `import { execute } from '@oclif/core/execute'; await execute({ dir: ${JSON.stringify(new URL('../../package.json', import.meta.url).href)}, args: ['--help'] });`;
  const theirs = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.is(theirs.status, 0, theirs.stderr);
  assert.fixture(ours.stdout, theirs.stdout);
});

test('every command of the manifest is listed; `nestbox` alone and --version answer too', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'));
  const help = spawnSync(process.execPath, [bin], { encoding: 'utf8', env }).stdout;
  for (const id of Object.keys(manifest.commands).filter((id) => !id.includes(':'))) assert.match(help, new RegExp(`^  ${id} `, 'm'), id);
  assert.match(spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).stdout, /^nestbox\/\d+\.\d+\.\d+ linux-\w+ node-v\d+/);
});

test.run();
