// Lab "chroot": a subdirectory as `/`; why chroot alone can be escaped by a root process; and how
// pivot_root followed by unmounting the old root leaves nothing to escape to.
//
// Every process here is started by a throwaway worker thread (src/kernel/spawn.ts). chroot(2) and
// pivot_root(2) change the root of the calling *thread's* fs_struct, which Node's threads share,
// so each such thread first takes a private copy: unshare(CLONE_FS), or unshare(CLONE_NEWNS), which
// implies it (joining a mount namespace does unshare(CLONE_FS) first). The CLI's own root never moves.
import type { Lab, LabContext, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_FS, CLONE_NEWNS, MS_BIND } from '../src/kernel/constants.js';
import type { SpawnRequest, ThreadStep } from '../src/kernel/spawn.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { mountTable, MountInfo } from '../src/kernel/proc.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ran, runCaptured, runJoined, stopAndReap } from './kit.js';
import { privateRoot, pivotInto, mountPointOf } from '../src/recipes/rootfs.js';

interface ChrootState {
  /** The jail: this run's own copy of the default rootfs. */
  jail: string;
  /** The secret's text, and the file that holds it on the host, next to the jail (outside it). */
  secret: string;
  secretPath: string;
  /** The sleep chrooted into the jail. */
  jailPid: number;
  /** How the escape and the cat of the secret from inside the jail ended, and what the cat printed. */
  escaped: Ran;
  /** A sleep that escaped the jail the same way, left running so its root can be read back. */
  escapedPid: number;
  /** The sleep in a mount namespace pivoted into the jail (old root detached). */
  pivotPid: number;
  /** The sleep holding the exercise's private mount namespace (the jail at /mnt/jail). */
  exPid: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers the overlay and volumes labs use too.

/** Copy a root filesystem (`cp -a` keeps modes, owners and symlinks): a private, writable root. */
export async function copyRootfs(ctx: LabContext<object>, dest: string): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  await ctx.execOk('cp', ['-a', ctx.rootfs(), dest]);
}

/** Run a command inside a container: join its mount namespace, whose root is the container's root (like `nsenter -t PID -m`). */
export function runInside(ctx: LabContext<object>, pid: number, argv: string[]): Promise<Ran> {
  return runJoined(ctx, pid, ['mnt'], argv);
}

/** Names in a directory, sorted, without dot files (what `ls` shows). */
export function listing(dir: string): string {
  return readdirSync(dir).filter((n) => !n.startsWith('.')).sort().join(' ');
}

// ---------------------------------------------------------------------------------------------
// The escape.

/**
 * The classic chroot escape, as calls made by a root thread that is inside the jail. Any directory
 * below the root will do for the inner chroot (the classic C program makes one with mkdir); /tmp
 * exists in every root here, and nothing is written.
 */
function escapeSteps(): ThreadStep[] {
  return [
    // The root moves down into /tmp; the working directory stays where it was: above the new root.
    { call: 'chroot', path: '/tmp' },
    // The kernel stops ".." only at the root (and at the top of a mount namespace). The working
    // directory is outside the root, so this walk never meets it and climbs to the real top.
    ...Array.from({ length: 32 }, (): ThreadStep => ({ call: 'chdir', path: '..' })),
    // Wherever the walk ended becomes the root.
    { call: 'chroot', path: '.' },
    { call: 'chdir', path: '/' },
  ];
}

/** Enter the jail of a chrooted process, like `nsenter --root`: chroot into /proc/PID/root. */
function enterChrootOf(pid: number): Pick<SpawnRequest, 'unshare' | 'steps'> {
  return { unshare: CLONE_FS, steps: [{ call: 'chroot', path: `/proc/${pid}/root` }, { call: 'chdir', path: '/' }] };
}

