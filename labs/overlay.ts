// Lab "overlay": an image is a stack of read-only layers (changesets); a container is those layers
// plus one writable layer of its own, merged by overlayfs. Copy-up on write, whiteouts on delete,
// and two containers sharing the same image layers.
//
// Each container is a `sleep` in its own private mount namespace whose root *is* the overlay mount
// (mounted there, then pivot_root into it), so the mounts vanish with the namespace and nothing is
// mounted on the host. The host reads a container's merged view through /proc/PID/root, and its
// layers directly: the upper and lower directories are ordinary directories on the host.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe } from '../src/lab/types.js';
import { CLONE_NEWNS } from '../src/kernel/constants.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { mountTable } from '../src/kernel/proc.js';
import { copyRootfs, pivotRootSteps, PRIVATE_ROOT, runInside } from './chroot.js';
import { stopAndReap } from './kit.js';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';

/** The app layer: what one build step ("COPY app/ /app/", "edit /etc/motd") added on top of the base. */
const APP_LAYER: Record<string, string> = {
  'etc/motd': 'Welcome to the app image (app layer)\n',
  'app/hello.txt': 'hello from the app layer\n',
  'app/config.txt': 'debug=false\n',
};
const BASE_MOTD = 'Welcome to the base image (base layer)\n';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

