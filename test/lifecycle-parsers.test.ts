// The pure parts of the lifecycle: detach keys, the attach socket's framing, log times, restart
// decisions. No kernel involved; the end-to-end behaviour is in test/runtime/lifecycle.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDetachKeys, DetachScanner, FrameReader, inputFrame } from '../src/runtime/attach.js';
import { parseLogTime } from '../src/runtime/logs.js';
import { parseLogLine } from '../src/runtime/log.js';
import { shouldRestart, nextDelay } from '../src/runtime/restart-policy.js';
import { parseRestart } from '../src/runtime/spec.js';

test('detach keys: Docker\'s default and spellings', () => {
  assert.equal([...parseDetachKeys('ctrl-p,ctrl-q')], [0x10, 0x11]);
  assert.equal([...parseDetachKeys('ctrl-x,x')], [0x18, 0x78]);
  assert.equal([...parseDetachKeys('ctrl-@,ctrl-[')], [0x00, 0x1b]);
  assert.throws(() => parseDetachKeys('ctrl-shift'), /--detach-keys "ctrl-shift"/);
  assert.throws(() => parseDetachKeys('ab'), /each a character or ctrl-<letter>/);
});

test('the detach sequence is taken out of the input, even split across reads; a near miss is sent whole', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');
  const s = new DetachScanner(keys);
  assert.equal(s.feed(Buffer.from('ls\n\x10')), { send: Buffer.from('ls\n'), detach: false }, 'ctrl-p held back');
  assert.equal(s.feed(Buffer.from('a')), { send: Buffer.from('\x10a'), detach: false }, 'not followed by ctrl-q: sent after all');
  assert.equal(s.feed(Buffer.from('\x10\x10')), { send: Buffer.from('\x10'), detach: false }, 'a second ctrl-p may start the sequence');
  assert.equal(s.feed(Buffer.from('\x11rest')), { send: Buffer.alloc(0), detach: true });
});

test('stdcopy frames are split correctly however they arrive', () => {
  const frames: [number, string][] = [];
  const r = new FrameReader((stream, data) => frames.push([stream, data.toString()]));
  const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0]), Buffer.from([0, 0, 0, text.length]), Buffer.from(text)]);
  const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
  for (let i = 0; i < all.length; i += 3) r.feed(all.subarray(i, i + 3));
  assert.equal(frames, [[1, 'out\n'], [2, 'err\n'], [1, '']]);
  assert.equal([...inputFrame(1, '24 80')], [1, 0, 0, 0, 5, ...Buffer.from('24 80')]);
});

test('log times: RFC 3339, dates, Unix seconds, Go durations; anything else refused', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  assert.is(parseLogTime('2026-12-06T10:00:00Z', now), Date.parse('2026-12-06T10:00:00Z'));
  assert.is(parseLogTime('2026-12-06T10:00:00.5+02:00', now), Date.parse('2026-12-06T08:00:00.5Z'));
  assert.is(parseLogTime('1733480000', now), 1733480000_000);
  assert.is(parseLogTime('1733480000.25', now), 1733480000_250);
  assert.is(parseLogTime('10m', now), now - 600_000);
  assert.is(parseLogTime('1h30m', now), now - 5_400_000);
  assert.is(parseLogTime('1.5h', now), now - 5_400_000);
  assert.is(parseLogTime('250ms', now), now - 250);
  for (const bad of ['yesterday', '10 minutes', '-5m', '2026-13']) assert.throws(() => parseLogTime(bad, now), /is not a time/);
});

test('log lines: Docker json-file lines; plain lines from older logs count as stdout', () => {
  assert.equal(parseLogLine('{"log":"hi\\n","stream":"stderr","time":"2026-12-06T12:00:00.000000001Z"}'), { log: 'hi\n', stream: 'stderr', time: '2026-12-06T12:00:00.000000001Z' });
  assert.equal(parseLogLine('plain'), { log: 'plain\n', stream: 'stdout', time: '' });
});

test('--restart: Docker\'s policies and their limits', () => {
  assert.equal(parseRestart('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.equal(parseRestart('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
  for (const bad of ['sometimes', 'always:2', 'on-failure:x', 'no:1']) assert.throws(() => parseRestart(bad), /--restart/);
  const last = (exitCode: number, restartCount = 0, stoppedByUser = false) => ({ exitCode, restartCount, stoppedByUser });
  assert.not.ok(shouldRestart({ name: 'no', maximumRetryCount: 0 }, last(1)));
  assert.not.ok(shouldRestart(undefined, last(1)), 'a config saved before --restart existed');
  assert.ok(shouldRestart({ name: 'on-failure', maximumRetryCount: 2 }, last(1, 1)));
  assert.not.ok(shouldRestart({ name: 'on-failure', maximumRetryCount: 2 }, last(1, 2)), 'at most N restarts');
  assert.not.ok(shouldRestart({ name: 'on-failure', maximumRetryCount: 0 }, last(0)), 'success is not a failure');
  assert.ok(shouldRestart({ name: 'on-failure', maximumRetryCount: 0 }, last(1, 99)), 'no count: no limit');
  assert.ok(shouldRestart({ name: 'always', maximumRetryCount: 0 }, last(0)));
  assert.not.ok(shouldRestart({ name: 'always', maximumRetryCount: 0 }, last(137, 0, true)), 'stopped by hand');
  assert.not.ok(shouldRestart({ name: 'unless-stopped', maximumRetryCount: 0 }, last(0, 0, true)));
});

test('restart backoff: 100 ms, doubling to a minute, back to 100 ms after 10 s of running', () => {
  assert.is(nextDelay(undefined, 0), 100);
  assert.is(nextDelay(100, 50), 200);
  assert.is(nextDelay(40_000, 50), 60_000);
  assert.is(nextDelay(60_000, 50), 60_000);
  assert.is(nextDelay(6400, 10_000), 100);
});

test.run();
