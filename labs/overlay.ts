// Lab "overlay": an image is a stack of read-only layers (changesets); a container is those layers
// plus one writable layer of its own, merged by overlayfs. Copy-up on write, whiteouts on delete,
// and two containers sharing the same image layers.
//
// Each container is a `sleep` in its own private mount namespace whose root *is* the overlay mount
// (mounted there, then pivot_root into it), so the mounts vanish with the namespace and nothing is
// mounted on the host. The host reads a container's merged view through /proc/PID/root, and its
// layers directly: the upper and lower directories are ordinary directories on the host.
import type { Lab, LabContext, Shown, Text } from '../src/lab/types.js';
import { observe, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWNS } from '../src/kernel/constants.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { mountTable } from '../src/kernel/proc.js';
import { copyRootfs, runInside } from './chroot.js';
import { stopAndReap } from './kit.js';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { privateRoot, overlayRoot, pivotInto } from '../src/recipes/rootfs.js';

/** A container's own directories: its upper (writable) layer, overlayfs's work directory, the mount point of the merged view. */
interface ContainerDirs { upper: string; work: string; merged: string }

interface OverlayState {
  /** The two image layers (read-only once built): the base root and the app layer on top. */
  base: string;
  app: string;
  /** sha256 (first 16 hex digits) of the layers' files when built: app's by path in the layer, base's etc/motd. */
  sums: { app: Record<string, string>; baseMotd: string };
  /** Each container's directories, under its name (startContainer). */
  c1: ContainerDirs;
  c2: ContainerDirs;
  /** The containers' sleeps, and the PID the steps' commands refer to (the latest container's). */
  c1Pid: number;
  c2Pid: number;
  pid: number;
}

/** The app layer: what one build step ("COPY app/ /app/", "edit /etc/motd") added on top of the base. */
const APP_LAYER: Record<string, string> = {
  'etc/motd': 'Welcome to the app image (app layer)\n',
  'app/hello.txt': 'hello from the app layer\n',
  'app/config.txt': 'debug=false\n',
};
const BASE_MOTD = 'Welcome to the base image (base layer)\n';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

const ABSENT = t('absent', '不存在');
const PRESENT = t('present', '存在');

/** What a layer file's fingerprint should still be: "unchanged (sha256 …)". */
const unchanged = (sum: string): Text => t(`unchanged (sha256 ${sum})`, `没变（sha256 ${sum}）`);

/** A layer file now, against its fingerprint from when the layer was built: "unchanged (sha256 …)". */
function sinceBuilt(path: string, built: string): Text {
  if (!existsSync(path)) return ABSENT;
  const now = sha256(path);
  return now === built ? unchanged(now) : t(`changed (sha256 ${built} → ${now})`, `变了（sha256 ${built} → ${now}）`);
}

/** Every file below `dir`, relative, sorted: a layer's changeset. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const charDevice = (dev: string): Text => t(`character device ${dev}`, `字符设备 ${dev}`);
const FILE = t('file', '普通文件');

/** What is at a path, as lstat(2) says: "absent", "file", "directory", "character device 0:0"... */
function kindOf(path: string): Text {
  let st;
  try { st = lstatSync(path); } catch { return ABSENT; }
  if (st.isCharacterDevice()) {
    const major = (st.rdev >> 8) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    return charDevice(`${major}:${minor}`);
  }
  return st.isFile() ? FILE : st.isDirectory() ? t('directory', '目录') : t('other', '其他');
}

const show = (text: string) => JSON.stringify(text.trimEnd());
/** A file's text, quoted as show() quotes it, or "absent". */
const shownFile = (path: string): Shown => (existsSync(path) ? show(readFileSync(path, 'utf8')) : ABSENT);

