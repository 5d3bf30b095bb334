// nestbox cp, both ways, for running and stopped containers, with Docker's path rules; and the
// attack it must withstand: links planted in the container (absolute, and relative ones climbing
// out) must never lead a copy to the host's files, reading out or writing in.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('nestbox-cp-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input: '', env, timeout: patience(60_000) });
const ok = (args: string[]) => {
  const r = nb(args);
  assert.is(r.status, 0, `nestbox ${args.join(' ')}: ${r.stderr}`);
  return r;
};

const test = kernelSuite('nestbox cp');
const made: string[] = [];
const work = tempDir('nestbox-cp-work-');

test.before(() => ok(['rootfs', 'create']));
test.after(() => {
  for (const c of made) nb(['rm', '-f', c]);
  work.remove();
  lib.remove();
});

/** A fresh host directory for one test's files. */
const dir = (name: string) => {
  const d = join(work.path, name);
  mkdirSync(d, { recursive: true });
  return d;
};

test('running: out and in, files and directories with their modes, Docker\'s rules for SRC/. and a DEST directory', () => {
  made.push('cpr');
  ok(['run', '-d', '--name', 'cpr', '--net', 'none', 'default', '--', 'sleep', '300']);
  ok(['exec', 'cpr', '/bin/sh', '-c', 'mkdir -p /srv/d/sub && echo one > /srv/d/f && chmod 604 /srv/d/f && echo two > /srv/d/sub/g && chmod 700 /srv/d/sub && ln -s f /srv/d/l']);
  const out = dir('running-out');

  ok(['cp', 'cpr:/srv/d', join(out, 'd')]); // DEST missing: made, with SRC's contents
  assert.is(readFileSync(join(out, 'd/f'), 'utf8'), 'one\n');
  assert.is(statSync(join(out, 'd/f')).mode & 0o777, 0o604, 'modes kept');
  assert.is(statSync(join(out, 'd/sub')).mode & 0o777, 0o700);
  assert.is(readFileSync(join(out, 'd/sub/g'), 'utf8'), 'two\n');
  assert.is(readlinkSync(join(out, 'd/l')), 'f', 'a link is copied as a link');

  const into = dir('running-into');
  ok(['cp', 'cpr:/srv/d', into]); // DEST a directory: SRC goes inside it
  assert.ok(existsSync(join(into, 'd/sub/g')));
  const contents = dir('running-contents');
  ok(['cp', 'cpr:srv/d/.', contents]); // SRC/.: what is in it (and a path relative to the container's /)
  assert.equal(readdirSync(contents).sort(), ['f', 'l', 'sub']);

  ok(['cp', 'cpr:/srv/d/f', join(out, 'file')]);
  assert.is(readFileSync(join(out, 'file'), 'utf8'), 'one\n');
  ok(['cp', 'cpr:/srv/d/sub/g', join(out, 'file')]); // DEST a file: overwritten
  assert.is(readFileSync(join(out, 'file'), 'utf8'), 'two\n');
  ok(['cp', 'cpr:/srv/d/f', `${out}/`]);
  assert.is(readFileSync(join(out, 'f'), 'utf8'), 'one\n');

  for (const [args, message] of [
    [['cpr:/srv/d/f', join(out, 'missing') + '/'], /the destination directory must exist/],
    [['cpr:/srv/d', join(out, 'file')], /cannot copy a directory to a file/],
    [['cpr:/srv/d/f/.', out], /not a directory/],
    [['cpr:/nope', out], /^nestbox: Could not find the file \/nope in container cpr$/],
    [['nosuch:/etc', out], /no such container: nosuch/],
    [[out, join(out, 'x')], /must specify at least one container/],
    [['cpr:/a', 'cpr:/b'], /copying between containers is not supported/],
  ] as const) {
    const r = nb(['cp', ...args]);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
  }

  // In: a directory, modes kept, owned by root unless -a.
  const src = dir('running-src/tree');
  writeFileSync(join(src, 'a'), 'A\n');
  chmodSync(join(src, 'a'), 0o751);
  chownSync(join(src, 'a'), 1234, 4321);
  ok(['cp', src, 'cpr:/in']);
  ok(['cp', '-a', src, 'cpr:/archived']);
  ok(['cp', join(src, 'a'), 'cpr:/srv']); // into an existing directory
  const seen = ok(['exec', 'cpr', '/bin/sh', '-c', 'stat -c "%n %a %u:%g" /in/a /archived/a /srv/a; cat /in/a']).stdout;
  assert.match(seen, /^\/in\/a 751 0:0$/m, 'files copied in belong to root');
  assert.match(seen, /^\/archived\/a 751 1234:4321$/m, '-a keeps the owners');
  assert.match(seen, /^\/srv\/a 751 0:0$/m);
  assert.match(seen, /^A$/m);
  // A bind-mounted file (the container's /etc/hostname) is written in place.
  writeFileSync(join(src, 'name'), 'renamed\n');
  ok(['cp', join(src, 'name'), 'cpr:/etc/hostname']);
  assert.is(ok(['exec', 'cpr', 'cat', '/etc/hostname']).stdout, 'renamed\n');
});

