// Lab "cgroupns": a cgroup namespace makes the cgroup a process was in when the namespace was
// created look like the root of the tree, so a container cannot see (or name) the host's layout.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWCGROUP } from '../src/kernel/constants.js';
import { Cgroup } from '../src/kernel/cgroup.js';
import type { Controller } from '../src/kernel/cgroup-layout.js';
import { parseProcCgroup, processCgroups, ProcessCgroup } from '../src/kernel/cgroup-layout.js';
import { namespaceId } from '../src/kernel/proc.js';
import { hostTool, runCaptured, startSleeper, reapHelpers } from './kit.js';
import { posix } from 'node:path';

/**
 * One controller is enough to have a cgroup: pids exists on v1 (its own tree) and on v2. On a v1
 * or hybrid host /proc/PID/cgroup has a line per tree and the lab's cgroup is on the "pids" line;
 * on v2 there is one tree and one line, "0::/path".
 */
const CONTROLLERS: Controller[] = ['pids'];

function labCgroup(ctx: LabContext): Cgroup {
  return Cgroup.open(ctx.state.cgName, CONTROLLERS);
}

/** The line of /proc/PID/cgroup for the tree the lab's cgroup lives in. */
function treeLine(lines: ProcessCgroup[], version: 1 | 2): ProcessCgroup | undefined {
  return version === 2 ? lines.find((l) => l.hierarchy === 0) : lines.find((l) => l.controllers.includes('pids'));
}

/** The cgroup path of `pid` in the lab's tree as the host sees it (nestbox reads /proc itself). */
function hostView(ctx: LabContext, pid: number | 'self'): string {
  try {
    return treeLine(processCgroups(pid), labCgroup(ctx).version)?.path ?? '(no line)';
  } catch {
    return '(process gone)';
  }
}

/**
 * The same file read from inside `pid`'s cgroup namespace: a `cat` that joins it. The kernel prints
 * each path relative to the *reader's* namespace root, so the reader's own cgroup does not matter.
 */
async function insideView(ctx: LabContext, pid: number): Promise<string> {
  const r = await runCaptured(ctx, { argv: [hostTool('cat'), `/proc/${pid}/cgroup`], join: { pid, types: ['cgroup'] } });
  if (r.code !== 0) return r.out || `cat failed (exit ${r.code})`;
  return treeLine(parseProcCgroup(r.out), labCgroup(ctx).version)?.path ?? '(no line)';
}

/** A shell command that moves the shell itself ($$) into the lab's cgroup, in every tree it has. */
function joinLabCgroup(ctx: LabContext): string {
  return labCgroup(ctx).allDirs().map((d) => `echo $$ > ${d}/cgroup.procs`).join('; ');
}

