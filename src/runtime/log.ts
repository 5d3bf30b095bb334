// A container's log, as Docker's json-file driver keeps it: one JSON object per line of output,
// with the stream it came from and the time it was read, so `logs` can give stdout and stderr back
// apart, with timestamps, since or until a time. A detached container's monitor (bin/nestbox-monitor)
// writes it; a foreground `nestbox run` writes it the same way while it copies the output to the
// terminal.
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';

export type Stream = 'stdout' | 'stderr';
export interface LogEntry { log: string; stream: Stream; time: string }

/** RFC 3339 with nanoseconds, as Docker writes them (milliseconds from the clock, then zeros). */
function logTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}000000Z`);
}

/** Appends whole lines as they complete; a partial line waits for its end (or for close()). */
export class LogWriter {
  private readonly fd: number;
  private readonly pending: Record<Stream, string> = { stdout: '', stderr: '' };

  constructor(file: string) {
    this.fd = openSync(file, 'a');
  }

  write(stream: Stream, data: string): void {
    const text = this.pending[stream] + data;
    const cut = text.lastIndexOf('\n') + 1;
    this.pending[stream] = text.slice(cut);
    if (cut) this.append(stream, text.slice(0, cut).split(/(?<=\n)/));
  }

  close(): void {
    for (const stream of ['stdout', 'stderr'] as const) if (this.pending[stream]) this.append(stream, [this.pending[stream]]);
    closeSync(this.fd);
  }

  private append(stream: Stream, lines: string[]): void {
    const time = logTime();
    appendFileSync(this.fd, lines.map((log) => JSON.stringify({ log, stream, time }) + '\n').join(''));
  }
}

/**
 * One line of a log. A line that is not JSON (a log written by an older nestbox, which kept plain
 * output) is taken as stdout with no time.
 */
export function parseLogLine(line: string): LogEntry {
  try {
    const e = JSON.parse(line) as LogEntry;
    if (typeof e.log === 'string') return { log: e.log, stream: e.stream === 'stderr' ? 'stderr' : 'stdout', time: e.time ?? '' };
  } catch { /* plain text */ }
  return { log: line + '\n', stream: 'stdout', time: '' };
}

/** The entries of a log (none if there is none yet). */
export function readLog(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((line) => line).map(parseLogLine);
}
