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
