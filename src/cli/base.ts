// The base of every nestbox command: turns any failure into one line on stderr, with the exit code
// the error carries. Stack traces only with DEBUG set.
import { Command } from '@oclif/core/command';
import { reportError } from './report-error.js';
import { requireRoot } from './require-root.js';

export abstract class NestboxCommand extends Command {
  /** Refuse early, naming this command as the user typed it ("nestbox lab start"), when not root. */
  protected requireRoot(): void {
    requireRoot(`nestbox ${(this.id ?? '').replace(/:/g, ' ')}`);
  }

  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const oclifExit = err.oclif?.exit;
    if (oclifExit === 0) return; // this.exit(0)
    // oclif's parse errors (unknown flag, missing argument) send the learner to --help
    if (err.name === 'CLIError' || /Parse|Flag|Arg/.test(err.constructor?.name ?? '')) {
      reportError(err, 2, ` (see \`nestbox ${this.id?.replace(/:/g, ' ')} --help\`)`);
    } else {
      reportError(err, err.exitCode ?? oclifExit ?? 1);
    }
  }
}

