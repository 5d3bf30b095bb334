// Lab "pid": a PID namespace numbers its processes from 1. Its first process is the namespace's
// init: it adopts orphans, and when it dies the kernel kills everything else inside.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNS, CLONE_NEWPID, MS_PRIVATE, MS_REC } from '../src/kernel/constants.js';
import { commandLine, isAlive, listPids, mountTable, namespaceId, processStatus } from '../src/kernel/proc.js';
import { kill } from '../src/kernel/syscalls.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { startTime } from '../src/host/ledger.js';
import { Tracked, track, fate, waitGone } from './processes.js';
import { commOf, runCaptured, runJoined, stopAndReap } from './kit.js';

const INIT = ['sleep', '86401'];
const ORPHAN = ['sleep', '86402'];
const PS = ['/bin/busybox', 'ps', '-o', 'pid,ppid,args'];

interface PsLine { pid: number; ppid: number; args: string }

/** Rows of `ps -o pid,ppid,args`. */
function parsePs(text: string): PsLine[] {
  const rows: PsLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3].trim() });
  }
  return rows;
}

/** Run busybox ps inside the namespaces of `pid` (pid only: the host's /proc; pid+mnt: its own). */
async function psInside(ctx: LabContext, pid: number, types: ('pid' | 'mnt')[]): Promise<PsLine[]> {
  return parsePs((await runJoined(ctx, pid, types, PS)).out);
}

const procMounts = (pid: number | 'self') => mountTable(pid).filter((m) => m.mountPoint === '/proc' && m.fstype === 'proc');
const lastOf = (nspid: number[]) => nspid[nspid.length - 1];

/** Host PIDs of the live processes whose /proc/PID/ns/pid is `ns` (zombies have ended: left out). */
function liveIn(ns: number): number[] {
  return listPids().filter((p) => namespaceId(p, 'pid') === ns && isAlive(p));
}

/**
 * A process's ARGS column as busybox ps prints it: the command line, preceded by the short name in
 * braces when the two differ (systemd, started as /sbin/init, names itself "systemd": "{systemd}
 * /sbin/init").
 */
function psArgs(pid: number): string {
  const args = commandLine(pid);
  const comm = commOf(pid);
  const argv0 = args.split(' ')[0] ?? '';
  return comm && argv0.split('/').pop() !== comm ? `{${comm}} ${args}` : args;
}

