// Lab "namespaces": every namespace type, one at a time. Each step asks unshare(2) for one
// CLONE_NEW* flag and compares the new process's /proc/PID/ns/* links with the host's: exactly one
// inode number changes, the one the flag names.
import type { Lab, LabContext, Step } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { NAMESPACES, NAMESPACE_TYPES, NamespaceType, CLONE_NEWUSER } from '../src/kernel/constants.js';
import { namespaceId, namespaceIds, listPids, commandLine } from '../src/kernel/proc.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { KernelError } from '../src/kernel/errors.js';
import { hostTool, startForkedSleeper } from './kit.js';
import { existsSync, readFileSync } from 'node:fs';
import { startTime } from '../src/host/ledger.js';

const FLAG_NAMES: Record<NamespaceType, string> = {
  mnt: 'CLONE_NEWNS', uts: 'CLONE_NEWUTS', ipc: 'CLONE_NEWIPC', pid: 'CLONE_NEWPID',
  net: 'CLONE_NEWNET', user: 'CLONE_NEWUSER', cgroup: 'CLONE_NEWCGROUP', time: 'CLONE_NEWTIME',
};
const UNSHARE_OPTION: Record<NamespaceType, string> = {
  mnt: '--mount', uts: '--uts', ipc: '--ipc', pid: '--pid --fork', net: '--net', user: '--user', cgroup: '--cgroup', time: '--time',
};

/** Which namespace types differ between a process and the host (nestbox itself, which never moves). */
function differing(pid: number): NamespaceType[] {
  const host = namespaceIds('self');
  const mine = namespaceIds(pid);
  return NAMESPACE_TYPES.filter((t) => mine[t] !== undefined && host[t] !== undefined && mine[t] !== host[t]);
}

/** The "for children" link matters for pid and time: the process itself reads them from pid_for_children/time_for_children only after a fork. */
function oneTypeStep(type: NamespaceType): Step {
  return {
    id: `new-${type}`,
    title: `A new ${type} namespace (${FLAG_NAMES[type]})`,
    explain: `unshare(${FLAG_NAMES[type]}) gives the calling thread a new ${type} namespace; a \`sleep\` started from that thread inherits it. Every other link in /proc/PID/ns stays the host's: the flags are independent, and a container is just all of them at once.`,
    command: `unshare ${UNSHARE_OPTION[type]} sleep infinity &  readlink /proc/$!/ns/*`,
    syscall: `unshare(${FLAG_NAMES[type]}); posix_spawn("/bin/sleep")`,
    async perform(ctx) {
      let pid: number;
      try {
        pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: NAMESPACES[type] }, `holds a new ${type} namespace`);
      } catch (err) {
        // Linux before 6.2 lets no vfork-style child (posix_spawn's) into a new time namespace; a
        // single-threaded helper that fork()s can, as the timens lab shows.
        if (type !== 'time' || !(err instanceof KernelError) || err.errno !== 22) throw err;
        pid = await startForkedSleeper(ctx, { argv: [hostTool('unshare'), '--time', '--fork', '--kill-child', '--', hostTool('sleep'), 'infinity'] }, 'holds a new time namespace');
        ctx.say('posix_spawn from the thread that unshared: EINVAL, since this kernel is older than 6.2 (see lab timens); util-linux `unshare --time --fork` forked the sleep instead');
      }
      ctx.state[`pid_${type}`] = pid;
      return `sleep ${pid} started with ${FLAG_NAMES[type]}`;
    },
    async verify(ctx) {
      const pid = ctx.state[`pid_${type}`];
      const changed = differing(pid);
      return [
        observeThat(`/proc/${pid}/ns/${type}`, `≠ host's ${type}:[${namespaceId('self', type)}]`, `${type}:[${namespaceId(pid, type)}]`, changed.includes(type)),
        observe(`namespace types that differ from the host's`, type, changed.join(' ') || '(none)'),
      ];
    },
  };
}

