// The lesson renderer, compared character for character at 80 columns (colour off), and every
// shipped lesson rendered at 80 columns without a line wider than the terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useAscii } from '../../src/render/glyphs.js';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, wrap } from '../../src/render/markdown.js';
import { displayWidth as visibleLength } from '../../src/render/text-width.js';
import { listLessons } from '../../src/lesson/catalog.js';

useAscii(false); // the box-line fixtures; the ASCII ones ask for it
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

// Chinese, English and mixed paragraphs, a table with Chinese cells, lists and quotes, at 80 and 40
// columns, with box lines and in ASCII: compared character for character with the files in
// test/fixtures/render, which were read on a terminal and found right (a Chinese character is two
// columns; no line starts with a full stop or ends with an opening bracket).
const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
for (const [sample, lang] of [['lesson-sample.md', 'en'], ['lesson-sample-zh.md', 'zh']] as const) {
  for (const [width, ascii] of [[80, false], [40, false], [80, true], [40, true]] as const) {
    const name = `${lang}-${width}${ascii ? '-ascii' : ''}.txt`;
    if (!existsSync(join(fixtures, 'render', name))) continue;
    test(`${lang} at ${width} columns${ascii ? ', ASCII' : ''}: exactly as in fixtures/render/${name}`, () => {
      useAscii(ascii);
      try {
        const out = renderMarkdown(readFileSync(join(fixtures, sample), 'utf8'), { width });
        assert.fixture(out, readFileSync(join(fixtures, 'render', name), 'utf8'));
        for (const line of out.split('\n')) assert.ok(visibleLength(line) <= width, `wider than ${width}: ${line}`);
      } finally {
        useAscii(false);
      }
    });
  }
}

test('display width: a Chinese character is two columns, a colour code none, a combining mark none', () => {
  assert.is(visibleLength('命名空间'), 8);
  assert.is(visibleLength('\x1b[1mabc\x1b[22m'), 3);
  assert.is(visibleLength('e\u0301'), 1);
  assert.is(visibleLength('（namespace）'), 13);
});

test('Chinese wraps between characters, never before closing or after opening punctuation', () => {
  assert.equal(wrap('一二三四五，六七', 10), ['一二三四', '五，六七']);
  assert.equal(wrap('一二三（四五六', 8), ['一二三', '（四五六']);
  assert.equal(wrap('用 unshare 命令', 9), ['用', 'unshare', '命令']);
});

test('a line break inside a Chinese paragraph adds no space; between English words it does', () => {
  const out = renderMarkdown('第一行\n第二行，\nthen English\nwords', { width: 80 });
  assert.is(out.trim(), '第一行第二行，then English words');
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

test('every lesson renders at 80 columns, no line wider than 80 outside code, in both languages', () => {
  const lessons = [...listLessons(undefined, 'en'), ...listLessons(undefined, 'zh')];
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
