import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LabStart extends NestboxCommand {
  static summary = 'Run a lab: each step done for real on the kernel, then verified.';
  static description = 'On a terminal it goes one step at a time: the idea, "press enter to run it", what was done, what the kernel now shows. Exercises open a shell inside the lab\'s namespace and check your work. Everything the lab creates is removed when it ends, on Ctrl-C too. A lab you left half-way resumes where you stopped.';
  static examples = ['sudo nestbox lab start uts', 'sudo nestbox lab start uts --explain', 'sudo nestbox lab start uts --yes --pace 1500'];
  static args = {
    id: Args.string({ description: 'the lab (see nestbox lab list)', required: true }),
  };
  static flags = {
    ...courseFlags,
    yes: Flags.boolean({ char: 'y', description: 'every exercise answered by its reference solution, and each step\'s command shown: a demo (on a terminal each step waits for Enter or space, or --pace) or a script (off a terminal nothing waits)' }),
    pace: Flags.integer({ description: 'with --yes: instead of waiting for a key, go on after a pause that starts at this many milliseconds and grows with the step\'s text (space pauses, Enter goes on)', min: 0, max: 60000 }),
    explain: Flags.boolean({ description: 'also show the equivalent shell command and the system call of each step' }),
    restart: Flags.boolean({ description: 'start from the first step even if you had progress' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabStart);
    applyCourseFlags(flags);
    const { startLab } = await import('../../lab/start.js');
    this.requireRoot();
    process.exitCode = await startLab(args.id, flags);
  }
}
