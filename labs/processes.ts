// Lab "processes": what one process can see of the others on a host, and why a container's process
// is still one of them. Everything here is read from /proc, the kernel's own report.
import type { Lab } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, MS_PRIVATE, MS_REC, NAMESPACE_TYPES, NamespaceType } from '../src/kernel/constants.js';
import { commandLine, listPids, namespaceId, processStatus } from '../src/kernel/proc.js';
import { kill } from '../src/kernel/syscalls.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { describeExit, tryReap } from '../src/kernel/reap.js';
import { startTime } from '../src/host/ledger.js';
import { readlinkSync, statSync } from 'node:fs';
import { count, stopAndReap } from './kit.js';

/** A process the lab started: its PID plus its start time, which together name it for good. */
export interface Tracked { pid: number; start: number; exit?: string }

export function track(pid: number): Tracked {
  return { pid, start: startTime(pid) ?? -1 };
}

/**
 * What became of a tracked process, read from /proc/PID/status. A child of nestbox that ended is a
 * zombie until nestbox collects it; collecting it tells how it ended (the signal that killed it).
 */
export function fate(t: Tracked): { alive: boolean; text: string } {
  if (t.exit) return { alive: false, text: t.exit };
  if (startTime(t.pid) !== t.start) return { alive: false, text: 'gone' };
  let state: string;
  try {
    state = processStatus(t.pid).state;
  } catch {
    return { alive: false, text: 'gone' };
  }
  if (!state.startsWith('Z') && !state.startsWith('X')) return { alive: true, text: `running (State ${state})` };
  const r = tryReap(t.pid);
  if (typeof r === 'object') {
    t.exit = describeExit(r);
    return { alive: false, text: t.exit };
  }
  return { alive: false, text: 'ended (a zombie until its parent collects it)' };
}

