// `nestbox logs`: a container's output, read back from its log (src/runtime/log.ts), each line to
// the stream it came from, so `logs web 2>/dev/null` shows only what the container wrote to stdout.
import { closeSync, existsSync, openSync, readSync, statSync, watch } from 'node:fs';
import { UserError } from '../errors.js';
import { findContainer, paths } from './store.js';
import { readLog, parseLogLine, type LogEntry } from './log.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogsOptions {
  follow?: boolean;
  /** The last N lines only. */
  tail?: number;
  timestamps?: boolean;
  /** Only lines written at or after / before this time (ms since the epoch). */
  since?: number;
  until?: number;
}

export interface LogsOutput { stdout(s: string): void; stderr(s: string): void }

/**
 * Docker's --since and --until: an RFC 3339 time (2026-12-06T10:00:00Z, or a date), a Unix time in
 * seconds (1733480000, 1733480000.5), or a duration back from now in Go's form (10m, 1h30m, 42s).
 */
export function parseLogTime(text: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const duration = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:h|ms|m|s)/g)! : undefined;
  if (duration) {
    const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
    return now - duration.reduce((sum, part) => sum + Number(/[\d.]+/.exec(part)![0]) * unit[/[a-z]+$/.exec(part)![0]], 0);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    // A time without a zone is local time, as Docker takes it.
    const t = Date.parse(text.replace(' ', 'T'));
    if (Number.isFinite(t)) return t;
  }
  throw new UserError(`"${text}" is not a time: give an RFC 3339 time (2026-12-06T10:00:00Z), a Unix time (1733480000) or a duration back from now (10m, 1h30m)`, 1);
}

/** RFC 3339 with nanoseconds as Docker prints them with -t (its log keeps them). */
function stamp(e: LogEntry): string {
  return e.time ? `${e.time} ` : '';
}

function selected(e: LogEntry, opts: LogsOptions): boolean {
  if (opts.since === undefined && opts.until === undefined) return true;
  const t = Date.parse(e.time);
  if (!Number.isFinite(t)) return false;
  return (opts.since === undefined || t >= opts.since) && (opts.until === undefined || t < opts.until);
}

export async function showLogs(ref: string, opts: LogsOptions, out: LogsOutput): Promise<void> {
  const c = findContainer(ref);
  const file = paths(c.id).log;
  const emit = (e: LogEntry) => {
    if (!selected(e, opts)) return;
    const text = (opts.timestamps ? stamp(e) : '') + e.log;
    if (e.stream === 'stderr') out.stderr(text); else out.stdout(text);
  };
  let entries = readLog(file).filter((e) => selected(e, opts));
  if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  entries.forEach(emit);
  // --until is in the past, or no -f: done. Otherwise, new lines as they come, until it stops.
  if (!opts.follow || (opts.until !== undefined && opts.until <= Date.now())) return;
  await followLog(c.id, file, existsSync(file) ? statSync(file).size : 0, emit);
}

/** Print the lines appended from `offset` on, until the container is no longer running. */
async function followLog(id: string, file: string, offset: number, emit: (e: LogEntry) => void): Promise<void> {
  let partial = '';
  const pump = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      const text = partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) emit(parseLogLine(line));
    } finally {
      closeSync(fd);
    }
  };
  const watcher = existsSync(file) ? watch(file, pump) : undefined;
  try {
    for (;;) {
      pump();
      let running: boolean;
      try {
        const s = findContainer(id).state.Status;
        running = s === 'running' || s === 'paused' || s === 'restarting';
      } catch { running = false; }
      if (!running) break;
      await sleep(100);
    }
    pump();
  } finally {
    watcher?.close();
  }
}
