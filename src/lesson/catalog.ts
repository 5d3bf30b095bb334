// The lessons: one markdown file per syllabus module in lessons/, named NN-<id>.md (NN is the
// module number, so a directory listing is already in course order).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';

export interface LessonInfo { id: string; module: number; title: string; file: string }

/** lessons/ at the package root (dist/src/lesson -> ../../../lessons, or src/lesson -> ../../lessons). */
export function lessonsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..', '..', 'lessons') : join(here, '..', '..', 'lessons');
}

export function listLessons(dir = lessonsDir()): LessonInfo[] {
  return readdirSync(dir)
    .map((name) => /^(\d+)-([a-z0-9-]+)\.md$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const file = join(dir, m[0]);
      const heading = /^#\s+(.+)$/m.exec(readFileSync(file, 'utf8'));
      return { id: m[2], module: Number(m[1]), title: heading ? heading[1].trim() : m[2], file };
    })
    .sort((a, b) => a.module - b.module);
}

export function findLesson(id: string): LessonInfo {
  const all = listLessons();
  // A lab's id names its lesson too (`lesson show mnt` is the lesson of lab mnt, "mount").
  const lesson = all.find((l) => l.id === id || String(l.module) === id) ?? all.find((l) => l.id === lessonOfLab(id));
  if (!lesson) throw new UserError(`no lesson or lab "${id}": the lessons are ${all.map((l) => l.id).join(', ')}`, 2);
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