/** A layer file now, against its fingerprint from when the layer was built: "unchanged (sha256 …)". */
function sinceBuilt(path: string, built: string): string {
  if (!existsSync(path)) return 'absent';
  const now = sha256(path);
  return now === built ? `unchanged (sha256 ${now})` : `changed (sha256 ${built} → ${now})`;
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

/** What is at a path, as lstat(2) says: "absent", "file", "directory", "character device 0:0"... */
function kindOf(path: string): string {
  let st;
  try { st = lstatSync(path); } catch { return 'absent'; }
  if (st.isCharacterDevice()) {
    const major = (st.rdev >> 8) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    return `character device ${major}:${minor}`;
  }
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
}

const readOr = (path: string, missing = 'absent') => (existsSync(path) ? readFileSync(path, 'utf8') : missing);
const show = (text: string) => JSON.stringify(text.trimEnd());

/** Start container `name`: its own upper and work directories, the shared lower layers, an overlay as its root. */
async function startContainer(ctx: LabContext, name: string): Promise<number> {
  const dir = join(ctx.workDir, name);
  const c = { upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged') };
  for (const d of Object.values(c)) mkdirSync(d, { recursive: true });
  ctx.state[name] = c;
  // lowerdir lists the top layer first: the app layer shadows the base where both have a file.
  const options = `lowerdir=${ctx.state.app}:${ctx.state.base},upperdir=${c.upper},workdir=${c.work}`;
  return ctx.spawn({
    argv: ['/bin/sleep', 'infinity'],
    env: baseEnv(),
    unshare: CLONE_NEWNS,
    steps: [PRIVATE_ROOT, { call: 'mount', source: 'overlay', target: c.merged, fstype: 'overlay', flags: 0, data: options }, ...pivotRootSteps(c.merged)],
  }, `container ${name}`);
}

/** The overlay mount that is the root of a container's namespace, from /proc/PID/mountinfo. */
function rootMount(pid: number) {
  const m = mountTable(pid).find((x) => x.mountPoint === '/');
  const opt = (key: string) => m?.superOptions.find((o) => o.startsWith(key + '='))?.slice(key.length + 1) ?? 'none';
  return { fstype: m?.fstype ?? 'none', lowerdir: opt('lowerdir'), upperdir: opt('upperdir') };
}

const lab: Lab = {
  id: 'overlay',
  title: 'Overlay filesystems: image layers, copy-up and whiteouts',
  module: 9,
  lesson: 'overlay',
  needs: ['root', 'ns-mnt', 'overlayfs'],
  steps: [
    {
      id: 'layers',
      title: 'Two image layers',
      explain: 'An image is not one big directory: each build step records only what it changed (a *changeset*), and the image is the stack of those layers. nestbox builds two: a **base** layer (a whole busybox root plus `/etc/motd`) and an **app** layer holding just three files, one of which replaces the base\'s `/etc/motd`. Layers are never written again once built, so any number of containers can share them.',
      command: 'cp -a /var/lib/nestbox/rootfs/default base; mkdir -p app/app app/etc; echo ... > app/etc/motd ...',
      syscall: 'open(O_CREAT), write(2): plain files; nothing is mounted yet',
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
        return `base layer ${base}, app layer ${app}`;
      },
      async verify(ctx) {
        return [
          observe('files in the app layer (its changeset)', Object.keys(APP_LAYER).sort().join(' '), filesUnder(ctx.state.app).join(' ')),
          observe('base layer: a whole root (bin/sh)', 'present', existsSync(join(ctx.state.base, 'bin/sh')) ? 'present' : 'absent'),
          observe('etc/motd in the base layer', show(BASE_MOTD), show(readOr(join(ctx.state.base, 'etc/motd')))),
        ];
      },
    },
    {
      id: 'container1',
      title: 'Container 1: the layers merged, plus a writable layer',
      explain: 'overlayfs merges directories at lookup time: a name is searched in the **upper** (writable) directory first, then in each **lower** layer from the top; the first hit wins. nestbox mounts an overlay of the two layers with an empty upper directory of its own, in a private mount namespace, and pivots a `sleep` into it: that is a container root. The upper directory is the *container layer*; `workdir` is scratch space overlayfs needs on the same filesystem for atomic renames.',
      command: "unshare -m sh -c 'mount --make-rprivate /; mount -t overlay overlay -o lowerdir=app:base,upperdir=c1/upper,workdir=c1/work c1/merged; cd c1/merged; pivot_root . .; umount -l .; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS); mount("overlay", "c1/merged", "overlay", 0, "lowerdir=app:base,upperdir=...,workdir=..."); pivot_root(".", ".")',
      async perform(ctx) {
        ctx.state.c1Pid = await startContainer(ctx, 'c1');
        ctx.state.pid = ctx.state.c1Pid; // the PID in the next step's command
        return `container 1 is PID ${ctx.state.c1Pid}; its root is an overlay mount`;
      },
      async verify(ctx) {
        const pid = ctx.state.c1Pid;
        const m = rootMount(pid);
        const root = `/proc/${pid}/root`;
        return [
          observe(`filesystem on / (/proc/${pid}/mountinfo)`, 'overlay', m.fstype),
          observe('its lowerdir (top layer first)', `${ctx.state.app}:${ctx.state.base}`, m.lowerdir),
          observe('/app/hello.txt inside (from the app layer)', show(APP_LAYER['app/hello.txt']), show(readOr(`${root}/app/hello.txt`))),
          observe('/bin/sh inside (from the base layer)', 'present', existsSync(`${root}/bin/sh`) ? 'present' : 'absent'),
          observe('/etc/motd inside (in both layers: top wins)', show(APP_LAYER['etc/motd']), show(readOr(`${root}/etc/motd`))),
          observe('files in upper (the container layer)', '(none)', filesUnder(ctx.state.c1.upper).join(' ') || '(none)'),
        ];
      },
    },
    {
      id: 'copy-up',
      title: 'Copy-up: writing a file that lives in a lower layer',
      explain: 'Lower layers are never written. When a process opens a lower file for writing, overlayfs first **copies the whole file up** into the upper directory, and the write goes to that copy; from then on the upper copy hides the lower one. The cost is paid once per file, on its first write (a large file is copied whole even for a one-byte change, unless the filesystem below can reflink it, as XFS and btrfs can). Container 1 appends a line to `/etc/motd`.',
      command: "nsenter -t PID -m sh -c 'echo edited in container 1 >> /etc/motd'",
      syscall: 'open("/etc/motd", O_WRONLY|O_APPEND) → overlayfs copy-up into upper/etc/motd; write(2)',
      async perform(ctx) {
        const r = await runInside(ctx, ctx.state.c1Pid, ['/bin/sh', '-c', 'echo "edited in container 1" >> /etc/motd']);
        if (r.code !== 0) throw new Error(`writing /etc/motd in container 1 failed: ${r.out}`);
        return 'container 1 appended a line to /etc/motd';
      },
      async verify(ctx) {
        const edited = APP_LAYER['etc/motd'] + 'edited in container 1\n';
        return [
          observe('upper/etc/motd (the copied-up file)', show(edited), show(readOr(join(ctx.state.c1.upper, 'etc/motd')))),
          observe('/etc/motd inside container 1', show(edited), show(readOr(`/proc/${ctx.state.c1Pid}/root/etc/motd`))),
          observe('etc/motd in the app layer, since it was built', `unchanged (sha256 ${ctx.state.sums.app['etc/motd']})`, sinceBuilt(join(ctx.state.app, 'etc/motd'), ctx.state.sums.app['etc/motd'])),
          observe('etc/motd in the base layer, since it was built', `unchanged (sha256 ${ctx.state.sums.baseMotd})`, sinceBuilt(join(ctx.state.base, 'etc/motd'), ctx.state.sums.baseMotd)),
        ];
      },
    },
    {
      id: 'container2',
      title: 'Container 2: the same image layers, a layer of its own',
      explain: 'A second container mounts the *same* lower directories with its own upper and work directories. The image is stored once however many containers run it; each container\'s changes live only in its own upper directory. Container 1\'s edit is invisible here, and a file container 2 writes is invisible to container 1. `docker diff` lists exactly an upper directory; `docker commit` turns one into a new layer.',
      command: "# as for container 1, with upperdir=c2/upper,workdir=c2/work; then: nsenter -t $C2_PID -m sh -c 'echo note > /app/c2-note.txt'",
      syscall: 'mount("overlay", "c2/merged", "overlay", 0, "lowerdir=app:base,upperdir=c2/upper,workdir=c2/work")',
      async perform(ctx) {
        ctx.state.c2Pid = await startContainer(ctx, 'c2');
        ctx.state.pid = ctx.state.c2Pid; // the PID the exercise's commands refer to
        const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/sh', '-c', 'echo "written in container 2" > /app/c2-note.txt']);
        if (r.code !== 0) throw new Error(`writing in container 2 failed: ${r.out}`);
        return `container 2 is PID ${ctx.state.c2Pid}; it wrote /app/c2-note.txt`;
      },
      async verify(ctx) {
        const [p1, p2] = [ctx.state.c1Pid, ctx.state.c2Pid];
        return [
          observe(`lowerdir of container 2 (/proc/${p2}/mountinfo)`, rootMount(p1).lowerdir, rootMount(p2).lowerdir),
          observe('/etc/motd in container 2', show(APP_LAYER['etc/motd']), show(readOr(`/proc/${p2}/root/etc/motd`))),
          observe('/app/c2-note.txt in container 2', 'file', kindOf(`/proc/${p2}/root/app/c2-note.txt`)),
          observe('/app/c2-note.txt in container 1', 'absent', kindOf(`/proc/${p1}/root/app/c2-note.txt`)),
          observe('files in container 1\'s upper', 'etc/motd', filesUnder(ctx.state.c1.upper).join(' ')),
          observe('files in container 2\'s upper', 'app/c2-note.txt', filesUnder(ctx.state.c2.upper).join(' ')),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Delete an image file inside a container',
      explain: 'A lower layer cannot lose a file, so overlayfs records a deletion in the upper directory instead: a **whiteout**, a character device with device number 0:0 under the deleted name. Lookups that meet it stop and report "no such file". The image layer keeps the file, and every other container still sees it.',
      command: 'nsenter -t PID -m rm /app/config.txt',
      syscall: 'unlink("/app/config.txt") → overlayfs creates the whiteout c2/upper/app/config.txt, a 0:0 character device',
      exercise: {
        task: 'Container 2 no longer needs **/app/config.txt**. Delete it *inside container 2* (in the shell nestbox opens there, or `nsenter -t PID -m rm /app/config.txt`). Container 1 and the image must keep it.',
        hints: [
          'Do not delete it from the app layer directory on the host: that layer is the image, shared by every container. The deletion belongs in container 2\'s upper directory, as a whiteout, and overlayfs makes it when a process inside container 2 deletes the file.',
          'In the container shell: `rm /app/config.txt`, then `ls -l /app` (it is gone) and `exit`. From another terminal: `nsenter -t PID -m rm /app/config.txt`.',
          'Deleted it in container 1, or from the app layer itself? That cannot be undone from here (a whiteout in container 1, or a file gone from the image): quit and start the lab again, which builds the layers afresh.',
        ],
        shell: { pidKey: 'c2Pid', types: ['mnt'] },
        async solve(ctx) {
          // -f: already deleted there (by the learner) is fine.
          const r = await runInside(ctx, ctx.state.c2Pid, ['/bin/rm', '-f', '/app/config.txt']);
          if (r.code !== 0) throw new Error(`rm in container 2 failed: ${r.out}`);
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
          observe(`${relative(join(ctx.state.c2.upper, '../..'), whiteout)} (lstat)`, 'character device 0:0', kindOf(whiteout)),
          observe('/app/config.txt in container 2', 'absent', kindOf(`/proc/${p2}/root/app/config.txt`)),
          observe('app/config.txt in the app layer, since it was built', `unchanged (sha256 ${ctx.state.sums.app['app/config.txt']})`, sinceBuilt(lower, ctx.state.sums.app['app/config.txt'])),
          observe('/app/config.txt in container 1', show(APP_LAYER['app/config.txt']), show(readOr(`/proc/${p1}/root/app/config.txt`))),
        ];
      },
      async cleanup(ctx) {
        await stopAndReap(ctx, ctx.state.c2Pid, ctx.state.c1Pid);
      },
    },
  ],
};

export default lab;
