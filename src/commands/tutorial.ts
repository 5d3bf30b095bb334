import { Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { courseFlags, applyCourseFlags } from '../cli/course-flags.js';

export default class Tutorial extends NestboxCommand {
  static summary = 'The guided course: every lab in syllabus order, from processes to your own container runtime.';
  static description = 'Shows a checklist of the labs with your progress, offers each lab\'s lesson, and resumes at the first lab you have not finished.';
  static examples = ['sudo nestbox tutorial', 'sudo nestbox tutorial --yes --pace 1000'];
  static flags = {
    ...courseFlags,
    yes: Flags.boolean({ char: 'y', description: 'every remaining lab as a demo: exercises answered by their reference solutions (on a terminal each step waits for Enter or space, or --pace)' }),
    pace: Flags.integer({ description: 'with --yes: instead of waiting for a key, go on after a pause that starts at this many milliseconds and grows with the step\'s text (space pauses, Enter goes on)', min: 0, max: 60000 }),
    explain: Flags.boolean({ description: 'show the equivalent shell command and system call of each step' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tutorial);
    applyCourseFlags(flags);
    this.requireRoot();
    const { runTutorial } = await import('../lab/tutorial.js');
    process.exitCode = await runTutorial(flags);
  }
}
