// Columns as `docker ps` prints them: a header and rows, each column as wide as its widest cell (by
// display width, so colours and Chinese cells line up), two spaces between, numbers on the right.
import { displayWidth } from './text-width.js';

export interface ColumnsOptions {
  /** Columns aligned to the right (counts, sizes), by index. */
  right?: number[];
}

export function columns(rows: string[][], opts: ColumnsOptions = {}): string[] {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, c) => Math.max(0, ...rows.map((r) => displayWidth(r[c] ?? ''))));
  return rows.map((r) => r.map((cell, c) => {
    const pad = ' '.repeat(Math.max(0, widths[c] - displayWidth(cell)));
    return opts.right?.includes(c) ? pad + cell : cell + pad;
  }).join('  ').trimEnd());
}
