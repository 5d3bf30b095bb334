// Lab "cgroupns": a cgroup namespace makes the cgroup a process was in when the namespace was
// created look like the root of the tree, so a container cannot see (or name) the host's layout.
import type { Lab, LabContext, Observation, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWCGROUP } from '../src/kernel/constants.js';
import { Cgroup, createCgroup, openCgroup } from '../src/kernel/cgroup.js';
import type { Controller } from '../src/kernel/cgroup-layout.js';
import { lineForController, parseProcCgroup, processCgroups, ProcessCgroup } from '../src/kernel/cgroup-layout.js';
import { namespaceId } from '../src/kernel/proc.js';
import { hostTool, runCaptured, startSleeper, reapHelpers } from './kit.js';
import { posix } from 'node:path';

/**
 * One controller is enough to have a cgroup: pids exists on v1 (its own tree) and on v2. On a v1
 * or hybrid host /proc/PID/cgroup has a line per tree and the lab's cgroup is on the "pids" line;
 * on v2 there is one tree and one line, "0::/path".
 */
const CONTROLLERS: Controller[] = ['pids'];

interface CgroupnsState {
  /** The lab cgroup's name under nestbox/ (cgns-UNIQUE). */
  cgName: string;
  /** The host's cgroup namespace (inode number), read before anything changes. */
  hostCgroupNs: number;
  /** The sleep moved into the lab cgroup (no namespace of its own). */
  pid: number;
  /** The lab cgroup's directory the exercise names (v1: in the pids tree). */
  cgroupDir: string;
  /** The sleep that unshared its cgroup namespace before it was moved into the lab cgroup. */
  latePid: number;
  /** nestbox's own cgroup (pids tree), the root of latePid's namespace. */
  ownPath: string;
}

function labCgroup(ctx: LabContext<CgroupnsState>): Cgroup {
  return openCgroup(ctx.state.cgName, CONTROLLERS);
}

/** The line of /proc/PID/cgroup for the tree the lab's cgroup lives in (its pids controller's). */
const treeLine = (lines: ProcessCgroup[]) => lineForController(lines, 'pids');

/** The cgroup path of `pid` in the lab's tree as the host sees it (nestbox reads /proc itself). */
function hostView(ctx: LabContext<CgroupnsState>, pid: number | 'self'): string {
  try {
    return treeLine(processCgroups(pid))?.path ?? pick('(no line)', '（没有这一行）');
  } catch {
    return pick('(process gone)', '（进程已不在）');
  }
}

/**
 * The same file read from inside `pid`'s cgroup namespace: a `cat` that joins it. The kernel prints
 * each path relative to the *reader's* namespace root, so the reader's own cgroup does not matter.
 */
async function insideView(ctx: LabContext<CgroupnsState>, pid: number): Promise<string> {
  const r = await runCaptured(ctx, { argv: [hostTool('cat'), `/proc/${pid}/cgroup`], join: { pid, types: ['cgroup'] } });
  if (r.code !== 0) return r.out || pick(`cat failed (exit ${r.code})`, `cat 失败了（退出码 ${r.code}）`);
  return treeLine(parseProcCgroup(r.out))?.path ?? pick('(no line)', '（没有这一行）');
}

/** The exercise's first observation: the learner's process, found in the lab cgroup. */
function candidateLabel(cg: Cgroup): Text {
  return t(`a process in ${cg.dir()}/cgroup.procs with its own cgroup namespace`, `${cg.dir()}/cgroup.procs 里一个有自己 cgroup 命名空间的进程`);
}

/** A shell command that moves the shell itself ($$) into the lab's cgroup, in every tree it has. */
function joinLabCgroup(ctx: LabContext<CgroupnsState>): string {
  return labCgroup(ctx).allDirs().map((d) => `echo $$ > ${d}/cgroup.procs`).join('; ');
}

