// How wide text is on a terminal, and how to wrap it. A terminal gives each character one or two
// columns: Chinese characters and full-width punctuation take two (Unicode's East Asian Width
// "Wide" and "Fullwidth"), combining marks none, colour codes none. Counting characters instead of
// columns wraps Chinese lines at twice the terminal's width and breaks every table.
//
// Wrapping follows the usual rules for mixed Chinese and English text: a line may break at a space
// (the space is dropped) or between two Chinese characters (nothing is dropped), but never before
// closing punctuation such as ，。）or after opening punctuation such as （“.
import { eastAsianWidth } from 'get-east-asian-width';

const ANSI = /\x1b\[[0-9;]*m/g;
const ANSI_AT = /\x1b\[[0-9;]*m/y;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe00-\ufe0f]/u;

/** Columns one code point takes. */
function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1; // Latin, fast path
  if (ZERO_WIDTH.test(ch)) return 0;
  return eastAsianWidth(cp);
}

export const stripAnsi = (s: string) => s.replace(ANSI, '');

/** Columns a string takes on a terminal (colour codes excluded). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of stripAnsi(s)) w += charWidth(ch);
  return w;
}

/** Pad with spaces to `width` columns. */
export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/** Cut to at most `width` columns, ending in an ellipsis when something was cut. */
export function truncate(s: string, width: number, ellipsis = '…'): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - displayWidth(ellipsis)) break;
    out += ch;
    w += cw;
  }
  return out + ellipsis;
}

/** Punctuation that may not start a line (it closes what is before it). */
const NO_START = new Set([...'，。、；：？！）》」』】〕〉”’…—·%,.;:!?)]}']);
/** Punctuation that may not end a line (it opens what comes after it). */
const NO_END = new Set([...'（《「『【〔〈“‘([{']);

const isWide = (ch: string) => charWidth(ch) === 2;

/** A piece of a line that is never split: a word, or one Chinese character with its punctuation. */
interface Atom { text: string; width: number; spaceBefore: boolean }

function atoms(para: string): Atom[] {
  const out: Atom[] = [];
  let cur: Atom | undefined;
  let space = false;
  // Glue the next character to the current atom (no break between them)?
  let glueNext = false;
  const start = (spaceBefore: boolean) => {
    cur = { text: '', width: 0, spaceBefore };
    out.push(cur);
  };
  for (let i = 0; i < para.length;) {
    ANSI_AT.lastIndex = i;
    const esc = ANSI_AT.exec(para);
    if (esc) {
      // Colour codes take no room: they go with whatever they are next to.
      if (!cur || space) { start(space && out.length > 0); space = false; }
      cur!.text += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(para.codePointAt(i)!);
    i += ch.length;
    if (ch === ' ') {
      space = true;
      glueNext = false;
      continue;
    }
    const wide = isWide(ch);
    const prev = cur?.text ? [...stripAnsi(cur.text)].pop() : undefined;
    // A break is allowed before this character after a space, or at a boundary where either side
    // is Chinese, unless punctuation forbids it.
    const breakable = !cur || space || (!glueNext && !NO_START.has(ch) && prev !== undefined && (wide || isWide(prev)));
    // Colour codes alone in the current atom: this character joins them.
    const onlyCodes = cur !== undefined && stripAnsi(cur.text) === '' && !space;
    if (breakable && !onlyCodes) start(space && out.length > 0);
    space = false;
    cur!.text += ch;
    cur!.width += charWidth(ch);
    glueNext = NO_END.has(ch);
  }
  return out;
}

/**
 * Greedy wrap to `width` columns; '\n' in the text starts a new line. An atom wider than a line
 * (a long path, a URL) is left whole on a line of its own.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    let len = 0;
    for (const a of atoms(para)) {
      const gap = a.spaceBefore && len > 0 ? 1 : 0;
      if (len > 0 && len + gap + a.width > width) {
        lines.push(line);
        line = a.text;
        len = a.width;
      } else {
        line += (gap ? ' ' : '') + a.text;
        len += gap + a.width;
      }
    }
    lines.push(line);
  }
  return lines;
}

/**
 * What a line break inside a markdown paragraph becomes: a space between words, nothing between
 * two Chinese characters (a Chinese text wrapped in its source must not get spaces inside).
 */
export function softBreak(before: string, after: string): string {
  const last = [...stripAnsi(before)].pop();
  const first = [...stripAnsi(after)][0];
  if (!last || !first) return ' ';
  const widePunct = (ch: string) => isWide(ch) && (NO_START.has(ch) || NO_END.has(ch));
  // Between Chinese and English a space stays, as one is usually typed there.
  return (isWide(last) && isWide(first)) || widePunct(last) || widePunct(first) ? '' : ' ';
}
