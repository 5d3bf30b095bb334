// Lab "mnt": every mount namespace has its own table of mount points, and propagation (shared,
// private, slave) decides whether a mount made in one table is copied into another.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNS, MNT_DETACH, MS_BIND, MS_PRIVATE, MS_REC, MS_SHARED, MS_SLAVE } from '../src/kernel/constants.js';
import { mountTable, namespaceId, MountInfo, Pid } from '../src/kernel/proc.js';
import { mount, umount2 } from '../src/kernel/syscalls.js';
import { baseEnv, waitForExit, ThreadStep } from '../src/kernel/spawn.js';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commOf, count, stopAndReap } from './kit.js';

/** The mount on `path` in a process's mount table; the last line wins, as mounts stack. */
function mountAt(pid: Pid, path: string): MountInfo | undefined {
  return mountTable(pid).filter((m) => m.mountPoint === path).pop();
}

/** The propagation tags of a mount: "shared:42", "master:42", "private" (no tag) or "absent". */
function tags(m: MountInfo | undefined): string {
  return m ? m.optional.join(' ') || 'private' : 'absent';
}

/** "tmpfs shared:42", "ext4 private" or "absent". */
function describe(m: MountInfo | undefined): string {
  return m ? `${m.fstype} ${tags(m)}` : 'absent';
}

/** A tmpfs mount with a name of ours as its source, so mountinfo shows where it came from. */
function tmpfs(target: string, name: string) {
  return { call: 'mount' as const, source: name, target, fstype: 'tmpfs', flags: 0, data: 'size=1m,mode=755' };
}

/** A process that only holds a mount namespace open: `sleep infinity`. */
async function holder(ctx: LabContext, steps: ThreadStep[], note: string): Promise<number> {
  return ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNS, steps }, note);
}

