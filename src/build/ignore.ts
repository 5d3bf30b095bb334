// .dockerignore: which files of the build context COPY and ADD may not see, with the rules of
// Docker's pattern matcher (moby/patternmatcher):
//   - one pattern a line; blank lines and lines starting with # are skipped;
//   - a pattern is a path from the context's root ("/" in front changes nothing), cleaned;
//   - * matches any run of characters but "/", ? one of them, [a-z] a class; ** any number of
//     directories, none included (**/*.go is every .go file, at any depth);
//   - a pattern that matches a directory excludes everything under it;
//   - ! in front makes an exception: a later line decides over an earlier one.
import { posix } from 'node:path';

interface Pattern { regex: RegExp; exception: boolean; source: string }

/** A pattern as a regular expression, character by character as Docker's compile() does. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '\\') {
      if (i + 1 < pattern.length) re += '\\' + pattern[++i];
      else re += '\\\\';
    } else if (c === '[' || c === ']') {
      re += c;
    } else if (/[.$^+(){}|]/.test(c)) {
      re += '\\' + c;
    } else {
      re += c;
    }
  }
  try {
    return new RegExp(re + '$');
  } catch {
    return /(?!)/; // a malformed class matches nothing, as a bad pattern does in Docker
  }
}

export class IgnoreRules {
  private readonly patterns: Pattern[];

  constructor(text = '') {
    this.patterns = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      line = posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
      if (!line || line === '.') continue;
      this.patterns.push({ regex: compile(line), exception, source: raw.trim() });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether the context's file `rel` (a path from its root, no "./") is left out of the build. */
  ignored(rel: string): boolean {
    const parts = rel.split('/');
    let out = false;
    for (const p of this.patterns) {
      // The path itself, or a directory above it.
      let match = false;
      for (let n = parts.length; n > 0 && !match; n--) match = p.regex.test(parts.slice(0, n).join('/'));
      if (match) out = !p.exception;
    }
    return out;
  }

  /**
   * Whether anything under directory `rel` could be let back in by an exception: then the
   * directory must be walked even though it is ignored itself.
   */
  mayHaveExceptions(rel: string): boolean {
    return this.patterns.some((p) => p.exception && (p.source.replace(/^!\s*\/?/, '').startsWith(rel + '/') || p.source.includes('*')));
  }
}
