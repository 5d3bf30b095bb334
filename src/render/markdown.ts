// Markdown to styled terminal text. markdown-it parses; this walks its token stream and draws each
// block for a terminal of a given width: headings, wrapped paragraphs, lists, inline code, fenced
// code (shell commands stand out with a "$ " prompt), tables with box lines, links, and block quotes
// as tips and warnings.
import type MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import chalk from 'chalk';
import { createRequire } from 'node:module';
import { displayWidth, wrapText, softBreak, truncate, padEnd } from './text-width.js';
import { glyphs } from './glyphs.js';

export interface RenderOptions {
  /** Columns to wrap at (default: the terminal's, else 80; never more than 100). */
  width?: number;
}

let parser: MarkdownIt | undefined;

// Control sequences take no columns on screen.
const ANSI = /\x1b\[[0-9;]*m/g;

export function renderMarkdown(source: string, opts: RenderOptions = {}): string {
  // markdown-it's single-file build: the same parser, loaded in ~10 ms instead of the ~100 ms its
  // ES module graph (some 60 files) takes, on every `lesson show` and lab start.
  if (!parser) {
    const markdownIt = createRequire(import.meta.url)('markdown-it/dist/markdown-it.min.js') as typeof MarkdownIt;
    parser = new markdownIt({ html: false, linkify: false, typographer: false });
  }
  const width = Math.max(40, Math.min(opts.width ?? (process.stdout.columns || 80), 100));
  const tokens = parser.parse(source, {});
  const blocks = renderBlocks(tokens, 0, tokens.length, width);
  return blocks.join('\n\n') + '\n';
}

/** Render the block tokens in [from, to) as a list of blocks (each a string of lines). */
function renderBlocks(tokens: Token[], from: number, to: number, width: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    switch (t.type) {
      case 'heading_open': {
        const text = inline(tokens[i + 1]);
        const level = Number(t.tag.slice(1));
        if (level === 1) out.push(chalk.bold.cyan(text) + '\n' + chalk.cyan(glyphs().hh.repeat(Math.min(width, displayWidth(text)))));
        else if (level === 2) out.push(chalk.bold.cyan(text) + '\n' + chalk.cyan(glyphs().h.repeat(Math.min(width, displayWidth(text)))));
        else out.push(chalk.bold(text));
        i = skipTo(tokens, i, 'heading_close');
        break;
      }
      case 'paragraph_open': {
        out.push(wrap(inline(tokens[i + 1]), width).join('\n'));
        i = skipTo(tokens, i, 'paragraph_close');
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const end = matching(tokens, i);
        out.push(renderList(tokens, i, end, width));
        i = end;
        break;
      }
      case 'fence':
      case 'code_block':
        out.push(renderCode(t.content.replace(/\n$/, ''), t.info.trim(), width));
        break;
      case 'table_open': {
        const end = matching(tokens, i);
        out.push(renderTable(tokens, i, end, width));
        i = end;
        break;
      }
      case 'blockquote_open': {
        const end = matching(tokens, i);
        out.push(renderQuote(tokens, i + 1, end, width));
        i = end;
        break;
      }
      case 'hr':
        out.push(chalk.dim(glyphs().h.repeat(width)));
        break;
      default:
        break;
    }
  }
  return out;
}

/** Index of the token closing the one at `i` (same nesting level). */
function matching(tokens: Token[], i: number): number {
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    depth += tokens[j].nesting;
    if (depth === 0) return j;
  }
  return tokens.length - 1;
}

function skipTo(tokens: Token[], i: number, type: string): number {
  while (i < tokens.length && tokens[i].type !== type) i++;
  return i;
}

/** Inline children: emphasis, inline code, links. */
function inline(token: Token): string {
  let s = '';
  let href = '';
  const style: string[] = [];
  const apply = (text: string) => {
    let r = text;
    if (style.includes('strong')) r = chalk.bold(r);
    if (style.includes('em')) r = chalk.italic(r);
    if (style.includes('link')) r = chalk.blue.underline(r);
    return r;
  };
  const children = token.children ?? [];
  children.forEach((c, k) => {
    switch (c.type) {
      case 'text': s += apply(c.content); break;
      case 'code_inline': s += chalk.yellow(c.content); break;
      // A line break in the source: a space between words, none inside Chinese text.
      case 'softbreak': s += softBreak(s, children.slice(k + 1).find((n) => n.content)?.content ?? ''); break;
      case 'hardbreak': s += '\n'; break;
      case 'strong_open': style.push('strong'); break;
      case 'em_open': style.push('em'); break;
      case 'strong_close': case 'em_close': style.pop(); break;
      case 'link_open': href = c.attrGet('href') ?? ''; style.push('link'); break;
      case 'link_close': {
        style.pop();
        // Show where a link goes unless its text already says it.
        if (href && !s.endsWith(href) && !href.startsWith('#')) s += chalk.dim(` (${href})`);
        href = '';
        break;
      }
      default: s += apply(c.content ?? '');
    }
  });
  return s;
}

