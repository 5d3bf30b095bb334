// `run` and `exec` end in a command of the user's, whose own flags must not be read as nestbox's:
// `nestbox run -d default ls -l` runs `ls -l`. As in Docker, nestbox's flags come first, then one
// word (the image, the container), then the command, optionally after `--`.

/** The words that name a flag taking a value (--name, -e, --network...), read from the flag definitions. */
function valueFlags(flags: Record<string, { type: string; char?: string; aliases?: string[] }>): Set<string> {
  const out = new Set<string>();
  for (const [name, f] of Object.entries(flags)) {
    if (f.type !== 'option' && f.type !== 'string') continue; // oclif's flags, or run-options.ts
    out.add(`--${name}`);
    if (f.char) out.add(`-${f.char}`);
    for (const a of f.aliases ?? []) out.add(a.length === 1 ? `-${a}` : `--${a}`);
  }
  return out;
}

/**
 * Split argv after the first word that is neither a flag nor a flag's value: `own` is what oclif
 * parses (flags and that word), `command` the rest; `afterDashes` when a `--` marked the split.
 */
export function splitAtCommand(argv: string[], flags: Record<string, { type: string; char?: string; aliases?: string[] }>): { own: string[]; command: string[]; afterDashes: boolean } {
  const takesValue = valueFlags(flags);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { own: argv.slice(0, i), command: argv.slice(i + 1), afterDashes: true };
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++;
      continue;
    }
    const dashes = argv[i + 1] === '--';
    return { own: argv.slice(0, i + 1), command: argv.slice(i + (dashes ? 2 : 1)), afterDashes: dashes };
  }
  return { own: argv, command: [], afterDashes: false };
}
