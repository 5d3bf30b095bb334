// Shared test helpers. Kernel tests need root; without it they are skipped with a printed reason.
import { test as uvuTest, suite } from 'uvu';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const isRoot = process.getuid?.() === 0;

/**
 * How much longer than on a normal machine things may take (NESTBOX_TEST_PATIENCE, default 1): a VM
 * under emulation runs ten to twenty times slower. Every wait a test bounds goes through it, so a
 * slow machine makes the suite slower, never red.
 */
export const PATIENCE = Number(process.env.NESTBOX_TEST_PATIENCE ?? 1);
export const patience = (ms: number) => ms * PATIENCE;

/** Poll `ready` every 50 ms for up to `ms` (times the patience); whether it held. */
export async function eventually(ready: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + patience(ms);
  for (;;) {
    if (await ready()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * How long one test may take, in seconds (NESTBOX_TEST_TIMEOUT; default 180). A test past it fails
 * with its own name, and the file goes on with the next: on a slow machine (a VM under emulation)
 * a hang is reported as the test that hung, not as a whole file killed.
 */
const testTimeout = Number(process.env.NESTBOX_TEST_TIMEOUT ?? 180) * 1000;

function timed(name: string, fn: (ctx: any) => unknown) {
  return (ctx: any) => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`"${name}" timed out after ${testTimeout / 1000} s`)), testTimeout);
    });
    return Promise.race([Promise.resolve().then(() => fn(ctx)), limit]).then(() => undefined).finally(() => clearTimeout(timer));
  };
}

/** A uvu suite whose tests are skipped (with one printed reason) when not root, each with a time limit. */
export function kernelSuite(name: string) {
  const s = suite(name);
  if (!isRoot) {
    console.log(`SKIP ${name}: kernel tests need root (run the suite with sudo)`);
    return Object.assign(((n: string, fn: any) => s.skip(n, fn)) as any, s, { run: s.run, skip: s.skip, only: s.only });
  }
  return Object.assign(((n: string, fn: any) => s(n, timed(n, fn))) as any, s, { run: s.run, skip: s.skip, only: s.only, before: s.before, after: s.after });
}

export { uvuTest as test };

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'nestbox-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A file to hand to a spawned child as its stdout; read() returns what it wrote. */
export function outputFile(dir: string, name = 'out.txt') {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  return { fd, path, close: () => closeSync(fd), read: () => readFileSync(path, 'utf8') };
}

/**
 * A string a learner reads as a sentence (three words in a row, outside `code`, paths and
 * commands): such a text must be in both languages, not a plain string.
 */
export function looksLikeProse(s: string): boolean {
  if (s.startsWith('$ ')) return false;
  const words = s.replace(/`[^`]*`/g, ' ').replace(/\S*[/=:\[\]]\S*/g, ' ');
  return /\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\b/.test(words);
}

/**
 * The words of a syscall line that are not code: what is left once quoted strings and call
 * arguments are taken out, when it reads as English (three lowercase words in a row, or a word
 * that joins a sentence: "to", "of", "from"...). A plain-string line must have none: it is shown
 * as it is in both languages. A remark in parentheses after a space, "waitpid (the monitor)", is
 * words, not arguments.
 */
export function syscallProse(line: string): string | undefined {
  let outside = line.replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  // A call's arguments, innermost first, until none are left: mount(NULL, "/", ...) is all code.
  for (let before = ''; before !== outside;) [before, outside] = [outside, outside.replace(/\b(\w+)\([^()]*\)/g, '$1 ')];
  outside = outside.replace(/[()]/g, ' ');
  const run = /(?:^|\s)([a-z]{2,}\s+[a-z]{2,}\s+[a-z]{2,})(?=\s|$)/.exec(outside);
  if (run) return run[1];
  const joiner = /(?:^|\s)(the|a|an|of|to|on|in|into|from|for|with|without|and|or|then|by|per|each|which|at|over)(?=\s|$)/.exec(outside);
  return joiner?.[1];
}

/** A shell command's words: its comment, a remark in parentheses, a placeholder such as <work dir>. */
export function commandProse(command: string): string | undefined {
  const comment = /(?:^|\s)#\s(.*)$/.exec(command)?.[1];
  const words = comment === undefined ? undefined : syscallProse(comment);
  return words ?? /<[a-z]+(?: [a-z]+)+>|\((?:the|a|an) [^)]*\)/.exec(command)?.[0];
}
