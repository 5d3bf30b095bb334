// Lab "mnt": every mount namespace has its own table of mount points, and propagation (shared,
// private, slave) decides whether a mount made in one table is copied into another.
import type { Lab, LabContext, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { CLONE_NEWNS, MNT_DETACH, MS_BIND, MS_PRIVATE, MS_SHARED, MS_SLAVE } from '../src/kernel/constants.js';
import { mountTable, namespaceId, MountInfo, Pid } from '../src/kernel/proc.js';
import { mount, umount2 } from '../src/kernel/syscalls.js';
import { baseEnv, waitForExit, ThreadStep } from '../src/kernel/spawn.js';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commOf, count, stopAndReap } from './kit.js';
import { privateRoot } from '../src/recipes/rootfs.js';

interface MntState {
  /** The host's mount namespace (inode number). */
  hostMnt: number;
  /** How / propagates on the host, as describe() shows it ("ext4 shared:1"). */
  rootPropagation: Shown;
  /** How many of the host's mounts carry a shared:N tag. */
  hostShared: number;
  /** Where the lab's commands are typed (the {labDir} of the texts): the lab's own directory. */
  labDir: string;
  /** The directory the first namespace mounts its private tmpfs on. */
  privateDir: string;
  /** The sleep that holds the lab's first mount namespace (all private); the exercise works there. */
  pid: number;
  /** The lab directory bind-mounted on itself and made shared on the host. */
  sharedDir: string;
  /** The peer group of sharedDir on the host; unset if the host's mount was not tagged shared. */
  peerGroup?: number;
  /** The sleeps holding the namespaces whose copy of sharedDir is a peer, private, and a slave. */
  peerPid: number;
  privatePid: number;
  slavePid: number;
  /** The directory the exercise mounts a tmpfs on (the {exerciseDir} of the texts). */
  exerciseDir: string;
}

/** The mount on `path` in a process's mount table; the last line wins, as mounts stack. */
function mountAt(pid: Pid, path: string): MountInfo | undefined {
  return mountTable(pid).filter((m) => m.mountPoint === path).pop();
}

/** No mount there (compared by its English, like every Text). */
const ABSENT = t('absent', '没有');
const PRIVATE = t('private', '私有');

/** A Text's English or Chinese; a plain string (a kernel value) is the same in both. */
const en = (s: Shown) => (typeof s === 'string' ? s : s.en);
const zh = (s: Shown) => (typeof s === 'string' ? s : s.zh);

/** The propagation tags of a mount: "shared:42", "master:42", "private" (no tag) or "absent". */
function tags(m: MountInfo | undefined): Shown {
  return m ? m.optional.join(' ') || PRIVATE : ABSENT;
}

/** "tmpfs shared:42", "ext4 private" or "absent". */
function describe(m: MountInfo | undefined): Shown {
  if (!m) return ABSENT;
  const tag = tags(m);
  return typeof tag === 'string' ? `${m.fstype} ${tag}` : t(`${m.fstype} ${tag.en}`, `${m.fstype} ${tag.zh}`);
}

/** The filesystem type mounted on `path` in a process's table, or "absent". */
function fstypeAt(pid: Pid, path: string): Shown {
  return mountAt(pid, path)?.fstype ?? ABSENT;
}

/** A tmpfs mount with a name of ours as its source, so mountinfo shows where it came from. */
function tmpfs(target: string, name: string) {
  return { call: 'mount' as const, source: name, target, fstype: 'tmpfs', flags: 0, data: 'size=1m,mode=755' };
}

/** A process that only holds a mount namespace open: `sleep infinity`. */
async function holder(ctx: LabContext<MntState>, steps: ThreadStep[], note: string): Promise<number> {
  return ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNS, steps }, note);
}