const lab: Lab = {
  id: 'pid',
  title: 'The PID namespace: PID 1 inside, any PID outside',
  module: 3,
  lesson: 'pid',
  needs: ['root', 'ns-pid', 'ns-mnt'],
  steps: [
    {
      id: 'pid1',
      title: 'PID 1 inside, another PID outside',
      explain: 'A PID namespace numbers processes from 1, and it is nested: every process also has a PID in each namespace above its own. `unshare(CLONE_NEWPID)` does not move the caller (its PID cannot change); it decides where its next child goes, and that child is PID 1 of the new namespace. The line `NSpid` in /proc/PID/status lists a process\'s PIDs from the host\'s namespace down to its own.',
      command: 'unshare --pid --fork sleep 86401 &  grep NSpid /proc/PID/status',
      syscall: 'unshare(CLONE_NEWPID); posix_spawn("/bin/sleep")',
      async perform(ctx) {
        const pid = await ctx.spawn({ argv: INIT, path: '/bin/sleep', env: baseEnv(), unshare: CLONE_NEWPID }, 'PID 1 of a PID namespace, host /proc');
        ctx.state.first = track(pid);
        // Named keys, not `pid`: in this lab the word PID stays a word (PID 1, PID namespace).
        ctx.state.firstPid = pid;
        return `started "${INIT.join(' ')}" as host PID ${pid} in a new PID namespace`;
      },
      async verify(ctx) {
        const { pid } = ctx.state.first as Tracked;
        const st = processStatus(pid);
        const host = namespaceId('self', 'pid');
        const inner = namespaceId(pid, 'pid');
        return [
          observe(`NSpid in /proc/${pid}/status (host PID, PID inside)`, `${pid} 1`, st.nspid.join(' ')),
          observeThat(`/proc/${pid}/ns/pid`, `≠ host's pid:[${host}]`, `pid:[${inner}]`, inner !== undefined && inner !== host),
          observe(`PPid in /proc/${pid}/status (nestbox, outside the namespace)`, process.pid, st.ppid),
        ];
      },
    },
    {
      id: 'host-proc',
      title: "A new PID namespace still reads the host's /proc",
      explain: "`ps` knows nothing about namespaces: it reads `/proc`. A procfs shows the PID namespace of whoever mounted it, and the only /proc this namespace can see is the host's, mounted long ago by a host process. So `ps` run inside the new namespace lists every process of the host, under host PIDs, its own PID 1 included. The isolation itself is real (from inside, `kill` cannot reach a process outside the namespace by any number), but the view through /proc is not.",
      command: 'nsenter --target {firstPid} --pid busybox ps -o pid,ppid,args',
      syscall: 'setns(/proc/{firstPid}/ns/pid, CLONE_NEWPID); posix_spawn("busybox ps"), which reads the host\'s /proc',
      async perform(ctx) {
        const { pid } = ctx.state.first as Tracked;
        const rows = await psInside(ctx, pid, ['pid']);
        ctx.state.staleRows = rows;
        for (const r of rows.filter((r) => r.pid === 1 || r.pid === pid || r.pid === process.pid || r.args.startsWith('/bin/busybox ps') || r.args.startsWith('ps '))) {
          ctx.say(`ps inside: ${String(r.pid).padStart(6)} ${String(r.ppid).padStart(6)}  ${r.args.slice(0, 70)}`);
        }
        return `busybox ps, run inside pid:[${namespaceId(pid, 'pid')}], listed ${rows.length} processes, ps itself among them (the host lists ${listPids().length} now that ps has ended)`;
      },
      async verify(ctx) {
        const { pid } = ctx.state.first as Tracked;
        const rows: PsLine[] = ctx.state.staleRows;
        const init = rows.find((r) => r.pid === 1)?.args ?? 'absent';
        const hostInit = psArgs(1);
        const sleep = rows.find((r) => r.args === INIT.join(' '));
        const self = rows.some((r) => r.pid === process.pid);
        return [
          observeThat('PID 1 in that ps output', `the host's init (${hostInit.slice(0, 40)})`, init.slice(0, 60), hostInit !== '' && (init.startsWith(hostInit.slice(0, 40)) || hostInit.startsWith(init))),
          observeThat(`nestbox (host PID ${process.pid}, outside the namespace) in it`, 'listed', self ? 'listed' : 'absent', self),
          observe(`the namespace's own "${INIT.join(' ')}" in it`, `listed as ${pid}, its host PID`, sleep ? `listed as ${sleep.pid}${sleep.pid === pid ? ', its host PID' : ''}` : 'absent'),
        ];
      },
    },
    {
      id: 'mount-proc',
      title: 'Mount a fresh /proc from inside the namespace',
      explain: "A container needs a /proc of its own: a new procfs, mounted by a process that is **inside** the new PID namespace (the kernel ties a procfs to the PID namespace of the process that mounts it, and nestbox itself stays in the host's). So the child does it, as its first act: `sh -c 'mount -t proc proc /proc && exec sleep ...'`. It runs in a private mount namespace (MS_REC|MS_PRIVATE first), so the new /proc covers the host's only in there. `ps` inside then lists only the namespace's processes.",
      command: "unshare --pid --mount --propagation private --fork sh -c 'mount -t proc proc /proc && exec sleep 86401' &  nsenter -t <its host pid> -p -m busybox ps -o pid,ppid,args",
      syscall: 'unshare(CLONE_NEWPID|CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); posix_spawn("/bin/sh"), which calls mount("proc", "/proc", "proc", 0, NULL)',
      async perform(ctx) {
        ctx.state.hostProcMounts = procMounts('self').length;
        const pid = await ctx.spawn({
          argv: ['/bin/sh', '-c', `mount -t proc proc /proc && exec ${INIT.join(' ')}`],
          env: baseEnv(),
          unshare: CLONE_NEWPID | CLONE_NEWNS,
          // systemd makes / shared: without this, the new /proc would be mounted on the host's too.
          steps: [{ call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE }],
        }, 'PID 1 of a PID namespace with its own /proc');
        const box = track(pid);
        ctx.state.box = box;
        ctx.state.boxNs = namespaceId(pid, 'pid');
        ctx.state.boxPid = pid;
        // The shell becomes sleep (exec) once its mount has succeeded.
        for (let i = 0; i < 200 && commandLine(pid) !== INIT.join(' ') && fate(box).alive; i++) await new Promise((r) => setTimeout(r, 5));
        if (commandLine(pid) !== INIT.join(' ')) throw new Error(`the namespace's shell did not mount /proc (it ${fate(box).text})`);
        const rows = await psInside(ctx, pid, ['pid', 'mnt']);
        ctx.state.ownRows = rows;
        for (const r of rows) ctx.say(`ps inside: ${String(r.pid).padStart(6)} ${String(r.ppid).padStart(6)}  ${r.args}`);
        ctx.say(`outside, the host sees the same sleep as PID ${pid}, parent ${processStatus(pid).ppid} (nestbox); ps inside shows PPID 0 for a parent outside the namespace`);
        return `host PID ${pid} mounted a fresh /proc inside its PID and mount namespaces`;
      },
      async verify(ctx) {
        const { pid } = ctx.state.box as Tracked;
        const rows: PsLine[] = ctx.state.ownRows;
        const inside = procMounts(pid);
        const top = inside[inside.length - 1];
        const listing = rows.map((r) => `${r.pid} ${r.args.split(' ')[0] === '/bin/busybox' ? 'ps' : r.args}`).join('; ');
        const onlyOwn = rows.length === 2 && rows.some((r) => r.pid === 1 && r.args === INIT.join(' ')) && rows.some((r) => r.args.startsWith(PS.join(' ')));
        return [
          observeThat('ps inside, reading the new /proc', `PID 1 "${INIT.join(' ')}" and ps itself, nothing else`, listing, onlyOwn),
          observe(`NSpid in /proc/${pid}/status (read through the host's /proc)`, `${pid} 1`, processStatus(pid).nspid.join(' ')),
          observe(`proc mounts on /proc in /proc/${pid}/mountinfo`, `${ctx.state.hostProcMounts + 1} (the host's, and the new one on top)`, `${inside.length}${inside.length === ctx.state.hostProcMounts + 1 ? ' (the host\'s, and the new one on top)' : ''}`),
          observe('propagation of the new /proc mount', 'private', top?.propagation ?? 'absent'),
          observe('proc mounts on /proc on the host (/proc/self/mountinfo)', ctx.state.hostProcMounts, procMounts('self').length),
        ];
      },
    },
    {
      id: 'orphan',
      title: "Orphans are adopted by the namespace's PID 1",
      explain: "When a process exits, its children are not left without a parent: the kernel gives them to the init of their PID namespace (or a subreaper), never to a process outside it. Here a shell inside the namespace starts `sleep` in the background and exits at once; the orphaned sleep's parent becomes the namespace's PID 1. An init must also collect (wait for) the orphans that end, or they stay zombies; `sleep` never does, which is why runtimes offer a tiny init (`docker run --init`, tini) as PID 1.",
      command: "nsenter -t {boxPid} -p -m sh -c 'sleep 86402 & echo $!'; grep PPid /proc/<orphan>/status",
      syscall: 'setns(pid, mnt); posix_spawn("/bin/sh"): fork(2) + exit(2); the kernel reparents the child to the namespace\'s child_reaper',
      async perform(ctx) {
        const { pid } = ctx.state.box as Tracked;
        const { out } = await runCaptured(ctx, { argv: ['/bin/sh', '-c', `${ORPHAN.join(' ')} </dev/null >/dev/null 2>&1 & echo $!`], join: { pid, types: ['pid', 'mnt'] } });
        const inner = Number(out);
        // $! is the PID inside the namespace; find the same process among the host's by its NSpid.
        const ns = namespaceId(pid, 'pid');
        const host = listPids().find((p) => namespaceId(p, 'pid') === ns && lastOf(processStatus(p).nspid) === inner);
        if (!host) throw new Error(`the orphaned sleep (PID ${inner} inside) was not found`);
        ctx.ledger.record({ kind: 'process', pid: host, starttime: startTime(host), note: 'orphaned sleep' });
        ctx.state.orphan = { ...track(host), inner };
        return `the shell exited; its "${ORPHAN.join(' ')}" (PID ${inner} inside, ${host} on the host) was orphaned`;
      },
      async verify(ctx) {
        const { pid } = ctx.state.box as Tracked;
        const orphan = ctx.state.orphan as Tracked & { inner: number };
        const st = processStatus(orphan.pid);
        const rows = await psInside(ctx, pid, ['pid', 'mnt']);
        const row = rows.find((r) => r.pid === orphan.inner);
        return [
          observe(`PPid in /proc/${orphan.pid}/status (host view)`, `${pid}, the namespace's PID 1`, `${st.ppid}${st.ppid === pid ? ", the namespace's PID 1" : ''}`),
          observe(`PPID of ${orphan.inner} in ps inside the namespace`, 1, row?.ppid ?? 'absent'),
          observe(`NSpid in /proc/${orphan.pid}/status`, `${orphan.pid} ${orphan.inner}`, st.nspid.join(' ')),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Kill PID 1 and the whole namespace goes',
      explain: "PID 1 defines a container's life. When the init of a PID namespace ends, the kernel sends SIGKILL to every other process in it and no new process may enter; that is why a container stops when its main process exits. PID 1 is also protected: from inside, even `kill -9 1` is ignored, and from the host only SIGKILL (or SIGSTOP) gets through unless init installed handlers.",
      command: 'kill -9 {boxPid}   # from the host; then: ls -l /proc/*/ns/pid | grep {boxNs}',
      syscall: 'kill(host PID of init, SIGKILL); the kernel: zap_pid_ns_processes() kills the rest',
      exercise: {
        task: "End this container the way `docker kill` does: send SIGKILL to the namespace's init (process 1 inside, {boxPid} on the host). Then every process of the namespace, the orphaned `sleep 86402` too, must be gone. The shell nestbox offers runs inside the namespace: try `kill -9 1` there first, and `ps` to see that init survives it.",
        hints: [
          'Inside the namespace the kernel ignores every signal to its init that init has no handler for, SIGKILL included. From the host, init is an ordinary process with a host PID.',
          'Killing the orphan, or any process other than init, ends only that process: the namespace lives on as long as its init does.',
          'A plain `kill {boxPid}` sends SIGTERM; `sleep` has no handler for it, so the kernel drops it. That is why `docker stop` sends SIGKILL when its timeout runs out.',
          'From a host terminal: `kill -9 {boxPid}` (init\'s host PID).',
        ],
        shell: { pidKey: 'boxPid', types: ['pid', 'mnt'] },
        async solve(ctx) {
          kill(ctx.state.box.pid, 9);
        },
        async mistake(ctx) {
          // A process inside the namespace, but not its init.
          kill(ctx.state.orphan.pid, 9);
        },
      },
      async verify(ctx) {
        const box = ctx.state.box as Tracked;
        const orphan = ctx.state.orphan as Tracked;
        await waitGone(box);
        const init = fate(box);
        const left = liveIn(ctx.state.boxNs);
        const o = fate(orphan);
        return [
          observeThat(`PID 1 of pid:[${ctx.state.boxNs}] (host PID ${box.pid})`, 'gone', init.text, !init.alive),
          observe(`live processes with /proc/*/ns/pid = pid:[${ctx.state.boxNs}]`, 'none', left.length ? left.map((p) => `${p} (${commandLine(p)})`).join(', ') : 'none'),
          observeThat(`the orphaned sleep (host PID ${orphan.pid})`, 'gone, killed by the kernel', o.text, !o.alive),
        ];
      },
      async cleanup(ctx) {
        // Collect our children (the two inits); the kernel takes the orphan down with its init.
        await stopAndReap(ctx, ctx.state.box?.pid, ctx.state.first?.pid);
      },
    },
  ],
};

export default lab;
