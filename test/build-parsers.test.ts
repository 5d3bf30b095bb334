// The Dockerfile parser, the word lexer (variables, quotes) and .dockerignore, on fixtures: each
// answer is what Docker's own parser and pattern matcher give for the same text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from '../src/build/dockerfile.js';
import { words, word, pairs } from '../src/build/words.js';
import { IgnoreRules } from '../src/build/ignore.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/build/${name}`, import.meta.url)), 'utf8');
const vars = (env: Record<string, string>) => (name: string) => env[name];

test('Dockerfile: every instruction, continuations, comments inside them, exec and shell forms', () => {
  const df = parseDockerfile(fixture('parse.Dockerfile'));
  assert.is(df.escape, '\\');
  const kw = df.instructions.map((i) => i.keyword);
  assert.equal(kw, ['ARG', 'FROM', 'LABEL', 'ENV', 'ENV', 'ARG', 'ARG', 'RUN', 'RUN', 'COPY', 'ADD', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'SHELL', 'ENTRYPOINT', 'CMD', 'CMD']);
  const at = (n: number) => df.instructions[n];
  assert.is(at(1).args, '${BASE}');
  assert.is(at(1).line, 6);
  // The comment line in the middle of the ENV is dropped; the two lines joined.
  assert.is(at(3).args.replace(/\s+/g, ' '), 'GREETING="hello world" TARGET=/srv');
  assert.is(at(3).line, 10);
  assert.is(at(7).json, undefined, 'shell form');
  assert.match(at(7).args, /^echo "\$GREETING" > \/greeting\.txt && +mkdir -p \$\{TARGET\}$/);
  assert.equal(at(8).json, ['/bin/sh', '-c', 'echo exec form']);
  assert.equal(at(9).flags, { chown: '1000:1000', chmod: '640' });
  assert.is(at(9).args, 'app.sh notes/ /srv/');
  assert.equal(at(14).json, ['/data', '/cache']);
  assert.equal(at(18).json, ['echo $GREETING'], 'the keyword in lower case, the JSON with blanks');
  assert.is(at(19).json, undefined, 'JSON that does not parse is the shell form');
  assert.is(at(19).args, 'not [json');
});

test('Dockerfile: directives, the backtick escape, and the errors Docker gives', () => {
  const df = parseDockerfile('# escape=`\nFROM scratch\nRUN echo a `\n  b\n');
  assert.is(df.escape, '`');
  assert.is(df.instructions[1].args.replace(/\s+/g, ' '), 'echo a b');
  // A directive after a comment is an ordinary comment.
  assert.is(parseDockerfile('# hello\n# escape=`\nFROM scratch\n').escape, '\\');
  assert.throws(() => parseDockerfile('FROM scratch\nFETCH x\n'), /Dockerfile:2: unknown instruction: FETCH/);
  assert.throws(() => parseDockerfile('FROM scratch\nWORKDIR\n'), /Dockerfile:2: WORKDIR needs an argument/);
  assert.throws(() => parseDockerfile('FROM scratch\nCOPY --own=1 a b\n'), /COPY has no flag --own/);
  assert.throws(() => parseDockerfile('FROM scratch\nRUN <<EOF\necho\nEOF\n'), /here-documents/);
  assert.throws(() => parseDockerfile('\n# only a comment\n'), /empty/);
});

test('words: quotes, escapes and variables as Docker\'s lexer gives them', () => {
  const v = vars({ A: 'one', EMPTY: '', SP: 'two words' });
  assert.equal(words('a "b c" \'d $A\' e\\ f', v), ['a', 'b c', 'd $A', 'e f']);
  assert.equal(words('$A ${A}x "$SP" $SP', v), ['one', 'onex', 'two words', 'two', 'words'], 'a value unquoted is split, as after a shell\'s expansion');
  assert.equal(words('a $UNSET "" b', v), ['a', '', 'b'], 'an unset variable is no word, "" an empty one');
  assert.equal(words('${UNSET:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${A:+set} ${UNSET:+set}x', v), ['dflt', 'dflt', 'set', 'x']);
  assert.equal(words('\\$A "\\$A" "a\\"b"', v), ['$A', '$A', 'a"b']);
  assert.is(word('  /srv/$A dir ', v), '/srv/one dir');
  assert.equal(pairs('K="a b" L=$A M=', v), [['K', 'a b'], ['L', 'one'], ['M', '']]);
  assert.equal(pairs('KEY the rest  of it', v), [['KEY', 'the rest  of it']], 'ENV KEY VALUE, the old form');
  assert.equal(pairs('NAME OTHER=x', v, '\\', false), [['NAME', undefined], ['OTHER', 'x']], 'ARG');
  assert.throws(() => words('"open', v), /unmatched "/);
  assert.throws(() => words('${A', v), /missing "}"/);
});

test('.dockerignore: Docker\'s patterns, directories and exceptions', () => {
  const rules = new IgnoreRules(fixture('dockerignore'));
  const ignored = (p: string) => rules.ignored(p);
  assert.ok(ignored('.git'));
  assert.ok(ignored('.git/config'), 'a directory excludes what is under it');
  assert.ok(ignored('build.log'));
  assert.ok(ignored('logs/a/b.log'), '**/*.log at any depth');
  assert.not.ok(ignored('keep.log'), 'the exception');
  assert.ok(ignored('tmp/x'));
  assert.not.ok(ignored('tmp'), 'tmp/* leaves tmp itself');
  assert.ok(ignored('secret.txt'), 'a leading / changes nothing');
  assert.not.ok(ignored('docs/secret.txt'));
  assert.ok(ignored('a1.md') && !ignored('a12.md'), '? is one character');
  assert.not.ok(ignored('app.sh'));
  assert.ok(new IgnoreRules('').empty);
});

test.run();
