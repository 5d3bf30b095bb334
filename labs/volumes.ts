// Lab "volumes": a host directory bind-mounted into a container outlives the container; a
// read-only bind refuses writes. Stateless containers versus stateful data.
//
// A container here is a `sleep` in a private mount namespace whose root is its own copy of the
// rootfs (its "container layer"), pivoted into as runc does. Volumes are bind mounts made in that
// namespace before the pivot, so they travel into the container with its root; nothing is mounted
// on the host. The host reads the container's view through /proc/PID/root and /proc/PID/mountinfo.
import type { Lab, LabContext, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWNS } from '../src/kernel/constants.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { isAlive, mountTable } from '../src/kernel/proc.js';
import { copyRootfs, runInside } from './chroot.js';
import { stopAndReap } from './kit.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { privateRoot, mountPointOf, bindVolume, pivotInto } from '../src/recipes/rootfs.js';

interface Volume { source: string; target: string; readOnly?: boolean }

interface VolumesState {
  /** The volume directories on the host: orders (on /data in both containers) and config (read-only on /config in container 2). */
  volume: string;
  config: string;
  /** Each container's own copy of the rootfs (its container layer), as `${name}Root` (startContainer). */
  c1Root: string;
  c2Root: string;
  /** The containers' sleeps, and the PID the steps' commands refer to (the latest container's). */
  c1Pid: number;
  c2Pid: number;
  pid: number;
}

const ORDER = 'order 1: three apples';

/**
 * Start a container with its own copy of the rootfs and these volumes: `docker run -v SRC:DST[:ro]`.
 * Resolves to the PID of its `sleep`.
 */
async function startContainer(ctx: LabContext<VolumesState>, name: 'c1' | 'c2', volumes: Volume[]): Promise<number> {
  const root = join(ctx.workDir, 'containers', name);
  await copyRootfs(ctx, root);
  ctx.state[`${name}Root` as const] = root;
  // pivot_root needs the new root to be a mount point.
  const steps: ThreadStep[] = [privateRoot(), mountPointOf(root)];
  for (const v of volumes) {
    const target = join(root, v.target);
    mkdirSync(target, { recursive: true }); // the mount point, inside the container's own root
    steps.push(...bindVolume(v.source, target, v.readOnly));
  }
  return ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNS, steps: [...steps, ...pivotInto(root)] }, `container ${name}`);
}

/** The mount on `target` in a container's namespace (from /proc/PID/mountinfo). */
const mountAt = (pid: number, target: string) => mountTable(pid).find((m) => m.mountPoint === target);

