// The small texts Docker's CLI prints the same way everywhere: "Up 5 seconds", "3 minutes ago",
// "12.3kB", a command cut to 20 columns with "…", a time as Go prints it. Scripts and people
// compare nestbox's output with Docker's, so these follow Docker's own code (go-units, the CLI's
// formatter), rule for rule.
import { displayWidth } from './text-width.js';

/**
 * go-units HumanDuration: how Docker says how long ago, or for how long. Whole seconds up to a
 * minute, then "About a minute", minutes, "About an hour", hours (rounded) up to 48, days up to two
 * weeks, weeks up to two months (of 30 days), months up to two years, then years.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/**
 * The CLI's Ellipsis: cut `s` to `width` display columns, the last one an "…" (a wide character
 * counts two).
 */
export function ellipsis(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...s];
  if (width === 1) return chars[0] ?? '';
  // One column per character, as Docker counts them, unless a character is wide.
  const columns = (t: string) => (/^[\x00-\x7f]*$/.test(t) ? t.length : displayWidth(t));
  if (columns(s) <= width) return s;
  let out = '';
  for (const ch of chars) {
    if (columns(out + ch) > width - 1) break;
    out += ch;
  }
  return out + '…';
}

/** go-units HumanSizeWithPrecision(size, 3): decimal units, three significant digits ("0B", "12.3kB", "1.05GB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes, i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${units[i]}`;
}

/**
 * A time as Go's time.Time.String() prints it in the local zone, which is what `docker ps`
 * shows as CreatedAt: "2024-03-10 14:02:07 +0100 CET" (whole seconds, as the API gives them).
 */
export function goTime(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  // Go names the zone by its abbreviation (CET, UTC); where the system has none it repeats the
  // offset in short form (+03).
  let abbr = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (abbr === 'GMT' && offset === 0) abbr = 'UTC';
  if (/^GMT[+-]/.test(abbr) || !abbr) abbr = offset % 60 ? zone : `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone} ${abbr}`;
}
