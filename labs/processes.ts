// Lab "processes": what one process can see of the others on a host, and why a container's process
// is still one of them. Everything here is read from /proc, the kernel's own report.
import type { Lab, Shown, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, NAMESPACE_TYPES, NamespaceType, SIGNALS } from '../src/kernel/constants.js';
import { commandLine, listPids, namespaceId, processStatus } from '../src/kernel/proc.js';
import { kill } from '../src/kernel/syscalls.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { describeExit, tryReap } from '../src/kernel/reap.js';
import type { ExitStatus } from '../src/kernel/spawn.js';
import { startTime } from '../src/host/ledger.js';
import { readlinkSync, statSync } from 'node:fs';
import { count, stopAndReap } from './kit.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateRoot } from '../src/recipes/rootfs.js';

/**
 * What the steps pass on: step container sets root, box and boxPid, the exercise sets decoy. The
 * exercise's cleanup runs even when an earlier step failed, so it reads them with `?.`.
 */
interface ProcessesState {
  /** The default rootfs: the container's `/`, as /proc/PID/root shows it from the host. */
  root: string;
  /** The container-like sleep (new UTS, PID and mount namespaces). */
  box: Tracked;
  /** Its host PID, for the exercise's last hint ({boxPid}). */
  boxPid: number;
  /** The plain host sleep with the same command line, which the learner must leave running. */
  decoy: Tracked;
}

/** A process the lab started: its PID plus its start time, which together name it for good. */
export interface Tracked { pid: number; start: number; exit?: Text }

export function track(pid: number): Tracked {
  return { pid, start: startTime(pid) ?? -1 };
}

/** How a collected child ended, in both languages: "killed by SIGKILL", "exited with code 0". */
function exitText(e: ExitStatus): Text {
  const name = Object.entries(SIGNALS).find(([, n]) => n === e.signal)?.[0] ?? `signal ${e.signal}`;
  return t(describeExit(e), e.signal === null ? `以退出码 ${e.code} 退出` : `被 ${name} 杀死`);
}

const GONE = t('gone', '已不存在');

/**
 * What became of a tracked process, read from /proc/PID/status. A child of nestbox that ended is a
 * zombie until nestbox collects it; collecting it tells how it ended (the signal that killed it).
 */
export function fate(p: Tracked): { alive: boolean; text: Text } {
  if (p.exit) return { alive: false, text: p.exit };
  if (startTime(p.pid) !== p.start) return { alive: false, text: GONE };
  let state: string;
  try {
    state = processStatus(p.pid).state;
  } catch {
    return { alive: false, text: GONE };
  }
  if (!state.startsWith('Z') && !state.startsWith('X')) return { alive: true, text: t(`running (State ${state})`, `运行中（State ${state}）`) };
  const r = tryReap(p.pid);
  if (typeof r === 'object') {
    p.exit = exitText(r);
    return { alive: false, text: p.exit };
  }
  return { alive: false, text: t('ended (a zombie until its parent collects it)', '已结束（在父进程回收它之前，它是僵尸进程）') };
}

/** Poll /proc for a short while until the process has ended (a signal is delivered asynchronously). */
export async function waitGone(p: Tracked, ms = 300): Promise<void> {
  for (let waited = 0; waited < ms && fate(p).alive; waited += 10) await sleep(10);
}

/** Device and inode of a directory: two paths name the same directory when both match. */
function fileId(path: string): Shown {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch (err) {
    return unreadable(err);
  }
}

function readLink(path: string): Shown {
  try {
    return readlinkSync(path);
  } catch (err) {
    return unreadable(err);
  }
}