const lab: Lab<MntState> = {
  id: 'mnt',
  title: t('The mount namespace: a table of mounts of its own, and propagation', '挂载命名空间：自己的一张挂载表，以及挂载传播'),
  module: 4,
  lesson: 'mount',
  needs: ['root', 'ns-mnt'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's mount namespace", '先看看宿主机的挂载命名空间'),
      explain: t(
        'A mount namespace is a table of mount points; `/proc/PID/mountinfo` prints the table of the namespace PID is in, one mount a line. The optional fields after the mount options say how the mount *propagates*: `shared:N` means it is in peer group N and mount events spread to every peer, `master:N` means it receives them from group N, and no tag means private. A new mount takes the propagation of its parent mount: under a shared parent it is shared too, in a peer group of its own (a new `shared:N`); under any other parent it is private. systemd, where it is PID 1, makes `/` shared (recursively) at boot, so that new mounts reach the namespaces of services; on such a host (Ubuntu 24.04 or Debian 12, for instance) almost every mount is therefore shared. That is why the first call a runtime makes in a new mount namespace is `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`, as the next step does.',
        '挂载命名空间就是一张挂载点的表。`/proc/PID/mountinfo` 打印 PID 所在命名空间的这张表，每行一个挂载。挂载选项后面的可选字段说明这个挂载怎样*传播*：`shared:N` 表示它属于对等组 N，挂载事件会传给组里的每个成员；`master:N` 表示它从组 N 接收事件；没有标记就是私有。新挂载的传播类型跟随它的父挂载：父挂载是共享的，它也是共享的，但属于一个它自己的新对等组（一个新的 `shared:N`）；父挂载是别的类型，它就是私有的。systemd 作为 1 号进程时，会在启动时把 `/`（连同下面整棵树）设成共享，好让新的挂载能传到各个服务的命名空间里；所以在这样的宿主机上（比如 Ubuntu 24.04 或 Debian 12），几乎每个挂载都是共享的。正因为如此，容器运行时在新挂载命名空间里做的第一个调用是 `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`，下一步就会这样做。',
      ),
      command: 'readlink /proc/self/ns/mnt; grep " / / " /proc/self/mountinfo',
      syscall: t('readlink(2) on /proc/self/ns/mnt; read(2) of /proc/self/mountinfo',
        '对 /proc/self/ns/mnt 做 readlink(2)；read(2) 读 /proc/self/mountinfo'),
      async perform(ctx) {
        ctx.state.hostMnt = namespaceId('self', 'mnt')!;
        const table = mountTable('self');
        ctx.state.rootPropagation = describe(mountAt('self', '/'));
        ctx.state.hostShared = table.filter((m) => m.peerGroup !== undefined).length;
        // Where this lab's commands are typed: the lab's own directory.
        ctx.state.labDir = ctx.workDir;
        if (mountAt('self', '/')?.peerGroup === undefined) {
          // Not shared: private, or a slave (master:N) of a runtime that chose MS_REC|MS_SLAVE.
          const init = commOf(1);
          ctx.say(init === 'systemd'
            ? t('/ is not shared here although PID 1 is systemd: nestbox runs in a mount namespace of its own (a container\'s, or a service\'s) whose runtime made the mounts private or slave',
              '这里的 / 不是共享的，尽管 1 号进程是 systemd：nestbox 运行在一个自己的挂载命名空间里（某个容器的，或某个服务的），创建它的运行时已经把里面的挂载设成了私有或从属')
            : t(`/ is not shared here: PID 1 is ${init ? `"${init}", not systemd` : 'not systemd'}, so nothing made / shared at boot (and inside a container the runtime makes its mounts private or slave anyway)`,
              `这里的 / 不是共享的：1 号进程${init ? `是 "${init}"，不是 systemd` : '不是 systemd'}，所以启动时没有谁把 / 设成共享（何况在容器里，运行时本来就会把它的挂载设成私有或从属）`));
        }
        const root = ctx.state.rootPropagation;
        return t(`the host is in mnt:[${ctx.state.hostMnt}] with ${count(table.length, 'mount')}, ${ctx.state.hostShared} of them shared; / is ${en(root)}`,
          `宿主机在 mnt:[${ctx.state.hostMnt}] 里，共有 ${table.length} 个挂载，其中 ${ctx.state.hostShared} 个是共享的；/ 是 ${zh(root)}`);
      },
      async verify(ctx) {
        return [
          observe('/proc/self/ns/mnt', `mnt:[${ctx.state.hostMnt}]`, `mnt:[${namespaceId('self', 'mnt')}]`),
          observe(t('/ in /proc/self/mountinfo', '/proc/self/mountinfo 里的 /'), ctx.state.rootPropagation, describe(mountAt('self', '/'))),
        ];
      },
    },
    {
      id: 'unshare',
      title: t('A mount made inside a new mount namespace stays inside', '在新挂载命名空间里做的挂载，只留在里面'),
      explain: t(
        "`unshare(CLONE_NEWNS)` gives the thread a *copy* of the host's mount table. The copy is first made private, recursively (`MS_REC|MS_PRIVATE` on `/`): without that, every mount still shared with the host would send later mounts back out. `unshare -m` does this by default, and container runtimes begin the same way (runc uses `MS_REC|MS_SLAVE`, step 5). Then a tmpfs is mounted on a directory of the lab. The host sees the same directory, but empty: the tmpfs exists only in the new table. `/proc/PID/root` is a window into PID's view, so nestbox can write a file into that tmpfs from outside.",
        '`unshare(CLONE_NEWNS)` 给线程一份宿主机挂载表的*拷贝*。这份拷贝先被递归地设成私有（对 `/` 做 `MS_REC|MS_PRIVATE`）：不这样做的话，每个仍与宿主机共享的挂载，都会把之后的挂载传回宿主机。`unshare -m` 默认就会这样做，容器运行时也是这样开头的（runc 用的是 `MS_REC|MS_SLAVE`，见第 5 步）。接着，在实验的一个目录上挂载一个 tmpfs。宿主机看到的是同一个目录，却是空的：这个 tmpfs 只存在于新的挂载表里。`/proc/PID/root` 是一扇窗口，透过它看到的是 PID 眼中的文件系统，所以 nestbox 能从外面往这个 tmpfs 里写文件。',
      ),
      command: `cd {labDir} && unshare --mount sh -c 'mount -t tmpfs nestbox-private private; exec sleep infinity' &`,
      syscall: 'unshare(CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); mount("nestbox-private", "private", "tmpfs", 0)',
      async perform(ctx) {
        const dir = join(ctx.workDir, 'private');
        mkdirSync(dir);
        ctx.state.privateDir = dir;
        ctx.state.pid = await holder(ctx, [
          privateRoot(),
          tmpfs(dir, 'nestbox-private'),
        ], 'holds the lab mount namespace');
        // Through /proc/PID/root the path is resolved in PID's mount table: the file lands on the tmpfs.
        writeFileSync(`/proc/${ctx.state.pid}/root${dir}/hello.txt`, 'written into the lab namespace\n');
        return t(`started PID ${ctx.state.pid} in a new mount namespace with a tmpfs on ${dir}`, `在新的挂载命名空间里启动了 PID ${ctx.state.pid}，并在 ${dir} 上挂了一个 tmpfs`);
      },
      async verify(ctx) {
        const { pid, privateDir: dir } = ctx.state;
        const inside = namespaceId(pid, 'mnt');
        const sharedInside = mountTable(pid).filter((m) => m.peerGroup !== undefined).length;
        return [
          observeThat(`/proc/${pid}/ns/mnt`, t(`≠ host's mnt:[${ctx.state.hostMnt}]`, `≠ 宿主机的 mnt:[${ctx.state.hostMnt}]`), `mnt:[${inside}]`, inside !== undefined && inside !== ctx.state.hostMnt),
          observe(t(`private: mountinfo of PID ${pid} (lab)`, `private：PID ${pid}（实验）的 mountinfo`), t('tmpfs private', 'tmpfs 私有'), describe(mountAt(pid, dir))),
          observe(t("private: the host's mountinfo", 'private：宿主机的 mountinfo'), ABSENT, describe(mountAt('self', dir))),
          observe(t(`ls private, through /proc/${pid}/root`, `ls private，经由 /proc/${pid}/root`), 'hello.txt', readdirSync(`/proc/${pid}/root${dir}`).join(' ')),
          observe(t('ls private, on the host', 'ls private，在宿主机上'), t('(none)', '（没有）'), readdirSync(dir).join(' ') || t('(none)', '（没有）')),
          observe(t(`mounts tagged shared:N in /proc/${pid}/mountinfo`, `/proc/${pid}/mountinfo 里带 shared:N 标记的挂载`), 0, sharedInside),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'shared',
      title: t('Shared propagation: a mount leaks out of its namespace', '共享传播：挂载从命名空间里漏了出去'),
      explain: t(
        "Now the opposite, on purpose. On the host, a lab directory is bind-mounted on itself (only a mount point can carry a propagation type) and marked `MS_SHARED`. A new mount namespace copies it *without* making anything private, so its copy joins the same peer group: the two are peers. A tmpfs mounted under it *inside* the namespace is then copied by the kernel into the host's table too. This leak is what happens to a container on a systemd host when the runtime forgets `MS_REC|MS_PRIVATE`.",
        '这次反过来，故意让挂载漏出去。在宿主机上，把实验的一个目录绑定挂载到它自己身上（只有挂载点才能带传播类型），再标记为 `MS_SHARED`。新的挂载命名空间复制它时，*不*把任何东西设成私有，于是这份拷贝加入了同一个对等组：两者互为对等。之后在命名空间*里面*挂到它下面的 tmpfs，内核也会复制一份到宿主机的挂载表里。在使用 systemd 的宿主机上，如果运行时忘了做 `MS_REC|MS_PRIVATE`，容器的挂载就会这样漏出去。',
      ),
      command: `cd {labDir} && mount --bind shared shared && mount --make-shared shared && unshare --mount --propagation unchanged sh -c 'mount -t tmpfs nestbox-leak shared/leak; exec sleep infinity' &`,
      syscall: 'mount("shared", "shared", NULL, MS_BIND); mount(NULL, "shared", NULL, MS_SHARED); unshare(CLONE_NEWNS); mount("nestbox-leak", "shared/leak", "tmpfs", 0)',
      async perform(ctx) {
        const dir = join(ctx.workDir, 'shared');
        for (const sub of ['leak', 'private', 'from-inside', 'from-host']) mkdirSync(join(dir, sub), { recursive: true });
        ctx.state.sharedDir = dir;
        // Host mounts: recorded before they are made, so cleanup finds them whatever happens next.
        ctx.ledger.record({ kind: 'mount', target: dir });
        mount(dir, dir, null, MS_BIND);
        mount(null, dir, null, MS_SHARED);
        ctx.state.peerGroup = mountAt('self', dir)?.peerGroup;
        // The tmpfs below is mounted inside the namespace, but the point of this step is that it
        // appears on the host as well: record it as a host mount.
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'leak') });
        ctx.state.peerPid = await holder(ctx, [tmpfs(join(dir, 'leak'), 'nestbox-leak')], 'holds a mount namespace whose copy is a peer');
        return t(`bind-mounted ${dir} on itself, shared:${ctx.state.peerGroup}; PID ${ctx.state.peerPid} mounted a tmpfs on shared/leak inside its own namespace`,
          `把 ${dir} 绑定挂载到了它自己身上，shared:${ctx.state.peerGroup}；PID ${ctx.state.peerPid} 在自己的命名空间里把一个 tmpfs 挂到了 shared/leak 上`);
      },
      async verify(ctx) {
        const { peerPid: pid, sharedDir: dir, peerGroup } = ctx.state;
        const leak = join(dir, 'leak');
        return [
          observeThat(t("shared: the host's mountinfo", 'shared：宿主机的 mountinfo'), 'shared:N', tags(mountAt('self', dir)), peerGroup !== undefined && mountAt('self', dir)?.peerGroup === peerGroup),
          observe(t(`shared: mountinfo of PID ${pid} (a peer)`, `shared：PID ${pid}（对等成员）的 mountinfo`), `shared:${peerGroup}`, tags(mountAt(pid, dir))),
          observe(t(`shared/leak: mountinfo of PID ${pid}`, `shared/leak：PID ${pid} 的 mountinfo`), 'tmpfs', fstypeAt(pid, leak)),
          observe(t("shared/leak: the host's mountinfo (leaked)", 'shared/leak：宿主机的 mountinfo（漏出来了）'), 'tmpfs', fstypeAt('self', leak)),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.peerPid),
    },
    {
      id: 'private',
      title: t('Private propagation: the copy stops being a peer', '私有传播：拷贝不再是对等成员'),
      explain: t(
        '`MS_PRIVATE` on a mount takes it out of its peer group: mounts made under it are no longer sent anywhere, and nothing arrives. The namespace starts as a peer, as in the last step, then makes its copy of `shared` private before mounting a tmpfs on `shared/private`. The host never sees it. `MS_REC|MS_PRIVATE` on `/` does the same to every mount at once: one call, and nothing made inside can reach the host, whatever systemd shared.',
        '对一个挂载做 `MS_PRIVATE`，就把它移出了对等组：在它下面做的挂载不再传到任何地方，别处的挂载也传不进来。这个命名空间一开始和上一步一样是对等成员，然后先把自己那份 `shared` 的拷贝设成私有，再往 `shared/private` 上挂一个 tmpfs。宿主机始终看不到它。对 `/` 做 `MS_REC|MS_PRIVATE`，就是一次对所有挂载做同样的事：只要一个调用，里面做的任何挂载都到不了宿主机，不管 systemd 共享了什么。',
      ),
      command: `cd {labDir} && unshare --mount --propagation unchanged sh -c 'mount --make-private shared; mount -t tmpfs nestbox-private shared/private; exec sleep infinity' &`,
      syscall: 'unshare(CLONE_NEWNS); mount(NULL, "shared", NULL, MS_PRIVATE); mount("nestbox-private", "shared/private", "tmpfs", 0)',
      async perform(ctx) {
        const dir = ctx.state.sharedDir;
        // Recorded in case it does reach the host (that is what this step checks).
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'private') });
        ctx.state.privatePid = await holder(ctx, [
          { call: 'mount', source: null, target: dir, fstype: null, flags: MS_PRIVATE },
          tmpfs(join(dir, 'private'), 'nestbox-private'),
        ], 'holds a mount namespace with a private copy');
        return t(`PID ${ctx.state.privatePid} made its copy of shared private, then mounted a tmpfs on shared/private`,
          `PID ${ctx.state.privatePid} 先把自己那份 shared 的拷贝设成私有，再把一个 tmpfs 挂到了 shared/private 上`);
      },
      async verify(ctx) {
        const { privatePid: pid, sharedDir: dir } = ctx.state;
        const target = join(dir, 'private');
        return [
          observe(t(`shared: mountinfo of PID ${pid}`, `shared：PID ${pid} 的 mountinfo`), PRIVATE, tags(mountAt(pid, dir))),
          observe(t(`shared/private: mountinfo of PID ${pid}`, `shared/private：PID ${pid} 的 mountinfo`), 'tmpfs', fstypeAt(pid, target)),
          observe(t("shared/private: the host's mountinfo", 'shared/private：宿主机的 mountinfo'), ABSENT, fstypeAt('self', target)),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.privatePid),
    },
    {
      id: 'slave',
      title: t('Slave propagation: from the host in, never out', '从属传播：宿主机的挂载进得来，里面的出不去'),
      explain: t(
        "`MS_SLAVE` turns a peer into a receiver: the copy keeps getting the mounts its old peer group makes (mountinfo shows `master:N`), but its own mounts go nowhere. This namespace mounts a tmpfs on `shared/from-inside`, then the host mounts one on `shared/from-host`. The first stays inside; the second appears in both tables. runc's default for `/` is `MS_REC|MS_SLAVE` for this reason: a host directory bind-mounted into a container still receives what the host mounts under it later (a disk plugged in), and the container leaks nothing back.",
        '`MS_SLAVE` 把一个对等成员变成接收者：这份拷贝仍然会收到它原来那个对等组做的挂载（mountinfo 里显示 `master:N`），但它自己的挂载哪儿也不去。这个命名空间先在 `shared/from-inside` 上挂一个 tmpfs，然后宿主机在 `shared/from-host` 上挂一个。前一个留在里面；后一个在两张表里都有。runc 对 `/` 的默认做法是 `MS_REC|MS_SLAVE`，原因就在这里：绑定挂载进容器的宿主机目录，仍然能收到宿主机以后在它下面做的挂载（比如插上一块磁盘），而容器不会往回漏任何东西。',
      ),
      command: `cd {labDir} && unshare --mount --propagation unchanged sh -c 'mount --make-slave shared; mount -t tmpfs nestbox-in shared/from-inside; exec sleep infinity' & sleep 0.1; mount -t tmpfs nestbox-host shared/from-host`,
      syscall: t('unshare(CLONE_NEWNS); mount(NULL, "shared", NULL, MS_SLAVE); mount(... "shared/from-inside" ...); on the host: mount(... "shared/from-host" ...)',
        'unshare(CLONE_NEWNS)；mount(NULL, "shared", NULL, MS_SLAVE)；mount(... "shared/from-inside" ...)；在宿主机上：mount(... "shared/from-host" ...)'),
      async perform(ctx) {
        const dir = ctx.state.sharedDir;
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'from-inside') }); // in case it leaks
        ctx.state.slavePid = await holder(ctx, [
          { call: 'mount', source: null, target: dir, fstype: null, flags: MS_SLAVE },
          tmpfs(join(dir, 'from-inside'), 'nestbox-in'),
        ], 'holds a mount namespace with a slave copy');
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'from-host') });
        mount('nestbox-host', join(dir, 'from-host'), 'tmpfs', 0, 'size=1m,mode=755');
        return t(`PID ${ctx.state.slavePid} made its copy a slave and mounted shared/from-inside; the host mounted shared/from-host`,
          `PID ${ctx.state.slavePid} 把自己的拷贝设成从属，并挂载了 shared/from-inside；宿主机挂载了 shared/from-host`);
      },
      async verify(ctx) {
        const { slavePid: pid, sharedDir: dir, peerGroup } = ctx.state;
        const inside = join(dir, 'from-inside');
        const host = join(dir, 'from-host');
        return [
          observe(t(`shared: mountinfo of PID ${pid} (a slave)`, `shared：PID ${pid}（从属）的 mountinfo`), `master:${peerGroup}`, tags(mountAt(pid, dir))),
          observe(t(`shared/from-host: mountinfo of PID ${pid}`, `shared/from-host：PID ${pid} 的 mountinfo`), 'tmpfs', fstypeAt(pid, host)),
          observe(t(`shared/from-inside: mountinfo of PID ${pid}`, `shared/from-inside：PID ${pid} 的 mountinfo`), 'tmpfs', fstypeAt(pid, inside)),
          observe(t("shared/from-inside: the host's mountinfo", 'shared/from-inside：宿主机的 mountinfo'), ABSENT, fstypeAt('self', inside)),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.slavePid),
    },
    {
      id: 'exercise',
      title: t('Mount a tmpfs inside the lab namespace', '在实验的命名空间里挂载一个 tmpfs'),
      explain: t(
        "Back to the lab's first namespace, the one `sleep` PID holds, whose mounts are all private. Whatever you mount in there must stay out of the host's table.",
        '回到实验的第一个命名空间，也就是 `sleep` PID 持有的那个，它里面的挂载全是私有的。你在里面挂载的任何东西，都不能出现在宿主机的挂载表里。',
      ),
      command: 'nsenter --target PID --mount mount -t tmpfs lab {exerciseDir}',
      syscall: t('setns(fd of /proc/PID/ns/mnt, CLONE_NEWNS); mount("lab", ".../exercise", "tmpfs", 0)',
        'setns(/proc/PID/ns/mnt 的 fd, CLONE_NEWNS)；mount("lab", ".../exercise", "tmpfs", 0)'),
      async perform(ctx) {
        ctx.state.exerciseDir = join(ctx.workDir, 'exercise');
        mkdirSync(ctx.state.exerciseDir);
        // A tmpfs mounted here from the host by mistake must still be removed: record it up front.
        ctx.ledger.record({ kind: 'mount', target: ctx.state.exerciseDir });
        return t(`the directory to mount on is ${ctx.state.exerciseDir}`, `要挂载到的目录是 ${ctx.state.exerciseDir}`);
      },
      exercise: {
        task: t(
          "Mount a **tmpfs** on the directory `{exerciseDir}`, *inside* the lab's mount namespace (the one of `sleep` PID). In the shell nestbox opens there: `mount -t tmpfs lab {exerciseDir}`.",
          '在实验的挂载命名空间*里面*（`sleep` PID 所在的那个），把一个 **tmpfs** 挂到目录 `{exerciseDir}` 上。可以用 nestbox 在里面打开的 shell：`mount -t tmpfs lab {exerciseDir}`。',
        ),
        hints: [
          t("Open the shell inside the lab namespace first: a mount typed in your own terminal lands in the host's table.",
            '先打开实验命名空间里的 shell：在你自己的终端里敲的 mount，会落进宿主机的挂载表。'),
          t('Compare `grep exercise /proc/PID/mountinfo` (the lab\'s table) with `grep exercise /proc/self/mountinfo` (yours).',
            '比较一下 `grep exercise /proc/PID/mountinfo`（实验的挂载表）和 `grep exercise /proc/self/mountinfo`（你自己的）。'),
          t('From a second terminal, join the namespace with nsenter: `nsenter --target PID --mount mount -t tmpfs lab {exerciseDir}`.',
            '在第二个终端里，用 nsenter 加入这个命名空间：`nsenter --target PID --mount mount -t tmpfs lab {exerciseDir}`。'),
        ],
        shell: { pidKey: 'pid', types: ['mnt'] },
        async solve(ctx) {
          const p = await ctx.spawn({ argv: ['/bin/mount', '-t', 'tmpfs', 'lab', ctx.state.exerciseDir], env: baseEnv(), join: { pid: ctx.state.pid, types: ['mnt'] } });
          await waitForExit(p);
        },
        async mistake(ctx) {
          // Mounting from a terminal on the host: the tmpfs goes into the host's table (the ledger
          // already holds this mount point, from perform).
          const p = await ctx.spawn({ argv: ['/bin/mount', '-t', 'tmpfs', 'lab', ctx.state.exerciseDir], env: baseEnv() });
          await waitForExit(p);
        },
      },
      async verify(ctx) {
        const { pid, exerciseDir: dir } = ctx.state;
        return [
          observe(t(`exercise: mountinfo of PID ${pid} (lab)`, `exercise：PID ${pid}（实验）的 mountinfo`), 'tmpfs', fstypeAt(pid, dir)),
          observe(t("exercise: the host's mountinfo", 'exercise：宿主机的 mountinfo'), ABSENT, fstypeAt('self', dir)),
        ];
      },
      async cleanup(ctx) {
        // The ledger unmounts one layer; a learner may have mounted on the host more than once.
        const dir = ctx.state.exerciseDir;
        for (let i = 0; dir && i < 16 && mountAt('self', dir); i++) umount2(dir, MNT_DETACH);
      },
    },
  ],
};

export default lab;
