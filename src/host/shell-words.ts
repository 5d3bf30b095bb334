// Command lines as words, both ways: quoting a word as a shell would need it (for the commands nestbox
// shows and records), and splitting a line that iptables printed back into its words.

/** Quote one argument the way a shell would need it (for display only). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./!-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Split a rule as `iptables -S` prints it: words, with "double-quoted" ones (comments) kept whole. */
export function splitRule(rule: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}
