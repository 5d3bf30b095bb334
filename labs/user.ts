// Lab "user": a user namespace maps ids. Root inside is an unprivileged uid outside, and the full
// set of capabilities it holds counts only for what its namespace owns.
import type { Lab, LabContext, Observation, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWUSER, capabilityNames } from '../src/kernel/constants.js';
import { KernelError } from '../src/kernel/errors.js';
import { unshare } from '../src/kernel/syscalls.js';
import { namespaceId, processStatus } from '../src/kernel/proc.js';
import { appendFileSync, chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostTool, runCaptured, startSleeper, reapHelpers } from './kit.js';

/** The host uid (and gid) that root inside the lab's namespaces maps to: the first id /etc/subuid usually hands out. */
const OUTSIDE = 100000;

interface UserState {
  /** The host's user namespace (inode number). */
  hostUser: number;
  /** The error of nestbox's own unshare(CLONE_NEWUSER): "EINVAL" and 22. */
  refused: { code: string; errno: number };
  /** The sleep holding the current lab user namespace: the first one, then (from step "fresh") the exercise's. */
  pid: number;
  /** What lookInside printed in step "caps": key=value pairs (capeff, owned_by_ns_root, ...). */
  inside: Record<string, string>;
}

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

/** A map file with nothing written in it yet. */
const EMPTY = t('(empty)', '（空）');
/** What the attempts to write a file report when the write worked. */
const WRITTEN = t('written', '写入成功');

/**
 * Look from inside: util-linux nsenter (single-threaded, so setns into a user namespace works)
 * joins the user namespace of `pid`, becomes uid 0 and gid 0 there (it fails if 0 is not mapped)
 * and runs a shell that prints its own ids and capabilities and the uid of `pid` as its namespace
 * names it. Returns key=value pairs; `error` holds anything else it printed (and `exit` the exit
 * status, when it failed: see failure()).
 */
async function lookInside(ctx: LabContext<UserState>, pid: number, script = '', cwd?: string): Promise<Record<string, string>> {
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
  if (rest.length || r.code !== 0) {
    out.error = rest.join(' ');
    out.exit = String(r.code);
  }
  return out;
}

/** What went wrong in lookInside, as shown: what it printed, else its exit status; undefined when nothing did. */
function failure(inside: Record<string, string>): Shown | undefined {
  if (inside.error === undefined) return undefined;
  return inside.error || t(`exit ${inside.exit}`, `退出码 ${inside.exit}`);
}

/** A user namespace with no map yet, held by `sleep`, created by a single-threaded helper running as uid 100000. */
function startUnmapped(ctx: LabContext<UserState>, note: string): Promise<number> {
  return startSleeper(ctx, {
    argv: [hostTool('unshare'), '--user', '--', hostTool('sleep'), 'infinity'],
    // The thread that spawns it drops to 100000 first: the helper has no capabilities on the host.
    user: { uid: OUTSIDE, gid: OUTSIDE },
  }, note);
}

/** Observations shared by the map step and the exercise's check. */
async function mapObservations(ctx: LabContext<UserState>, pid: number): Promise<Observation[]> {
  const inside = await lookInside(ctx, pid);
  return [
    observe(t(`/proc/${pid}/uid_map (inside outside count)`, `/proc/${pid}/uid_map（里面的起始 ID、外面的起始 ID、个数）`), `0 ${OUTSIDE} 1`, readMap(`/proc/${pid}/uid_map`) || EMPTY),
    observe(`/proc/${pid}/gid_map`, `0 ${OUTSIDE} 1`, readMap(`/proc/${pid}/gid_map`) || EMPTY),
    observe(t('id -u of a process that joined it (nsenter -U)', '加入它的进程执行 id -u 的结果（nsenter -U）'), '0', inside.uid ?? failure(inside)),
    observe(t(`uid of sleep ${pid}, read inside its namespace`, `在它的命名空间里读到的 sleep ${pid} 的 uid`), '0', inside.target ?? failure(inside)),
    observe(t(`uid of sleep ${pid}, read on the host (/proc/${pid}/status)`, `在宿主机上读到的 sleep ${pid} 的 uid（/proc/${pid}/status）`), OUTSIDE, hostUid(pid)),
  ];
}

