// The base of every nestbox command: turns any failure into one line on stderr, with the exit code
// the error carries. Stack traces only with DEBUG set.
import { Command } from './oclif.js';
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
    if (err.name === 'CLIError' || /Parse|Flag|Arg|CLIError/.test(err.constructor?.name ?? '')) {
      reportError(err, usageExitCode(this.id), ` (see \`nestbox ${this.id?.replace(/:/g, ' ')} --help\`)`);
    } else {
      reportError(err, err.exitCode ?? oclifExit ?? 1);
    }
  }
}


/**
 * The course's own commands (labs, lessons, doctor...) exit 2 on a usage error, as most Unix tools
 * do. Docker's commands (ps, stop, rm, inspect, image import, and any added later) exit 125, as
 * docker does for a flag it cannot parse, so a script can tell "nestbox refused" from the
 * container's own exit status.
 */
const COURSE_TOPICS = new Set(['lab', 'lesson', 'tutorial', 'doctor', 'rootfs', 'ns', 'net', 'cleanup', 'internal']);

function usageExitCode(id: string | undefined): number {
  return COURSE_TOPICS.has((id ?? '').split(':')[0]) ? 2 : 125;
}
