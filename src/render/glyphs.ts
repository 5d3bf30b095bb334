// The few non-ASCII symbols nestbox draws (ticks, bullets, box lines), and their ASCII stand-ins.
// Many terminals with a Chinese font draw box-drawing characters and ticks two columns wide (Unicode
// calls them "ambiguous" width), which breaks every table and underline; a terminal whose locale is
// not UTF-8 cannot show them at all. --ascii (or NESTBOX_ASCII=1) asks for plain ASCII, and it is
// chosen by itself when the locale is not UTF-8.
const UNICODE = {
  tick: '✔', cross: '✘', bullet: '•', arrow: '▸', ellipsis: '…', block: '█', light: '░',
  h: '─', hh: '═', v: '│', tl: '┌', tm: '┬', tr: '┐', ml: '├', mm: '┼', mr: '┤', bl: '└', bm: '┴', br: '┘',
  tee: '├─', elbow: '└─', pipe: '│ ',
};
const ASCII: typeof UNICODE = {
  tick: '+', cross: 'x', bullet: '*', arrow: '>', ellipsis: '...', block: '#', light: '.',
  h: '-', hh: '=', v: '|', tl: '+', tm: '+', tr: '+', ml: '+', mm: '+', mr: '+', bl: '+', bm: '+', br: '+',
  tee: '|-', elbow: '`-', pipe: '| ',
};

let forced: boolean | undefined;

/** --ascii on the command line. */
export function useAscii(on: boolean): void {
  forced = on;
}

/** Is the character set of the locale UTF-8? (LC_ALL, then LC_CTYPE, then LANG, as setlocale reads them) */
function utf8Locale(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

export function asciiMode(): boolean {
  if (forced !== undefined) return forced;
  if (process.env.NESTBOX_ASCII) return process.env.NESTBOX_ASCII !== '0';
  return !utf8Locale();
}

/** The symbols to draw with now. */
export function glyphs(): typeof UNICODE {
  return asciiMode() ? ASCII : UNICODE;
}
