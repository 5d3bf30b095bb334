// The lessons: one markdown file per syllabus module in lessons/, named NN-<id>.md (NN is the
// module number, so a directory listing is already in course order).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lang, pick, type Lang } from '../i18n/lang.js';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export interface LessonInfo { id: string; module: number; title: string; file: string }

/** lessons/ at the package root (dist/src/lesson -> ../../../lessons, or src/lesson -> ../../lessons). */
export function lessonsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..', '..', 'lessons') : join(here, '..', '..', 'lessons');
}

/** Where a lesson's text is in a language: lessons/NAME (English) or lessons/zh/NAME (Chinese). */
function lessonFile(name: string, language: Lang = lang(), dir = lessonsDir()): string {
  const translated = join(dir, language, name);
  return language !== 'en' && existsSync(translated) ? translated : join(dir, name);
}

/** The lessons in course order, titled in this run's language. */
export function listLessons(dir = lessonsDir(), language: Lang = lang()): LessonInfo[] {
  return readdirSync(dir)
    .map((name) => /^(\d+)-([a-z0-9-]+)\.md$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const file = lessonFile(m[0], language, dir);
      const heading = /^#\s+(.+)$/m.exec(readFileSync(file, 'utf8'));
      return { id: m[2], module: Number(m[1]), title: heading ? heading[1].trim() : m[2], file };
    })
    .sort((a, b) => a.module - b.module);
}

/** The glossary: every term of the course, its English and Chinese, and where it is taught. */
export function glossary(language: Lang = lang()): LessonInfo {
  const file = lessonFile('glossary.md', language);
  return { id: 'glossary', module: 99, title: /^#\s+(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1].trim() ?? 'Glossary', file };
}

export function findLesson(id: string): LessonInfo {
  if (id === 'glossary') return glossary();
  const all = listLessons();
  // A lab's id names its lesson too (`lesson show mnt` is the lesson of lab mnt, "mount").
  const lesson = all.find((l) => l.id === id || String(l.module) === id) ?? all.find((l) => l.id === lessonOfLab(id));
  if (!lesson) {
    throw new UserError(pick(`no lesson or lab "${id}": the lessons are ${all.map((l) => l.id).join(', ')} (and glossary)`,
      `没有叫 "${id}" 的课或实验：课程有 ${all.map((l) => l.id).join('、')}（还有术语表 glossary）`), 2);
  }
  return lesson;
}

/** The lesson a lab belongs to, from the labs' catalog written at build time (undefined if none). */
function lessonOfLab(labId: string): string | undefined {
  try {
    const catalog = JSON.parse(readFileSync(new URL('../../labs/catalog.json', import.meta.url), 'utf8')) as { id: string; lesson: string }[];
    return catalog.find((l) => l.id === labId)?.lesson;
  } catch {
    return undefined; // not built
  }
}
