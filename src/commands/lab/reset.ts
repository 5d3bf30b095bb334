import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand, requireRoot } from '../../cli/base.js';

export default class LabReset extends NestboxCommand {
  static summary = 'Forget progress in a lab (or all labs) and remove what a killed lab left behind.';
  static examples = ['sudo nestbox lab reset uts', 'sudo nestbox lab reset --yes'];
  static args = {
    id: Args.string({ description: 'the lab; all labs when omitted (asked first on a terminal)' }),
  };
  static flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask before forgetting every lab' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabReset);
    requireRoot('nestbox lab reset');
    if (!args.id && !flags.yes && process.stdin.isTTY) {
      const { ask } = await import('../../lab/interactive.js');
      const sure = await ask<boolean>({ type: 'confirm', message: 'Forget your progress in every lab?', initial: false });
      if (!sure) return void console.log('nothing was reset');
    }
    const { resetLab } = await import('../../lab/start.js');
    await resetLab(args.id);
  }
}
