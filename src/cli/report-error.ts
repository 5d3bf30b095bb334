/** Any failure as one line on stderr, with its exit code; the stack only with DEBUG. */
export function reportError(err: Error & { exitCode?: number }, exitCode = err.exitCode ?? 1, hint = ''): void {
  if (process.env.DEBUG) console.error(err);
  process.exitCode = exitCode;
  const lines = String(err.message ?? err).split('\n');
  // "Missing 1 required arg:" names the argument on the next line, and "Parsing --time" says
  // what was wrong with its value there.
  const first = lines[0].replace(/^(Parsing --\S+)\s*$/, '$1:');
  const message = (first.endsWith(':') && lines[1] ? `${first} ${lines[1].trim().replace(/\s{2,}/, ', ')}` : first).replace(/^Error: /, '');
  if (message && !/^EEXIT/.test(message)) console.error(`nestbox: ${message}${/--help/.test(message) ? '' : hint}`);
}