/** Try the escape from inside `where`, then `cat` the host's secret file: what did the cat get? */
async function escapeAndRead(ctx: LabContext<ChrootState>, where: Pick<SpawnRequest, 'unshare' | 'steps' | 'join'>): Promise<Ran> {
  return runCaptured(ctx, { ...where, steps: [...(where.steps ?? []), ...escapeSteps()], argv: ['/bin/cat', ctx.state.secretPath] });
}

/** The host's root mount, as device and root path: present in a namespace's mountinfo only if the host's `/` is still reachable there. */
function hostRootMount(): MountInfo {
  return mountTable('self').find((m) => m.mountPoint === '/')!;
}

function hasHostRoot(mounts: MountInfo[]): boolean {
  const host = hostRootMount();
  return mounts.some((m) => m.major === host.major && m.minor === host.minor && m.root === host.root);
}

function describeMounts(mounts: MountInfo[]): Text {
  return mounts.length === 1
    ? t(`1 mount: ${mounts[0].root} on ${mounts[0].mountPoint}`, `1 个挂载：${mounts[0].root} 挂在 ${mounts[0].mountPoint} 上`)
    : t(`${mounts.length} mounts`, `${mounts.length} 个挂载`);
}

const PRESENT = t('present', '存在');
const ABSENT = t('absent', '不存在');

/**
 * After the escape, look for the secret below every mount point of `pid`'s namespace other than
 * `/`: an old root left mounted (at /oldroot, say) brings the host's whole tree along. Returns the
 * paths where it was found.
 */
async function secretBelowMounts(ctx: LabContext<ChrootState>, pid: number, mounts: MountInfo[]): Promise<string[]> {
  const paths = [...new Set(mounts.map((m) => m.mountPoint).filter((p) => p !== '/'))].map((p) => join(p, ctx.state.secretPath));
  if (!paths.length) return [];
  // grep -l names the files that hold the secret; -s keeps quiet about the paths that do not exist.
  const r = await runCaptured(ctx, { join: { pid, types: ['mnt'] }, steps: escapeSteps(), argv: ['/bin/grep', '-lsxF', '--', ctx.state.secret, ...paths] });
  return r.out.split('\n').filter((l) => paths.includes(l));
}

/** Observations shared by the pivot step and the exercise: is the namespace of `pid` locked into the jail? */
async function lockedObservations(ctx: LabContext<ChrootState>, pid: number) {
  const mounts = mountTable(pid);
  const tried = await escapeAndRead(ctx, { join: { pid, types: ['mnt'] } });
  const below = await secretBelowMounts(ctx, pid, mounts);
  const notRead = t('not the secret', '没读到秘密');
  const read = tried.out === ctx.state.secret ? t('the secret', '读到了秘密')
    : below.length ? t(`the secret, at ${below[0]}`, `读到了秘密，在 ${below[0]}`) : notRead;
  const host = hostRootMount();
  return [
    observe(t(`ls /proc/${pid}/root (its root)`, `ls /proc/${pid}/root（它的根）`), listing(ctx.state.jail), listing(`/proc/${pid}/root`)),
    observe(t(`host's / (${host.major}:${host.minor} ${host.root}) in /proc/${pid}/mountinfo`, `/proc/${pid}/mountinfo 里宿主机的 /（${host.major}:${host.minor} ${host.root}）`),
      ABSENT, hasHostRoot(mounts) ? PRESENT : ABSENT),
    observeThat(t(`mounts in its namespace (/proc/${pid}/mountinfo)`, `它的命名空间里的挂载（/proc/${pid}/mountinfo）`),
      t('1 mount: the jail on /', '1 个挂载：监牢挂在 / 上'), describeMounts(mounts), mounts.length === 1 && mounts[0].mountPoint === '/'),
    observe(mounts.length > 1
      ? t('the escape, then cat of the secret (its own path, and the same path below every other mount)', '先逃逸，再 cat 秘密文件（在它本来的路径，以及其他每个挂载点下面的同一路径）')
      : t('the escape, then cat of the secret', '先逃逸，再 cat 秘密文件'), notRead, read),
    observeThat(t('exit code of the cat at its own path', '在本来的路径上 cat 的退出码'), t('≠ 0 (no such file)', '≠ 0（没有这个文件）'), `${tried.code}: ${tried.out.split('\n')[0]}`, tried.code !== 0),
  ];
}

