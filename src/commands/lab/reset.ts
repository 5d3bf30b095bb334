import * as Args from '@oclif/core/args';
import { NestboxCommand, requireRoot } from '../../cli/base.js';

export default class LabReset extends NestboxCommand {
  static summary = 'Forget progress in a lab (or all labs) and remove what a killed lab left behind.';
  static examples = ['sudo nestbox lab reset uts', 'sudo nestbox lab reset'];
  static args = {
    id: Args.string({ description: 'the lab; all labs when omitted' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(LabReset);
    requireRoot('nestbox lab reset');
    const { resetLab } = await import('../../lab/start.js');
    await resetLab(args.id);
  }
}
