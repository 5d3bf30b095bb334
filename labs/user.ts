// Lab "user": a user namespace maps ids. Root inside is an unprivileged uid outside, and the full
// set of capabilities it holds counts only for what its namespace owns.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWUSER, capabilityNames } from '../src/kernel/constants.js';
import { KernelError } from '../src/kernel/errors.js';
import { unshare } from '../src/kernel/syscalls.js';
import { namespaceId, processStatus } from '../src/kernel/proc.js';
import { appendFileSync, chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostTool, runCaptured, startSleeper, reapHelpers } from './kit.js';

/** The host uid (and gid) that root inside the lab's namespaces maps to: the first id /etc/subuid usually hands out. */
const OUTSIDE = 100000;

/** A map file (/proc/PID/uid_map) with its columns squeezed: "0 100000 1"; '' when nothing is written. */
function readMap(path: string): string {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).filter(Boolean).join('; ');
}

/** The uid of a process as seen from this (the host's) namespace: /proc/PID/status "Uid:" (real uid). */
function hostUid(pid: number): number {
  return processStatus(pid).uid[0];
}

/** The uid the kernel shows for an id that has no mapping in the reader's namespace (65534 by default). */
const overflowUid = () => readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim();

/** "0123…" as 16 hex digits, as /proc/PID/status prints a capability set. */
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');

/**
 * Look from inside: util-linux nsenter (single-threaded, so setns into a user namespace works)
 * joins the user namespace of `pid`, becomes uid 0 and gid 0 there (it fails if 0 is not mapped)
 * and runs a shell that prints its own ids and capabilities and the uid of `pid` as its namespace
 * names it. Returns key=value pairs; `error` holds anything else it printed.
 */
async function lookInside(ctx: LabContext, pid: number, script = '', cwd?: string): Promise<Record<string, string>> {
  const sh = [
    'echo "uid=$(id -u)"; echo "gid=$(id -g)"',
    `awk '/^CapEff:/ { print "capeff=" $2 }' /proc/self/status`,
    `awk '/^Uid:/ { print "target=" $2 }' /proc/${pid}/status`,
    script,
  ].join('\n');
  const r = await runCaptured(ctx, { argv: [hostTool('nsenter'), '--target', String(pid), '--user', '--', '/bin/sh', '-c', sh], cwd });
  const out: Record<string, string> = {};
  const rest: string[] = [];
  for (const line of r.out.split('\n').filter(Boolean)) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
    else rest.push(line.trim());
  }
  if (rest.length || r.code !== 0) out.error = rest.join(' ') || `exit ${r.code}`;
  return out;
}

/** A user namespace with no map yet, held by `sleep`, created by a single-threaded helper running as uid 100000. */
function startUnmapped(ctx: LabContext, note: string): Promise<number> {
  return startSleeper(ctx, {
    argv: [hostTool('unshare'), '--user', '--', hostTool('sleep'), 'infinity'],
    // The thread that spawns it drops to 100000 first: the helper has no capabilities on the host.
    user: { uid: OUTSIDE, gid: OUTSIDE },
  }, note);
}

/** Observations shared by the map step and the exercise's check. */
async function mapObservations(ctx: LabContext, pid: number): Promise<Observation[]> {
  const inside = await lookInside(ctx, pid);
  return [
    observe(`/proc/${pid}/uid_map (inside outside count)`, `0 ${OUTSIDE} 1`, readMap(`/proc/${pid}/uid_map`) || '(empty)'),
    observe(`/proc/${pid}/gid_map`, `0 ${OUTSIDE} 1`, readMap(`/proc/${pid}/gid_map`) || '(empty)'),
    observe('id -u of a process that joined it (nsenter -U)', '0', inside.uid ?? inside.error),
    observe(`uid of sleep ${pid}, read inside its namespace`, '0', inside.target ?? inside.error),
    observe(`uid of sleep ${pid}, read on the host (/proc/${pid}/status)`, OUTSIDE, hostUid(pid)),
  ];
}

