import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../cli/base.js';

export default class Rm extends NestboxCommand {
  static summary = 'Remove stopped containers (their writable layer and log go too; volumes stay).';
  static examples = ['sudo nestbox rm web', 'sudo nestbox rm -f web'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = { force: Flags.boolean({ char: 'f', description: 'stop it first if it is running (SIGKILL)' }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Rm);
    this.requireRoot();
    const { removeContainer } = await import('../runtime/lifecycle.js');
    for (const ref of argv as string[]) console.log(await removeContainer(ref, flags.force));
  }
}
