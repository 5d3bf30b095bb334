import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LessonShow extends NestboxCommand {
  static summary = 'Read a lesson in the terminal.';
  static description = 'Renders the lesson\'s markdown for your terminal\'s width; a lesson longer than the screen opens in a pager (less), where q quits.';
  static examples = ['nestbox lesson show uts', 'nestbox lesson show 2', 'nestbox lesson show pid --no-pager --width 80'];
  static args = {
    id: Args.string({ description: 'the lesson id or module number (see nestbox lesson list)', required: true }),
  };
  static flags = {
    ...courseFlags,
    width: Flags.integer({ description: 'wrap at this many columns (40-100)', min: 40, max: 100 }),
    pager: Flags.boolean({ description: 'page long lessons on a terminal', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LessonShow);
    applyCourseFlags(flags);
    const { showLesson } = await import('../../lesson/show.js');
    await showLesson(args.id, { width: flags.width, pager: flags.pager });
  }
}
