// Lab "volumes": a host directory bind-mounted into a container outlives the container; a
// read-only bind refuses writes. Stateless containers versus stateful data.
//
// A container here is a `sleep` in a private mount namespace whose root is its own copy of the
// rootfs (its "container layer"), pivoted into as runc does. Volumes are bind mounts made in that
// namespace before the pivot, so they travel into the container with its root; nothing is mounted
// on the host. The host reads the container's view through /proc/PID/root and /proc/PID/mountinfo.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNS, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT } from '../src/kernel/constants.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { isAlive, mountTable } from '../src/kernel/proc.js';
import { copyRootfs, pivotRootSteps, PRIVATE_ROOT, runInside } from './chroot.js';
import { stopAndReap } from './kit.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Volume { source: string; target: string; readOnly?: boolean }

const ORDER = 'order 1: three apples';

/**
 * Start a container with its own copy of the rootfs and these volumes: `docker run -v SRC:DST[:ro]`.
 * Resolves to the PID of its `sleep`.
 */
async function startContainer(ctx: LabContext, name: string, volumes: Volume[]): Promise<number> {
  const root = join(ctx.workDir, 'containers', name);
  await copyRootfs(ctx, root);
  ctx.state[`${name}Root`] = root;
  const steps: ThreadStep[] = [
    PRIVATE_ROOT,
    // pivot_root needs the new root to be a mount point.
    { call: 'mount', source: root, target: root, fstype: null, flags: MS_BIND | MS_REC },
  ];
  for (const v of volumes) {
    const target = join(root, v.target);
    mkdirSync(target, { recursive: true }); // the mount point, inside the container's own root
    steps.push({ call: 'mount', source: v.source, target, fstype: null, flags: MS_BIND });
    // A bind mount takes its flags from the first call only; read-only needs a second, remount call.
    if (v.readOnly) steps.push({ call: 'mount', source: null, target, fstype: null, flags: MS_REMOUNT | MS_BIND | MS_RDONLY });
  }
  return ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNS, steps: [...steps, ...pivotRootSteps(root)] }, `container ${name}`);
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
const labDir = (ctx: LabContext) => join(ctx.state.volume, '../..');

const readOr = (path: string, missing = 'absent') => (existsSync(path) ? readFileSync(path, 'utf8').trimEnd() : missing);

