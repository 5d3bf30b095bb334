// Reading a Dockerfile into instructions, as Docker's parser reads it:
//   - parser directives first (`# escape=\``, `# syntax=...`), only before anything else;
//   - a line ending in the escape character (\ unless changed) continues on the next; comment
//     lines (# first) are dropped, also in the middle of a continued instruction;
//   - the instruction's name is case-insensitive; `--flag=value` words right after it are its flags;
//   - RUN, CMD, ENTRYPOINT and SHELL (and COPY, ADD, VOLUME) take a JSON array, the "exec form",
//     or else a plain line, the "shell form" (a JSON array that does not parse is a plain line).
// Variables ($NAME, ${NAME:-default}) are not replaced here: their values change as ENV and ARG
// instructions go by, so the builder replaces them step by step (words.ts).
import { UserError } from '../errors.js';

export const KEYWORDS = ['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'ENV', 'ARG', 'COPY', 'ADD', 'WORKDIR', 'USER', 'EXPOSE', 'LABEL', 'VOLUME', 'STOPSIGNAL', 'SHELL', 'MAINTAINER', 'HEALTHCHECK', 'ONBUILD'] as const;
export type Keyword = typeof KEYWORDS[number];

export interface Instruction {
  /** The line it starts on (from 1). */
  line: number;
  keyword: Keyword;
  /** --name=value words after the keyword (COPY --chown=..., FROM --platform=...). */
  flags: Record<string, string>;
  /** Everything after the keyword and its flags, continuation lines joined. */
  args: string;
  /** The exec form, when `args` is a JSON array of strings. */
  json?: string[];
  /** The instruction as written, on one line (for messages and history). */
  text: string;
}

export interface Dockerfile {
  /** The escape character: \ or ` (Windows-style Dockerfiles choose the backtick). */
  escape: string;
  instructions: Instruction[];
}

/** Instructions whose arguments may be a JSON array. */
const JSON_FORMS = new Set<Keyword>(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);
/** Instructions that take --flags, and which ones. */
const FLAGS: Partial<Record<Keyword, string[]>> = {
  FROM: ['platform'],
  COPY: ['chown', 'chmod', 'from', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'checksum', 'keep-git-dir', 'link', 'exclude'],
  RUN: ['mount', 'network', 'security'],
};

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, why: string): never => { throw new UserError(`${file}:${line}: ${why}`); };
  let escape = '\\';
  let i = 0;
  // Parser directives: "# key=value" lines at the very top. The first other line ends them.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') fail(i + 1, `invalid escape token "${m[2]}": use \\ or \``);
      escape = m[2];
    } else if (key !== 'syntax' && key !== 'check') {
      break; // not a directive: an ordinary comment
    }
  }
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const start = i;
    let line = lines[i++];
    if (/^\s*(#|$)/.test(line)) continue;
    // Continuation: the escape character last on the line (spaces after it allowed).
    const continued = (l: string) => l.trimEnd().endsWith(escape);
    let joined = '';
    while (continued(line)) {
      joined += line.trimEnd().slice(0, -1);
      // The next line that is not a comment (blank lines are skipped, as Docker does, with a warning there).
      while (i < lines.length && /^\s*(#|$)/.test(lines[i])) i++;
      if (i >= lines.length) { line = ''; break; }
      line = lines[i++];
    }
    joined += line;
    const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(joined);
    if (!m) fail(start + 1, `cannot read "${joined.trim().slice(0, 40)}": an instruction starts with its name (RUN, COPY, ...)`);
    const keyword = m![1].toUpperCase() as Keyword;
    if (!(KEYWORDS as readonly string[]).includes(keyword)) fail(start + 1, `unknown instruction: ${m![1]}`);
    let rest = (m![2] ?? '').trim();
    if (/^<<-?["']?[A-Za-z_]/.test(rest) || (keyword === 'RUN' && /\s<<-?["']?[A-Za-z_]\w*["']?\s*$/.test(rest))) {
      fail(start + 1, 'here-documents (<<EOF) are not supported: write the lines as one command joined with && or \\');
    }
    const flags: Record<string, string> = {};
    for (;;) {
      const f = /^--([a-z-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f || !FLAGS[keyword]) break;
      if (!FLAGS[keyword]!.includes(f[1])) fail(start + 1, `${keyword} has no flag --${f[1]}`);
      flags[f[1]] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
    let json: string[] | undefined;
    if (JSON_FORMS.has(keyword) && rest.startsWith('[')) {
      try {
        const v = JSON.parse(rest);
        if (Array.isArray(v) && v.every((s) => typeof s === 'string')) json = v;
      } catch { /* not JSON: the shell form, as Docker reads it */ }
    }
    if (!rest && !['RUN', 'CMD', 'ENTRYPOINT'].includes(keyword)) fail(start + 1, `${keyword} needs an argument`);
    instructions.push({ line: start + 1, keyword, flags, args: rest, json, text: `${keyword} ${joinFlags(flags)}${rest}`.trim() });
  }
  if (!instructions.length) throw new UserError(`${file}: the Dockerfile is empty: it needs at least a FROM`);
  return { escape, instructions };
}

const joinFlags = (flags: Record<string, string>) => Object.entries(flags).map(([k, v]) => `--${k}=${v} `).join('');
