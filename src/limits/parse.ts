// Resource limits as a learner types them (Docker's spellings), checked before anything is created.
// Each parser returns the value the cgroup layer writes, or throws a UserError that says what is
// wrong and what would be accepted.
import { availableParallelism, cpus } from 'node:os';
import { UserError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/**
 * Below this a container cannot even start its shell: Docker refuses limits under 6 MiB, and the
 * kernel charges page tables and kernel stacks to the cgroup too.
 */
const MIN_MEMORY = 6 * 1024 ** 2;

/**
 * The most a limit can be and still be written exactly: above 2^53 bytes (8 PiB) a JavaScript
 * number loses its last digits, and from 1e21 it prints as "1e+21", which the kernel refuses
 * (EINVAL). No machine has that much memory; Docker's own bound (int64) is 8 EiB.
 */
const MAX_MEMORY = 2 ** 53;

/**
 * The kernel's most processes (PID_MAX_LIMIT on 64-bit, 4194304): pids.max refuses anything above
 * it with EINVAL, so a larger --pids-limit can never be written.
 */
const MAX_PIDS = 4 * 1024 * 1024;

/** "512m", "1g", "64MiB", "1048576" -> bytes. */
export function parseMemory(text: string, flag = '--memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*?)(?:i?b)?\s*$/i.exec(text);
  const unit = m ? m[2].toLowerCase() : '';
  if (!m || !(unit in UNITS)) {
    throw new UserError(`${flag} "${text}" is not a size: use a number with b, k, m or g (for example 64m or 1g)`, 2);
  }
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]);
  if (bytes < MIN_MEMORY) throw new UserError(`${flag} ${text} is below the 6m minimum a container needs to start`, 2);
  if (!(bytes <= MAX_MEMORY)) throw new UserError(`${flag} ${text} is too large: give from 6m to ${MAX_MEMORY / 1024 ** 3}g (8 PiB), or leave ${flag} out for no limit`, 2);
  return bytes;
}

export function hostCpuCount(): number {
  return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
}

/**
 * "--cpus 0.5" -> a CFS quota per 100 ms period (cpu.max "50000 100000"). The kernel refuses quotas
 * under 1 ms (1000 us), so 0.01 CPU is the smallest.
 */
export function parseCpus(text: string, flag = '--cpus'): { quotaUs: number; periodUs: number } {
  const n = Number(text);
  if (!/^\s*\d*\.?\d+\s*$/.test(text) || !Number.isFinite(n)) throw new UserError(`${flag} "${text}" is not a number of CPUs (for example 0.5 or 2)`, 2);
  const max = hostCpuCount();
  if (n < 0.01) throw new UserError(`${flag} ${text} is too small: the kernel needs at least 0.01 CPU (a 1 ms quota per 100 ms)`, 2);
  if (n > max) throw new UserError(`${flag} ${text} is more than this machine's ${max} CPUs`, 2);
  const periodUs = 100_000;
  return { quotaUs: Math.round(n * periodUs), periodUs };
}

/** "--pids-limit 64"; 0 or -1 mean unlimited, as in Docker. */
export function parsePidsLimit(text: string, flag = '--pids-limit'): number | 'max' {
  if (!/^\s*-?\d+\s*$/.test(text)) throw new UserError(`${flag} "${text}" is not a whole number of processes (for example 64)`, 2);
  const n = Number(text);
  if (n === 0 || n === -1) return 'max';
  if (n < 0) throw new UserError(`${flag} ${text} is negative: give a positive number, or -1 for no limit`, 2);
  if (n > MAX_PIDS) throw new UserError(`${flag} ${text} is more than the kernel allows: give from 1 to ${MAX_PIDS} (PID_MAX_LIMIT), or -1 for no limit`, 2);
  return n;
}

/** "--cpuset-cpus 0-1,3": CPUs that must exist on this machine. */
export function parseCpuset(text: string, flag = '--cpuset-cpus'): string {
  const max = hostCpuCount() - 1;
  if (!/^\s*\d+(-\d+)?(,\d+(-\d+)?)*\s*$/.test(text)) throw new UserError(`${flag} "${text}" is not a CPU list (for example 0 or 0-1,3)`, 2);
  for (const part of text.trim().split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (a > b) throw new UserError(`${flag} ${part}: a range goes from low to high`, 2);
    if (b > max) throw new UserError(`${flag} ${text}: this machine has CPUs 0-${max}`, 2);
  }
  return text.trim();
}

/** Relative CPU weight as v1 shares (Docker's --cpu-shares): 2..262144. */
export function parseCpuShares(text: string, flag = '--cpu-shares'): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 2 || n > 262144) throw new UserError(`${flag} "${text}" must be a whole number from 2 to 262144 (1024 is the default weight)`, 2);
  return n;
}
