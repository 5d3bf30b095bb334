// `nestbox run`'s argument parsing (src/cli/run-options.ts), on argument lists alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRunArgs } from '../src/cli/run-options.js';

test('options, then the rootfs, then the command (with or without --)', () => {
  const a = parseRunArgs(['-it', '--rm', '--network', 'none', '-e', 'A=1', '-eB=2', '--env=C=3', '--cpus', '-1', 'default', 'ls', '-l'])!;
  assert.is(a.rootfs, 'default');
  assert.equal(a.command, ['ls', '-l']);
  assert.equal(a.flags.env, ['A=1', 'B=2', 'C=3']);
  assert.is(a.flags.net, 'none', '--network is --net');
  assert.is(a.flags.cpus, '-1', 'a value starting with a dash reaches the limit parser');
  assert.ok(a.flags.interactive && a.flags.tty && a.flags.rm);
  const b = parseRunArgs(['-v', '/a:/b', '-v', '/c:/d:ro', 'img', '--', 'sh', '-c', 'echo --help'])!;
  assert.equal(b.flags.volume, ['/a:/b', '/c:/d:ro']);
  assert.equal(b.command, ['sh', '-c', 'echo --help']);
});

test('the everyday flags: repeatable ones collect, short forms and aliases reach their option', () => {
  const a = parseRunArgs([
    '-l', 'a=1', '--label=b=2', '--label-file', '/f', '--init', '--dns', '1.1.1.1', '--dns=9.9.9.9', '--dns-search', 'example.com',
    '--dns-opt=ndots:2', '--dns-opt', 'timeout:1', '--add-host', 'db:10.0.0.5', '--ulimit', 'nofile=1024:2048', '--ulimit', 'core=-1',
    '--device', '/dev/zero:/dev/z:r', '--stop-signal', 'SIGUSR1', '--stop-timeout', '3', '-m', '64m', '--memory-swap', '-1',
    '-c', '512', '--group-add', 'audio', '--group-add', '29', '--sysctl', 'kernel.sem=250 32000 100 128', 'default', 'true',
  ])!;
  assert.equal(a.flags.label, ['a=1', 'b=2']);
  assert.equal(a.flags['label-file'], ['/f']);
  assert.is(a.flags.init, true);
  assert.equal(a.flags.dns, ['1.1.1.1', '9.9.9.9']);
  assert.equal(a.flags['dns-search'], ['example.com']);
  assert.equal(a.flags['dns-option'], ['ndots:2', 'timeout:1'], '--dns-opt is --dns-option, with = or without');
  assert.equal(a.flags['add-host'], ['db:10.0.0.5']);
  assert.equal(a.flags.ulimit, ['nofile=1024:2048', 'core=-1']);
  assert.equal(a.flags.device, ['/dev/zero:/dev/z:r']);
  assert.is(a.flags['stop-signal'], 'SIGUSR1');
  assert.is(a.flags['stop-timeout'], '3');
  assert.is(a.flags['memory-swap'], '-1', 'a value starting with a dash reaches the parser');
  assert.is(a.flags['cpu-shares'], '512', '-c is --cpu-shares');
  assert.equal(a.flags['group-add'], ['audio', '29']);
  assert.equal(a.flags.sysctl, ['kernel.sem=250 32000 100 128']);
  assert.equal(a.command, ['true']);
});

test('--help before the rootfs asks for help; after it, it belongs to the command', () => {
  assert.is(parseRunArgs(['--rm', '--help']), null);
  assert.equal(parseRunArgs(['default', 'ls', '--help'])!.command, ['ls', '--help']);
});

test('mistakes: one line that says what is wrong, exit 125', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus', 'default'], /^unknown option --bogus \(see `nestbox run --help`\)$/],
    [['--name'], /^option --name needs a value/],
    [['--rm=yes', 'default'], /^option --rm takes no value/],
    [[], /^nestbox run needs a root filesystem or an image/],
    [['default', '-it'], /options go before the rootfs or image/],
  ];
  for (const [args, message] of cases) {
    try {
      parseRunArgs(args);
      assert.unreachable(args.join(' '));
    } catch (err) {
      assert.match((err as Error).message, message);
      assert.is((err as { exitCode?: number }).exitCode, 125);
    }
  }
});

test.run();
