import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';
import { courseFlags, applyCourseFlags } from '../../cli/course-flags.js';

export default class LabReset extends NestboxCommand {
  static summary = 'Forget progress in a lab (or all labs) and remove what a killed lab left behind.';
  static examples = ['sudo nestbox lab reset uts', 'sudo nestbox lab reset --yes'];
  static args = {
    id: Args.string({ description: 'the lab; all labs when omitted (asked first on a terminal)' }),
  };
  static flags = {
    ...courseFlags,
    yes: Flags.boolean({ char: 'y', description: 'do not ask before forgetting every lab' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabReset);
    applyCourseFlags(flags);
    this.requireRoot();
    if (!args.id && !flags.yes && process.stdin.isTTY) {
      const { choose } = await import('../../lab/terminal-ui.js');
      const { pick } = await import('../../i18n/lang.js');
      const sure = await choose(pick('Forget your progress in every lab?', '清除你在所有实验里的进度吗？'),
        [{ key: 'no', label: pick('No', '不') }, { key: 'yes', label: pick('Yes, forget it all', '是的，全部清除') }]);
      if (sure !== 'yes') return void console.log(pick('nothing was reset', '什么都没有清除'));
    }
    const { resetLab } = await import('../../lab/start.js');
    await resetLab(args.id);
  }
}