/** Wrap on display width (Chinese characters take two columns), each line prefixed by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  return wrapText(text, width - displayWidth(indent)).map((l) => indent + l);
}

function renderList(tokens: Token[], open: number, close: number, width: number): string {
  const ordered = tokens[open].type === 'ordered_list_open';
  let n = Number(tokens[open].attrGet('start') ?? 1);
  const items: string[] = [];
  for (let i = open + 1; i < close; i++) {
    if (tokens[i].type !== 'list_item_open') continue;
    const end = matching(tokens, i);
    const marker = ordered ? `${n++}.` : glyphs().bullet;
    const pad = ' '.repeat(marker.length + 1);
    const body = renderBlocks(tokens, i + 1, end, width - pad.length).join('\n');
    const lines = body.split('\n');
    items.push(lines.map((l, k) => (k === 0 ? chalk.cyan(marker) + ' ' : pad) + l).join('\n'));
    i = end;
  }
  return items.join('\n');
}

/** Code blocks are indented and coloured; in shell blocks each command gets a "$ " prompt. */
function renderCode(code: string, lang: string, width: number): string {
  const shell = /^(sh|shell|bash|console)$/.test(lang);
  return code.split('\n').map((line) => {
    if (shell && line.trim() && !line.startsWith('#')) return '  ' + chalk.dim('$ ') + chalk.yellow(line);
    if (shell && line.startsWith('#')) return '  ' + chalk.dim(line);
    return '  ' + chalk.green(truncate(line, width - 2, glyphs().ellipsis));
  }).join('\n');
}

/** A quote whose first word is Tip, Note or Warning is drawn as one, with a coloured bar. */
function renderQuote(tokens: Token[], from: number, to: number, width: number): string {
  const body = renderBlocks(tokens, from, to, width - 2).join('\n\n');
  const plain = body.replace(ANSI, '');
  const colour = /^(warning|caution|danger|警告|注意：)/i.test(plain) ? chalk.red : /^(tip|note|提示|小贴士)/i.test(plain) ? chalk.green : chalk.dim;
  return body.split('\n').map((l) => colour(glyphs().pipe) + l).join('\n');
}

function renderTable(tokens: Token[], open: number, close: number, width: number): string {
  const rows: string[][] = [];
  let header = 0;
  let inHead = false;
  for (let i = open; i < close; i++) {
    const t = tokens[i];
    if (t.type === 'thead_open') inHead = true;
    if (t.type === 'thead_close') inHead = false;
    if (t.type === 'tr_open') rows.push([]);
    if (t.type === 'tr_close' && inHead) header = rows.length;
    if (t.type === 'inline') rows[rows.length - 1].push(inline(t));
  }
  const cols = Math.max(...rows.map((r) => r.length));
  for (const r of rows) while (r.length < cols) r.push('');
  // Column widths: natural width, then the widest columns give way until the table fits.
  const widths = Array.from({ length: cols }, (_, c) => Math.max(3, ...rows.map((r) => displayWidth(r[c]))));
  const budget = width - (3 * cols + 1);
  while (widths.reduce((a, b) => a + b, 0) > budget) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= 8) break;
    widths[widest]--;
  }
  const g = glyphs();
  const line = (l: string, m: string, r: string) => chalk.dim(l + widths.map((w) => g.h.repeat(w + 2)).join(m) + r);
  const out = [line(g.tl, g.tm, g.tr)];
  rows.forEach((row, k) => {
    const cells = row.map((cell, c) => wrap(cell, widths[c]));
    const height = Math.max(...cells.map((c) => c.length));
    for (let h = 0; h < height; h++) {
      const parts = cells.map((c, ci) => {
        const text = c[h] ?? '';
        const padded = padEnd(text, widths[ci]);
        return k < header ? chalk.bold(padded) : padded;
      });
      out.push(chalk.dim(`${g.v} `) + parts.join(chalk.dim(` ${g.v} `)) + chalk.dim(` ${g.v}`));
    }
    if (k === header - 1) out.push(line(g.ml, g.mm, g.mr));
  });
  out.push(line(g.bl, g.bm, g.br));
  return out.join('\n');
}
