import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { UserError } from '../errors.js';

export default class Logs extends NestboxCommand {
  static summary = 'Show what a container wrote: its stdout to your stdout, its stderr to your stderr.';
  static description = 'Every container keeps a log, as Docker\'s json-file driver does: one JSON line per line of output, with the stream and the time it was read (in /var/lib/nestbox/containers/ID/container.log). A detached container\'s monitor writes it, a foreground `nestbox run` too while it shows the output. The log outlives the container\'s run: it is kept across start and restart, and removed with the container. With -t (a terminal), stdout and stderr are one stream.';
  static examples = ['sudo nestbox logs web', 'sudo nestbox logs -f --tail 10 web', 'sudo nestbox logs -t --since 10m web 2>/dev/null'];
  static args = { container: Args.string({ description: 'name or id', required: true }) };
  static flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until the container stops' }),
    tail: Flags.string({ char: 'n', description: 'only the last N lines ("all", the default, for every line)' }),
    timestamps: Flags.boolean({ char: 't', description: 'start each line with the time it was written (RFC 3339, nanoseconds)' }),
    since: Flags.string({ description: 'only lines since a time: 2026-12-06T10:00:00Z, a Unix time, or a duration back from now (10m, 1h30m)' }),
    until: Flags.string({ description: 'only lines before a time (same forms as --since)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    this.requireRoot();
    const { showLogs, parseLogTime } = await import('../runtime/logs.js');
    await showLogs(args.container, {
      follow: flags.follow,
      tail: tailLines(flags.tail),
      timestamps: flags.timestamps,
      since: flags.since !== undefined ? parseLogTime(flags.since) : undefined,
      until: flags.until !== undefined ? parseLogTime(flags.until) : undefined,
    }, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  }
}

function tailLines(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  if (!/^\d+$/.test(text)) throw new UserError(`--tail "${text}": give a number of lines or "all"`, 1);
  return Number(text);
}
