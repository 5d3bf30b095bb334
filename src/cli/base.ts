// The base of every nestbox command: turns any failure into one line on stderr, with the exit code
// the error carries. Stack traces only with DEBUG set.
import { Command } from '@oclif/core/command';

export abstract class NestboxCommand extends Command {
  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (process.env.DEBUG) console.error(err);
    const oclifExit = err.oclif?.exit;
    if (oclifExit === 0) return; // this.exit(0)
    let message = String(err.message ?? err).split('\n')[0].replace(/^Error: /, '');
    // oclif's parse errors (unknown flag, missing argument) send the learner to --help
    if (err.name === 'CLIError' || /Parse|Flag|Arg/.test(err.constructor?.name ?? '')) {
      if (!/--help/.test(message)) message += ` (see \`nestbox ${this.id?.replace(/:/g, ' ')} --help\`)`;
      process.exitCode = 2;
    } else {
      process.exitCode = err.exitCode ?? oclifExit ?? 1;
    }
    if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}`);
  }
}

export { requireRoot } from './require-root.js';
