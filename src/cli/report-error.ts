/** Any failure as one line on stderr, with its exit code; the stack only with DEBUG. */
export function reportError(err: Error & { exitCode?: number }, exitCode = err.exitCode ?? 1, hint = ''): void {
  if (process.env.DEBUG) console.error(err);
  process.exitCode = exitCode;
  const lines = String(err.message ?? err).split('\n');
  // "Missing 1 required arg:" names the argument on the next line.
  const message = (lines[0].endsWith(':') && lines[1] ? `${lines[0]} ${lines[1].trim().replace(/\s{2,}/, ', ')}` : lines[0]).replace(/^Error: /, '');
  if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}${/--help/.test(message) ? '' : hint}`);
}
