import { Args } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LabCheck extends NestboxCommand {
  static summary = 'Check the current exercise of a running lab (from a second terminal).';
  static description = 'While `nestbox lab start ID` waits at an exercise in one terminal, run this in another after doing the task there: it reads the kernel\'s state and says what passes and what does not.';
  static examples = ['sudo nestbox lab check uts'];
  static args = {
    id: Args.string({ description: 'the lab', required: true }),
  };

  static flags = { ...courseFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabCheck);
    applyCourseFlags(flags);
    this.requireRoot();
    const { checkRunningLab } = await import('../../lab/start.js');
    process.exitCode = await checkRunningLab(args.id);
  }
}
