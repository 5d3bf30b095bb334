// The lesson renderer, compared character for character at 80 columns (colour off), and every
// shipped lesson rendered at 80 columns without a line wider than the terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, visibleLength, wrap } from '../../src/render/markdown.js';
import { listLessons } from '../../src/lesson/catalog.js';

const fixture = fileURLToPath(new URL('../../../test/fixtures/lesson-sample.md', import.meta.url));

const expected = `Namespaces
══════════

A namespace wraps a global resource so that the processes inside see their own
copy, and unshare makes a new one.

The types
─────────

┌──────┬──────────────┬────────────────────────────────────────────┐
│ type │ flag         │ isolates                                   │
├──────┼──────────────┼────────────────────────────────────────────┤
│ uts  │ CLONE_NEWUTS │ hostname and NIS domain name               │
│ pid  │ CLONE_NEWPID │ process IDs, so the first process is PID 1 │
└──────┴──────────────┴────────────────────────────────────────────┘

• one item
• a second item that is long enough to wrap onto a second line when the terminal
  is eighty columns wide

1. first
2. second

  # make a namespace
  $ unshare --uts sh

│ Tip: lsns lists them.
`;

test('a lesson with a table, lists and a shell block renders at 80 columns', () => {
  const out = renderMarkdown(readFileSync(fixture, 'utf8'), { width: 80 });
  assert.fixture(out, expected);
});

test('a table wider than the terminal wraps inside its cells', () => {
  const md = '| a | b |\n|---|---|\n| ' + 'word '.repeat(30) + '| ' + 'other '.repeat(20) + '|\n';
  const out = renderMarkdown(md, { width: 60 });
  for (const line of out.split('\n')) assert.ok(visibleLength(line) <= 60, `too wide: ${line}`);
  assert.match(out, /│ word word/);
});

test('wrap keeps words whole and counts columns, not escape codes', () => {
  assert.equal(wrap('\x1b[1maaa\x1b[22m bbb ccc', 7), ['\x1b[1maaa\x1b[22m bbb', 'ccc']);
});

test('every lesson renders at 80 columns, no line wider than 80 outside code', () => {
  const lessons = listLessons();
  assert.ok(lessons.length > 0);
  for (const l of lessons) {
    const out = renderMarkdown(readFileSync(l.file, 'utf8'), { width: 80 });
    assert.ok(out.length > 100, `${l.id} renders`);
    for (const line of out.split('\n')) {
      if (line.startsWith('  ')) continue; // code and list continuation lines may carry a long command
      assert.ok(visibleLength(line) <= 80, `${l.id}: line wider than 80: ${line}`);
    }
  }
});

test.run();