const lab: Lab<UserState> = {
  id: 'user',
  title: t('The user namespace: root inside, nobody outside', '用户命名空间：里面是 root，外面无特权'),
  module: 7,
  lesson: 'user',
  needs: ['root', 'ns-user'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's user namespace and its map", '先看看宿主机的用户命名空间和它的映射'),
      explain: t(
        'The kernel stores one number per uid, in processes and on files. A user namespace translates: its `uid_map` says which of those numbers its processes see under which name. The host\'s namespace (the first one) maps every id to itself: `0 0 4294967295` reads "ids from 0 inside are ids from 0 outside, 4294967295 of them".',
        '一个 uid 在内核里只存成一个数字，进程里是这样，文件上也是这样。用户命名空间做的是翻译：它的 `uid_map` 说明这些数字当中，哪些在它的进程眼里叫什么名字。宿主机的命名空间（最初的那一个）把每个 ID 都映射成它自己：`0 0 4294967295` 读作“里面从 0 开始的 ID，就是外面从 0 开始的 ID，一共 4294967295 个”。',
      ),
      command: 'readlink /proc/self/ns/user; cat /proc/self/uid_map',
      syscall: t('readlink(2) on /proc/self/ns/user, read(2) on /proc/self/uid_map',
        '对 /proc/self/ns/user 做 readlink(2)；read(2) 读 /proc/self/uid_map'),
      async perform(ctx) {
        ctx.state.hostUser = namespaceId('self', 'user')!;
        const uid = hostUid(process.pid);
        return t(`nestbox is in user:[${ctx.state.hostUser}], the host's user namespace, as uid ${uid}`,
          `nestbox 以 uid ${uid} 的身份，待在宿主机的用户命名空间 user:[${ctx.state.hostUser}] 里`);
      },
      async verify(ctx) {
        return [
          observe(t('/proc/self/uid_map of nestbox', 'nestbox 的 /proc/self/uid_map'), '0 0 4294967295', readMap('/proc/self/uid_map')),
          observe(t('/proc/self/gid_map of nestbox', 'nestbox 的 /proc/self/gid_map'), '0 0 4294967295', readMap('/proc/self/gid_map')),
          observeThat(t('/proc/sys/kernel/overflowuid (the name of an unmapped uid)', '/proc/sys/kernel/overflowuid（没有映射的 uid 显示成的名字）'), t('a number', '一个数字'), overflowUid(), /^\d+$/.test(overflowUid())),
        ];
      },
      async cleanup(ctx) {
        await reapHelpers(ctx);
      },
    },
    {
      id: 'threads',
      title: t('Try unshare(CLONE_NEWUSER) from nestbox itself', '让 nestbox 自己试试 unshare(CLONE_NEWUSER)'),
      explain: t(
        'A user namespace changes *who* a process is: its uids and its capabilities. Threads share one memory and one filesystem context, so the kernel will not let one thread alone become someone else: it treats `unshare(CLONE_NEWUSER)` as also leaving the thread group (CLONE_THREAD), and returns EINVAL unless the caller is the only thread of its process (kernel/fork.c, `check_unshare_flags`). nestbox runs on Node, which always has a dozen threads. nestbox makes the real call from its main thread now: it fails before it changes anything.',
        '用户命名空间改变的是进程*是谁*：它的 uid 和它的能力（capability）。同一个进程的线程共用一份内存和一套文件系统上下文，所以内核不允许单独一个线程变成另一个人：它把 `unshare(CLONE_NEWUSER)` 当作同时还要离开线程组（CLONE_THREAD），除非调用者是所在进程里唯一的线程，否则返回 EINVAL（见 kernel/fork.c 里的 `check_unshare_flags`）。nestbox 跑在 Node 上，而 Node 总有十来个线程。现在 nestbox 就从它的主线程真的调用一次：调用在改动任何东西之前就失败了。',
      ),
      syscall: t('unshare(CLONE_NEWUSER) from a multithreaded process', '在多线程的进程里 unshare(CLONE_NEWUSER)'),
      async perform(ctx) {
        try {
          unshare(CLONE_NEWUSER);
        } catch (err) {
          if (!(err instanceof KernelError)) throw err;
          ctx.state.refused = { code: err.code, errno: err.errno };
          // KernelError's hints are English; this one, the EINVAL of unshare(CLONE_NEWUSER), is said here in Chinese too.
          const hintZh = err.code === 'EINVAL' ? '调用它的进程是多线程的，每个 Node 进程都是这样；用户命名空间需要一个单线程的调用者。' : err.hint;
          ctx.say(t(`the hint nestbox gives for it: ${err.hint}`, `nestbox 对此给出的提示：${hintZh}`));
          // "unshare(CLONE_NEWUSER) failed: EINVAL (Invalid argument)": the call and errno stay as they are.
          const head = err.message.split('.')[0];
          return t(head, head.replace(' failed: ', ' 失败：'));
        }
        throw new Error(pick('unshare(CLONE_NEWUSER) succeeded in a multithreaded process: this kernel does not behave as expected',
          'unshare(CLONE_NEWUSER) 在一个多线程进程里成功了：这个内核的行为和预期不一样'));
      },
      async verify(ctx) {
        const threads = processStatus('self').threads;
        return [
          observe(t('errno of unshare(CLONE_NEWUSER)', 'unshare(CLONE_NEWUSER) 的 errno'), 'EINVAL (22)', `${ctx.state.refused.code} (${ctx.state.refused.errno})`),
          observeThat(t('threads of nestbox (/proc/self/status Threads)', 'nestbox 的线程数（/proc/self/status 的 Threads）'), '> 1', threads, threads > 1),
          observe(t('/proc/self/ns/user of nestbox afterwards (unchanged)', '之后 nestbox 的 /proc/self/ns/user（没有变）'), `user:[${ctx.state.hostUser}]`, `user:[${namespaceId('self', 'user')}]`),
        ];
      },
    },
    {
      id: 'helper',
      title: t('Let a single-threaded helper create the namespace', '让一个单线程的辅助进程来创建命名空间'),
      explain: t(
        `A runtime does what nestbox just could not with a small single-threaded program: runc runs C code before its Go runtime starts threads; here it is util-linux \`unshare --user\`, which calls unshare(2) and then execs \`sleep\` to keep the namespace alive. nestbox starts it as the unprivileged host uid ${OUTSIDE}: creating a user namespace needs no privilege. No map is written yet, so inside the namespace uid ${OUTSIDE} has no name and shows as the overflow uid (/proc/sys/kernel/overflowuid, 65534 "nobody").`,
        `nestbox 刚才做不到的事，容器运行时交给一个小小的单线程程序去做：runc 在它的 Go 运行时启动线程之前，先运行一段 C 代码；这里用的是 util-linux 的 \`unshare --user\`，它调用 unshare(2)，然后 exec \`sleep\`，让命名空间一直存在。nestbox 以宿主机上无特权的 uid ${OUTSIDE} 启动它：创建用户命名空间不需要任何特权。映射还没有写，所以在命名空间里，uid ${OUTSIDE} 没有名字，显示为溢出 uid（/proc/sys/kernel/overflowuid，65534，即“nobody”）。`,
      ),
      command: `setpriv --reuid ${OUTSIDE} --regid ${OUTSIDE} --clear-groups unshare --user sleep infinity &`,
      syscall: `setresuid(${OUTSIDE}); posix_spawn("unshare") -> unshare(CLONE_NEWUSER); execve("sleep")`,
      async perform(ctx) {
        ctx.state.pid = await startUnmapped(ctx, 'holds the lab user namespace');
        const ns = namespaceId(ctx.state.pid, 'user');
        return t(`sleep ${ctx.state.pid} holds user:[${ns}], started as uid ${OUTSIDE}`, `sleep ${ctx.state.pid} 持有 user:[${ns}]，它是以 uid ${OUTSIDE} 启动的`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const ns = namespaceId(pid, 'user');
        // Keep nestbox's own uid (0, unmapped there) so the look inside works without a map.
        const r = await runCaptured(ctx, { argv: [hostTool('nsenter'), '--target', String(pid), '--user', '--preserve-credentials', '--', hostTool('awk'), '/^Uid:/ { print $2 }', `/proc/${pid}/status`] });
        return [
          observeThat(`/proc/${pid}/ns/user`, t(`≠ host's user:[${ctx.state.hostUser}]`, `≠ 宿主机的 user:[${ctx.state.hostUser}]`), `user:[${ns}]`, ns !== undefined && ns !== ctx.state.hostUser),
          observe(`/proc/${pid}/uid_map`, EMPTY, readMap(`/proc/${pid}/uid_map`) || EMPTY),
          observe(t(`uid of sleep ${pid} on the host (/proc/${pid}/status)`, `sleep ${pid} 在宿主机上的 uid（/proc/${pid}/status）`), OUTSIDE, hostUid(pid)),
          observe(t(`uid of sleep ${pid}, read inside its namespace (the overflow uid)`, `在它的命名空间里读到的 sleep ${pid} 的 uid（溢出 uid）`), overflowUid(), r.out),
        ];
      },
    },
    {
      id: 'map',
      title: t('Write the map from outside, as root of the parent namespace', '以父命名空间里 root 的身份，从外面写映射'),
      explain: t(
        `A map is written once, into /proc/PID/uid_map and gid_map, by a process with CAP_SETUID (CAP_SETGID) over the namespace: the process itself may only map its own id, but root of the *parent* namespace may map any range. That is what runc and the setuid helpers newuidmap/newgidmap do. nestbox is root on the host, so it writes \`0 ${OUTSIDE} 1\` into both maps from outside. A privileged writer need not first write "deny" to /proc/PID/setgroups; an unprivileged one must, or a process could drop a group that was there to deny it access.`,
        `映射只写一次，写进 /proc/PID/uid_map 和 gid_map，写入者要对这个命名空间拥有 CAP_SETUID（写 gid_map 则是 CAP_SETGID）：进程自己只能映射它自己的 ID，而*父*命名空间里的 root 可以映射任意范围。runc 和 setuid 辅助程序 newuidmap、newgidmap 做的就是这件事。nestbox 是宿主机上的 root，所以它从外面把 \`0 ${OUTSIDE} 1\` 写进两个映射。有特权的写入者不必先往 /proc/PID/setgroups 写入“deny”；无特权的写入者必须先写，否则进程就能丢掉一个原本用来拒绝它访问的组。`,
      ),
      command: `echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map; echo '0 ${OUTSIDE} 1' > /proc/PID/gid_map`,
      syscall: t('open(2) + write(2) on /proc/PID/uid_map and /proc/PID/gid_map from the parent user namespace',
        '在父用户命名空间里，对 /proc/PID/uid_map 和 /proc/PID/gid_map 做 open(2) + write(2)'),
      async perform(ctx) {
        writeFileSync(`/proc/${ctx.state.pid}/uid_map`, `0 ${OUTSIDE} 1\n`);
        writeFileSync(`/proc/${ctx.state.pid}/gid_map`, `0 ${OUTSIDE} 1\n`);
        return t(`wrote "0 ${OUTSIDE} 1" to /proc/${ctx.state.pid}/uid_map and gid_map`, `已把 "0 ${OUTSIDE} 1" 写进 /proc/${ctx.state.pid}/uid_map 和 gid_map`);
      },
      async verify(ctx) {
        return [
          ...(await mapObservations(ctx, ctx.state.pid)),
          observe(t(`/proc/${ctx.state.pid}/setgroups (no "deny" needed)`, `/proc/${ctx.state.pid}/setgroups（不需要写“deny”）`), 'allow', readFileSync(`/proc/${ctx.state.pid}/setgroups`, 'utf8').trim()),
        ];
      },
    },
    {
      id: 'caps',
      title: t('Full capabilities, but only over what the namespace owns', '拥有全部能力，但只对命名空间拥有的东西有效'),
      explain: t(
        `A process that creates or joins a user namespace holds every capability *in that namespace*. The kernel checks a capability against the namespace that owns the object: a file counts only if its owner is mapped into the namespace. Host root's files belong to uid 0, which this namespace cannot even name, so root inside gets EACCES where host root would not. One trap: capabilities are recomputed at every execve, from the uid *as mapped at that moment*. \`sleep\` was exec'd before the map existed, as an unmapped uid, so it has none; a process that enters now becomes uid 0 and keeps them all.`,
        `创建或加入一个用户命名空间的进程，*在这个命名空间里*拥有全部能力。内核检查能力时，看的是拥有被操作对象的那个命名空间：一个文件，只有它的属主被映射进了这个命名空间，能力才对它有效。宿主机 root 的文件属于 uid 0，而这个命名空间连这个 uid 都叫不出名字，所以宿主机 root 能做成的事，里面的 root 得到的是 EACCES。有一个陷阱：每次 execve 时，能力都会按*那一刻映射出来的* uid 重新计算。\`sleep\` 是在映射写好之前、以一个没有映射的 uid 被 exec 的，所以它一个能力也没有；现在进入的进程会变成 uid 0，保留全部能力。`,
      ),
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
        return t('tried both files from inside (as uid 0 there), then host root appended to owned-by-host-root',
          '先从里面（以那里的 uid 0 身份）试着写了这两个文件，然后宿主机 root 往 owned-by-host-root 里追加了一行');
      },
      async verify(ctx) {
        const inside = ctx.state.inside;
        // Entering a user namespace resets even the bounding set to every capability the kernel
        // knows (0 .. /proc/sys/kernel/cap_last_cap), whatever the host took away from nestbox.
        const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
        const full = hex((1n << BigInt(last + 1)) - 1n);
        const sleeper = processStatus(ctx.state.pid).capEff;
        const content = (f: string) => readFileSync(join(ctx.workDir, f), 'utf8');
        const caps = (mask: string): Shown => {
          const n = capabilityNames(BigInt('0x' + mask)).length;
          return t(`${mask} (${n} capabilities)`, `${mask}（${n} 项能力）`);
        };
        // What the shell printed for a write: "written", or the error (strerror, as the kernel says it).
        const wrote = (v: string | undefined): Shown | undefined => (v === 'written' ? WRITTEN : v ?? failure(inside));
        const NO = t('no', '没有');
        return [
          observe(t('CapEff of a process that entered after the map (all of them)', '映射写好后才进入的进程的 CapEff（全部能力）'), caps(full),
            inside.capeff ? caps(inside.capeff) : failure(inside)),
          observe(t(`CapEff of sleep ${ctx.state.pid} (exec'd before the map)`, `sleep ${ctx.state.pid} 的 CapEff（在映射写好之前 exec）`), hex(0n), hex(sleeper)),
          observe(t('write from inside to owned-by-ns-root (owner 0 inside, mode 000)', '从里面写 owned-by-ns-root（属主是里面的 0，权限 000）'), WRITTEN, wrote(inside.owned_by_ns_root)),
          observe(t('write from inside to owned-by-host-root (owner host root, 644)', '从里面写 owned-by-host-root（属主是宿主机 root，权限 644）'), 'Permission denied', wrote(inside.owned_by_host_root)),
          observe(t('owned-by-host-root now holds a line from inside', 'owned-by-host-root 里现在有没有来自里面的一行'), NO, content('owned-by-host-root').includes('from inside') ? t('yes', '有') : NO),
          observe(t('the same write by host root (nestbox)', '宿主机 root（nestbox）做同样的写入'), WRITTEN, content('owned-by-host-root').includes('by host root') ? WRITTEN : t('missing', '没有写进去')),
        ];
      },
    },
    {
      id: 'fresh',
      title: t('A fresh namespace, with no map, for you', '给你一个新的命名空间，还没有映射'),
      explain: t(
        `For the exercise nestbox starts another \`sleep\` in a new user namespace, as uid ${OUTSIDE}, and writes no map. Until a map exists nothing in there can be root: nsenter cannot even become uid 0 and gid 0 inside, because those ids have no outside meaning yet.`,
        `为了练习，nestbox 以 uid ${OUTSIDE} 在一个新的用户命名空间里再启动一个 \`sleep\`，并且不写映射。映射写好之前，里面谁也当不了 root：nsenter 甚至没法在里面变成 uid 0 和 gid 0，因为这两个 ID 在外面还没有对应的身份。`,
      ),
      command: `setpriv --reuid ${OUTSIDE} --regid ${OUTSIDE} --clear-groups unshare --user sleep infinity &`,
      syscall: `setresuid(${OUTSIDE}); posix_spawn("unshare") -> unshare(CLONE_NEWUSER); execve("sleep")`,
      async perform(ctx) {
        // state.pid is the PID the exercise's text names.
        ctx.state.pid = await startUnmapped(ctx, 'holds the exercise user namespace');
        const ns = namespaceId(ctx.state.pid, 'user');
        return t(`sleep ${ctx.state.pid} holds user:[${ns}], no map yet`, `sleep ${ctx.state.pid} 持有 user:[${ns}]，还没有映射`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = await lookInside(ctx, pid);
        return [
          observe(`/proc/${pid}/uid_map`, EMPTY, readMap(`/proc/${pid}/uid_map`) || EMPTY),
          observeThat(t(`nsenter -t ${pid} -U (becomes uid 0, gid 0 inside)`, `nsenter -t ${pid} -U（在里面变成 uid 0、gid 0）`), t('fails: 0 is not mapped', '失败：0 没有映射'),
            failure(inside) ?? `uid ${inside.uid}`, inside.uid === undefined),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Write the map yourself', '自己写映射'),
      explain: t('Write the maps of that namespace from the host, as runc or newuidmap would.', '像 runc 或 newuidmap 那样，从宿主机上给那个命名空间写映射。'),
      command: `echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map; echo '0 ${OUTSIDE} 1' > /proc/PID/gid_map`,
      syscall: t('write(2) on /proc/PID/uid_map and gid_map', 'write(2) 写 /proc/PID/uid_map 和 gid_map'),
      exercise: {
        task: t(
          `From a second terminal on the host (as root), give the user namespace of \`sleep\` PID its maps: uid 0 inside must be uid ${OUTSIDE} outside, and gid 0 inside gid ${OUTSIDE} outside, one id each. Then check.`,
          `在宿主机的第二个终端里（以 root 身份），给 \`sleep\` PID 的用户命名空间写上映射：里面的 uid 0 必须是外面的 uid ${OUTSIDE}，里面的 gid 0 必须是外面的 gid ${OUTSIDE}，各映射一个 ID。然后做检查。`,
        ),
        hints: [
          t('The maps are the files `/proc/PID/uid_map` and `/proc/PID/gid_map`, written from outside. A map line reads: first id inside, first id outside, how many.',
            '映射就是 `/proc/PID/uid_map` 和 `/proc/PID/gid_map` 这两个文件，要从外面写。映射的一行依次是：里面的第一个 ID、外面的第一个 ID、一共几个。'),
          t('A namespace takes its map once: a second write fails with EPERM. If you wrote a wrong one, quit and start the lab again: it makes a fresh namespace.',
            '一个命名空间的映射只能写一次：第二次写会以 EPERM 失败。如果写错了，就退出，重新开始这个实验：它会新建一个命名空间。'),
          t('Try it: `nsenter -t PID -U id` prints uid=0(root) once both maps are there (it needs gid 0 mapped too).',
            '试一下：两个映射都写好之后，`nsenter -t PID -U id` 会打印 uid=0(root)（它还需要 gid 0 也有映射）。'),
          t(`\`echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map\`, and the same into /proc/PID/gid_map (through sudo: \`echo '0 ${OUTSIDE} 1' | sudo tee /proc/PID/uid_map\`).`,
            `\`echo '0 ${OUTSIDE} 1' > /proc/PID/uid_map\`，再往 /proc/PID/gid_map 写同样的内容（用 sudo 的话：\`echo '0 ${OUTSIDE} 1' | sudo tee /proc/PID/uid_map\`）。`),
        ],
        shell: 'host',
        async solve(ctx) {
          // A map the learner already wrote stays: the kernel takes one write per map.
          for (const file of ['uid_map', 'gid_map']) {
            const path = `/proc/${ctx.state.pid}/${file}`;
            const now = readMap(path);
            if (!now) writeFileSync(path, `0 ${OUTSIDE} 1\n`);
            else if (now !== `0 ${OUTSIDE} 1`) {
              throw new Error(pick(`${file} already holds "${now}", and a namespace takes its map once: quit and start the lab again for a fresh namespace`,
                `${file} 里已经是 "${now}"，而一个命名空间的映射只能写一次：请退出，重新开始实验，换一个新的命名空间`));
            }
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
