import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand } from '../cli/base.js';
import { UserError } from '../errors.js';

export default class Logs extends NestboxCommand {
  static summary = 'Show what a detached container wrote to stdout and stderr.';
  static examples = ['sudo nestbox logs web', 'sudo nestbox logs -f --tail 10 web'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing until the container exits' }),
    tail: Flags.string({ char: 'n', description: 'only the last N lines ("all", the default, for every line)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    this.requireRoot();
    const { showLogs } = await import('../runtime/lifecycle.js');
    await showLogs(args.container, { follow: flags.follow, tail: tailLines(flags.tail) }, (s) => process.stdout.write(s));
  }
}

function tailLines(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  if (!/^\d+$/.test(text)) throw new UserError(`--tail "${text}": give a number of lines or "all"`, 2);
  return Number(text);
}