/** Now, in the unit of /proc/PID/stat's start time: clock ticks (100 a second) since boot. */
function ticksNow(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/**
 * Processes started since the exercise began that have namespaces of their own. By start time, not
 * by PID: PIDs wrap around (at 32768 on many systems), start times do not.
 */
function learnerProcesses(ctx: LabContext): { pid: number; types: NamespaceType[] }[] {
  return listPids()
    .filter((p) => (startTime(p) ?? 0) >= ctx.state.since && p !== process.pid && commandLine(p))
    .map((pid) => ({ pid, types: differing(pid) }))
    .filter((p) => p.types.length > 0 && !Object.keys(ctx.state).some((k) => k.startsWith('pid_') && ctx.state[k] === p.pid));
}

const available = NAMESPACE_TYPES.filter((t) => t !== 'user' && existsSync(`/proc/self/ns/${t}`));

const lab: Lab = {
  id: 'namespaces',
  title: 'Namespaces: one flag, one isolated resource',
  module: 1,
  lesson: 'namespaces',
  needs: ['root', 'ns-mnt', 'ns-uts', 'ns-ipc', 'ns-pid', 'ns-net'],
  steps: [
    {
      id: 'host',
      title: "The host's namespaces",
      explain: 'Every process is in one namespace of each type. `/proc/PID/ns/TYPE` is a link whose target names the namespace by an inode number: two processes with the same number share that resource. nestbox itself never leaves the host\'s namespaces, so its own links are the reference.',
      command: 'ls -l /proc/self/ns',
      syscall: 'readlink(2) on /proc/self/ns/*',
      async perform(ctx) {
        ctx.state.host = namespaceIds('self');
        return NAMESPACE_TYPES.filter((t) => ctx.state.host[t]).map((t) => `${t}:[${ctx.state.host[t]}]`).join(' ');
      },
      async verify(ctx) {
        return NAMESPACE_TYPES.filter((t) => ctx.state.host[t]).map((t) => observe(`/proc/self/ns/${t}`, `${t}:[${ctx.state.host[t]}]`, `${t}:[${namespaceId('self', t)}]`));
      },
    },
    ...available.map(oneTypeStep),
    {
      id: 'user',
      title: 'The one that needs a single thread: CLONE_NEWUSER',
      explain: 'A user namespace changes who a process *is*, and every thread of a process shares one memory, so the kernel only lets a single-threaded process unshare it. nestbox runs on Node, which always has several threads: the lab `user` shows the EINVAL this gives and how a single-threaded helper creates the namespace instead.',
      command: 'unshare --user sleep infinity &',
      syscall: 'unshare(CLONE_NEWUSER) -> EINVAL from a multithreaded process',
      async perform(ctx) {
        try {
          await ctx.spawn({ argv: ['/bin/true'], env: baseEnv(), unshare: CLONE_NEWUSER });
          ctx.state.userError = 'none';
        } catch (err) {
          ctx.state.userError = (err as { code?: string }).code ?? (err as Error).message;
        }
        return `unshare(CLONE_NEWUSER) from a thread of nestbox: ${ctx.state.userError}`;
      },
      async verify(ctx) {
        return [observe('unshare(CLONE_NEWUSER) in a multithreaded process', 'EINVAL', ctx.state.userError)];
      },
    },
    {
      id: 'exercise',
      title: 'Two namespaces at once, with unshare(1)',
      explain: 'Flags combine: a container asks for six or seven at once. Now you start a process with exactly two new namespaces, IPC and UTS, and the check finds it by reading /proc.',
      command: 'unshare --ipc --uts sleep 600 &',
      syscall: 'unshare(CLONE_NEWIPC|CLONE_NEWUTS); execve("sleep")',
      async perform(ctx) {
        // Only processes started from now on count.
        ctx.state.since = ticksNow() - 1;
        return 'waiting for a process with new ipc and uts namespaces (and no other new ones)';
      },
      exercise: {
        task: 'In a second terminal, as root, start a process with new **IPC and UTS** namespaces and nothing else: `unshare --ipc --uts sleep 600 &`. Then check your work here. The lab ends that process when it finishes.',
        hints: [
          '`unshare` (util-linux) takes one option per namespace type: `--ipc` and `--uts`. Leave out `--mount`, `--pid`, `--net`.',
          'Run it in the background with `&` so it keeps running: `unshare --ipc --uts sleep 600 &`, then `readlink /proc/$!/ns/ipc` shows a number different from `readlink /proc/self/ns/ipc`.',
        ],
        shell: 'host',
        async solve(ctx) {
          await ctx.spawn({ argv: ['/bin/sleep', '600'], env: baseEnv(), unshare: NAMESPACES.ipc | NAMESPACES.uts }, 'the reference answer');
        },
        async mistake(ctx) {
          // One namespace too many: a mount namespace as well.
          await ctx.spawn({ argv: ['/bin/sleep', '600'], env: baseEnv(), unshare: NAMESPACES.ipc | NAMESPACES.uts | NAMESPACES.mnt }, 'a wrong answer');
        },
      },
      async verify(ctx) {
        const found = learnerProcesses(ctx);
        const exact = found.find((p) => p.types.join(' ') === 'uts ipc');
        // The learner's process is ended with the lab, like everything else it made.
        if (exact) ctx.ledger.record({ kind: 'process', pid: exact.pid, starttime: startTime(exact.pid), note: 'the exercise\'s process' });
        const seen = found.map((p) => `${p.pid}: ${p.types.join('+')}`).join(', ') || 'no new process with namespaces of its own';
        return [observeThat('a new process whose namespaces differ from the host\'s in exactly ipc and uts', 'uts ipc', exact ? `${exact.pid}: uts ipc` : seen, !!exact)];
      },
    },
  ],
};

export default lab;