const lab: Lab = {
  id: 'user',
  title: 'The user namespace: root inside, nobody outside',
  module: 7,
  lesson: 'user',
  needs: ['root', 'ns-user'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's user namespace and its map",
      explain: 'The kernel stores one number per uid, in processes and on files. A user namespace translates: its `uid_map` says which of those numbers its processes see under which name. The host\'s namespace (the first one) maps every id to itself: `0 0 4294967295` reads "ids from 0 inside are ids from 0 outside, 4294967295 of them".',
      command: 'readlink /proc/self/ns/user; cat /proc/self/uid_map',
      syscall: 'readlink(2) on /proc/self/ns/user, read(2) on /proc/self/uid_map',
      async perform(ctx) {
        ctx.state.hostUser = namespaceId('self', 'user');
        return `nestbox is in user:[${ctx.state.hostUser}], the host's user namespace, as uid ${hostUid(process.pid)}`;
      },
      async verify(ctx) {
        return [
          observe('/proc/self/uid_map of nestbox', '0 0 4294967295', readMap('/proc/self/uid_map')),
          observe('/proc/self/gid_map of nestbox', '0 0 4294967295', readMap('/proc/self/gid_map')),
          observeThat('/proc/sys/kernel/overflowuid (the name of an unmapped uid)', 'a number', overflowUid(), /^\d+$/.test(overflowUid())),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'threads',
      title: 'Try unshare(CLONE_NEWUSER) from nestbox itself',
      explain: 'A user namespace changes *who* a process is: its uids and its capabilities. Threads share one memory and one filesystem context, so the kernel will not let one thread alone become someone else: it treats `unshare(CLONE_NEWUSER)` as also leaving the thread group (CLONE_THREAD), and returns EINVAL unless the caller is the only thread of its process (kernel/fork.c, `check_unshare_flags`). nestbox runs on Node, which always has a dozen threads. nestbox makes the real call from its main thread now: it fails before it changes anything.',
      syscall: 'unshare(CLONE_NEWUSER) from a multithreaded process',
      async perform(ctx) {
        try {
          unshare(CLONE_NEWUSER);
        } catch (err) {
          if (!(err instanceof KernelError)) throw err;
          ctx.state.refused = { code: err.code, errno: err.errno };
          ctx.say(`the hint nestbox gives for it: ${err.hint}`);
          return err.message.split('.')[0];
        }
        throw new Error('unshare(CLONE_NEWUSER) succeeded in a multithreaded process: this kernel does not behave as expected');
      },
      async verify(ctx) {
        const threads = processStatus('self').threads;
        return [
          observe('errno of unshare(CLONE_NEWUSER)', 'EINVAL (22)', `${ctx.state.refused.code} (${ctx.state.refused.errno})`),
          observeThat('threads of nestbox (/proc/self/status Threads)', '> 1', threads, threads > 1),
          observe('/proc/self/ns/user of nestbox afterwards (unchanged)', `user:[${ctx.state.hostUser}]`, `user:[${namespaceId('self', 'user')}]`),
        ];
      },
    },
    {
      id: 'helper',
      title: 'Let a single-threaded helper create the namespace',
      explain: `A runtime does what nestbox just could not with a small single-threaded program: runc runs C code before its Go runtime starts threads; here it is util-linux \`unshare --user\`, which calls unshare(2) and then execs \`sleep\` to keep the namespace alive. nestbox starts it as the unprivileged host uid ${OUTSIDE}: creating a user namespace needs no privilege. No map is written yet, so inside the namespace uid ${OUTSIDE} has no name and shows as the overflow uid (/proc/sys/kernel/overflowuid, 65534 "nobody").`,
      command: `setpriv --reuid ${OUTSIDE} --regid ${OUTSIDE} --clear-groups unshare --user sleep infinity &`,
      syscall: `setresuid(${OUTSIDE}); posix_spawn("unshare") -> unshare(CLONE_NEWUSER); execve("sleep")`,
      async perform(ctx) {
        ctx.state.pid = await startUnmapped(ctx, 'holds the lab user namespace');
        return `sleep ${ctx.state.pid} holds user:[${namespaceId(ctx.state.pid, 'user')}], started as uid ${OUTSIDE}`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const ns = namespaceId(pid, 'user');
        // Keep nestbox's own uid (0, unmapped there) so the look inside works without a map.
        const r = await runCaptured(ctx, { argv: [hostTool('nsenter'), '--target', String(pid), '--user', '--preserve-credentials', '--', hostTool('awk'), '/^Uid:/ { print $2 }', `/proc/${pid}/status`] });
        return [
          observeThat(`/proc/${pid}/ns/user`, `≠ host's user:[${ctx.state.hostUser}]`, `user:[${ns}]`, ns !== undefined && ns !== ctx.state.hostUser),
          observe(`/proc/${pid}/uid_map`, '(empty)', readMap(`/proc/${pid}/uid_map`) || '(empty)'),
          observe(`uid of sleep ${pid} on the host (/proc/${pid}/status)`, OUTSIDE, hostUid(pid)),
          observe(`uid of sleep ${pid}, read inside its namespace (the overflow uid)`, overflowUid(), r.out),
        ];
      },
    },
    {
      id: 'map',
      title: 'Write the map from outside, as root of the parent namespace',
      explain: `A map is written once, into /proc/PID/uid_map and gid_map, by a process with CAP_SETUID (CAP_SETGID) over the namespace: the process itself may only map its own id, but root of the *parent* namespace may map any range. That is what runc and the setuid helpers newuidmap/newgidmap do. nestbox is root on the host, so it writes \`0 ${OUTSIDE} 1\` into both maps from outside. A privileged writer need not first write "deny" to /proc/PID/setgroups; an unprivileged one must, or a process could drop a group that was there to deny it access.`,
      command: `echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map; echo '0 ${OUTSIDE} 1' > /proc/PID/gid_map`,
      syscall: 'open(2) + write(2) on /proc/PID/uid_map and /proc/PID/gid_map from the parent user namespace',
      async perform(ctx) {
        writeFileSync(`/proc/${ctx.state.pid}/uid_map`, `0 ${OUTSIDE} 1\n`);
        writeFileSync(`/proc/${ctx.state.pid}/gid_map`, `0 ${OUTSIDE} 1\n`);
        return `wrote "0 ${OUTSIDE} 1" to /proc/${ctx.state.pid}/uid_map and gid_map`;
      },
      async verify(ctx) {
        return [
          ...(await mapObservations(ctx, ctx.state.pid)),
          observe(`/proc/${ctx.state.pid}/setgroups (no "deny" needed)`, 'allow', readFileSync(`/proc/${ctx.state.pid}/setgroups`, 'utf8').trim()),
        ];
      },
    },
    {
      id: 'caps',
      title: 'Full capabilities, but only over what the namespace owns',
      explain: `A process that creates or joins a user namespace holds every capability *in that namespace*. The kernel checks a capability against the namespace that owns the object: a file counts only if its owner is mapped into the namespace. Host root's files belong to uid 0, which this namespace cannot even name, so root inside gets EACCES where host root would not. One trap: capabilities are recomputed at every execve, from the uid *as mapped at that moment*. \`sleep\` was exec'd before the map existed, as an unmapped uid, so it has none; a process that enters now becomes uid 0 and keeps them all.`,
      command: `nsenter -t PID -U sh -c 'grep CapEff /proc/self/status; echo x >> owned-by-ns-root; echo x >> owned-by-host-root'`,
      syscall: 'setns(CLONE_NEWUSER); setuid(0); execve(); open(O_WRONLY|O_APPEND) -> EACCES',
      async perform(ctx) {
        // Two files nestbox (host root) creates: one owned by uid 100000, root inside, with no
        // permission bits at all; one owned by host root, writable only by its owner.
        const nsFile = join(ctx.workDir, 'owned-by-ns-root');
        const hostFile = join(ctx.workDir, 'owned-by-host-root');
        writeFileSync(nsFile, 'created by nestbox\n');
        chownSync(nsFile, OUTSIDE, OUTSIDE);
        chmodSync(nsFile, 0o000);
        writeFileSync(hostFile, 'created by nestbox\n', { mode: 0o644 });
        // The shell starts in the lab directory, so relative names need no search permission on
        // the directories above it (root-only on the host).
        const attempt = (f: string) => `r=$( (echo "written from inside" >> ${f}) 2>&1 ) && echo "${f.replace(/-/g, '_')}=written" || echo "${f.replace(/-/g, '_')}=\${r##*: }"`;
        ctx.state.inside = await lookInside(ctx, ctx.state.pid, [attempt('owned-by-ns-root'), attempt('owned-by-host-root')].join('\n'), ctx.workDir);
        appendFileSync(hostFile, 'written by host root\n');
        return `tried both files from inside (as uid 0 there), then host root appended to owned-by-host-root`;
      },
      async verify(ctx) {
        const inside = ctx.state.inside as Record<string, string>;
        // Entering a user namespace resets even the bounding set to every capability the kernel
        // knows (0 .. /proc/sys/kernel/cap_last_cap), whatever the host took away from nestbox.
        const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
        const full = hex((1n << BigInt(last + 1)) - 1n);
        const sleeper = processStatus(ctx.state.pid).capEff;
        const effInside = inside.capeff ?? inside.error;
        const content = (f: string) => readFileSync(join(ctx.workDir, f), 'utf8');
        return [
          observe('CapEff of a process that entered after the map (all of them)', `${full} (${capabilityNames(BigInt('0x' + full)).length} capabilities)`,
            inside.capeff ? `${effInside} (${capabilityNames(BigInt('0x' + effInside)).length} capabilities)` : effInside),
          observe(`CapEff of sleep ${ctx.state.pid} (exec'd before the map)`, hex(0n), hex(sleeper)),
          observe('write from inside to owned-by-ns-root (owner 0 inside, mode 000)', 'written', inside.owned_by_ns_root ?? inside.error),
          observe('write from inside to owned-by-host-root (owner host root, 644)', 'Permission denied', inside.owned_by_host_root ?? inside.error),
          observe('owned-by-host-root now holds a line from inside', 'no', content('owned-by-host-root').includes('from inside') ? 'yes' : 'no'),
          observe('the same write by host root (nestbox)', 'written', content('owned-by-host-root').includes('by host root') ? 'written' : 'missing'),
        ];
      },
    },
    {
      id: 'fresh',
      title: 'A fresh namespace, with no map, for you',
      explain: `For the exercise nestbox starts another \`sleep\` in a new user namespace, as uid ${OUTSIDE}, and writes no map. Until a map exists nothing in there can be root: nsenter cannot even become uid 0 and gid 0 inside, because those ids have no outside meaning yet.`,
      command: `setpriv --reuid ${OUTSIDE} --regid ${OUTSIDE} --clear-groups unshare --user sleep infinity &`,
      syscall: `setresuid(${OUTSIDE}); posix_spawn("unshare") -> unshare(CLONE_NEWUSER); execve("sleep")`,
      async perform(ctx) {
        // state.pid is the PID the exercise's text names.
        ctx.state.pid = await startUnmapped(ctx, 'holds the exercise user namespace');
        return `sleep ${ctx.state.pid} holds user:[${namespaceId(ctx.state.pid, 'user')}], no map yet`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = await lookInside(ctx, pid);
        return [
          observe(`/proc/${pid}/uid_map`, '(empty)', readMap(`/proc/${pid}/uid_map`) || '(empty)'),
          observeThat(`nsenter -t ${pid} -U (becomes uid 0, gid 0 inside)`, 'fails: 0 is not mapped', inside.error ?? `uid ${inside.uid}`, inside.uid === undefined),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Write the map yourself',
      explain: 'Write the maps of that namespace from the host, as runc or newuidmap would.',
      command: `echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map; echo '0 ${OUTSIDE} 1' > /proc/PID/gid_map`,
      syscall: 'write(2) on /proc/PID/uid_map and gid_map',
      exercise: {
        task: `From a second terminal on the host (as root), give the user namespace of \`sleep\` PID its maps: uid 0 inside must be uid ${OUTSIDE} outside, and gid 0 inside gid ${OUTSIDE} outside, one id each. Then check.`,
        hints: [
          'The maps are the files `/proc/PID/uid_map` and `/proc/PID/gid_map`, written from outside. A map line reads: first id inside, first id outside, how many.',
          'A namespace takes its map once: a second write fails with EPERM. If you wrote a wrong one, quit and start the lab again: it makes a fresh namespace.',
          'Try it: `nsenter -t PID -U id` prints uid=0(root) once both maps are there (it needs gid 0 mapped too).',
          `\`echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map\`, and the same into /proc/PID/gid_map (through sudo: \`echo '0 ${OUTSIDE} 1' | sudo tee /proc/PID/uid_map\`).`,
        ],
        shell: 'host',
        async solve(ctx) {
          // A map the learner already wrote stays: the kernel takes one write per map.
          for (const file of ['uid_map', 'gid_map']) {
            const path = `/proc/${ctx.state.pid}/${file}`;
            const now = readMap(path);
            if (!now) writeFileSync(path, `0 ${OUTSIDE} 1\n`);
            else if (now !== `0 ${OUTSIDE} 1`) throw new Error(`${file} already holds "${now}", and a namespace takes its map once: quit and start the lab again for a fresh namespace`);
          }
        },
        async mistake(ctx) {
          // "Root inside is root outside": it works, and that is the danger. Root inside owns every
          // host file that root owns.
          writeFileSync(`/proc/${ctx.state.pid}/uid_map`, '0 0 1\n');
          writeFileSync(`/proc/${ctx.state.pid}/gid_map`, '0 0 1\n');
        },
      },
      async verify(ctx) {
        return mapObservations(ctx, ctx.state.pid);
      },
    },
  ],
};

export default lab;