function unreadable(err: unknown): Text {
  const code = (err as NodeJS.ErrnoException).code;
  return t(`unreadable (${code})`, `无法读取（${code}）`);
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

const lab: Lab<ProcessesState> = {
  id: 'processes',
  title: t('Processes on one host: a container is one of them', '同一台宿主机上的进程：容器也是其中之一'),
  module: 0,
  lesson: 'processes',
  needs: ['root', 'ns-pid', 'ns-uts'],
  steps: [
    {
      id: 'list',
      title: t('Every process on the host, listed from /proc', '从 /proc 列出宿主机上的每一个进程'),
      explain: t(
        'The kernel publishes one directory per process under `/proc`, named by its PID; `ps`, `top` and `htop` only read them. Any process may list the others and read their command lines (`/proc/PID/cmdline`, the arguments separated by NUL bytes); kernel threads have an empty one, which `ps` shows in [brackets]. Nothing separates the programs of one host: they see each other and share the same CPUs and memory.',
        '内核在 `/proc` 下为每个进程发布一个目录，目录名就是它的 PID；`ps`、`top` 和 `htop` 只是去读这些目录。任何进程都能列出其他进程，也能读到它们的命令行（`/proc/PID/cmdline`，各个参数之间用 NUL 字节隔开）。内核线程的命令行是空的，`ps` 把它们显示在 [方括号] 里。同一台宿主机上的程序之间没有任何隔离：它们彼此看得见，共用同样的 CPU 和内存。',
      ),
      command: "ls /proc | grep '^[0-9]'; tr '\\0' ' ' < /proc/1/cmdline; ps -ef",
      syscall: t('getdents64(2) on /proc; open(2) + read(2) of /proc/PID/cmdline',
        '对 /proc 做 getdents64(2)；open(2) + read(2) 读 /proc/PID/cmdline'),
      async perform(ctx) {
        const pids = listPids();
        const threads = pids.filter((p) => commandLine(p) === '').length;
        const programs = pids.length - threads;
        const who: [number, Text][] = [
          [1, t('the first process', '第一个进程')],
          [process.ppid, t('started nestbox', '启动 nestbox 的程序')],
          [process.pid, t('nestbox', 'nestbox 自己')],
        ];
        for (const [pid, role] of who) {
          const cmd = commandLine(pid).slice(0, 90) || `[${nameOf(pid)}]`;
          ctx.say(t(`PID ${pid} (${role.en}): ${cmd}`, `PID ${pid}（${role.zh}）：${cmd}`));
        }
        return t(`/proc lists ${count(pids.length, 'process', 'processes')}: ${count(programs, 'program')} and ${count(threads, 'kernel thread')}`,
          `/proc 里列出了 ${pids.length} 个进程：${programs} 个程序，${threads} 个内核线程`);
      },
      async verify() {
        const pids = listPids();
        const parentCmd = commandLine(process.ppid);
        const init = nameOf(1);
        return [
          observe(t("/proc/self (a link to the reader's own directory)", '/proc/self（指向读取者自己那个目录的链接）'), process.pid, readLink('/proc/self')),
          observeThat(t('PIDs listed under /proc', '/proc 下列出的 PID 个数'), t('many (> 1)', '很多（> 1）'), pids.length, pids.length > 1),
          observeThat(t('Name in /proc/1/status (PID 1, started by the kernel)', '/proc/1/status 里的 Name（PID 1，由内核启动）'), t('readable', '可以读取'), init || t('absent', '不存在'), init !== ''),
          observeThat(t(`/proc/${process.ppid}/cmdline (the program that started nestbox)`, `/proc/${process.ppid}/cmdline（启动 nestbox 的程序）`),
            t('readable by another process', '别的进程也能读取'), parentCmd.slice(0, 60) || t('empty', '空'), parentCmd !== ''),
        ];
      },
    },
    {
      id: 'shared',
      title: t('One filesystem root and one set of namespaces for all', '大家共用一个根目录、一组命名空间'),
      explain: t(
        "Each process has a root directory, where its path lookups start (`/proc/PID/root`), and belongs to one namespace of each type (`/proc/PID/ns/*`; the inode number in each link names the namespace). Without containers they are the same for nearly everyone: one `/`, one hostname, one numbering of PIDs, one network stack. A file one process writes at /tmp/x is the file every other process opens at /tmp/x.",
        '每个进程都有一个根目录（`/proc/PID/root`），它查找路径时就从这里出发；每个进程在每种类型里也各属于一个命名空间（`/proc/PID/ns/*`，每个链接里的 inode 编号就是那个命名空间的名字）。没有容器的时候，几乎所有进程在这些方面都一样：同一个 `/`，同一个主机名，同一套 PID 编号，同一个网络栈。一个进程写在 /tmp/x 的文件，就是其他任何进程打开 /tmp/x 时得到的那个文件。',
      ),
      command: 'readlink /proc/self/root /proc/$PPID/root; ls -l /proc/self/ns/ /proc/$PPID/ns/',
      syscall: t('readlink(2) and stat(2) on /proc/PID/root and /proc/PID/ns/*',
        '对 /proc/PID/root 和 /proc/PID/ns/* 做 readlink(2) 和 stat(2)'),
      async perform() {
        const mine = NAMESPACE_TYPES.filter((type) => namespaceId('self', type) !== undefined);
        let readable = 0;
        let shared = 0;
        for (const pid of listPids()) {
          const ids = mine.map((type) => namespaceId(pid, type));
          if (ids.some((id) => id === undefined)) continue; // gone, or the kernel refuses (PID 1 may)
          readable++;
          if (mine.every((type, i) => ids[i] === namespaceId('self', type))) shared++;
        }
        return t(`${shared} of the ${readable} processes whose /proc/PID/ns can be read ${shared === 1 ? 'is' : 'are'} in all ${mine.length} of nestbox's namespaces`,
          `/proc/PID/ns 能读取的进程有 ${readable} 个，其中 ${shared} 个和 nestbox 同在全部 ${mine.length} 个命名空间里`);
      },
      async verify() {
        const parent = process.ppid;
        const name = nameOf(parent);
        const who = name ? t(name, name) : GONE;
        const types = NAMESPACE_TYPES.filter((type) => namespaceId('self', type) !== undefined);
        const differ = types.filter((type) => namespaceId(parent, type) !== namespaceId('self', type));
        const same = t(`the same ${types.length}`, `${types.length} 个全都相同`);
        return [
          observe(t(`/proc/${process.pid}/root (nestbox)`, `/proc/${process.pid}/root（nestbox）`), '/', readLink(`/proc/${process.pid}/root`)),
          observe(t(`/proc/${parent}/root (${who.en}, which started nestbox)`, `/proc/${parent}/root（${who.zh}，它启动了 nestbox）`), '/', readLink(`/proc/${parent}/root`)),
          observe(t('the directory each root names (device:inode)', '两个根目录指向的目录（设备号:inode）'), fileId('/proc/self/root/'), fileId(`/proc/${parent}/root/`)),
          observe(t(`/proc/${parent}/ns/* against /proc/self/ns/*`, `/proc/${parent}/ns/* 与 /proc/self/ns/* 对比`), same,
            differ.length ? t(`${differ.join(', ')} differ`, `${differ.join('、')} 不同`) : same),
        ];
      },
    },
    {
      id: 'container',
      title: t('Start a container-like process: still a host process', '启动一个“像容器一样”的进程：它仍是宿主机上的进程'),
      explain: t(
        "A container is not a machine of its own: it is an ordinary process to which the kernel shows a different view. nestbox starts `sleep` the way a runtime would: in new UTS, PID and mount namespaces (mounts made private first, so nothing leaks back to the host), with the default rootfs as its `/`. The host still lists it in `/proc` under a host PID, with nestbox as its parent; only `/proc/PID/ns/*` and `/proc/PID/root` tell that it lives elsewhere.",
        '容器不是一台独立的机器，而是一个普通进程，只是内核给它看的是另一番景象。nestbox 像容器运行时那样启动 `sleep`：让它进入新的 UTS、PID 和挂载命名空间（先把挂载设为私有，免得有东西漏回宿主机），并把默认的根文件系统（rootfs）作为它的 `/`。宿主机的 `/proc` 照样列出它，用的是宿主机 PID，父进程是 nestbox；只有 `/proc/PID/ns/*` 和 `/proc/PID/root` 能看出它住在别处。',
      ),
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
            privateRoot(),
            { call: 'chroot', path: root },
            { call: 'chdir', path: '/' },
          ],
        }, 'container-like sleep');
        ctx.state.box = track(pid);
        ctx.state.boxPid = pid; // the answer the exercise's last hint gives
        const st = processStatus(pid);
        const row = `PID ${pid}  PPID ${st.ppid}  CMD ${commandLine(pid)}`;
        ctx.say(t(`as ps -ef on the host shows it: ${row}`, `宿主机上的 ps -ef 这样显示它：${row}`));
        const inner = st.nspid[st.nspid.length - 1];
        return t(`started "${SLEEP.join(' ')}" as host PID ${pid}; inside its own PID namespace it is PID ${inner}`,
          `启动了 "${SLEEP.join(' ')}"，宿主机 PID 是 ${pid}；在它自己的 PID 命名空间里，它是 PID ${inner}`);
      },
      async verify(ctx) {
        const { pid } = ctx.state.box;
        const st = processStatus(pid);
        const listed = listPids().includes(pid);
        const obs = [
          observeThat(t(`host PID ${pid} in the host's /proc listing`, `宿主机 /proc 列表里的宿主机 PID ${pid}`), t('listed', '在列表里'), listed ? t('listed', '在列表里') : t('absent', '不在列表里'), listed),
          observe(`/proc/${pid}/cmdline`, SLEEP.join(' '), commandLine(pid)),
          observe(t(`PPid in /proc/${pid}/status (its parent: nestbox)`, `/proc/${pid}/status 里的 PPid（它的父进程：nestbox）`), process.pid, st.ppid),
          observe(t(`NSpid in /proc/${pid}/status (host PID, PID inside)`, `/proc/${pid}/status 里的 NSpid（宿主机 PID，里面的 PID）`), `${pid} 1`, st.nspid.join(' ')),
        ];
        for (const type of UNSHARED) {
          const host = namespaceId('self', type);
          const box = namespaceId(pid, type);
          obs.push(observeThat(`/proc/${pid}/ns/${type}`, t(`≠ host's ${type}:[${host}]`, `≠ 宿主机的 ${type}:[${host}]`), `${type}:[${box}]`, box !== undefined && box !== host));
        }
        const others = NAMESPACE_TYPES.filter((type) => !UNSHARED.includes(type) && namespaceId('self', type) !== undefined);
        const differ = others.filter((type) => namespaceId(pid, type) !== namespaceId('self', type));
        const hosts = t("the host's", '和宿主机的相同');
        obs.push(observe(t(`/proc/${pid}/ns/{${others.join(',')}} (not unshared)`, `/proc/${pid}/ns/{${others.join(',')}}（没有 unshare）`), hosts,
          differ.length ? t(`${differ.join(', ')} differ`, `${differ.join('、')} 不同`) : hosts));
        obs.push(observe(t(`/proc/${pid}/root (its / seen from the host)`, `/proc/${pid}/root（从宿主机看到的它的 /）`), ctx.state.root, readLink(`/proc/${pid}/root`)));
        return obs;
      },
    },
    {
      id: 'exercise',
      title: t("Find the container's process and kill it from the host", '找出容器的进程，从宿主机杀掉它'),
      explain: t(
        "Since a container's process is a host process, the host can do to it whatever it does to any process: renice it, trace it, signal it. `docker kill` is kill(2) on a host PID. nestbox now starts a second `sleep 86400`, a plain host process with the very same command line, so `ps` alone cannot tell the two apart; their namespaces can.",
        '容器的进程就是宿主机的进程，所以宿主机对任何进程能做的事，对它都能做：调整它的优先级（renice）、跟踪它、给它发信号。`docker kill` 就是对一个宿主机 PID 调用 kill(2)。现在 nestbox 再启动第二个 `sleep 86400`，它是宿主机上的普通进程，命令行一模一样，所以光看 `ps` 分不出这两个；看它们的命名空间就分得出来。',
      ),
      command: 'for p in $(pgrep -x sleep); do echo $p $(readlink /proc/$p/ns/pid); done; readlink /proc/self/ns/pid; kill -9 {boxPid}',
      syscall: t('readlink(2) on /proc/<pid>/ns/pid; kill(pid, SIGKILL)',
        '对 /proc/<pid>/ns/pid 做 readlink(2)；kill(pid, SIGKILL)'),
      async perform(ctx) {
        const pid = await ctx.spawn({ argv: SLEEP, path: '/bin/sleep', env: baseEnv() }, 'plain host sleep (decoy)');
        ctx.state.decoy = track(pid);
        return t(`started a second "${SLEEP.join(' ')}", in the host's own namespaces`, `启动了第二个 "${SLEEP.join(' ')}"，它在宿主机自己的命名空间里`);
      },
      exercise: {
        task: t(
          `Two processes run \`${SLEEP.join(' ')}\` now. From a terminal on the host, find the one that runs in a PID namespace of its own (the container) and end it with SIGKILL. Leave the plain host \`sleep\` running.`,
          `现在有两个进程在运行 \`${SLEEP.join(' ')}\`。请在宿主机的终端里，找出在自己的 PID 命名空间里运行的那一个（也就是容器），用 SIGKILL 结束它。宿主机上那个普通的 \`sleep\` 要让它继续运行。`,
        ),
        hints: [
          t(`List both with \`pgrep -a sleep\` (or \`ps -ef | grep '${SLEEP.join(' ')}'\`), then compare \`readlink /proc/<pid>/ns/pid\` of each with your own \`readlink /proc/self/ns/pid\`: the one with another number is the container.`,
            `先用 \`pgrep -a sleep\`（或者 \`ps -ef | grep '${SLEEP.join(' ')}'\`）把两个都列出来，再拿各自的 \`readlink /proc/<pid>/ns/pid\` 和你自己的 \`readlink /proc/self/ns/pid\` 比一比：编号不一样的那个就是容器。`),
          t('`grep NSpid /proc/<pid>/status` works too: two numbers (the host PID, then the PID inside) mean the process lives in a nested PID namespace.',
            '用 `grep NSpid /proc/<pid>/status` 也行：如果有两个数（先是宿主机 PID，再是里面的 PID），说明这个进程住在一个嵌套的 PID 命名空间里。'),
          t('End it with `kill -9`: a plain `kill` sends SIGTERM, and the kernel does not deliver that to the first process of a PID namespace unless it installed a handler for it (lab pid shows why).',
            '用 `kill -9` 结束它。普通的 `kill` 发送的是 SIGTERM，而 PID 命名空间的第一个进程如果没有为它安装处理函数，内核就不会把它送到（实验 pid 会讲为什么）。'),
          t('The container\'s sleep is host PID {boxPid}: `kill -9 {boxPid}`.', '容器里那个 sleep 的宿主机 PID 是 {boxPid}：`kill -9 {boxPid}`。'),
        ],
        shell: 'host',
        async solve(ctx) {
          // As a learner would: of the two sleeps, the one whose pid namespace is not ours.
          const target = [ctx.state.box, ctx.state.decoy].find((p) => namespaceId(p.pid, 'pid') !== namespaceId('self', 'pid'));
          kill(target!.pid, 9);
        },
        async mistake(ctx) {
          // The wrong sleep: the one in the host's own namespaces (pgrep lists it just the same).
          const target = [ctx.state.box, ctx.state.decoy].find((p) => namespaceId(p.pid, 'pid') === namespaceId('self', 'pid'));
          kill(target!.pid, 9);
        },
      },
      async verify(ctx) {
        const { box, decoy } = ctx.state;
        await waitGone(box);
        const b = fate(box);
        const d = fate(decoy);
        return [
          observeThat(t(`the container's sleep (host PID ${box.pid}, /proc/${box.pid}/status)`, `容器里的 sleep（宿主机 PID ${box.pid}，/proc/${box.pid}/status）`),
            t('ended by a signal from the host', '被宿主机发来的信号结束'), b.text, !b.alive),
          observeThat(t(`the host's own sleep (PID ${decoy.pid})`, `宿主机自己的 sleep（PID ${decoy.pid}）`), t('still running', '仍在运行'), d.text, d.alive),
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
