// Limits as typed on the command line: what each accepts, and the one-line error for what it does not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMemory, parseCpus, parsePidsLimit, parseCpuset, parseCpuShares, hostCpuCount } from '../src/limits/parse.js';
import { UserError } from '../src/errors.js';

function refuses(fn: () => unknown, pattern: RegExp) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, /\n/);
    assert.is((err as UserError).exitCode, 2);
    return;
  }
  assert.unreachable('accepted a bad value');
}

test('memory sizes in Docker spellings', () => {
  assert.is(parseMemory('64m'), 64 * 1024 ** 2);
  assert.is(parseMemory('1g'), 1024 ** 3);
  assert.is(parseMemory('1.5G'), 1.5 * 1024 ** 3);
  assert.is(parseMemory('64MiB'), 64 * 1024 ** 2);
  assert.is(parseMemory('10485760'), 10485760);
  refuses(() => parseMemory('12XB'), /--memory "12XB" is not a size/);
  refuses(() => parseMemory('-5m'), /not a size/);
  refuses(() => parseMemory('1m'), /below the 6m minimum/);
});

test('cpus become a CFS quota per 100 ms', () => {
  assert.equal(parseCpus('0.5'), { quotaUs: 50000, periodUs: 100000 });
  assert.equal(parseCpus('1'), { quotaUs: 100000, periodUs: 100000 });
  refuses(() => parseCpus('-1'), /not a number of CPUs/);
  refuses(() => parseCpus('0.001'), /at least 0.01 CPU/);
  refuses(() => parseCpus(String(hostCpuCount() + 1)), /more than this machine/);
  refuses(() => parseCpus('half'), /not a number/);
});

test('pids limits', () => {
  assert.is(parsePidsLimit('64'), 64);
  assert.is(parsePidsLimit('-1'), 'max');
  assert.is(parsePidsLimit('0'), 'max');
  refuses(() => parsePidsLimit('-7'), /negative/);
  refuses(() => parsePidsLimit('lots'), /whole number/);
});

test('cpusets must name CPUs this machine has', () => {
  assert.is(parseCpuset('0'), '0');
  refuses(() => parseCpuset('1-0'), /low to high/);
  refuses(() => parseCpuset(String(hostCpuCount())), /this machine has CPUs/);
  refuses(() => parseCpuset('a'), /not a CPU list/);
});

test('cpu shares', () => {
  assert.is(parseCpuShares('512'), 512);
  refuses(() => parseCpuShares('1'), /2 to 262144/);
});

test.run();
