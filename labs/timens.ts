// Lab "timens": a time namespace shifts CLOCK_MONOTONIC and CLOCK_BOOTTIME (never the wall clock),
// so a container moved to another machine (checkpoint/restore) keeps seeing its clocks run on.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWTIME } from '../src/kernel/constants.js';
import { KernelError } from '../src/kernel/errors.js';
import { namespaceId, listPids, parseNamespaceLink, kernelVersion } from '../src/kernel/proc.js';
import { startTime } from '../src/host/ledger.js';
import { hostTool, runCaptured, startSleeper, startForkedSleeper, reapHelpers } from './kit.js';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';

const DAY = 86400;
const WEEK = 7 * DAY;

/** /proc/PID/timens_offsets squeezed: "monotonic 86400 0; boottime 86400 0" (seconds, nanoseconds). */
function offsets(pid: number | 'self'): string {
  return readFileSync(`/proc/${pid}/timens_offsets`, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('; ');
}

/** Seconds since boot on the host's CLOCK_BOOTTIME: the first number of /proc/uptime. */
function hostUptime(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/**
 * Read the clocks from inside `pid`'s time namespace. setns into a time namespace needs a
 * single-threaded caller (EUSERS otherwise), so util-linux nsenter joins it and runs the readers.
 * Returns the boot-clock and wall-clock differences, inside minus host, in whole seconds.
 */
async function clocksInside(ctx: LabContext, pid: number): Promise<{ boot?: number; wall?: number; error?: string }> {
  const r = await runCaptured(ctx, { argv: [hostTool('nsenter'), '--target', String(pid), '--time', '--', '/bin/sh', '-c', 'cut -d" " -f1 /proc/uptime; date +%s'] });
  const boot = hostUptime();
  const wall = Math.floor(Date.now() / 1000);
  const [up, date] = r.out.split('\n').map(Number);
  if (r.code !== 0 || !Number.isFinite(up) || !Number.isFinite(date)) return { error: r.out || `nsenter failed (exit ${r.code})` };
  return { boot: Math.round(up - boot), wall: date - wall };
}

/** The namespace's offsets and both clocks, as observations. */
async function clockObservations(ctx: LabContext, pid: number, boottime: number): Promise<Observation[]> {
  const c = await clocksInside(ctx, pid);
  const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1;
  return [
    observeThat(`/proc/${pid}/timens_offsets`, `boottime ${boottime} 0`, offsets(pid), offsets(pid).includes(`boottime ${boottime} 0`)),
    observeThat('/proc/uptime inside minus on the host (CLOCK_BOOTTIME)', `${boottime} s (±1)`, c.boot !== undefined ? `${c.boot} s` : c.error, near(c.boot, boottime)),
    observeThat('date +%s inside minus on the host (CLOCK_REALTIME)', '0 s (±1)', c.wall !== undefined ? `${c.wall} s` : c.error, near(c.wall, 0)),
  ];
}

/** An errno name for a code Node's table may lack (EUSERS is 87 on Linux). */
const errName = (e: KernelError) => (e.errno === 87 ? 'EUSERS' : e.code);

const lab: Lab = {
  id: 'timens',
  title: 'The time namespace: clocks that start somewhere else',
  module: 1,
  lesson: 'namespaces',
  needs: ['root', 'ns-time'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's time namespace",
      explain: 'A time namespace adds offsets to two clocks: CLOCK_MONOTONIC and CLOCK_BOOTTIME (what /proc/uptime shows). The wall clock, CLOCK_REALTIME, is the same everywhere. Besides /proc/PID/ns/time, a process has /proc/PID/ns/time_for_children: like a PID namespace, a new time namespace is for the children of the caller, not for the caller itself.',
      command: 'readlink /proc/self/ns/time /proc/self/ns/time_for_children; cat /proc/self/timens_offsets',
      syscall: 'readlink(2), read(2) on /proc/self/timens_offsets',
      async perform(ctx) {
        ctx.state.hostTime = namespaceId('self', 'time');
        return `nestbox is in time:[${ctx.state.hostTime}], the host's time namespace`;
      },
      async verify(ctx) {
        return [
          observe('/proc/self/ns/time_for_children of nestbox', `time:[${ctx.state.hostTime}]`, `time:[${parseNamespaceLink(readlinkSync('/proc/self/ns/time_for_children'))}]`),
          observe('/proc/self/timens_offsets (seconds nanoseconds)', 'monotonic 0 0; boottime 0 0', offsets('self')),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'thread',
      title: "Why nestbox's own thread cannot set the offsets",
      explain: 'The offsets are written into /proc/PID/timens_offsets after `unshare(CLONE_NEWTIME)` and *before* the first process enters the namespace; from then on they are frozen (EACCES). A thread of nestbox can unshare, but it cannot write the offsets of its own pending namespace (the file belongs to the whole process), and what it can do next depends on the kernel. Since Linux 6.2 its posix_spawn works and the child enters the namespace at execve, with offsets 0. Before 6.2 (Debian 12 runs 6.1) the kernel refuses the spawn with EINVAL: posix_spawn makes a vfork-style child that shares its parent\'s memory, clock page included, and such a child may not change time namespace; only a fork()ed child may. Joining later with setns is no way round either: like a user namespace, a time namespace only takes a single-threaded process (EUSERS).',
      command: 'unshare --time --fork sleep infinity &  # no offsets given: 0',
      syscall: 'unshare(CLONE_NEWTIME); posix_spawn("sleep") -> a child, or EINVAL before Linux 6.2; write(2) on timens_offsets -> EACCES; setns(CLONE_NEWTIME) -> EUSERS',
      async perform(ctx) {
        let pid: number;
        try {
          pid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'], unshare: CLONE_NEWTIME }, 'entered a time namespace with no offsets');
          ctx.state.threadSpawn = 'started';
        } catch (err) {
          if (!(err instanceof KernelError) || err.call !== 'posix_spawn' || err.errno !== 22) throw err;
          ctx.state.threadSpawn = 'EINVAL';
          // A single-threaded helper that forks, as the kernel asks: its child enters the namespace.
          pid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'entered a time namespace with no offsets');
          ctx.say('posix_spawn from the thread that unshared: EINVAL (this kernel is older than 6.2); util-linux `unshare --time --fork` started the sleep instead');
        }
        ctx.state.threadPid = pid;
        try {
          writeFileSync(`/proc/${pid}/timens_offsets`, `boottime ${DAY} 0`);
          ctx.state.lateWrite = 'written';
        } catch (err) {
          ctx.state.lateWrite = (err as NodeJS.ErrnoException).code;
        }
        try {
          await runCaptured(ctx, { argv: [hostTool('true')], join: { pid, types: ['time'] } });
          ctx.state.join = 'joined';
        } catch (err) {
          if (!(err instanceof KernelError)) throw err;
          ctx.state.join = errName(err);
        }
        return `sleep ${pid} is in time:[${namespaceId(pid, 'time')}]; setting offsets now: ${ctx.state.lateWrite}; setns from a thread of nestbox: ${ctx.state.join}`;
      },
      async verify(ctx) {
        const pid = ctx.state.threadPid;
        const ns = namespaceId(pid, 'time');
        const [major, minor] = kernelVersion();
        const modern = major > 6 || (major === 6 && minor >= 2);
        return [
          observeThat('posix_spawn from the thread that unshared', modern ? 'started (Linux 6.2 and later)' : 'EINVAL (Linux before 6.2)', ctx.state.threadSpawn, ['started', 'EINVAL'].includes(ctx.state.threadSpawn)),
          observeThat(`/proc/${pid}/ns/time`, `≠ host's time:[${ctx.state.hostTime}]`, `time:[${ns}]`, ns !== undefined && ns !== ctx.state.hostTime),
          observe(`/proc/${pid}/timens_offsets`, 'monotonic 0 0; boottime 0 0', offsets(pid)),
          observe(`write to /proc/${pid}/timens_offsets after it entered`, 'EACCES', ctx.state.lateWrite),
          observe('setns into it from a thread of nestbox', 'EUSERS', ctx.state.join),
        ];
      },
    },
    {
      id: 'helper',
      title: 'A single-threaded helper: unshare, set the offsets, then fork',
      explain: `util-linux \`unshare --time --boottime N --fork\` does the steps in order, in its one thread: unshare(CLONE_NEWTIME), write the offsets into its own /proc/self/timens_offsets, then fork a child that runs the program: the child is the first process of the namespace. (From Linux 6.2 an execve alone would also enter it, so \`--fork\` could be left out; on 6.1 the program would stay in the old namespace.) Here both clocks move one day (${DAY} s) ahead; the wall clock does not move.`,
      command: `unshare --time --monotonic ${DAY} --boottime ${DAY} --fork sleep infinity &`,
      syscall: `unshare(CLONE_NEWTIME); write("monotonic ${DAY} 0\\nboottime ${DAY} 0") to /proc/self/timens_offsets; fork(); execve("sleep")`,
      async perform(ctx) {
        ctx.state.helperPid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--monotonic', String(DAY), '--boottime', String(DAY), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'holds a time namespace one day ahead');
        return `sleep ${ctx.state.helperPid} is in time:[${namespaceId(ctx.state.helperPid, 'time')}]`;
      },
      async verify(ctx) {
        const pid = ctx.state.helperPid;
        return [
          observe(`/proc/${pid}/timens_offsets`, `monotonic ${DAY} 0; boottime ${DAY} 0`, offsets(pid)),
          ...(await clockObservations(ctx, pid, DAY)).slice(1),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'A boot clock one week ahead',
      explain: 'Now you make a time namespace. Remember which clock /proc/uptime reads.',
      command: `unshare --time --boottime ${WEEK} --fork sleep 1000 &`,
      syscall: `unshare(CLONE_NEWTIME); write("boottime ${WEEK} 0") to timens_offsets; fork(); execve("sleep")`,
      async perform(ctx) {
        // Only processes started from now on count as the learner's (start time in clock ticks since boot).
        ctx.state.since = Math.floor(hostUptime() * 100) - 1;
        return `the check looks for a process started from now on, in a time namespace of its own`;
      },
      exercise: {
        task: `From a second terminal on the host (as root), start a long-running process (\`sleep 1000\` will do) in a new time namespace in which /proc/uptime reads one week (${WEEK} s) more than on the host, and leave it running. nestbox ends it when the lab ends.`,
        hints: [
          'util-linux `unshare --time` makes the namespace; `--monotonic` and `--boottime` take offsets in seconds. /proc/uptime is CLOCK_BOOTTIME. Before Linux 6.2 only a forked child enters the namespace: add `--fork`.',
          `\`unshare --time --boottime ${WEEK} --fork sleep 1000 &\`, then compare \`nsenter -t $(pgrep -n sleep) -T cat /proc/uptime\` with \`cat /proc/uptime\`.`,
        ],
        shell: 'host',
        async solve(ctx) {
          await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--boottime', String(WEEK), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'the exercise answer');
        },
        async mistake(ctx) {
          // The other clock: CLOCK_MONOTONIC moves, /proc/uptime (CLOCK_BOOTTIME) does not.
          await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--monotonic', String(WEEK), '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'a wrong answer');
        },
      },
      async verify(ctx) {
        const lab = new Set([ctx.state.hostTime, namespaceId(ctx.state.threadPid, 'time'), namespaceId(ctx.state.helperPid, 'time')]);
        const found = listPids()
          .filter((p) => (startTime(p) ?? 0) >= ctx.state.since)
          .map((p) => ({ p, ns: namespaceId(p, 'time') }))
          .filter((c) => c.ns !== undefined && !lab.has(c.ns));
        if (!found.length) {
          return [observeThat('a process started since the exercise began, in its own time namespace', 'a PID', 'none', false)];
        }
        // Prefer a process whose namespace has the asked-for offset; the learner may have tried twice.
        const best = found.find((c) => offsets(c.p).includes(`boottime ${WEEK} 0`)) ?? found[found.length - 1];
        // Not started through nestbox, but asked for by the lab: end it with the lab.
        if (!ctx.ledger.entries().some((e) => e.kind === 'process' && e.pid === best.p)) {
          ctx.ledger.record({ kind: 'process', pid: best.p, starttime: startTime(best.p), note: 'the learner\'s process in a time namespace' });
        }
        return [
          observeThat('a process started since the exercise began, in its own time namespace', 'a PID', `${best.p} in time:[${best.ns}]`, true),
          ...(await clockObservations(ctx, best.p, WEEK)),
        ];
      },
    },
  ],
};

export default lab;