const lab: Lab<CgroupnsState> = {
  id: 'cgroupns',
  title: t('The cgroup namespace: your cgroup is the root', 'cgroup 命名空间：你的控制组就是根'),
  module: 11,
  lesson: 'namespaces',
  needs: ['root', 'ns-cgroup'],
  steps: [
    {
      id: 'cgroup',
      title: t('Make a cgroup and put a process in it', '建一个控制组，把一个进程放进去'),
      explain: t(
        'Every process is in one cgroup per cgroup tree, and /proc/PID/cgroup names them, one line per tree: `N:controller:/path` for each cgroup v1 tree, `0::/path` for the v2 tree (a pure v2 host has only that line). nestbox creates a cgroup under its parent "nestbox" and moves a `sleep` into it by writing its PID to `cgroup.procs`. Read from the host, its path gives the host\'s layout away.',
        '进程在每棵 cgroup 树里都恰好属于一个控制组，/proc/PID/cgroup 把它们列出来，每棵树一行：每棵 cgroup v1 树是一行 `N:controller:/path`，v2 树是一行 `0::/path`（纯 v2 的宿主机只有这一行）。nestbox 在它的父组 "nestbox" 下面建一个控制组，把一个 `sleep` 的 PID 写进 `cgroup.procs`，就把它移了进去。从宿主机上读，这个路径会把宿主机的布局暴露出来。',
      ),
      command: 'mkdir /sys/fs/cgroup/pids/nestbox/cgns-X; sleep infinity & echo $! > /sys/fs/cgroup/pids/nestbox/cgns-X/cgroup.procs',
      syscall: t('mkdir(2) in cgroupfs; posix_spawn("sleep"); write(2) of the PID to cgroup.procs',
        '在 cgroupfs 里 mkdir(2)；posix_spawn("sleep")；write(2) 把 PID 写进 cgroup.procs'),
      async perform(ctx) {
        ctx.state.cgName = `cgns-${ctx.unique}`;
        ctx.state.hostCgroupNs = namespaceId('self', 'cgroup')!;
        // Recorded before it exists: whatever happens next, cleanup knows the directories to remove.
        ctx.ledger.record({ kind: 'cgroup', dirs: labCgroup(ctx).allDirs() });
        const cg = createCgroup(ctx.state.cgName, CONTROLLERS);
        ctx.state.pid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'] }, 'a process in the lab cgroup');
        cg.addProcess(ctx.state.pid);
        // The directory the exercise names (v1: in the pids tree; v2: the one tree).
        ctx.state.cgroupDir = cg.allDirs()[0];
        return t(`created ${cg.allDirs().join(' and ')} (cgroup v${cg.version}) and moved sleep ${ctx.state.pid} into it`,
          `创建了 ${cg.allDirs().join(' 和 ')}（cgroup v${cg.version}），并把 sleep ${ctx.state.pid} 移了进去`);
      },
      async verify(ctx) {
        const cg = labCgroup(ctx);
        const own = hostView(ctx, 'self');
        return [
          observe(t(`/proc/${ctx.state.pid}/cgroup on the host (its pids tree's line)`, `宿主机上看到的 /proc/${ctx.state.pid}/cgroup（pids 所在的那棵树的那一行）`),
            `/nestbox/${ctx.state.cgName}`, hostView(ctx, ctx.state.pid)),
          observeThat(`${cg.dir()}/cgroup.procs`, t(`lists ${ctx.state.pid}`, `列出 ${ctx.state.pid}`), cg.procs().join(' ') || t('(empty)', '（空）'), cg.procs().includes(ctx.state.pid)),
          observeThat(t('/proc/self/cgroup of nestbox (same line)', 'nestbox 自己的 /proc/self/cgroup（同一行）'), t('somewhere else', '在别处'), own, own !== `/nestbox/${ctx.state.cgName}`),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'order',
      title: t('Unshare first, join later: the root stays behind', '先 unshare，后加入：根留在了原处'),
      explain: t(
        'A cgroup namespace\'s root is the cgroup of the thread that calls `unshare(CLONE_NEWCGROUP)`, taken *at that moment*; it never moves. The thread of nestbox that calls it is in nestbox\'s own cgroup, and it cannot move alone (on v2, cgroup.procs moves whole processes: nestbox itself would land in the lab cgroup). So here that thread unshares, spawns `sleep`, and only then does nestbox move the `sleep` into the lab cgroup. Inside, the lab cgroup shows as a path relative to nestbox\'s cgroup (`/..` steps up), not as `/`; where nestbox runs in the root of that tree, it shows its full path and the namespace hides nothing.',
        'cgroup 命名空间的根，是调用 `unshare(CLONE_NEWCGROUP)` 的那个线程*在那一刻*所在的控制组，之后再也不会变。nestbox 里调用它的那个线程在 nestbox 自己的控制组里，而且它没法单独移走（在 v2 上，cgroup.procs 移动的是整个进程：nestbox 自己也会落进实验的控制组）。所以这里由那个线程先 unshare，再启动 `sleep`，然后 nestbox 才把这个 `sleep` 移进实验的控制组。在命名空间里面，实验的控制组显示为相对于 nestbox 控制组的路径（`/..` 表示往上一级），而不是 `/`；如果 nestbox 运行在那棵树的根上，显示的就是完整路径，命名空间什么也没藏住。',
      ),
      command: 'unshare --cgroup sleep infinity & echo $! > {cgroupDir}/cgroup.procs',
      syscall: t('unshare(CLONE_NEWCGROUP); posix_spawn("sleep"); write(2) to cgroup.procs',
        'unshare(CLONE_NEWCGROUP)；posix_spawn("sleep")；write(2) 写 cgroup.procs'),
      async perform(ctx) {
        ctx.state.latePid = await startSleeper(ctx, { argv: [hostTool('sleep'), 'infinity'], unshare: CLONE_NEWCGROUP }, 'unshared before it joined the lab cgroup');
        labCgroup(ctx).addProcess(ctx.state.latePid);
        ctx.state.ownPath = hostView(ctx, 'self');
        const ns = `cgroup:[${namespaceId(ctx.state.latePid, 'cgroup')}]`;
        return t(`sleep ${ctx.state.latePid} got ${ns} while in nestbox's cgroup ${ctx.state.ownPath}, then moved into the lab cgroup`,
          `sleep ${ctx.state.latePid} 在 nestbox 的控制组 ${ctx.state.ownPath} 里得到了 ${ns}，随后被移进实验的控制组`);
      },
      async verify(ctx) {
        const pid = ctx.state.latePid;
        const ns = namespaceId(pid, 'cgroup');
        const real = hostView(ctx, pid);
        // Expected: the lab cgroup relative to nestbox's cgroup, which is the namespace's root.
        const relative = '/' + posix.relative(ctx.state.ownPath, real);
        return [
          observeThat(`/proc/${pid}/ns/cgroup`, t(`≠ host's cgroup:[${ctx.state.hostCgroupNs}]`, `≠ 宿主机的 cgroup:[${ctx.state.hostCgroupNs}]`), `cgroup:[${ns}]`, ns !== undefined && ns !== ctx.state.hostCgroupNs),
          observe(t(`/proc/${pid}/cgroup on the host`, `宿主机上看到的 /proc/${pid}/cgroup`), `/nestbox/${ctx.state.cgName}`, real),
          observe(t(`/proc/${pid}/cgroup inside (relative to ${ctx.state.ownPath})`, `命名空间里看到的 /proc/${pid}/cgroup（相对于 ${ctx.state.ownPath}）`), relative, await insideView(ctx, pid)),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Join first, then unshare', '先加入，再 unshare'),
      explain: t(
        'Runtimes do it in the other order: the container\'s first process is placed in its cgroup, then the cgroup namespace is created, so its root is the container\'s own cgroup. Inside, that cgroup reads `/` and nothing above it can be named.',
        '运行时的顺序正好相反：先把容器的第一个进程放进它的控制组，再创建 cgroup 命名空间，所以命名空间的根就是容器自己的控制组。在里面，这个控制组读出来是 `/`，它上面的一切都无从说起。',
      ),
      command: "sh -c 'echo $$ > {cgroupDir}/cgroup.procs; exec unshare --cgroup sleep 1000' &",
      syscall: t('write(2) of its own process ID to cgroup.procs; unshare(CLONE_NEWCGROUP); execve("sleep")',
        'write(2) 把自己的进程号写进 cgroup.procs；unshare(CLONE_NEWCGROUP)；execve("sleep")'),
      exercise: {
        task: t(
          'From a second terminal on the host (as root), start a long-running process whose cgroup namespace has the lab cgroup, `{cgroupDir}`, as its root: the process must be *in* the lab cgroup *before* it unshares. nestbox ends your process when the lab ends.',
          '在宿主机的第二个终端里（以 root 身份），启动一个长时间运行的进程，让它的 cgroup 命名空间以实验的控制组 `{cgroupDir}` 为根：这个进程在 unshare *之前*，就必须已经*在*实验的控制组里。实验结束时，nestbox 会结束你的进程。',
        ),
        hints: [
          t('The root of a cgroup namespace is the cgroup its creator is in at the moment it unshares. So the process has to move itself into the lab cgroup first, and only then call unshare.',
            'cgroup 命名空间的根，是创建者在 unshare 那一刻所在的控制组。所以这个进程要先把自己移进实验的控制组，然后才能调用 unshare。'),
          t('A shell can move itself: `echo $$ > {cgroupDir}/cgroup.procs` writes the shell\'s own process ID. Then `exec unshare --cgroup sleep 1000` keeps that same process, now in the lab cgroup.',
            'shell 可以移动它自己：`echo $$ > {cgroupDir}/cgroup.procs` 写进去的是 shell 自己的进程 ID。接下来 `exec unshare --cgroup sleep 1000` 用的还是这同一个进程，而它此时已经在实验的控制组里了。'),
          t('`unshare --cgroup sh -c \'echo $$ > …\'` is the wrong order: the root is fixed at your terminal\'s cgroup. `nsenter -t YOURPID -C cat /proc/YOURPID/cgroup` shows the path inside: `/` when the order was right.',
            '`unshare --cgroup sh -c \'echo $$ > …\'` 的顺序是错的：根已经定在了你的终端所在的控制组。`nsenter -t YOURPID -C cat /proc/YOURPID/cgroup` 显示命名空间里看到的路径：顺序对了，它就是 `/`。'),
          t("`sh -c 'echo $$ > {cgroupDir}/cgroup.procs; exec unshare --cgroup sleep 1000' &`",
            "可以这样运行：`sh -c 'echo $$ > {cgroupDir}/cgroup.procs; exec unshare --cgroup sleep 1000' &`"),
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
          return [observeThat(candidateLabel(cg), t('a PID (not the lab\'s)', '一个 PID（不是实验自己的）'), t('none', '没有'), false)];
        }
        const views = await Promise.all(candidates.map(async (p) => ({ p, inside: await insideView(ctx, p) })));
        const best = views.find((v) => v.inside === '/') ?? views[views.length - 1];
        const out: Observation[] = [
          observeThat(candidateLabel(cg), t('a PID (not the lab\'s)', '一个 PID（不是实验自己的）'),
            t(`${best.p} in cgroup:[${namespaceId(best.p, 'cgroup')}]`, `${best.p}，在 cgroup:[${namespaceId(best.p, 'cgroup')}] 里`), true),
          observe(t(`/proc/${best.p}/cgroup on the host`, `宿主机上看到的 /proc/${best.p}/cgroup`), `/nestbox/${ctx.state.cgName}`, hostView(ctx, best.p)),
          observe(t(`/proc/${best.p}/cgroup inside its namespace`, `它的命名空间里看到的 /proc/${best.p}/cgroup`), '/', best.inside),
        ];
        return out;
      },
    },
  ],
};

export default lab;