/** Poll /proc for a short while until the process has ended (a signal is delivered asynchronously). */
export async function waitGone(t: Tracked, ms = 300): Promise<void> {
  for (let waited = 0; waited < ms && fate(t).alive; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

/** Device and inode of a directory: two paths name the same directory when both match. */
function fileId(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
}

function readLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
}

/** The short name of a process (/proc/PID/status Name), '' when gone. */
function nameOf(pid: number): string {
  try {
    return processStatus(pid).name;
  } catch {
    return '';
  }
}

const SLEEP = ['sleep', '86400'];
const UNSHARED: NamespaceType[] = ['uts', 'pid', 'mnt'];

const lab: Lab = {
  id: 'processes',
  title: 'Processes on one host: a container is one of them',
  module: 0,
  lesson: 'processes',
  needs: ['root', 'ns-pid', 'ns-uts'],
  steps: [
    {
      id: 'list',
      title: 'Every process on the host, listed from /proc',
      explain: 'The kernel publishes one directory per process under `/proc`, named by its PID; `ps`, `top` and `htop` only read them. Any process may list the others and read their command lines (`/proc/PID/cmdline`, the arguments separated by NUL bytes); kernel threads have an empty one, which `ps` shows in [brackets]. Nothing separates the programs of one host: they see each other and share the same CPUs and memory.',
      command: "ls /proc | grep '^[0-9]'; tr '\\0' ' ' < /proc/1/cmdline; ps -ef",
      syscall: 'getdents64(2) on /proc; open(2) + read(2) of /proc/PID/cmdline',
      async perform(ctx) {
        const pids = listPids();
        const threads = pids.filter((p) => commandLine(p) === '').length;
        for (const [pid, who] of [[1, 'the first process'], [process.ppid, 'started nestbox'], [process.pid, 'nestbox']] as const) {
          ctx.say(`PID ${pid} (${who}): ${commandLine(pid).slice(0, 90) || `[${nameOf(pid)}]`}`);
        }
        return `/proc lists ${count(pids.length, 'process', 'processes')}: ${count(pids.length - threads, 'program')} and ${count(threads, 'kernel thread')}`;
      },
      async verify() {
        const pids = listPids();
        const parentCmd = commandLine(process.ppid);
        const init = nameOf(1);
        return [
          observe("/proc/self (a link to the reader's own directory)", process.pid, readLink('/proc/self')),
          observeThat('PIDs listed under /proc', 'many (> 1)', pids.length, pids.length > 1),
          observeThat('Name in /proc/1/status (PID 1, started by the kernel)', 'readable', init || 'absent', init !== ''),
          observeThat(`/proc/${process.ppid}/cmdline (the program that started nestbox)`, 'readable by another process', parentCmd.slice(0, 60) || 'empty', parentCmd !== ''),
        ];
      },
    },
    {
      id: 'shared',
      title: 'One filesystem root and one set of namespaces for all',
      explain: "Each process has a root directory, where its path lookups start (`/proc/PID/root`), and belongs to one namespace of each type (`/proc/PID/ns/*`; the inode number in each link names the namespace). Without containers they are the same for nearly everyone: one `/`, one hostname, one numbering of PIDs, one network stack. A file one process writes at /tmp/x is the file every other process opens at /tmp/x.",
      command: 'readlink /proc/self/root /proc/$PPID/root; ls -l /proc/self/ns/ /proc/$PPID/ns/',
      syscall: 'readlink(2) and stat(2) on /proc/PID/root and /proc/PID/ns/*',
      async perform() {
        const mine = NAMESPACE_TYPES.filter((t) => namespaceId('self', t) !== undefined);
        let readable = 0;
        let shared = 0;
        for (const pid of listPids()) {
          const ids = mine.map((t) => namespaceId(pid, t));
          if (ids.some((id) => id === undefined)) continue; // gone, or the kernel refuses (PID 1 may)
          readable++;
          if (mine.every((t, i) => ids[i] === namespaceId('self', t))) shared++;
        }
        return `${shared} of the ${readable} processes whose /proc/PID/ns can be read ${shared === 1 ? 'is' : 'are'} in all ${mine.length} of nestbox's namespaces`;
      },
      async verify() {
        const parent = process.ppid;
        const who = nameOf(parent) || 'gone';
        const types = NAMESPACE_TYPES.filter((t) => namespaceId('self', t) !== undefined);
        const differ = types.filter((t) => namespaceId(parent, t) !== namespaceId('self', t));
        return [
          observe(`/proc/${process.pid}/root (nestbox)`, '/', readLink(`/proc/${process.pid}/root`)),
          observe(`/proc/${parent}/root (${who}, which started nestbox)`, '/', readLink(`/proc/${parent}/root`)),
          observe('the directory each root names (device:inode)', fileId('/proc/self/root/'), fileId(`/proc/${parent}/root/`)),
          observe(`/proc/${parent}/ns/* against /proc/self/ns/*`, `the same ${types.length}`, differ.length ? `${differ.join(', ')} differ` : `the same ${types.length}`),
        ];
      },
    },
    {
      id: 'container',
      title: 'Start a container-like process: still a host process',
      explain: "A container is not a machine of its own: it is an ordinary process to which the kernel shows a different view. nestbox starts `sleep` the way a runtime would: in new UTS, PID and mount namespaces (mounts made private first, so nothing leaks back to the host), with the default rootfs as its `/`. The host still lists it in `/proc` under a host PID, with nestbox as its parent; only `/proc/PID/ns/*` and `/proc/PID/root` tell that it lives elsewhere.",
      command: 'unshare --uts --pid --mount --propagation private --fork --root=/var/lib/nestbox/rootfs/default /bin/sleep 86400 &  ps -ef | grep "sleep 86400"',
      syscall: 'unshare(CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); chroot(rootfs); posix_spawn("/bin/sleep")',
      async perform(ctx) {
        const root = ctx.rootfs();
        ctx.state.root = root;
        const pid = await ctx.spawn({
          argv: SLEEP,
          path: '/bin/sleep', // resolved after chroot: the rootfs's busybox
          env: baseEnv(),
          unshare: CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS,
          hostname: 'container',
          steps: [
            // systemd makes / shared: without this, mounts made inside would appear on the host.
            { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE },
            { call: 'chroot', path: root },
            { call: 'chdir', path: '/' },
          ],
        }, 'container-like sleep');
        ctx.state.box = track(pid);
        ctx.state.boxPid = pid; // the answer the exercise's last hint gives
        const st = processStatus(pid);
        ctx.say(`as ps -ef on the host shows it: PID ${pid}  PPID ${st.ppid}  CMD ${commandLine(pid)}`);
        return `started "${SLEEP.join(' ')}" as host PID ${pid}; inside its own PID namespace it is PID ${st.nspid[st.nspid.length - 1]}`;
      },
      async verify(ctx) {
        const { pid } = ctx.state.box as Tracked;
        const st = processStatus(pid);
        const listed = listPids().includes(pid);
        const obs = [
          observeThat(`host PID ${pid} in the host's /proc listing`, 'listed', listed ? 'listed' : 'absent', listed),
          observe(`/proc/${pid}/cmdline`, SLEEP.join(' '), commandLine(pid)),
          observe(`PPid in /proc/${pid}/status (its parent: nestbox)`, process.pid, st.ppid),
          observe(`NSpid in /proc/${pid}/status (host PID, PID inside)`, `${pid} 1`, st.nspid.join(' ')),
        ];
        for (const t of UNSHARED) {
          const host = namespaceId('self', t);
          const box = namespaceId(pid, t);
          obs.push(observeThat(`/proc/${pid}/ns/${t}`, `≠ host's ${t}:[${host}]`, `${t}:[${box}]`, box !== undefined && box !== host));
        }
        const others = NAMESPACE_TYPES.filter((t) => !UNSHARED.includes(t) && namespaceId('self', t) !== undefined);
        const differ = others.filter((t) => namespaceId(pid, t) !== namespaceId('self', t));
        obs.push(observe(`/proc/${pid}/ns/{${others.join(',')}} (not unshared)`, "the host's", differ.length ? `${differ.join(', ')} differ` : "the host's"));
        obs.push(observe(`/proc/${pid}/root (its / seen from the host)`, ctx.state.root, readLink(`/proc/${pid}/root`)));
        return obs;
      },
    },
    {
      id: 'exercise',
      title: "Find the container's process and kill it from the host",
      explain: "Since a container's process is a host process, the host can do to it whatever it does to any process: renice it, trace it, signal it. `docker kill` is kill(2) on a host PID. nestbox now starts a second `sleep 86400`, a plain host process with the very same command line, so `ps` alone cannot tell the two apart; their namespaces can.",
      command: 'for p in $(pgrep -x sleep); do echo $p $(readlink /proc/$p/ns/pid); done; readlink /proc/self/ns/pid; kill -9 {boxPid}',
      syscall: 'readlink(2) on /proc/<pid>/ns/pid; kill(pid, SIGKILL)',
      async perform(ctx) {
        const pid = await ctx.spawn({ argv: SLEEP, path: '/bin/sleep', env: baseEnv() }, 'plain host sleep (decoy)');
        ctx.state.decoy = track(pid);
        return `started a second "${SLEEP.join(' ')}", in the host's own namespaces`;
      },
      exercise: {
        task: `Two processes run \`${SLEEP.join(' ')}\` now. From a terminal on the host, find the one that runs in a PID namespace of its own (the container) and end it with SIGKILL. Leave the plain host \`sleep\` running.`,
        hints: [
          `List both with \`pgrep -a sleep\` (or \`ps -ef | grep '${SLEEP.join(' ')}'\`), then compare \`readlink /proc/<pid>/ns/pid\` of each with your own \`readlink /proc/self/ns/pid\`: the one with another number is the container.`,
          '`grep NSpid /proc/<pid>/status` works too: two numbers (the host PID, then the PID inside) mean the process lives in a nested PID namespace.',
          'End it with `kill -9`: a plain `kill` sends SIGTERM, and the kernel does not deliver that to the first process of a PID namespace unless it installed a handler for it (lab pid shows why).',
          'The container\'s sleep is host PID {boxPid}: `kill -9 {boxPid}`.',
        ],
        shell: 'host',
        async solve(ctx) {
          // As a learner would: of the two sleeps, the one whose pid namespace is not ours.
          const target = [ctx.state.box, ctx.state.decoy].find((t: Tracked) => namespaceId(t.pid, 'pid') !== namespaceId('self', 'pid'));
          kill(target.pid, 9);
        },
        async mistake(ctx) {
          // The wrong sleep: the one in the host's own namespaces (pgrep lists it just the same).
          const target = [ctx.state.box, ctx.state.decoy].find((t: Tracked) => namespaceId(t.pid, 'pid') === namespaceId('self', 'pid'));
          kill(target.pid, 9);
        },
      },
      async verify(ctx) {
        const box = ctx.state.box as Tracked;
        const decoy = ctx.state.decoy as Tracked;
        await waitGone(box);
        const b = fate(box);
        const d = fate(decoy);
        return [
          observeThat(`the container's sleep (host PID ${box.pid}, /proc/${box.pid}/status)`, 'ended by a signal from the host', b.text, !b.alive),
          observeThat(`the host's own sleep (PID ${decoy.pid})`, 'still running', d.text, d.alive),
        ];
      },
      async cleanup(ctx) {
        // Collect both children now; otherwise each would wait as a zombie for the ledger's cleanup.
        await stopAndReap(ctx, ctx.state.decoy?.pid, ctx.state.box?.pid);
      },
    },
  ],
};

export default lab;