const lab: Lab<ChrootState> = {
  id: 'chroot',
  title: t('chroot and pivot_root: a directory as the root, and why chroot alone is not a wall', 'chroot 与 pivot_root：把一个目录当作根，以及为什么单靠 chroot 挡不住'),
  module: 8,
  lesson: 'chroot',
  needs: ['root', 'ns-mnt'],
  steps: [
    {
      id: 'jail',
      title: t('Lock a process into a directory with chroot', '用 chroot 把进程关进一个目录'),
      explain: t(
        'Every process has a root directory: the kernel starts each path that begins with `/` there, and stops `..` there. `chroot(dir)` changes that one pointer for the calling process, and children inherit it. nestbox copies the default rootfs into a directory of its own (so nothing writes into the shared one), puts a secret file *next to* it, and starts `sleep` chrooted into the copy. No namespace is involved: this is plain chroot.',
        '每个进程都有一个根目录：以 `/` 开头的路径，内核都从这里开始查找；`..` 走到这里就停下。`chroot(dir)` 只改调用它的那个进程的这一个指针，子进程会继承下去。nestbox 把默认的根文件系统（rootfs）复制到一个自己的目录里（这样谁也不会往共用的那一份里写东西），在它*旁边*放一个秘密文件，然后启动一个 chroot 进这份副本的 `sleep`。这里没有用到任何命名空间，就是单纯的 chroot。',
      ),
      command: 'cp -a /var/lib/nestbox/rootfs/default JAIL; echo secret > SECRET; chroot JAIL /bin/sleep infinity &',
      syscall: 'chroot("JAIL"); chdir("/"); execve("/bin/sleep")',
      async perform(ctx) {
        const jail = join(ctx.workDir, 'jail');
        await copyRootfs(ctx, jail);
        ctx.state.jail = jail;
        ctx.state.secret = `host secret ${ctx.unique}-${randomBytes(4).toString('hex')}`;
        ctx.state.secretPath = join(ctx.workDir, 'host-secret.txt'); // outside the jail
        writeFileSync(ctx.state.secretPath, ctx.state.secret + '\n');
        ctx.state.jailPid = await ctx.spawn({
          argv: ['/bin/sleep', 'infinity'], // the jail's sleep: /bin is looked up after the chroot
          env: baseEnv(),
          unshare: CLONE_FS, // a root of this thread's own; the CLI's stays where it is
          steps: [{ call: 'chroot', path: jail }, { call: 'chdir', path: '/' }],
        }, 'chrooted sleep');
        return t(`copied the rootfs to ${jail} and started PID ${ctx.state.jailPid} chrooted into it; the secret is ${ctx.state.secretPath}`,
          `把根文件系统复制到了 ${jail}，并在里面 chroot 启动了 PID ${ctx.state.jailPid}；秘密文件是 ${ctx.state.secretPath}`);
      },
      async verify(ctx) {
        const pid = ctx.state.jailPid;
        const inJail = enterChrootOf(pid);
        const ls = await runCaptured(ctx, { ...inJail, argv: ['/bin/ls', '/'] });
        const up = await runCaptured(ctx, { ...inJail, argv: ['/bin/ls', '/../../..'] });
        const cat = await runCaptured(ctx, { ...inJail, argv: ['/bin/cat', ctx.state.secretPath] });
        return [
          observe(`/proc/${pid}/root (readlink)`, ctx.state.jail, readlinkSync(`/proc/${pid}/root`)),
          observe(t('`ls /` inside the jail', '监牢里的 `ls /`'), listing(ctx.state.jail), ls.out.split('\n').sort().join(' ')),
          observe(t('`ls /../../..` inside: ".." stops at the root', '监牢里的 `ls /../../..`：`..` 走到根就停下'), listing(ctx.state.jail), up.out.split('\n').sort().join(' ')),
          observeThat(t('`cat` of the secret, inside the jail', '在监牢里 `cat` 秘密文件'), t('≠ 0: not in the jail', '≠ 0：监牢里没有它'), `${cat.code}: ${cat.out.split('\n')[0]}`, cat.code !== 0 && cat.out !== ctx.state.secret),
        ];
      },
    },
    {
      id: 'escape',
      title: t('Escape the chroot, for real', '真的从 chroot 里逃出去'),
      explain: t(
        'chroot moves the root and nothing else: not the working directory, and it does not take away the right to call chroot again. A root process inside the jail calls `chroot("/tmp")` *without* `chdir`, so its working directory is now above its root. `..` is stopped only when the walk meets the root, and this walk never does: 32 × `chdir("..")` climb to the host\'s `/`, and `chroot(".")` makes that the root again. The `chroot` command cannot do it: it always calls `chdir("/")` right after `chroot()`, which puts the working directory back under the new root. It takes a program that makes these system calls itself: nestbox makes them from a thread that first enters the jail through `/proc/PID/root`, then runs the host\'s `cat` on the secret.',
        'chroot 只移动根，别的一概不管：当前目录不动，再次调用 chroot 的权力也不收回。监牢里的一个 root 进程调用 `chroot("/tmp")`，却*不*调用 `chdir`，于是它的当前目录落在了新根的上面。`..` 只有在往上走碰到根时才会被拦住，而这一趟永远碰不到根：32 次 `chdir("..")` 一直爬到宿主机的 `/`，再用 `chroot(".")` 把那里重新设成根。`chroot` 命令做不到这一点：它在 `chroot()` 之后总是紧接着调用 `chdir("/")`，把当前目录又放回新根下面。得由程序自己发起这些系统调用才行：nestbox 让一个线程来做，这个线程先经由 `/proc/PID/root` 进入监牢，然后对秘密文件运行宿主机的 `cat`。',
      ),
      command: t('# no shell tool does it; in C, as root inside the jail: chroot("/tmp"); for (int i = 0; i < 32; i++) chdir(".."); chroot("."); execl("/bin/cat", "cat", "SECRET", NULL);',
        '# 没有现成的命令能做到；用 C 写，在监牢里以 root 身份运行：chroot("/tmp"); for (int i = 0; i < 32; i++) chdir(".."); chroot("."); execl("/bin/cat", "cat", "SECRET", NULL);'),
      syscall: 'chroot("/proc/PID/root"); chroot("/tmp"); chdir("..") ×32; chroot("."); execve("/bin/cat")',
      async perform(ctx) {
        const inJail = enterChrootOf(ctx.state.jailPid);
        ctx.state.escaped = await escapeAndRead(ctx, inJail);
        // An escaped process that stays, so its root can be read back.
        ctx.state.escapedPid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), ...inJail, steps: [...inJail.steps!, ...escapeSteps()] }, 'escaped sleep');
        return t(`a process that started in the jail escaped and read ${ctx.state.secretPath}; PID ${ctx.state.escapedPid} escaped the same way`,
          `一个在监牢里启动的进程逃了出去，读到了 ${ctx.state.secretPath}；PID ${ctx.state.escapedPid} 也用同样的办法逃了出去`);
      },
      async verify(ctx) {
        const pid = ctx.state.escapedPid;
        return [
          observe(t('what the escaped cat printed', '逃出去的 cat 打印的内容'), ctx.state.secret, ctx.state.escaped.out),
          observe(t('its exit code', '它的退出码'), 0, ctx.state.escaped.code),
          observe(t(`/proc/${pid}/root of the escaped sleep (readlink)`, `逃出去的 sleep 的 /proc/${pid}/root（readlink）`), '/', readlinkSync(`/proc/${pid}/root`)),
          observe(t(`the secret via /proc/${pid}/root/...`, `经由 /proc/${pid}/root/... 读到的秘密`), ctx.state.secret, existsSync(`/proc/${pid}/root${ctx.state.secretPath}`) ? readFileSync(`/proc/${pid}/root${ctx.state.secretPath}`, 'utf8').trim() : ABSENT),
          observe(t(`/proc/${ctx.state.jailPid}/root of the jailed sleep (unchanged)`, `仍关在监牢里的 sleep 的 /proc/${ctx.state.jailPid}/root（没变）`), ctx.state.jail, readlinkSync(`/proc/${ctx.state.jailPid}/root`)),
        ];
      },
    },
    {
      id: 'pivot',
      title: t('pivot_root: make the jail the top of a mount namespace', 'pivot_root：让监牢成为挂载命名空间的顶端'),
      explain: t(
        'A runtime does not chroot. In a new mount namespace (made private first, or mounts would propagate to the host and pivot_root would refuse), it bind-mounts the rootfs on itself so it is a mount point, `chdir`s into it and calls `pivot_root(".", ".")`: the jail becomes the root *mount* of the namespace, and the old root is stacked on top of it. `umount2(".", MNT_DETACH)` then detaches the old root, and with it every host mount. The same escape now climbs to the top of the namespace, which is the jail: there is no host `/` left in this namespace to climb to. This is why runc, crun and Docker use pivot_root (chroot only where pivot_root cannot work, such as a ramfs root).',
        '容器运行时不用 chroot。它在一个新的挂载命名空间里（先设成私有，否则挂载会传播到宿主机，pivot_root 也会拒绝执行）把根文件系统绑定挂载到它自己身上，让它成为一个挂载点，再 `chdir` 进去，调用 `pivot_root(".", ".")`：监牢成了这个命名空间的根*挂载*，旧根叠在它上面。接着 `umount2(".", MNT_DETACH)` 卸掉旧根，宿主机的所有挂载也跟着一起卸掉。同样的逃逸现在只能爬到命名空间的顶端，而顶端就是监牢：这个命名空间里已经没有宿主机的 `/` 可爬了。所以 runc、crun 和 Docker 都用 pivot_root（只有在 pivot_root 行不通的地方才用 chroot，比如根文件系统在 ramfs 上的时候）。',
      ),
      command: "unshare -m sh -c 'mount --make-rprivate /; mount --bind JAIL JAIL; cd JAIL; pivot_root . .; umount -l .; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); mount("JAIL", "JAIL", NULL, MS_BIND|MS_REC); chdir("JAIL"); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")',
      async perform(ctx) {
        const jail = ctx.state.jail;
        ctx.state.pivotPid = await ctx.spawn({
          argv: ['/bin/sleep', 'infinity'],
          env: baseEnv(),
          unshare: CLONE_NEWNS,
          steps: [privateRoot(), mountPointOf(jail), ...pivotInto(jail)],
        }, 'sleep in a pivoted mount namespace');
        return t(`PID ${ctx.state.pivotPid} runs in a mount namespace whose root mount is the jail; the old root is detached`,
          `PID ${ctx.state.pivotPid} 运行在一个以监牢为根挂载的挂载命名空间里；旧根已经卸掉`);
      },
      async verify(ctx) {
        return lockedObservations(ctx, ctx.state.pivotPid);
      },
    },
    {
      id: 'exercise',
      title: t('Pivot a namespace into the jail yourself', '亲手把命名空间 pivot 进监牢'),
      explain: t(
        'nestbox started a `sleep` in a fresh, private mount namespace: a copy of the host\'s mounts, with the lab directory bound on `/mnt`, so the jail is `/mnt/jail`. Make the jail the root of that namespace. The check tries the escape from inside it.',
        'nestbox 在一个新建的私有挂载命名空间里启动了一个 `sleep`：这个命名空间里是宿主机挂载的一份拷贝，另外实验目录被绑定挂载到了 `/mnt` 上，所以监牢就是 `/mnt/jail`。请把监牢变成这个命名空间的根。检查会从里面尝试逃逸。',
      ),
      command: 'mount --bind /mnt/jail /mnt/jail; cd /mnt/jail; pivot_root . .; umount -l .',
      syscall: 'mount(MS_BIND); chdir; pivot_root(".", "."); umount2(".", MNT_DETACH)',
      async perform(ctx) {
        if (!existsSync('/mnt')) throw new Error(pick('this lab needs the directory /mnt on the host (mkdir /mnt)', '这个实验需要宿主机上有 /mnt 目录（mkdir /mnt）'));
        ctx.state.exPid = await ctx.spawn({
          argv: ['/bin/sleep', 'infinity'],
          env: baseEnv(),
          unshare: CLONE_NEWNS,
          // Covers /mnt in this namespace only: the host's /mnt is not touched.
          steps: [privateRoot(), { call: 'mount', source: ctx.workDir, target: '/mnt', fstype: null, flags: MS_BIND }],
        }, 'holds the exercise mount namespace');
        return t(`PID ${ctx.state.exPid} holds a private mount namespace with the jail at /mnt/jail`,
          `PID ${ctx.state.exPid} 维持着一个私有的挂载命名空间，监牢在其中的 /mnt/jail`);
      },
      exercise: {
        task: t(
          'In the shell nestbox opens inside that mount namespace, make **/mnt/jail** its root with `pivot_root`, and make sure no way back to the host\'s `/` remains. Then `exit` the shell and check.',
          'nestbox 会在这个挂载命名空间里打开一个 shell。在里面用 `pivot_root` 把 **/mnt/jail** 变成这个命名空间的根，并确保没有留下任何通回宿主机 `/` 的路。然后 `exit` 退出 shell，进行检查。',
        ),
        hints: [
          t('pivot_root needs a mount point: `mount --bind /mnt/jail /mnt/jail`, then `cd /mnt/jail` (the cd after the mount lands on the new mount).',
            'pivot_root 需要一个挂载点：先 `mount --bind /mnt/jail /mnt/jail`，再 `cd /mnt/jail`（挂载之后再 cd，进入的才是新的挂载）。'),
          t('`pivot_root . .` puts the old root on top of the new one; `umount -l .` detaches it. Without that last command, the host\'s `/` is still mounted in the namespace and `..` can reach it. (With `pivot_root . oldroot`, as in the man page, it is `umount -l /oldroot`.)',
            '`pivot_root . .` 把旧根叠在新根上面，`umount -l .` 把它卸掉。少了最后这条命令，宿主机的 `/` 就还挂在这个命名空间里，`..` 能走到它。（如果像手册页那样用 `pivot_root . oldroot`，就要 `umount -l /oldroot`。）'),
        ],
        shell: { pidKey: 'exPid', types: ['mnt'] },
        async solve(ctx) {
          const r = await runInside(ctx, ctx.state.exPid, ['/bin/sh', '-c', 'mount --bind /mnt/jail /mnt/jail && cd /mnt/jail && pivot_root . . && umount -l .']);
          if (r.code !== 0) throw new Error(pick(`the reference answer failed: ${r.out}`, `参考答案执行失败：${r.out}`));
        },
        async mistake(ctx) {
          // pivot_root as the man page shows it, without detaching the old root: the host's tree stays
          // mounted at /oldroot, secret and all.
          await runInside(ctx, ctx.state.exPid, ['/bin/sh', '-c', 'mount --bind /mnt/jail /mnt/jail && cd /mnt/jail && mkdir -p oldroot && pivot_root . oldroot']);
        },
      },
      async verify(ctx) {
        return lockedObservations(ctx, ctx.state.exPid);
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.exPid, ctx.state.pivotPid, ctx.state.escapedPid, ctx.state.jailPid);
      },
    },
  ],
};

export default lab;
