// `nestbox lesson show`: render a lesson for this terminal; on a TTY a lesson longer than the screen
// goes through a pager (less -R keeps the colours), as man pages do.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { renderMarkdown } from '../render/markdown.js';
import { findLesson } from './catalog.js';
import { which } from '../host/exec.js';

export interface ShowOptions { width?: number; pager?: boolean }

function renderLesson(id: string, width?: number): string {
  return renderMarkdown(readFileSync(findLesson(id).file, 'utf8'), { width });
}

export async function showLesson(id: string, opts: ShowOptions): Promise<void> {
  const text = renderLesson(id, opts.width);
  const rows = process.stdout.rows || 24;
  const tty = process.stdout.isTTY && process.stdin.isTTY;
  const pager = process.env.PAGER || (which('less') ? 'less' : undefined);
  if (opts.pager !== false && tty && pager && text.split('\n').length > rows - 1) {
    // -R: pass colours through; -F: quit at once if it fits after all; -X: leave it on screen.
    const r = spawnSync(pager, { shell: true, input: text, stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, LESS: process.env.LESS ?? 'FRX' } });
    if (!r.error) return;
  }
  process.stdout.write(text);
}