test('stopped: its overlay and volumes are mounted for the copy, seen by no process, and gone after', () => {
  made.push('cps', 'cpro');
  ok(['run', '--name', 'cps', '--net', 'none', '-v', 'cpvol:/vol', 'default', '--', '/bin/sh', '-c', 'echo made > /made; echo v > /vol/v']);
  const out = dir('stopped-out');
  ok(['cp', 'cps:/made', out]);
  assert.is(readFileSync(join(out, 'made'), 'utf8'), 'made\n');
  ok(['cp', 'cps:/vol/v', out]);
  assert.is(readFileSync(join(out, 'v'), 'utf8'), 'v\n', 'a volume is where the container has it');

  writeFileSync(join(out, 'payload'), 'p\n');
  ok(['cp', join(out, 'payload'), 'cps:/new']);
  ok(['cp', join(out, 'payload'), 'cps:/vol/']);
  const id = JSON.parse(ok(['inspect', 'cps']).stdout)[0].Id;
  assert.is(readFileSync(join(lib.path, 'containers', id, 'upper/new'), 'utf8'), 'p\n', 'written to the container\'s own layer');
  assert.is(readFileSync(join(lib.path, 'volumes/cpvol/_data/payload'), 'utf8'), 'p\n', 'and into its volume');
  ok(['cp', 'cps:/new', join(out, 'back')]);
  assert.is(readFileSync(join(out, 'back'), 'utf8'), 'p\n');
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(lib.path), 'no mount left on the host');

  ok(['run', '--name', 'cpro', '--net', 'none', '--read-only', 'default', '--', 'true']);
  const ro = nb(['cp', join(out, 'payload'), 'cpro:/x']);
  assert.is(ro.status, 1);
  assert.match(ro.stderr, /read-only/);
  ok(['rm', 'cps']);
  ok(['volume', 'rm', 'cpvol']);
});

/**
 * The attack: the container plants an absolute link (/tmp/evil -> /) and a relative one climbing out
 * (/a/b/up -> ../../../../..HOSTDIR), and a link to the host's file itself (/link). Inside the
 * container the same host path holds a file of its own.
 */
for (const state of ['running', 'stopped'] as const) {
  test(`planted links never lead the copy out (${state}): the host's file is neither read nor written`, () => {
    const victim = tempDir('nestbox-cp-victim-');
    const name = `evil-${state}`;
    made.push(name);
    try {
      const secret = join(victim.path, 'secret');
      writeFileSync(secret, 'host secret\n');
      const plant = [
        `mkdir -p ${victim.path} /a/b`, `echo inside > ${secret}`,
        'ln -s / /tmp/evil', `ln -s ../../../../../../../..${victim.path} /a/b/up`, `ln -s ${secret} /link`,
      ].join(' && ');
      if (state === 'running') {
        ok(['run', '-d', '--name', name, '--net', 'none', 'default', '--', 'sleep', '300']);
        ok(['exec', name, '/bin/sh', '-c', plant]);
      } else {
        ok(['run', '--name', name, '--net', 'none', 'default', '--', '/bin/sh', '-c', plant]);
      }
      const out = dir(`attack-${state}`);
      // Reading out.
      ok(['cp', `${name}:/tmp/evil${secret}`, join(out, 'absolute')]);
      ok(['cp', `${name}:/a/b/up/secret`, join(out, 'relative')]);
      ok(['cp', '-L', `${name}:/link`, join(out, 'followed')]);
      ok(['cp', `${name}:/link`, join(out, 'link')]);
      ok(['cp', `${name}:/tmp/evil${victim.path}/.`, join(out, 'dir')]);
      for (const f of ['absolute', 'relative', 'followed', 'dir/secret']) {
        assert.is(readFileSync(join(out, f), 'utf8'), 'inside\n', `${f}: the container's file, not the host's`);
      }
      assert.ok(lstatSync(join(out, 'link')).isSymbolicLink(), 'a link is copied as the link, not as what it names');

      // Writing in.
      const payload = join(out, 'payload');
      writeFileSync(payload, 'payload\n');
      ok(['cp', payload, `${name}:/tmp/evil${secret}`]);
      ok(['cp', payload, `${name}:/a/b/up/planted`]);
      ok(['cp', payload, `${name}:/link`]);
      ok(['cp', out, `${name}:/tmp/evil${victim.path}/`]);
      assert.is(readFileSync(secret, 'utf8'), 'host secret\n', 'the host\'s file is untouched');
      assert.equal(readdirSync(victim.path), ['secret'], 'nothing was written beside it');
      // ... and everything landed inside the container.
      const back = dir(`attack-${state}-back`);
      ok(['cp', `${name}:${victim.path}/.`, back]);
      assert.is(readFileSync(join(back, 'secret'), 'utf8'), 'payload\n');
      assert.is(readFileSync(join(back, 'planted'), 'utf8'), 'payload\n');
      assert.ok(existsSync(join(back, `attack-${state}/payload`)));
    } finally {
      nb(['rm', '-f', name]);
      victim.remove();
    }
  });
}

test.run();
