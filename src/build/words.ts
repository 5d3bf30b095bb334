// The words of an instruction, as Docker's shell-like lexer reads them for ENV, LABEL, ARG, COPY,
// ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL and FROM (RUN, CMD and ENTRYPOINT are left to the
// shell in the container): split at blanks outside quotes, quotes removed, the escape character
// taking the next character literally, and variables replaced with the values the build has at
// that instruction:
//   $NAME, ${NAME}            its value ("" when unset)
//   ${NAME:-word}, ${NAME-word}   word when NAME is empty (or, without ":", unset)
//   ${NAME:+word}, ${NAME+word}   word when NAME is set and not empty (or, without ":", set), else ""
// In single quotes nothing is replaced; in double quotes variables are, and the escape character
// only escapes $, " and itself.
import { UserError } from '../errors.js';

export type Lookup = (name: string) => string | undefined;

class Lexer {
  private i = 0;
  constructor(private readonly s: string, private readonly vars: Lookup, private readonly escape: string) {}

  private variable(): string {
    const s = this.s;
    if (s[this.i] === '{') {
      const end = s.indexOf('}', this.i);
      if (end < 0) throw new UserError(`missing "}" in "${s}"`);
      const inner = s.slice(this.i + 1, end);
      this.i = end + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(inner);
      if (!m) throw new UserError(`bad substitution "\${${inner}}" (nestbox knows \${NAME}, \${NAME:-word} and \${NAME:+word})`);
      const [, name, op, word = ''] = m;
      const value = this.vars(name);
      const nested = () => new Lexer(word, this.vars, this.escape).words(true).join(' ');
      switch (op) {
        case undefined: return value ?? '';
        case ':-': return value ? value : nested();
        case '-': return value !== undefined ? value : nested();
        case ':+': return value ? nested() : '';
        default: return value !== undefined ? nested() : ''; // '+'
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i));
    if (!m) return '$'; // a lone $ stays
    this.i += m[0].length;
    return this.vars(m[0]) ?? '';
  }

  /** All the words; `one`: the whole text as one word (blanks kept), for ${NAME:-two words}. */
  words(one = false): string[] {
    const out: string[] = [];
    const s = this.s;
    let word = '';
    // A word is kept when it has a character, or quotes ("" is an empty word; an unset $X is none).
    let inWord = false;
    const end = () => {
      if (inWord || word) out.push(word);
      word = '';
      inWord = false;
    };
    while (this.i < s.length) {
      const c = s[this.i++];
      if (!one && /\s/.test(c)) {
        end();
        continue;
      }
      if (c === '$' && !one) {
        // Outside quotes a value with blanks in it is several words, as after a shell's expansion.
        const parts = this.variable().split(/\s+/);
        word += parts[0];
        for (const part of parts.slice(1)) {
          end();
          word = part;
        }
        continue;
      }
      if (c !== '$') inWord = inWord || c !== this.escape || this.i < s.length;
      if (c === '"' || c === "'") inWord = true;
      if (c === this.escape) {
        if (this.i < s.length) word += s[this.i++];
      } else if (c === "'") {
        const end = s.indexOf("'", this.i);
        if (end < 0) throw new UserError(`unmatched ' in "${s}"`);
        word += s.slice(this.i, end);
        this.i = end + 1;
      } else if (c === '"') {
        for (;;) {
          if (this.i >= s.length) throw new UserError(`unmatched " in "${s}"`);
          const d = s[this.i++];
          if (d === '"') break;
          if (d === this.escape && ['"', '$', this.escape].includes(s[this.i])) word += s[this.i++];
          else if (d === '$') word += this.variable();
          else word += d;
        }
      } else if (c === '$') {
        word += this.variable();
      } else {
        word += c;
      }
    }
    end();
    return one ? [out.join('')] : out;
  }
}

/** The words of `text`, unquoted, with variables replaced. */
export function words(text: string, vars: Lookup, escape = '\\'): string[] {
  return new Lexer(text, vars, escape).words();
}

/** One word: the whole text with variables replaced and quotes removed (WORKDIR, USER: blanks kept). */
export function word(text: string, vars: Lookup, escape = '\\'): string {
  return new Lexer(text.trim(), vars, escape).words(true)[0] ?? '';
}

/**
 * KEY=VALUE pairs (ENV, LABEL, ARG). ENV and LABEL also accept the old form "KEY VALUE", where the
 * value is the rest of the line.
 */
export function pairs(text: string, vars: Lookup, escape = '\\', allowOldForm = true): [string, string | undefined][] {
  const ws = words(text, vars, escape);
  if (!ws.length) return [];
  if (!ws[0].includes('=')) {
    if (allowOldForm && ws.length > 1) {
      const key = ws[0];
      const rest = text.trim().slice(text.trim().search(/\s/)).trim();
      return [[key, word(rest, vars, escape)]];
    }
    if (!allowOldForm) return ws.map((w) => (w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined]));
  }
  return ws.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) {
      if (!allowOldForm) return [w, undefined];
      throw new UserError(`"${w}" is not KEY=VALUE`);
    }
    return [w.slice(0, i), w.slice(i + 1)];
  });
}
