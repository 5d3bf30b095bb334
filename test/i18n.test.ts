// Two languages, one course: every lesson and every lab text exists in English and in Chinese, and
// the two versions of a lesson have the same skeleton (headings, tables, commands), so neither can
// grow or lose a section while the other does not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, listLessons } from '../src/lesson/catalog.js';
import { LAB_ORDER, loadLab } from '../labs/index.js';
import { renderMarkdown } from '../src/render/markdown.js';
import { stripAnsi } from '../src/render/text-width.js';
import { isText } from '../src/i18n/lang.js';
import type { Shown } from '../src/lab/types.js';
import { looksLikeProse, syscallProse, commandProse } from './helpers.js';

const CJK = /[\u3400-\u9fff]/;

/** The skeleton a translation must keep: heading levels in order, tables, and code (comments aside). */
function skeleton(markdown: string): { headings: string[]; tables: number; code: string[][] } {
  const headings: string[] = [];
  const code: string[][] = [];
  let tables = 0;
  let fence: string[] | undefined;
  let lang = '';
  for (const line of markdown.split('\n')) {
    if (fence) {
      if (/^```/.test(line)) { code.push(fence); fence = undefined; continue; }
      // A comment in a shell block may be translated; the commands may not.
      const kept = /^(sh|bash|shell|console)$/.test(lang) ? line.replace(/(^|\s)#.*$/, '').trimEnd() : line.trimEnd();
      if (kept) fence.push(kept);
      continue;
    }
    const open = /^```(\w*)/.exec(line);
    if (open) { fence = []; lang = open[1]; continue; }
    const h = /^(#{1,6})\s/.exec(line);
    if (h) headings.push(h[1]);
    if (/^\|?\s*:?-{3,}/.test(line)) tables++;
  }
  return { headings, tables, code };
}

const lessonFiles = () => [...readdirSync(lessonsDir()).filter((f) => /^\d+-.*\.md$/.test(f)), 'glossary.md'];

test('every lesson and the glossary exist in Chinese with the same skeleton', () => {
  for (const name of lessonFiles()) {
    const en = join(lessonsDir(), name);
    const zh = join(lessonsDir(), 'zh', name);
    assert.ok(existsSync(zh), `lessons/zh/${name} is missing`);
    const [a, b] = [readFileSync(en, 'utf8'), readFileSync(zh, 'utf8')];
    assert.ok(CJK.test(b), `lessons/zh/${name} is not in Chinese`);
    const [sa, sb] = [skeleton(a), skeleton(b)];
    assert.equal(sb.headings, sa.headings, `${name}: the headings differ (levels in order)`);
    assert.is(sb.tables, sa.tables, `${name}: the number of tables differs`);
    assert.equal(sb.code, sa.code, `${name}: a code block differs (comments aside)`);
  }
  for (const name of readdirSync(join(lessonsDir(), 'zh'))) {
    assert.ok(existsSync(join(lessonsDir(), name)), `lessons/zh/${name} has no English original`);
  }
});

test('no lesson renders a stray ** or __ (markdown emphasis that did not parse, as next to Chinese punctuation)', () => {
  for (const language of ['en', 'zh'] as const) {
    for (const l of listLessons(lessonsDir(), language)) {
      const out = stripAnsi(renderMarkdown(readFileSync(l.file, 'utf8'), { width: 100 }));
      const prose = out.split('\n').filter((line) => !line.startsWith('  $ ') && !/^\s{2}\S/.test(line));
      const bad = prose.find((line) => /\*\*|(^|\s)__\S/.test(line));
      assert.not.ok(bad, `${language} ${l.id}: ${bad}`);
    }
  }
});

function bilingual(where: string, text: Shown | undefined): void {
  assert.ok(isText(text), `${where} is not in both languages: ${JSON.stringify(text)}`);
  assert.ok(text.en.trim() && text.zh.trim(), `${where} has an empty language`);
  assert.ok(CJK.test(text.zh), `${where}: the Chinese is not Chinese: ${text.zh}`);
}

/** The calls (name followed by "(") and the constants (MS_BIND, SIGKILL, EPERM) a syscall line names. */
function callsAndFlags(line: string): string[] {
  const calls = line.match(/\b[a-z_][a-z0-9_]*(?=\()/g) ?? [];
  const flags = line.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\bSIG[A-Z]+\b|\bE[A-Z]{3,}\b/g) ?? [];
  return [...calls, ...flags].sort();
}

/**
 * A syscall line: only code as a plain string; with words, a Text whose Chinese names the same
 * calls and flags as its English (the words are translated, the calls are not).
 */
function syscallLine(where: string, line: Shown): void {
  if (typeof line === 'string') {
    const words = syscallProse(line);
    assert.not.ok(words, `${where} has English words ("${words}") but no Chinese: make it t(en, zh): ${line}`);
    return;
  }
  bilingual(where, line);
  assert.equal(callsAndFlags(line.zh), callsAndFlags(line.en), `${where}: the Chinese names other calls or flags than the English`);
}

/** A command without its placeholders (<work dir>, which a translation may put in words). */
const unplaced = (command: string) => command.replace(/<[^<>]*>/g, '');

/**
 * The parts of a command that are code (paths, options, quoted text, variables), placeholders
 * aside; a word with an apostrophe (host's) is English, not a quote.
 */
const codeTokens = (command: string) => unplaced(command).split(/\s+/)
  .map((w) => w.replace(/^\(+|[;,:)]+$/g, ''))
  .filter((w) => /[-/$={}.|"']/.test(w) && !/^[A-Za-z]+'[a-z]*$/.test(w));

/** A command: a plain string unless a comment says something in words; a Text keeps its code. */
function commandLine(where: string, command: Shown): void {
  if (typeof command === 'string') {
    const words = commandProse(command);
    assert.not.ok(words, `${where} has English words ("${words}") but no Chinese: make it t(en, zh): ${command}`);
    return;
  }
  bilingual(where, command);
  const lost = codeTokens(command.en).filter((w) => !unplaced(command.zh).includes(w));
  assert.equal(lost, [], `${where}: the Chinese changes the command itself, not only its words`);
}

test('commandProse finds a comment, a remark or a placeholder in words, not the command', () => {
  assert.ok(commandProse("nsenter -t 1 -m sh -c 'mount -o remount,bind,rw /proc/sys'   # as root with every capability, then with Docker's 14"));
  assert.ok(commandProse('ip -n $A link set eth0 up; (the same for $B, without "up")'));
  assert.ok(commandProse('sudo nestbox build --network none -t lab-build-<unique>:v1 <work dir>/app'));
  assert.ok(commandProse('$ mount --bind /proc/sys /proc/sys   # in the box, again'), 'a narrated command (test/labs/all-labs)');
  assert.not.ok(commandProse('mkdir /sys/fs/cgroup/nestbox/cpu-lab; echo "50000 100000" > /sys/fs/cgroup/nestbox/cpu-lab/cpu.max   # v1: echo 50000 > /sys/fs/cgroup/cpu/nestbox/cpu-lab/cpu.cfs_quota_us'));
  assert.not.ok(commandProse('kill -9 PID; rm -rf C1   # docker rm -f c1'));
  assert.not.ok(commandProse("ls /proc | grep '^[0-9]'; tr '\\0' ' ' < /proc/1/cmdline; ps -ef"));
  assert.equal(codeTokens('kill -9 {boxPid}   # from the host; then: ls -l /proc/*/ns/pid'), ['-9', '{boxPid}', '-l', '/proc/*/ns/pid']);
});

test('syscallProse finds the words in a syscall line, not its code', () => {
  // Lines as they once were, English only.
  assert.ok(syscallProse('the first two steps from the build cache; one new container for the new RUN'));
  assert.ok(syscallProse('write(2) to memory.max (v1: memory.limit_in_bytes)'));
  assert.ok(syscallProse('readlink(2) on /proc/self/ns/uts, uname(2)'));
  assert.ok(syscallProse('nf_nat: the conntrack entry stores the original and the rewritten tuple'));
  assert.ok(syscallProse('kill(PID1, SIGTERM); waitpid (the monitor); rmdir (cgroup)'));
  // Code only.
  assert.not.ok(syscallProse('unshare(CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); mount("JAIL", "JAIL", NULL, MS_BIND|MS_REC); chdir("JAIL"); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")'));
  assert.not.ok(syscallProse('netlink RTM_NEWLINK IFLA_INFO_KIND "bridge"; RTM_NEWADDR; RTM_NEWLINK IFF_UP'));
  assert.not.ok(syscallProse('mount(MS_BIND); chdir; pivot_root(".", "."); umount2(".", MNT_DETACH)'));
  assert.not.ok(syscallProse('read("/proc/{pid1}/status"); readlink("/proc/{monitor}/fd/N"); read("/proc/{monitor}/net/unix")'));
});

test('callsAndFlags: a translation that drops or changes a call is caught', () => {
  assert.equal(callsAndFlags('write(2) to cpu.max (v1: cpu.cfs_quota_us)'), callsAndFlags('write(2) 写 cpu.max（v1 是 cpu.cfs_quota_us）'));
  assert.not.equal(callsAndFlags('kill(PID, SIGKILL); waitpid(PID)'), callsAndFlags('kill(PID, SIGTERM)；waitpid(PID)'));
  assert.not.equal(callsAndFlags('setns(CLONE_NEWNET); connect(2)'), callsAndFlags('setns(CLONE_NEWNET)；连接'));
});

test('every lab: its title, each step\'s title, explanation, command and syscall line, each exercise\'s task and hints, in both languages', async () => {
  for (const id of LAB_ORDER) {
    const lab = (await loadLab(id))!;
    bilingual(`lab ${id} title`, lab.title);
    for (const step of lab.steps) {
      bilingual(`${id}/${step.id} title`, step.title);
      bilingual(`${id}/${step.id} explanation`, step.explain);
      if (step.command !== undefined) commandLine(`${id}/${step.id} command`, step.command);
      if (step.syscall !== undefined) syscallLine(`${id}/${step.id} syscall`, step.syscall);
      if (step.exercise) {
        bilingual(`${id}/${step.id} task`, step.exercise.task);
        step.exercise.hints.forEach((h, k) => bilingual(`${id}/${step.id} hint ${k + 1}`, h));
      }
    }
  }
});

test('looksLikeProse tells a sentence from a path, a command or a value', () => {
  assert.ok(looksLikeProse('hostname on the host'));
  assert.not.ok(looksLikeProse('/proc/123/ns/uts'));
  assert.not.ok(looksLikeProse('$ ip link add nbv0 type veth peer name nbv1'));
  assert.not.ok(looksLikeProse('monotonic 0 0; boottime 0 0'));
  assert.not.ok(looksLikeProse('uts:[4026531838]'));
});

test.run();