/** Same directory? Compared by device and inode, as the kernel identifies it. */
function sameDir(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** The lab's directory, from the state (a `nestbox lab check` runs with a work directory of its own). */
const labDir = (ctx: LabContext<VolumesState>) => join(ctx.state.volume, '../..');

const ABSENT = t('absent', '不存在');
const PRESENT = t('present', '存在');
const SAME_DIR = t('same directory', '同一个目录');
const DIFFERENT = t('different', '不同的目录');
const NO_MOUNT = t('no mount', '没有挂载');

/** A file's text, or undefined when there is none. */
const readText = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8').trimEnd() : undefined);
/** A file's text, or "absent". */
const readOr = (path: string): Shown => readText(path) ?? ABSENT;

const lab: Lab<VolumesState> = {
  id: 'volumes',
  title: t('Volumes: data that outlives its container', '数据卷：比容器活得更久的数据'),
  module: 10,
  lesson: 'volumes',
  needs: ['root', 'ns-mnt'],
  steps: [
    {
      id: 'container',
      title: t('A container with a volume', '带数据卷的容器'),
      explain: t(
        'A volume is a directory of the host **bind-mounted** into the container: the same directory, seen at a second place in the tree, not a copy. `docker run -v /srv/orders:/data` binds a path you name; `docker volume create orders` makes a directory the engine manages (`/var/lib/docker/volumes/orders/_data`) and binds it the same way. nestbox makes a volume directory, a container with its own copy of the rootfs, and binds the volume on `/data` inside it before pivoting in.',
        '数据卷就是宿主机上的一个目录，被**绑定挂载**进容器：还是同一个目录，只是在文件树的第二个位置也能看到，而不是一份拷贝。`docker run -v /srv/orders:/data` 绑定的是你指定的路径；`docker volume create orders` 则创建一个由引擎管理的目录（`/var/lib/docker/volumes/orders/_data`），再用同样的方式绑定进去。nestbox 建一个数据卷目录，再建一个带着自己那份根文件系统副本的容器，并在 pivot 进去之前，把数据卷绑定到容器里的 `/data` 上。',
      ),
      command: "unshare -m sh -c 'mount --make-rprivate /; mount --bind C1 C1; mount --bind VOLUME C1/data; cd C1; pivot_root . .; umount -l .; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS); mount("VOLUME", "C1/data", NULL, MS_BIND); pivot_root(".", ".")',
      async perform(ctx) {
        ctx.state.volume = join(ctx.workDir, 'volumes', 'orders');
        mkdirSync(ctx.state.volume, { recursive: true });
        ctx.state.c1Pid = await startContainer(ctx, 'c1', [{ source: ctx.state.volume, target: 'data' }]);
        ctx.state.pid = ctx.state.c1Pid;
        return t(`container 1 is PID ${ctx.state.c1Pid}; ${ctx.state.volume} is its /data`, `容器 1 是 PID ${ctx.state.c1Pid}；${ctx.state.volume} 就是它的 /data`);
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        const m = mountAt(pid, '/data');
        return [
          observeThat(t(`/data in /proc/${pid}/mountinfo`, `/proc/${pid}/mountinfo 里的 /data`), t('a bind of the volume directory', '数据卷目录的绑定挂载'),
            m ? `${m.root} (${m.major}:${m.minor})` : NO_MOUNT, !!m && ctx.state.volume.endsWith(m.root)),
          observe(t(`/proc/${pid}/root/data vs the volume`, `/proc/${pid}/root/data 与数据卷`), SAME_DIR, sameDir(`/proc/${pid}/root/data`, ctx.state.volume) ? SAME_DIR : DIFFERENT),
          observe(t(`/proc/${pid}/root vs ${relative(labDir(ctx), ctx.state.c1Root)}`, `/proc/${pid}/root 与 ${relative(labDir(ctx), ctx.state.c1Root)}`), SAME_DIR, sameDir(`/proc/${pid}/root`, ctx.state.c1Root) ? SAME_DIR : DIFFERENT),
        ];
      },
    },
    {
      id: 'write',
      title: t('The container writes: to the volume, and to its own layer', '容器写文件：写到数据卷上，也写到自己的层里'),
      explain: t(
        'Inside, both writes look alike: plain files under `/`. Where they land differs. `/data/orders.txt` is on the volume, so it is the host\'s directory; `/tmp/cache.txt` is in the container\'s own root (its writable layer), which belongs to this container alone.',
        '在容器里面，这两次写看起来没有区别：都是 `/` 下面的普通文件。区别在于它们落到了哪里。`/data/orders.txt` 在数据卷上，也就是在宿主机的目录里；`/tmp/cache.txt` 在容器自己的根里（它的可写层），只属于这一个容器。',
      ),
      command: "nsenter -t PID -m sh -c 'echo \"order 1: three apples\" >> /data/orders.txt; echo cache > /tmp/cache.txt'",
      syscall: 'open("/data/orders.txt", O_WRONLY|O_CREAT|O_APPEND); open("/tmp/cache.txt", O_WRONLY|O_CREAT)',
      async perform(ctx) {
        const r = await runInside(ctx, ctx.state.c1Pid, ['/bin/sh', '-c', `echo "${ORDER}" >> /data/orders.txt; echo cache > /tmp/cache.txt`]);
        if (r.code !== 0) throw new Error(pick(`writing in container 1 failed: ${r.out}`, `在容器 1 里写文件失败：${r.out}`));
        return t('container 1 wrote /data/orders.txt and /tmp/cache.txt', '容器 1 写了 /data/orders.txt 和 /tmp/cache.txt');
      },
      async verify(ctx) {
        return [
          observe(t(`${relative(labDir(ctx), ctx.state.volume)}/orders.txt (host)`, `${relative(labDir(ctx), ctx.state.volume)}/orders.txt（宿主机）`), ORDER, readOr(join(ctx.state.volume, 'orders.txt'))),
          observe(t(`${relative(labDir(ctx), ctx.state.c1Root)}/tmp/cache.txt (host)`, `${relative(labDir(ctx), ctx.state.c1Root)}/tmp/cache.txt（宿主机）`), 'cache', readOr(join(ctx.state.c1Root, 'tmp/cache.txt'))),
        ];
      },
    },
    {
      id: 'remove',
      title: t('Remove the container; the volume stays', '删除容器，数据卷还在'),
      explain: t(
        'Removing a container ends its processes (its mount namespace, and the bind mounts in it, go with the last one) and deletes its writable layer. A **stateless** container keeps nothing worth saving there: it can be removed and started again from the image at any time. A **stateful** one (a database, uploads) must keep its data on a volume, whose life is independent of any container\'s.',
        '删除容器，就是结束它的进程（最后一个进程结束时，它的挂载命名空间连同里面的绑定挂载一起消失），并删掉它的可写层。一个**无状态**的容器不在那里存任何值得留下的东西：随时可以删掉，再用镜像重新启动。而**有状态**的容器（数据库、用户上传的文件）必须把数据放在数据卷上，数据卷的寿命和任何容器都无关。',
      ),
      command: 'kill -9 PID; rm -rf C1   # docker rm -f c1',
      syscall: t('kill(PID, SIGKILL); waitpid(PID); unlink/rmdir of the container root',
        'kill(PID, SIGKILL)；waitpid(PID)；unlink/rmdir 删掉容器的根目录'),
      async perform(ctx) {
        const pid = ctx.state.c1Pid;
        process.kill(pid, 'SIGKILL');
        await waitForExit(pid);
        rmSync(ctx.state.c1Root, { recursive: true, force: true });
        return t(`container 1 (PID ${pid}) stopped and its root ${ctx.state.c1Root} deleted`, `容器 1（PID ${pid}）已停止，它的根 ${ctx.state.c1Root} 已删除`);
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        return [
          observe(`/proc/${pid}`, t('gone', '已消失'), isAlive(pid) ? t('running', '仍在运行') : t('gone', '已消失')),
          observe(t('container 1\'s root (and /tmp/cache.txt in it)', '容器 1 的根（以及其中的 /tmp/cache.txt）'), ABSENT, existsSync(ctx.state.c1Root) ? PRESENT : ABSENT),
          observe(t('orders.txt in the volume', '数据卷里的 orders.txt'), ORDER, readOr(join(ctx.state.volume, 'orders.txt'))),
        ];
      },
    },
    {
      id: 'reuse',
      title: t('A new container finds the data', '新容器找到了数据'),
      explain: t(
        'Container 2 starts from a fresh copy of the rootfs, with the same volume on `/data`, and a second volume, `config`, on `/config`. What container 1 saved on the volume is there; what it wrote into its own layer is not.',
        '容器 2 从一份新的根文件系统副本启动，同一个数据卷挂在 `/data` 上，另一个数据卷 `config` 挂在 `/config` 上。容器 1 存在数据卷上的东西还在；它写进自己那一层的东西则没有了。',
      ),
      command: t('docker run -v orders:/data -v config:/config:ro ...   # the same binds as for container 1',
        'docker run -v orders:/data -v config:/config:ro ...   # 和容器 1 一样的绑定挂载'),
      syscall: 'mount("VOLUME", "C2/data", NULL, MS_BIND); mount("CONFIG", "C2/config", NULL, MS_BIND); mount(NULL, "C2/config", NULL, MS_REMOUNT|MS_BIND|MS_RDONLY)',
      async perform(ctx) {
        ctx.state.config = join(ctx.workDir, 'volumes', 'config');
        mkdirSync(ctx.state.config, { recursive: true });
        writeFileSync(join(ctx.state.config, 'app.conf'), 'color=blue\n');
        ctx.state.c2Pid = await startContainer(ctx, 'c2', [
          { source: ctx.state.volume, target: 'data' },
          { source: ctx.state.config, target: 'config', readOnly: true },
        ]);
        ctx.state.pid = ctx.state.c2Pid;
        return t(`container 2 is PID ${ctx.state.c2Pid}`, `容器 2 是 PID ${ctx.state.c2Pid}`);
      },
      async verify(ctx) {
        const pid = ctx.state.c2Pid;
        const orders = await runInside(ctx, pid, ['/bin/cat', '/data/orders.txt']);
        return [
          observe(t('`cat /data/orders.txt` in container 2', '容器 2 里的 `cat /data/orders.txt`'), ORDER, orders.out),
          observe(t('/tmp/cache.txt in container 2', '容器 2 里的 /tmp/cache.txt'), ABSENT, existsSync(`/proc/${pid}/root/tmp/cache.txt`) ? PRESENT : ABSENT),
        ];
      },
    },
    {
      id: 'readonly',
      title: t('A read-only volume', '只读的数据卷'),
      explain: t(
        'Configuration and secrets are mounted read-only: `MS_RDONLY` is a flag of the *mount*, not of the directory, so container 2 gets `EROFS` ("Read-only file system") on any write below `/config`, while the host can still change the files. Binding ignores `MS_RDONLY` on the first call, so it takes two: `MS_BIND`, then `MS_REMOUNT|MS_BIND|MS_RDONLY`.',
        '配置和机密信息都以只读方式挂载：`MS_RDONLY` 是*挂载*的标志，不是目录的标志，所以容器 2 往 `/config` 下面写任何东西都会得到 `EROFS`（“Read-only file system”），而宿主机照样可以修改这些文件。绑定挂载在第一次调用时会忽略 `MS_RDONLY`，所以要调用两次：先 `MS_BIND`，再 `MS_REMOUNT|MS_BIND|MS_RDONLY`。',
      ),
      command: "nsenter -t PID -m sh -c 'echo color=red > /config/app.conf'",
      syscall: 'open("/config/app.conf", O_WRONLY|O_TRUNC) = -1 EROFS',
      async verify(ctx) {
        const pid = ctx.state.c2Pid;
        const config = mountAt(pid, '/config');
        const data = mountAt(pid, '/data');
        const attempt = await runInside(ctx, pid, ['/bin/sh', '-c', 'echo color=red > /config/app.conf']);
        return [
          observe(t(`/config mount options (/proc/${pid}/mountinfo)`, `/config 的挂载选项（/proc/${pid}/mountinfo）`), 'ro', config?.options.find((o) => o === 'ro' || o === 'rw') ?? NO_MOUNT),
          observe(t('/data mount options', '/data 的挂载选项'), 'rw', data?.options.find((o) => o === 'ro' || o === 'rw') ?? NO_MOUNT),
          observeThat(t('writing /config/app.conf inside', '在容器里写 /config/app.conf'), t('refused: Read-only file system (EROFS)', '被拒绝：Read-only file system（EROFS）'),
            t(`exit ${attempt.code}: ${attempt.out}`, `退出码 ${attempt.code}：${attempt.out}`), attempt.code !== 0 && attempt.out.includes('Read-only file system')),
          observe(t('app.conf on the host', '宿主机上的 app.conf'), 'color=blue', readOr(join(ctx.state.config, 'app.conf'))),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Keep your data', '留住你的数据'),
      explain: t(
        'Container 2 is about to be replaced by a newer one. Save something that must survive that.',
        '容器 2 马上要被一个更新的容器替换掉。请保存一点东西，它必须在替换之后还留着。',
      ),
      command: "nsenter -t PID -m sh -c 'echo my notes > /data/notes.txt'",
      syscall: t('open("/data/notes.txt", O_WRONLY|O_CREAT) on the volume', '在数据卷上 open("/data/notes.txt", O_WRONLY|O_CREAT)'),
      exercise: {
        task: t(
          'Inside container 2 (the shell nestbox opens there, or `nsenter -t PID -m sh`), write some text to a file **notes.txt** so that it survives the container: the check reads it on the host, from the volume directory.',
          '在容器 2 里（用 nestbox 在里面打开的 shell，或者 `nsenter -t PID -m sh`），往一个叫 **notes.txt** 的文件里写点文字，让它在容器没了之后还在：检查会在宿主机上，从数据卷目录里读它。',
        ),
        hints: [
          t('A file written anywhere in the container\'s own root (`/notes.txt`, `/tmp`) is deleted with the container. Only the host\'s directories bound into it outlive it, and the only one it may write to is the volume.',
            '写在容器自己的根里的文件，不管在哪儿（`/notes.txt`、`/tmp`），都会随容器一起删掉。只有绑定进来的宿主机目录才会留下来，而其中容器能写的只有一个：数据卷。'),
          t('Only what is below `/data` is on the volume: that is where nestbox bound it.',
            '只有 `/data` 下面的东西在数据卷上：nestbox 就是把数据卷绑定在那里的。'),
          t('In the container shell: `echo my notes > /data/notes.txt`. From another terminal: `nsenter -t PID -m sh -c \'echo my notes > /data/notes.txt\'`.',
            '在容器的 shell 里：`echo my notes > /data/notes.txt`。在另一个终端里：`nsenter -t PID -m sh -c \'echo my notes > /data/notes.txt\'`。'),
        ],
        shell: { pidKey: 'c2Pid', types: ['mnt'] },
        async solve(ctx) {
          const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "my notes" > /data/notes.txt']);
          if (r.code !== 0) throw new Error(pick(`writing /data/notes.txt failed: ${r.out}`, `写 /data/notes.txt 失败：${r.out}`));
        },
        async mistake(ctx) {
          // Written into the container's own layer: gone with the container.
          await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "my notes" > /notes.txt']);
        },
      },
      async verify(ctx) {
        const onHost = join(ctx.state.volume, 'notes.txt');
        const inside = `/proc/${ctx.state.c2Pid}/root/data/notes.txt`;
        const text = readText(onHost) ?? '';
        const inText = readText(inside);
        return [
          observeThat(t(`${relative(labDir(ctx), onHost)} (host)`, `${relative(labDir(ctx), onHost)}（宿主机）`), t('present, not empty', '存在，而且不是空的'), text ? JSON.stringify(text) : ABSENT, text !== ''),
          observe(t('/data/notes.txt inside container 2', '容器 2 里的 /data/notes.txt'), text ? JSON.stringify(text) : ABSENT, inText !== undefined ? JSON.stringify(inText) : ABSENT),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.c2Pid, ctx.state.c1Pid);
      },
    },
  ],
};

export default lab;