const lab: Lab = {
  id: 'volumes',
  title: 'Volumes: data that outlives its container',
  module: 10,
  lesson: 'volumes',
  needs: ['root', 'ns-mnt'],
  steps: [
    {
      id: 'container',
      title: 'A container with a volume',
      explain: 'A volume is a directory of the host **bind-mounted** into the container: the same directory, seen at a second place in the tree, not a copy. `docker run -v /srv/orders:/data` binds a path you name; `docker volume create orders` makes a directory the engine manages (`/var/lib/docker/volumes/orders/_data`) and binds it the same way. nestbox makes a volume directory, a container with its own copy of the rootfs, and binds the volume on `/data` inside it before pivoting in.',
      command: "unshare -m sh -c 'mount --make-rprivate /; mount --bind C1 C1; mount --bind VOLUME C1/data; cd C1; pivot_root . .; umount -l .; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS); mount("VOLUME", "C1/data", NULL, MS_BIND); pivot_root(".", ".")',
      async perform(ctx) {
        ctx.state.volume = join(ctx.workDir, 'volumes', 'orders');
        mkdirSync(ctx.state.volume, { recursive: true });
        ctx.state.c1Pid = await startContainer(ctx, 'c1', [{ source: ctx.state.volume, target: 'data' }]);
        ctx.state.pid = ctx.state.c1Pid;
        return `container 1 is PID ${ctx.state.c1Pid}; ${ctx.state.volume} is its /data`;
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        const m = mountAt(pid, '/data');
        return [
          observeThat(`/data in /proc/${pid}/mountinfo`, 'a bind of the volume directory', m ? `${m.root} (${m.major}:${m.minor})` : 'no mount', !!m && ctx.state.volume.endsWith(m.root)),
          observe(`/proc/${pid}/root/data vs the volume`, 'same directory', sameDir(`/proc/${pid}/root/data`, ctx.state.volume) ? 'same directory' : 'different'),
          observe(`/proc/${pid}/root vs ${relative(labDir(ctx), ctx.state.c1Root)}`, 'same directory', sameDir(`/proc/${pid}/root`, ctx.state.c1Root) ? 'same directory' : 'different'),
        ];
      },
    },
    {
      id: 'write',
      title: 'The container writes: to the volume, and to its own layer',
      explain: 'Inside, both writes look alike: plain files under `/`. Where they land differs. `/data/orders.txt` is on the volume, so it is the host\'s directory; `/tmp/cache.txt` is in the container\'s own root (its writable layer), which belongs to this container alone.',
      command: "nsenter -t PID -m sh -c 'echo \"order 1: three apples\" >> /data/orders.txt; echo cache > /tmp/cache.txt'",
      syscall: 'open("/data/orders.txt", O_WRONLY|O_CREAT|O_APPEND); open("/tmp/cache.txt", O_WRONLY|O_CREAT)',
      async perform(ctx) {
        const r = await runInside(ctx, ctx.state.c1Pid, ['/bin/sh', '-c', `echo "${ORDER}" >> /data/orders.txt; echo cache > /tmp/cache.txt`]);
        if (r.code !== 0) throw new Error(`writing in container 1 failed: ${r.out}`);
        return 'container 1 wrote /data/orders.txt and /tmp/cache.txt';
      },
      async verify(ctx) {
        return [
          observe(`${relative(labDir(ctx), ctx.state.volume)}/orders.txt (host)`, ORDER, readOr(join(ctx.state.volume, 'orders.txt'))),
          observe(`${relative(labDir(ctx), ctx.state.c1Root)}/tmp/cache.txt (host)`, 'cache', readOr(join(ctx.state.c1Root, 'tmp/cache.txt'))),
        ];
      },
    },
    {
      id: 'remove',
      title: 'Remove the container; the volume stays',
      explain: 'Removing a container ends its processes (its mount namespace, and the bind mounts in it, go with the last one) and deletes its writable layer. A **stateless** container keeps nothing worth saving there: it can be removed and started again from the image at any time. A **stateful** one (a database, uploads) must keep its data on a volume, whose life is independent of any container\'s.',
      command: 'kill -9 PID; rm -rf C1   # docker rm -f c1',
      syscall: 'kill(PID, SIGKILL); waitpid(PID); unlink/rmdir of the container root',
      async perform(ctx) {
        const pid = ctx.state.c1Pid;
        process.kill(pid, 'SIGKILL');
        await waitForExit(pid);
        rmSync(ctx.state.c1Root, { recursive: true, force: true });
        return `container 1 (PID ${pid}) stopped and its root ${ctx.state.c1Root} deleted`;
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        return [
          observe(`/proc/${pid}`, 'gone', isAlive(pid) ? 'running' : 'gone'),
          observe('container 1\'s root (and /tmp/cache.txt in it)', 'absent', existsSync(ctx.state.c1Root) ? 'present' : 'absent'),
          observe('orders.txt in the volume', ORDER, readOr(join(ctx.state.volume, 'orders.txt'))),
        ];
      },
    },
    {
      id: 'reuse',
      title: 'A new container finds the data',
      explain: 'Container 2 starts from a fresh copy of the rootfs, with the same volume on `/data`, and a second volume, `config`, on `/config`. What container 1 saved on the volume is there; what it wrote into its own layer is not.',
      command: 'docker run -v orders:/data -v config:/config:ro ...   # the same binds as for container 1',
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
        return `container 2 is PID ${ctx.state.c2Pid}`;
      },
      async verify(ctx) {
        const pid = ctx.state.c2Pid;
        const orders = await runInside(ctx, pid, ['/bin/cat', '/data/orders.txt']);
        return [
          observe('`cat /data/orders.txt` in container 2', ORDER, orders.out),
          observe('/tmp/cache.txt in container 2', 'absent', existsSync(`/proc/${pid}/root/tmp/cache.txt`) ? 'present' : 'absent'),
        ];
      },
    },
    {
      id: 'readonly',
      title: 'A read-only volume',
      explain: 'Configuration and secrets are mounted read-only: `MS_RDONLY` is a flag of the *mount*, not of the directory, so container 2 gets `EROFS` ("Read-only file system") on any write below `/config`, while the host can still change the files. Binding ignores `MS_RDONLY` on the first call, so it takes two: `MS_BIND`, then `MS_REMOUNT|MS_BIND|MS_RDONLY`.',
      command: "nsenter -t PID -m sh -c 'echo color=red > /config/app.conf'",
      syscall: 'open("/config/app.conf", O_WRONLY|O_TRUNC) = -1 EROFS',
      async verify(ctx) {
        const pid = ctx.state.c2Pid;
        const config = mountAt(pid, '/config');
        const data = mountAt(pid, '/data');
        const attempt = await runInside(ctx, pid, ['/bin/sh', '-c', 'echo color=red > /config/app.conf']);
        return [
          observe(`/config mount options (/proc/${pid}/mountinfo)`, 'ro', config?.options.find((o) => o === 'ro' || o === 'rw') ?? 'no mount'),
          observe('/data mount options', 'rw', data?.options.find((o) => o === 'ro' || o === 'rw') ?? 'no mount'),
          observeThat('writing /config/app.conf inside', 'refused: Read-only file system (EROFS)', `exit ${attempt.code}: ${attempt.out}`, attempt.code !== 0 && attempt.out.includes('Read-only file system')),
          observe('app.conf on the host', 'color=blue', readOr(join(ctx.state.config, 'app.conf'))),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Keep your data',
      explain: 'Container 2 is about to be replaced by a newer one. Save something that must survive that.',
      command: "nsenter -t PID -m sh -c 'echo my notes > /data/notes.txt'",
      syscall: 'open("/data/notes.txt", O_WRONLY|O_CREAT) on the volume',
      exercise: {
        task: 'Inside container 2 (the shell nestbox opens there, or `nsenter -t PID -m sh`), write some text to a file **notes.txt** so that it survives the container: the check reads it on the host, from the volume directory.',
        hints: [
          'A file written anywhere in the container\'s own root (`/notes.txt`, `/tmp`) is deleted with the container. Only one directory inside it is the host\'s: the volume.',
          'Only what is below `/data` is on the volume: that is where nestbox bound it.',
          'In the container shell: `echo my notes > /data/notes.txt`. From another terminal: `nsenter -t PID -m sh -c \'echo my notes > /data/notes.txt\'`.',
        ],
        shell: { pidKey: 'c2Pid', types: ['mnt'] },
        async solve(ctx) {
          const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "my notes" > /data/notes.txt']);
          if (r.code !== 0) throw new Error(`writing /data/notes.txt failed: ${r.out}`);
        },
        async mistake(ctx) {
          // Written into the container's own layer: gone with the container.
          await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "my notes" > /notes.txt']);
        },
      },
      async verify(ctx) {
        const onHost = join(ctx.state.volume, 'notes.txt');
        const inside = `/proc/${ctx.state.c2Pid}/root/data/notes.txt`;
        const text = readOr(onHost, '');
        return [
          observeThat(`${relative(labDir(ctx), onHost)} (host)`, 'present, not empty', text ? JSON.stringify(text) : 'absent', text !== ''),
          observe('/data/notes.txt inside container 2', text ? JSON.stringify(text) : 'absent', existsSync(inside) ? JSON.stringify(readOr(inside)) : 'absent'),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.c2Pid, ctx.state.c1Pid);
      },
    },
  ],
};

export default lab;