const lab: Lab = {
  id: 'cgroupns',
  title: 'The cgroup namespace: your cgroup is the root',
  module: 11,
  lesson: 'namespaces',
  needs: ['root', 'ns-cgroup'],
  steps: [
    {
      id: 'cgroup',
      title: 'Make a cgroup and put a process in it',
      explain: 'Every process is in one cgroup per cgroup tree, and /proc/PID/cgroup names them, one line per tree: `N:controller:/path` for each cgroup v1 tree, `0::/path` for the v2 tree (a pure v2 host has only that line). nestbox creates a cgroup under its parent "nestbox" and moves a `sleep` into it by writing its PID to `cgroup.procs`. Read from the host, its path gives the host\'s layout away.',
      command: 'mkdir /sys/fs/cgroup/pids/nestbox/cgns-X; sleep infinity & echo $! > /sys/fs/cgroup/pids/nestbox/cgns-X/cgroup.procs',
      syscall: 'mkdir(2) in cgroupfs; posix_spawn("sleep"); write(2) of the PID to cgroup.procs',
      async perform(ctx) {
        ctx.state.cgName = `cgns-${ctx.unique}`;
        ctx.state.hostCgroupNs = namespaceId('self', 'cgroup');
        // Recorded before it exists: whatever happens next, cleanup knows the directories to remove.
        ctx.ledger.record({ kind: 'cgroup', dirs: labCgroup(ctx).allDirs() });
        const cg = Cgroup.create(ctx.state.cgName, CONTROLLERS);
        ctx.state.pid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'] }, 'a process in the lab cgroup');
        cg.addProcess(ctx.state.pid);
        // The directory the exercise names (v1: in the pids tree; v2: the one tree).
        ctx.state.cgroupDir = cg.allDirs()[0];
        return `created ${cg.allDirs().join(' and ')} (cgroup v${cg.version}) and moved sleep ${ctx.state.pid} into it`;
      },
      async verify(ctx) {
        const cg = labCgroup(ctx);
        const own = hostView(ctx, 'self');
        return [
          observe(`/proc/${ctx.state.pid}/cgroup on the host (${cg.version === 2 ? '0::' : 'pids'} line)`, `/nestbox/${ctx.state.cgName}`, hostView(ctx, ctx.state.pid)),
          observeThat(`${cg.dir()}/cgroup.procs`, `lists ${ctx.state.pid}`, cg.procs().join(' ') || '(empty)', cg.procs().includes(ctx.state.pid)),
          observeThat('/proc/self/cgroup of nestbox (same line)', 'somewhere else', own, own !== `/nestbox/${ctx.state.cgName}`),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'order',
      title: 'Unshare first, join later: the root stays behind',
      explain: 'A cgroup namespace\'s root is the cgroup of the thread that calls `unshare(CLONE_NEWCGROUP)`, taken *at that moment*; it never moves. The thread of nestbox that calls it is in nestbox\'s own cgroup, and it cannot move alone (on v2, cgroup.procs moves whole processes: nestbox itself would land in the lab cgroup). So here that thread unshares, spawns `sleep`, and only then does nestbox move the `sleep` into the lab cgroup. Inside, the lab cgroup shows as a path relative to nestbox\'s cgroup (`/..` steps up), not as `/`; where nestbox runs in the root of that tree, it shows its full path and the namespace hides nothing.',
      command: 'unshare --cgroup sleep infinity & echo $! > {cgroupDir}/cgroup.procs',
      syscall: 'unshare(CLONE_NEWCGROUP); posix_spawn("sleep"); write(2) to cgroup.procs',
      async perform(ctx) {
        ctx.state.latePid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'], unshare: CLONE_NEWCGROUP }, 'unshared before it joined the lab cgroup');
        labCgroup(ctx).addProcess(ctx.state.latePid);
        ctx.state.ownPath = hostView(ctx, 'self');
        return `sleep ${ctx.state.latePid} got cgroup:[${namespaceId(ctx.state.latePid, 'cgroup')}] while in nestbox's cgroup ${ctx.state.ownPath}, then moved into the lab cgroup`;
      },
      async verify(ctx) {
        const pid = ctx.state.latePid;
        const ns = namespaceId(pid, 'cgroup');
        const real = hostView(ctx, pid);
        // Expected: the lab cgroup relative to nestbox's cgroup, which is the namespace's root.
        const relative = '/' + posix.relative(ctx.state.ownPath, real);
        return [
          observeThat(`/proc/${pid}/ns/cgroup`, `≠ host's cgroup:[${ctx.state.hostCgroupNs}]`, `cgroup:[${ns}]`, ns !== undefined && ns !== ctx.state.hostCgroupNs),
          observe(`/proc/${pid}/cgroup on the host`, `/nestbox/${ctx.state.cgName}`, real),
          observe(`/proc/${pid}/cgroup inside (relative to ${ctx.state.ownPath})`, relative, await insideView(ctx, pid)),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Join first, then unshare',
      explain: 'Runtimes do it in the other order: the container\'s first process is placed in its cgroup, then the cgroup namespace is created, so its root is the container\'s own cgroup. Inside, that cgroup reads `/` and nothing above it can be named.',
      command: "sh -c 'echo $$ > {cgroupDir}/cgroup.procs; exec unshare --cgroup sleep 1000' &",
      syscall: 'write(2) of its own process ID to cgroup.procs; unshare(CLONE_NEWCGROUP); execve("sleep")',
      exercise: {
        task: 'From a second terminal on the host (as root), start a long-running process whose cgroup namespace has the lab cgroup, `{cgroupDir}`, as its root: the process must be *in* the lab cgroup *before* it unshares. nestbox ends your process when the lab ends.',
        hints: [
          'The root of a cgroup namespace is the cgroup its creator is in at the moment it unshares. So the process has to move itself into the lab cgroup first, and only then call unshare.',
          'A shell can move itself: `echo $$ > {cgroupDir}/cgroup.procs` writes the shell\'s own process ID. Then `exec unshare --cgroup sleep 1000` keeps that same process, now in the lab cgroup.',
          '`unshare --cgroup sh -c \'echo $$ > …\'` is the wrong order: the root is fixed at your terminal\'s cgroup. `nsenter -t YOURPID -C cat /proc/YOURPID/cgroup` shows the path inside: `/` when the order was right.',
          "`sh -c 'echo $$ > {cgroupDir}/cgroup.procs; exec unshare --cgroup sleep 1000' &`",
        ],
        shell: 'host',
        async solve(ctx) {
          await startSleeper(ctx, { argv: ['/bin/sh', '-c', `${joinLabCgroup(ctx)}; exec ${hostTool('unshare')} --cgroup ${hostTool('sleep')} infinity`] }, 'joined the lab cgroup, then unshared');
        },
        async mistake(ctx) {
          // Unshare first: the root is nestbox's cgroup. (Where cgroup2 is mounted with nsdelegate,
          // as systemd does, the move even fails with ENOENT: a process inside a cgroup namespace
          // may only move processes between cgroups below its namespace's root.)
          await startSleeper(ctx, { argv: [hostTool('unshare'), '--cgroup', '/bin/sh', '-c', `${joinLabCgroup(ctx)}; exec ${hostTool('sleep')} infinity`] }, 'unshared, then tried to join the lab cgroup');
        },
      },
      async verify(ctx) {
        const cg = labCgroup(ctx);
        const ours = [ctx.state.pid, ctx.state.latePid];
        // The learner's processes: in the lab cgroup, not the lab's own, with a cgroup namespace of their own.
        const candidates = cg.procs().filter((p) => !ours.includes(p) && namespaceId(p, 'cgroup') !== undefined && namespaceId(p, 'cgroup') !== ctx.state.hostCgroupNs);
        if (!candidates.length) {
          return [observeThat(`a process in ${cg.dir()}/cgroup.procs with its own cgroup namespace`, 'a PID (not the lab\'s)', 'none', false)];
        }
        const views = await Promise.all(candidates.map(async (p) => ({ p, inside: await insideView(ctx, p) })));
        const best = views.find((v) => v.inside === '/') ?? views[views.length - 1];
        const out: Observation[] = [
          observeThat(`a process in ${cg.dir()}/cgroup.procs with its own cgroup namespace`, 'a PID (not the lab\'s)', `${best.p} in cgroup:[${namespaceId(best.p, 'cgroup')}]`, true),
          observe(`/proc/${best.p}/cgroup on the host`, `/nestbox/${ctx.state.cgName}`, hostView(ctx, best.p)),
          observe(`/proc/${best.p}/cgroup inside its namespace`, '/', best.inside),
        ];
        return out;
      },
    },
  ],
};

export default lab;