const lab: Lab = {
  id: 'mnt',
  title: 'The mount namespace: a table of mounts of its own, and propagation',
  module: 4,
  lesson: 'mount',
  needs: ['root', 'ns-mnt'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's mount namespace",
      explain: "A mount namespace is a table of mount points; `/proc/PID/mountinfo` prints the table of the namespace PID is in, one mount a line. The optional fields after the mount options say how the mount *propagates*: `shared:N` means it is in peer group N and mount events spread to every peer, `master:N` means it receives them from group N, and no tag means private. The kernel makes mounts private by default, but systemd, where it is PID 1, makes `/` shared (recursively) at boot, so that new mounts reach the namespaces of services.",
      command: 'readlink /proc/self/ns/mnt; grep " / / " /proc/self/mountinfo',
      syscall: 'readlink(2) on /proc/self/ns/mnt; read(2) of /proc/self/mountinfo',
      async perform(ctx) {
        ctx.state.hostMnt = namespaceId('self', 'mnt');
        const table = mountTable('self');
        ctx.state.rootPropagation = describe(mountAt('self', '/'));
        ctx.state.hostShared = table.filter((m) => m.peerGroup !== undefined).length;
        // Where this lab's commands are typed: the lab's own directory.
        ctx.state.labDir = ctx.workDir;
        if (mountAt('self', '/')?.peerGroup === undefined) {
          const init = commOf(1);
          ctx.say(init === 'systemd'
            ? '/ is private here although PID 1 is systemd: nestbox runs in a mount namespace of its own (a container\'s, or a service\'s) whose runtime made the mounts private'
            : `/ is private here: PID 1 is ${init ? `"${init}", not systemd` : 'not systemd'}, so nothing made / shared at boot (and inside a container the runtime makes its mounts private anyway)`);
        }
        return `the host is in mnt:[${ctx.state.hostMnt}] with ${count(table.length, 'mount')}, ${ctx.state.hostShared} of them shared; / is ${ctx.state.rootPropagation}`;
      },
      async verify(ctx) {
        return [
          observe('/proc/self/ns/mnt', `mnt:[${ctx.state.hostMnt}]`, `mnt:[${namespaceId('self', 'mnt')}]`),
          observe('/ in /proc/self/mountinfo', ctx.state.rootPropagation, describe(mountAt('self', '/'))),
        ];
      },
    },
    {
      id: 'unshare',
      title: 'A mount made inside a new mount namespace stays inside',
      explain: "`unshare(CLONE_NEWNS)` gives the thread a *copy* of the host's mount table. The copy is first made private, recursively (`MS_REC|MS_PRIVATE` on `/`): without that, every mount still shared with the host would send later mounts back out. `unshare -m` does this by default, and container runtimes begin the same way (runc uses `MS_REC|MS_SLAVE`, step 5). Then a tmpfs is mounted on a directory of the lab. The host sees the same directory, but empty: the tmpfs exists only in the new table. `/proc/PID/root` is a window into PID's view, so nestbox can write a file into that tmpfs from outside.",
      command: `cd {labDir} && unshare --mount sh -c 'mount -t tmpfs nestbox-private private; exec sleep infinity' &`,
      syscall: 'unshare(CLONE_NEWNS); mount(NULL, "/", NULL, MS_REC|MS_PRIVATE); mount("nestbox-private", "private", "tmpfs", 0)',
      async perform(ctx) {
        const dir = join(ctx.workDir, 'private');
        mkdirSync(dir);
        ctx.state.privateDir = dir;
        ctx.state.pid = await holder(ctx, [
          { call: 'mount', source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE },
          tmpfs(dir, 'nestbox-private'),
        ], 'holds the lab mount namespace');
        // Through /proc/PID/root the path is resolved in PID's mount table: the file lands on the tmpfs.
        writeFileSync(`/proc/${ctx.state.pid}/root${dir}/hello.txt`, 'written into the lab namespace\n');
        return `started PID ${ctx.state.pid} in a new mount namespace with a tmpfs on ${dir}`;
      },
      async verify(ctx) {
        const { pid, privateDir: dir } = ctx.state;
        const inside = namespaceId(pid, 'mnt');
        const sharedInside = mountTable(pid).filter((m) => m.peerGroup !== undefined).length;
        return [
          observeThat(`/proc/${pid}/ns/mnt`, `≠ host's mnt:[${ctx.state.hostMnt}]`, `mnt:[${inside}]`, inside !== undefined && inside !== ctx.state.hostMnt),
          observe(`private: mountinfo of PID ${pid} (lab)`, 'tmpfs private', describe(mountAt(pid, dir))),
          observe("private: the host's mountinfo", 'absent', describe(mountAt('self', dir))),
          observe(`ls private, through /proc/${pid}/root`, 'hello.txt', readdirSync(`/proc/${pid}/root${dir}`).join(' ')),
          observe('ls private, on the host', '(none)', readdirSync(dir).join(' ') || '(none)'),
          observe(`mounts tagged shared:N in /proc/${pid}/mountinfo`, 0, sharedInside),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'shared',
      title: 'Shared propagation: a mount leaks out of its namespace',
      explain: "Now the opposite, on purpose. On the host, a lab directory is bind-mounted on itself (only a mount point can carry a propagation type) and marked `MS_SHARED`. A new mount namespace copies it *without* making anything private, so its copy joins the same peer group: the two are peers. A tmpfs mounted under it *inside* the namespace is then copied by the kernel into the host's table too. This leak is what happens to a container on a systemd host when the runtime forgets `MS_REC|MS_PRIVATE`.",
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
        return `bind-mounted ${dir} on itself, shared:${ctx.state.peerGroup}; PID ${ctx.state.peerPid} mounted a tmpfs on shared/leak inside its own namespace`;
      },
      async verify(ctx) {
        const { peerPid: pid, sharedDir: dir, peerGroup } = ctx.state;
        const leak = join(dir, 'leak');
        return [
          observeThat("shared: the host's mountinfo", 'shared:N', tags(mountAt('self', dir)), peerGroup !== undefined && mountAt('self', dir)?.peerGroup === peerGroup),
          observe(`shared: mountinfo of PID ${pid} (a peer)`, `shared:${peerGroup}`, tags(mountAt(pid, dir))),
          observe(`shared/leak: mountinfo of PID ${pid}`, 'tmpfs', mountAt(pid, leak)?.fstype ?? 'absent'),
          observe("shared/leak: the host's mountinfo (leaked)", 'tmpfs', mountAt('self', leak)?.fstype ?? 'absent'),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.peerPid),
    },
    {
      id: 'private',
      title: 'Private propagation: the copy stops being a peer',
      explain: '`MS_PRIVATE` on a mount takes it out of its peer group: mounts made under it are no longer sent anywhere, and nothing arrives. The namespace starts as a peer, as in the last step, then makes its copy of `shared` private before mounting a tmpfs on `shared/private`. The host never sees it. `MS_REC|MS_PRIVATE` on `/` does the same to every mount at once: one call, and nothing made inside can reach the host, whatever systemd shared.',
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
        return `PID ${ctx.state.privatePid} made its copy of shared private, then mounted a tmpfs on shared/private`;
      },
      async verify(ctx) {
        const { privatePid: pid, sharedDir: dir } = ctx.state;
        const target = join(dir, 'private');
        return [
          observe(`shared: mountinfo of PID ${pid}`, 'private', tags(mountAt(pid, dir))),
          observe(`shared/private: mountinfo of PID ${pid}`, 'tmpfs', mountAt(pid, target)?.fstype ?? 'absent'),
          observe("shared/private: the host's mountinfo", 'absent', mountAt('self', target)?.fstype ?? 'absent'),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.privatePid),
    },
    {
      id: 'slave',
      title: 'Slave propagation: from the host in, never out',
      explain: "`MS_SLAVE` turns a peer into a receiver: the copy keeps getting the mounts its old peer group makes (mountinfo shows `master:N`), but its own mounts go nowhere. This namespace mounts a tmpfs on `shared/from-inside`, then the host mounts one on `shared/from-host`. The first stays inside; the second appears in both tables. runc's default for `/` is `MS_REC|MS_SLAVE` for this reason: a host directory bind-mounted into a container still receives what the host mounts under it later (a disk plugged in), and the container leaks nothing back.",
      command: `cd {labDir} && unshare --mount --propagation unchanged sh -c 'mount --make-slave shared; mount -t tmpfs nestbox-in shared/from-inside; exec sleep infinity' & sleep 0.1; mount -t tmpfs nestbox-host shared/from-host`,
      syscall: 'unshare(CLONE_NEWNS); mount(NULL, "shared", NULL, MS_SLAVE); mount(... "shared/from-inside" ...); on the host: mount(... "shared/from-host" ...)',
      async perform(ctx) {
        const dir = ctx.state.sharedDir;
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'from-inside') }); // in case it leaks
        ctx.state.slavePid = await holder(ctx, [
          { call: 'mount', source: null, target: dir, fstype: null, flags: MS_SLAVE },
          tmpfs(join(dir, 'from-inside'), 'nestbox-in'),
        ], 'holds a mount namespace with a slave copy');
        ctx.ledger.record({ kind: 'mount', target: join(dir, 'from-host') });
        mount('nestbox-host', join(dir, 'from-host'), 'tmpfs', 0, 'size=1m,mode=755');
        return `PID ${ctx.state.slavePid} made its copy a slave and mounted shared/from-inside; the host mounted shared/from-host`;
      },
      async verify(ctx) {
        const { slavePid: pid, sharedDir: dir, peerGroup } = ctx.state;
        const inside = join(dir, 'from-inside');
        const host = join(dir, 'from-host');
        return [
          observe(`shared: mountinfo of PID ${pid} (a slave)`, `master:${peerGroup}`, tags(mountAt(pid, dir))),
          observe(`shared/from-host: mountinfo of PID ${pid}`, 'tmpfs', mountAt(pid, host)?.fstype ?? 'absent'),
          observe(`shared/from-inside: mountinfo of PID ${pid}`, 'tmpfs', mountAt(pid, inside)?.fstype ?? 'absent'),
          observe("shared/from-inside: the host's mountinfo", 'absent', mountAt('self', inside)?.fstype ?? 'absent'),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.slavePid),
    },
    {
      id: 'exercise',
      title: 'Mount a tmpfs inside the lab namespace',
      explain: "Back to the lab's first namespace, the one `sleep` PID holds, whose mounts are all private. Whatever you mount in there must stay out of the host's table.",
      command: 'nsenter --target PID --mount mount -t tmpfs lab {exerciseDir}',
      syscall: 'setns(fd of /proc/PID/ns/mnt, CLONE_NEWNS); mount("lab", ".../exercise", "tmpfs", 0)',
      async perform(ctx) {
        ctx.state.exerciseDir = join(ctx.workDir, 'exercise');
        mkdirSync(ctx.state.exerciseDir);
        // A tmpfs mounted here from the host by mistake must still be removed: record it up front.
        ctx.ledger.record({ kind: 'mount', target: ctx.state.exerciseDir });
        return `the directory to mount on is ${ctx.state.exerciseDir}`;
      },
      exercise: {
        task: "Mount a **tmpfs** on the directory `{exerciseDir}`, *inside* the lab's mount namespace (the one of `sleep` PID). In the shell nestbox opens there: `mount -t tmpfs lab {exerciseDir}`.",
        hints: [
          "Open the shell inside the lab namespace first: a mount typed in your own terminal lands in the host's table.",
          'Compare `grep exercise /proc/PID/mountinfo` (the lab\'s table) with `grep exercise /proc/self/mountinfo` (yours).',
          'From a second terminal, join the namespace with nsenter: `nsenter --target PID --mount mount -t tmpfs lab {exerciseDir}`.',
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
          observe(`exercise: mountinfo of PID ${pid} (lab)`, 'tmpfs', mountAt(pid, dir)?.fstype ?? 'absent'),
          observe("exercise: the host's mountinfo", 'absent', mountAt('self', dir)?.fstype ?? 'absent'),
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