/** Start container `name`: its own upper and work directories, the shared lower layers, an overlay as its root. */
async function startContainer(ctx: LabContext<OverlayState>, name: 'c1' | 'c2'): Promise<number> {
  const dir = join(ctx.workDir, name);
  const c: ContainerDirs = { upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged') };
  for (const d of Object.values(c)) mkdirSync(d, { recursive: true });
  ctx.state[name] = c;
  // lowerdir lists the top layer first: the app layer shadows the base where both have a file.
  return ctx.spawn({
    argv: ['/bin/sleep', 'infinity'],
    env: baseEnv(),
    unshare: CLONE_NEWNS,
    steps: [privateRoot(), overlayRoot({ lower: [ctx.state.app, ctx.state.base], upper: c.upper, work: c.work }, c.merged), ...pivotInto(c.merged)],
  }, `container ${name}`);
}

/** The overlay mount that is the root of a container's namespace, from /proc/PID/mountinfo. */
function rootMount(pid: number): { fstype: Shown; lowerdir: Shown; upperdir: Shown } {
  const none = t('none', '无');
  const m = mountTable(pid).find((x) => x.mountPoint === '/');
  const opt = (key: string) => m?.superOptions.find((o) => o.startsWith(key + '='))?.slice(key.length + 1) ?? none;
  return { fstype: m?.fstype ?? none, lowerdir: opt('lowerdir'), upperdir: opt('upperdir') };
}

const NO_FILES = t('(none)', '（无）');

const lab: Lab<OverlayState> = {
  id: 'overlay',
  title: t('Overlay filesystems: image layers, copy-up and whiteouts', 'overlay 文件系统：镜像层、复制上移和 whiteout 文件'),
  module: 9,
  lesson: 'overlay',
  needs: ['root', 'ns-mnt', 'overlayfs'],
  steps: [
    {
      id: 'layers',
      title: t('Two image layers', '两个镜像层'),
      explain: t(
        'An image is not one big directory: each build step records only what it changed (a *changeset*), and the image is the stack of those layers. nestbox builds two: a **base** layer (a whole busybox root plus `/etc/motd`) and an **app** layer holding just three files, one of which replaces the base\'s `/etc/motd`. Layers are never written again once built, so any number of containers can share them.',
        '镜像不是一个大目录：每个构建步骤只记下自己改了什么（一份*变更集*），镜像就是这些层叠起来的一摞。nestbox 构建两层：一个 **base** 层（一整套 busybox 根文件系统，外加 `/etc/motd`），和一个只有三个文件的 **app** 层，其中一个文件替换了 base 层的 `/etc/motd`。层一旦构建好就再也不会被写入，所以不管多少个容器都可以共用它们。',
      ),
      command: 'cp -a /var/lib/nestbox/rootfs/default base; mkdir -p app/app app/etc; echo ... > app/etc/motd ...',
      syscall: t('open(O_CREAT), write(2): plain files; nothing is mounted yet', 'open(O_CREAT)、write(2)：只是普通文件，还什么都没有挂载'),
      async perform(ctx) {
        const base = join(ctx.workDir, 'layers', 'base');
        const app = join(ctx.workDir, 'layers', 'app');
        await copyRootfs(ctx, base);
        writeFileSync(join(base, 'etc/motd'), BASE_MOTD);
        for (const [file, text] of Object.entries(APP_LAYER)) {
          mkdirSync(join(app, file, '..'), { recursive: true });
          writeFileSync(join(app, file), text);
        }
        Object.assign(ctx.state, { base, app });
        // Fingerprints of the layers' files, to prove later that no container changed them.
        ctx.state.sums = { app: Object.fromEntries(Object.keys(APP_LAYER).map((f) => [f, sha256(join(app, f))])), baseMotd: sha256(join(base, 'etc/motd')) };
        return t(`base layer ${base}, app layer ${app}`, `base 层 ${base}，app 层 ${app}`);
      },
      async verify(ctx) {
        return [
          observe(t('files in the app layer (its changeset)', 'app 层里的文件（它的变更集）'), Object.keys(APP_LAYER).sort().join(' '), filesUnder(ctx.state.app).join(' ')),
          observe(t('base layer: a whole root (bin/sh)', 'base 层：一整套根文件系统（bin/sh）'), PRESENT, existsSync(join(ctx.state.base, 'bin/sh')) ? PRESENT : ABSENT),
          observe(t('etc/motd in the base layer', 'base 层里的 etc/motd'), show(BASE_MOTD), shownFile(join(ctx.state.base, 'etc/motd'))),
        ];
      },
    },
    {
      id: 'container1',
      title: t('Container 1: the layers merged, plus a writable layer', '容器 1：合并起来的各层，再加一个可写层'),
      explain: t(
        'overlayfs merges directories at lookup time: a name is searched in the **upper** (writable) directory first, then in each **lower** layer from the top; the first hit wins. nestbox mounts an overlay of the two layers with an empty upper directory of its own, in a private mount namespace, and pivots a `sleep` into it: that is a container root. The upper directory is the *container layer*; `workdir` is scratch space overlayfs needs on the same filesystem for atomic renames.',
        'overlayfs 在查找路径的时候才把各个目录合并起来：一个名字先在 **upper**（可写）目录里找，再从上往下依次在每个 **lower** 层里找，先找到的算数。nestbox 在一个私有的挂载命名空间里，把这两层挂成一个 overlay，配上一个属于这个容器的空 upper 目录，再把一个 `sleep` pivot 进去：这就是一个容器的根。upper 目录就是*容器层*；`workdir` 是 overlayfs 需要的临时空间，它必须和 upper 在同一个文件系统上，好让重命名一步完成（原子操作）。',
      ),
      command: "unshare -m sh -c 'mount --make-rprivate /; mount -t overlay overlay -o lowerdir=app:base,upperdir=c1/upper,workdir=c1/work c1/merged; cd c1/merged; pivot_root . .; umount -l .; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS); mount("overlay", "c1/merged", "overlay", 0, "lowerdir=app:base,upperdir=...,workdir=..."); pivot_root(".", ".")',
      async perform(ctx) {
        ctx.state.c1Pid = await startContainer(ctx, 'c1');
        ctx.state.pid = ctx.state.c1Pid; // the PID in the next step's command
        return t(`container 1 is PID ${ctx.state.c1Pid}; its root is an overlay mount`, `容器 1 是 PID ${ctx.state.c1Pid}；它的根是一个 overlay 挂载`);
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        const m = rootMount(pid);
        const root = `/proc/${pid}/root`;
        return [
          observe(t(`filesystem on / (/proc/${pid}/mountinfo)`, `/ 上的文件系统（/proc/${pid}/mountinfo）`), 'overlay', m.fstype),
          observe(t('its lowerdir (top layer first)', '它的 lowerdir（最上面的层在前）'), `${ctx.state.app}:${ctx.state.base}`, m.lowerdir),
          observe(t('/app/hello.txt inside (from the app layer)', '容器里的 /app/hello.txt（来自 app 层）'), show(APP_LAYER['app/hello.txt']), shownFile(`${root}/app/hello.txt`)),
          observe(t('/bin/sh inside (from the base layer)', '容器里的 /bin/sh（来自 base 层）'), PRESENT, existsSync(`${root}/bin/sh`) ? PRESENT : ABSENT),
          observe(t('/etc/motd inside (in both layers: top wins)', '容器里的 /etc/motd（两层都有：上面的层胜出）'), show(APP_LAYER['etc/motd']), shownFile(`${root}/etc/motd`)),
          observe(t('files in upper (the container layer)', 'upper 里的文件（容器层）'), NO_FILES, filesUnder(ctx.state.c1.upper).join(' ') || NO_FILES),
        ];
      },
    },
    {
      id: 'copy-up',
      title: t('Copy-up: writing a file that lives in a lower layer', '复制上移：写一个位于下层的文件'),
      explain: t(
        'Lower layers are never written. When a process opens a lower file for writing, overlayfs first **copies the whole file up** into the upper directory, and the write goes to that copy; from then on the upper copy hides the lower one. The cost is paid once per file, on its first write (a large file is copied whole even for a one-byte change, unless the filesystem below can reflink it, as XFS and btrfs can). Container 1 appends a line to `/etc/motd`.',
        '下层永远不会被写入。进程以写方式打开一个下层文件时，overlayfs 先把**整个文件复制上移**到 upper 目录，写操作落在这份副本上；从此 upper 里的副本就把下层那份遮住了。这个代价每个文件只付一次，就在第一次写的时候（哪怕只改一个字节，大文件也要整个复制，除非底下的文件系统能做 reflink，比如 XFS 和 btrfs）。容器 1 往 `/etc/motd` 末尾追加一行。',
      ),
      command: "nsenter -t PID -m sh -c 'echo edited in container 1 >> /etc/motd'",
      syscall: t('open("/etc/motd", O_WRONLY|O_APPEND) → overlayfs copy-up into upper/etc/motd; write(2)',
        'open("/etc/motd", O_WRONLY|O_APPEND) → overlayfs 把文件复制上移（copy-up）到 upper/etc/motd；write(2)'),
      async perform(ctx) {
        const r = await runInside(ctx, ctx.state.c1Pid, ['/bin/sh', '-c', 'echo "edited in container 1" >> /etc/motd']);
        if (r.code !== 0) throw new Error(pick(`writing /etc/motd in container 1 failed: ${r.out}`, `在容器 1 里写 /etc/motd 失败：${r.out}`));
        return t('container 1 appended a line to /etc/motd', '容器 1 往 /etc/motd 追加了一行');
      },
      async verify(ctx) {
        const edited = APP_LAYER['etc/motd'] + 'edited in container 1\n';
        return [
          observe(t('upper/etc/motd (the copied-up file)', 'upper/etc/motd（复制上移来的文件）'), show(edited), shownFile(join(ctx.state.c1.upper, 'etc/motd'))),
          observe(t('/etc/motd inside container 1', '容器 1 里的 /etc/motd'), show(edited), shownFile(`/proc/${ctx.state.c1Pid}/root/etc/motd`)),
          observe(t('etc/motd in the app layer, since it was built', 'app 层里的 etc/motd，与构建时相比'), unchanged(ctx.state.sums.app['etc/motd']), sinceBuilt(join(ctx.state.app, 'etc/motd'), ctx.state.sums.app['etc/motd'])),
          observe(t('etc/motd in the base layer, since it was built', 'base 层里的 etc/motd，与构建时相比'), unchanged(ctx.state.sums.baseMotd), sinceBuilt(join(ctx.state.base, 'etc/motd'), ctx.state.sums.baseMotd)),
        ];
      },
    },
    {
      id: 'container2',
      title: t('Container 2: the same image layers, a layer of its own', '容器 2：同样的镜像层，自己的一层'),
      explain: t(
        'A second container mounts the *same* lower directories with its own upper and work directories. The image is stored once however many containers run it; each container\'s changes live only in its own upper directory. Container 1\'s edit is invisible here, and a file container 2 writes is invisible to container 1. `docker diff` lists exactly an upper directory; `docker commit` turns one into a new layer.',
        '第二个容器挂载的是*同样*的 lower 目录，配上它自己的 upper 和 work 目录。不管有多少个容器在运行这个镜像，镜像都只存一份；每个容器的改动只存在于它自己的 upper 目录里。在这里看不到容器 1 的修改，容器 2 写的文件，容器 1 也看不到。`docker diff` 列出的正是一个 upper 目录里的内容；`docker commit` 把一个 upper 目录变成新的一层。',
      ),
      command: t("# as for container 1, with upperdir=c2/upper,workdir=c2/work; then: nsenter -t $C2_PID -m sh -c 'echo note > /app/c2-note.txt'",
        "# 和容器 1 一样，只是 upperdir=c2/upper,workdir=c2/work；然后：nsenter -t $C2_PID -m sh -c 'echo note > /app/c2-note.txt'"),
      syscall: 'mount("overlay", "c2/merged", "overlay", 0, "lowerdir=app:base,upperdir=c2/upper,workdir=c2/work")',
      async perform(ctx) {
        ctx.state.c2Pid = await startContainer(ctx, 'c2');
        ctx.state.pid = ctx.state.c2Pid; // the PID the exercise's commands refer to
        const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "written in container 2" > /app/c2-note.txt']);
        if (r.code !== 0) throw new Error(pick(`writing in container 2 failed: ${r.out}`, `在容器 2 里写文件失败：${r.out}`));
        return t(`container 2 is PID ${ctx.state.c2Pid}; it wrote /app/c2-note.txt`, `容器 2 是 PID ${ctx.state.c2Pid}；它写了 /app/c2-note.txt`);
      },
      async verify(ctx) {
        const [p1, p2] = [ctx.state.c1Pid, ctx.state.c2Pid];
        return [
          observe(t(`lowerdir of container 2 (/proc/${p2}/mountinfo)`, `容器 2 的 lowerdir（/proc/${p2}/mountinfo）`), rootMount(p1).lowerdir, rootMount(p2).lowerdir),
          observe(t('/etc/motd in container 2', '容器 2 里的 /etc/motd'), show(APP_LAYER['etc/motd']), shownFile(`/proc/${p2}/root/etc/motd`)),
          observe(t('/app/c2-note.txt in container 2', '容器 2 里的 /app/c2-note.txt'), FILE, kindOf(`/proc/${p2}/root/app/c2-note.txt`)),
          observe(t('/app/c2-note.txt in container 1', '容器 1 里的 /app/c2-note.txt'), ABSENT, kindOf(`/proc/${p1}/root/app/c2-note.txt`)),
          observe(t('files in container 1\'s upper', '容器 1 的 upper 里的文件'), 'etc/motd', filesUnder(ctx.state.c1.upper).join(' ')),
          observe(t('files in container 2\'s upper', '容器 2 的 upper 里的文件'), 'app/c2-note.txt', filesUnder(ctx.state.c2.upper).join(' ')),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Delete an image file inside a container', '在容器里删除一个镜像文件'),
      explain: t(
        'A lower layer cannot lose a file, so overlayfs records a deletion in the upper directory instead: a **whiteout**, a character device with device number 0:0 under the deleted name. Lookups that meet it stop and report "no such file". The image layer keeps the file, and every other container still sees it.',
        '下层不能少掉文件，所以 overlayfs 改为在 upper 目录里记下这次删除：一个 **whiteout 文件**，也就是以被删文件的名字创建的、设备号为 0:0 的字符设备。查找碰到它就停下，报告“没有这个文件”。镜像层里的文件还在，其他所有容器也仍然看得到它。',
      ),
      command: 'nsenter -t PID -m rm /app/config.txt',
      syscall: t('unlink("/app/config.txt") → overlayfs creates the whiteout c2/upper/app/config.txt, a 0:0 character device',
        'unlink("/app/config.txt") → overlayfs 创建 whiteout 文件 c2/upper/app/config.txt，一个设备号为 0:0 的字符设备'),
      exercise: {
        task: t(
          'Container 2 no longer needs **/app/config.txt**. Delete it *inside container 2* (in the shell nestbox opens there, or `nsenter -t PID -m rm /app/config.txt`). Container 1 and the image must keep it.',
          '容器 2 不再需要 **/app/config.txt** 了。请*在容器 2 里面*删掉它（用 nestbox 在里面打开的 shell，或者运行 `nsenter -t PID -m rm /app/config.txt`）。容器 1 和镜像里都必须还留着它。',
        ),
        hints: [
          t('Do not delete it from the app layer directory on the host: that layer is the image, shared by every container. The deletion belongs in container 2\'s upper directory, as a whiteout, and overlayfs makes it when a process inside container 2 deletes the file.',
            '别在宿主机上从 app 层的目录里删：那一层就是镜像，所有容器共用。这次删除应该以 whiteout 文件的形式记在容器 2 的 upper 目录里；容器 2 里的进程删除这个文件时，overlayfs 就会创建它。'),
          t('In the container shell: `rm /app/config.txt`, then `ls -l /app` (it is gone) and `exit`. From another terminal: `nsenter -t PID -m rm /app/config.txt`.',
            '在容器的 shell 里：`rm /app/config.txt`，然后 `ls -l /app`（它不见了），再 `exit`。在另一个终端里：`nsenter -t PID -m rm /app/config.txt`。'),
          t('Deleted it in container 1, or from the app layer itself? That cannot be undone from here (a whiteout in container 1, or a file gone from the image): quit and start the lab again, which builds the layers afresh.',
            '已经在容器 1 里删了，或者直接从 app 层里删了？这在这里撤销不了（容器 1 里多了一个 whiteout 文件，或者镜像里少了一个文件）：退出实验，重新开始，实验会重新构建各层。'),
        ],
        shell: { pidKey: 'c2Pid', types: ['mnt'] },
        async solve(ctx) {
          // -f: already deleted there (by the learner) is fine.
          const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/rm', '-f', '/app/config.txt']);
          if (r.code !== 0) throw new Error(pick(`rm in container 2 failed: ${r.out}`, `在容器 2 里 rm 失败：${r.out}`));
        },
        async mistake(ctx) {
          // Deleting it from the image layer itself: every container built on it loses the file.
          await ctx.execOk('rm', [join(ctx.state.app, 'app/config.txt')]);
        },
      },
      async verify(ctx) {
        const [p1, p2] = [ctx.state.c1Pid, ctx.state.c2Pid];
        const lower = join(ctx.state.app, 'app/config.txt');
        const whiteout = join(ctx.state.c2.upper, 'app/config.txt');
        return [
          observe(`${relative(join(ctx.state.c2.upper, '../..'), whiteout)} (lstat)`, charDevice('0:0'), kindOf(whiteout)),
          observe(t('/app/config.txt in container 2', '容器 2 里的 /app/config.txt'), ABSENT, kindOf(`/proc/${p2}/root/app/config.txt`)),
          observe(t('app/config.txt in the app layer, since it was built', 'app 层里的 app/config.txt，与构建时相比'), unchanged(ctx.state.sums.app['app/config.txt']), sinceBuilt(lower, ctx.state.sums.app['app/config.txt'])),
          observe(t('/app/config.txt in container 1', '容器 1 里的 /app/config.txt'), show(APP_LAYER['app/config.txt']), shownFile(`/proc/${p1}/root/app/config.txt`)),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.c2Pid, ctx.state.c1Pid);
      },
    },
  ],
};

export default lab;
