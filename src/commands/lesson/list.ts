import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LessonList extends NestboxCommand {
  static summary = 'List the lessons, one per module of the course.';
  static examples = ['nestbox lesson list'];
  static flags = {
    ...courseFlags,
    json: Flags.boolean({ description: 'print an array of {id, module, title}' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LessonList);
    applyCourseFlags(flags);
    const { listLessons, glossary } = await import('../../lesson/catalog.js');
    const lessons = [...listLessons(), glossary()];
    if (flags.json) return void console.log(JSON.stringify(lessons.map(({ id, module, title }) => ({ id, module, title })), null, 2));
    const { columns } = await import('../../render/table.js');
    for (const line of columns(lessons.map((l) => [l.id === 'glossary' ? '' : String(l.module), l.id, l.title]), { right: [0] })) console.log(line);
  }
}
