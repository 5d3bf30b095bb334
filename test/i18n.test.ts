// Two languages, one course: every lesson and every lab text exists in English and in Chinese, and
// the two versions of a lesson have the same skeleton (headings, tables, commands), so neither can
// grow or lose a section while the other does not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, listLessons } from '../src/lesson/catalog.js';
import { LAB_ORDER, loadLab } from '../labs/index.js';
import { renderMarkdown } from '../src/render/markdown.js';
import { stripAnsi } from '../src/render/text-width.js';
import { isText } from '../src/i18n/lang.js';
import type { Shown } from '../src/lab/types.js';
import { looksLikeProse } from './helpers.js';

const CJK = /[\u3400-\u9fff]/;

/** The skeleton a translation must keep: heading levels in order, tables, and code (comments aside). */
function skeleton(markdown: string): { headings: string[]; tables: number; code: string[][] } {
  const headings: string[] = [];
  const code: string[][] = [];
  let tables = 0;
  let fence: string[] | undefined;
  let lang = '';
  for (const line of markdown.split('\n')) {
    if (fence) {
      if (/^```/.test(line)) { code.push(fence); fence = undefined; continue; }
      // A comment in a shell block may be translated; the commands may not.
      const kept = /^(sh|bash|shell|console)$/.test(lang) ? line.replace(/(^|\s)#.*$/, '').trimEnd() : line.trimEnd();
      if (kept) fence.push(kept);
      continue;
    }
    const open = /^```(\w*)/.exec(line);
    if (open) { fence = []; lang = open[1]; continue; }
    const h = /^(#{1,6})\s/.exec(line);
    if (h) headings.push(h[1]);
    if (/^\|?\s*:?-{3,}/.test(line)) tables++;
  }
  return { headings, tables, code };
}

const lessonFiles = () => [...readdirSync(lessonsDir()).filter((f) => /^\d+-.*\.md$/.test(f)), 'glossary.md'];

test('every lesson and the glossary exist in Chinese with the same skeleton', () => {
  for (const name of lessonFiles()) {
    const en = join(lessonsDir(), name);
    const zh = join(lessonsDir(), 'zh', name);
    assert.ok(existsSync(zh), `lessons/zh/${name} is missing`);
    const [a, b] = [readFileSync(en, 'utf8'), readFileSync(zh, 'utf8')];
    assert.ok(CJK.test(b), `lessons/zh/${name} is not in Chinese`);
    const [sa, sb] = [skeleton(a), skeleton(b)];
    assert.equal(sb.headings, sa.headings, `${name}: the headings differ (levels in order)`);
    assert.is(sb.tables, sa.tables, `${name}: the number of tables differs`);
    assert.equal(sb.code, sa.code, `${name}: a code block differs (comments aside)`);
  }
  for (const name of readdirSync(join(lessonsDir(), 'zh'))) {
    assert.ok(existsSync(join(lessonsDir(), name)), `lessons/zh/${name} has no English original`);
  }
});

test('no lesson renders a stray ** or __ (markdown emphasis that did not parse, as next to Chinese punctuation)', () => {
  for (const language of ['en', 'zh'] as const) {
    for (const l of listLessons(lessonsDir(), language)) {
      const out = stripAnsi(renderMarkdown(readFileSync(l.file, 'utf8'), { width: 100 }));
      const prose = out.split('\n').filter((line) => !line.startsWith('  $ ') && !/^\s{2}\S/.test(line));
      const bad = prose.find((line) => /\*\*|(^|\s)__\S/.test(line));
      assert.not.ok(bad, `${language} ${l.id}: ${bad}`);
    }
  }
});

function bilingual(where: string, text: Shown | undefined): void {
  assert.ok(isText(text), `${where} is not in both languages: ${JSON.stringify(text)}`);
  assert.ok(text.en.trim() && text.zh.trim(), `${where} has an empty language`);
  assert.ok(CJK.test(text.zh), `${where}: the Chinese is not Chinese: ${text.zh}`);
}

test('every lab: its title, each step\'s title and explanation, each exercise\'s task and hints, in both languages', async () => {
  for (const id of LAB_ORDER) {
    const lab = (await loadLab(id))!;
    bilingual(`lab ${id} title`, lab.title);
    for (const step of lab.steps) {
      bilingual(`${id}/${step.id} title`, step.title);
      bilingual(`${id}/${step.id} explanation`, step.explain);
      if (step.exercise) {
        bilingual(`${id}/${step.id} task`, step.exercise.task);
        step.exercise.hints.forEach((h, k) => bilingual(`${id}/${step.id} hint ${k + 1}`, h));
      }
    }
  }
});

test('looksLikeProse tells a sentence from a path, a command or a value', () => {
  assert.ok(looksLikeProse('hostname on the host'));
  assert.not.ok(looksLikeProse('/proc/123/ns/uts'));
  assert.not.ok(looksLikeProse('$ ip link add nbv0 type veth peer name nbv1'));
  assert.not.ok(looksLikeProse('monotonic 0 0; boottime 0 0'));
  assert.not.ok(looksLikeProse('uts:[4026531838]'));
});

test.run();
