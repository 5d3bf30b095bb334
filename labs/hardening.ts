// Lab "hardening": what a runtime takes away from a container, and why. The notes stop at
// isolation; a root process in a container is still the host's root. Each defence `nestbox run`
// applies is shown by an attack that works without it and fails with it:
//
//   read-only /proc/sys   a root process writes the kernel's knobs (writing is only a file mode check)
//   capabilities          without CAP_SYS_ADMIN it cannot remount that read-only /proc/sys writable
//   no_new_privs          a uid-1000 process gets euid 0 back from a setuid-root program
//   masked /proc paths    /proc/timer_list shows the timers of processes the box cannot list
//   seccomp               a user namespace gives root's capabilities back, unless unshare is refused
//
// The box is built from the kernel layer directly (src/kernel/spawn.ts), not with `nestbox run`, so
// that each pair of attempts differs in exactly one thing: the same box before and after one mount,
// or the same command with one capability set or the other, with or without no_new_privs.
//
// Nothing here changes the host: the only sysctl written is kernel/hostname inside the box's own UTS
// namespace, with the value it already has; every mount is made in the box's mount namespace or in
// one that lives for a single command; the setuid copy lives in such a private tmpfs.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC, DOCKER_DEFAULT_CAPS, capabilityMask,
  MS_BIND, MS_REC, MS_REMOUNT, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, NamespaceType,
} from '../src/kernel/constants.js';
import type { ThreadStep } from '../src/kernel/spawn.js';
import { baseEnv, inNamespaces } from '../src/kernel/spawn.js';
import { mountTable, processStatus } from '../src/kernel/proc.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { shellQuote } from '../src/net/exec.js';
import { MASKED_PATHS } from '../src/runtime/mounts.js';
import { assembleFilter } from '../src/kernel/seccomp.js';
import { seccompPolicy } from '../src/runtime/seccomp-profile.js';
import { PRIVATE_ROOT, pivotRootSteps, copyRootfs } from './chroot.js';
import { Ran, runCaptured, stopAndReap, hostTool, sleep } from './kit.js';
import { hostnameOf } from './uts.js';

/** The namespaces of the box, which every attacker joins (as `nestbox exec` does). */
const BOX: NamespaceType[] = ['mnt', 'uts', 'ipc', 'pid'];
const S_IFCHR = 0o020000;
/** A capability mask as /proc/PID/status prints it. */
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');
const DOCKER_CAPS_HEX = hex(capabilityMask(DOCKER_DEFAULT_CAPS));
/** How long the host's sleep sleeps: an unusual number, easy to find among the timers. */
const SLEEP_SECONDS = 31337;

/** What a container-like process gets by default from `nestbox run`: Docker's 14, and no_new_privs (Docker sets it only when asked). */
const CONTAINED = { capabilities: DOCKER_DEFAULT_CAPS as string[], noNewPrivs: true };

/** Run a shell command in the box as root, like `nestbox exec`, with the privileges given. */
function attack(ctx: LabContext, script: string, privileges: { capabilities?: string[]; noNewPrivs?: boolean; seccomp?: Uint8Array }): Promise<Ran> {
  ctx.say(`$ nsenter -t ${ctx.state.boxPid} -m -u -i -p sh -c ${shellQuote(script)}   # ${privileges.capabilities ? `${privileges.capabilities.length} capabilities` : 'every capability'}${privileges.noNewPrivs ? ', no_new_privs' : ''}${privileges.seccomp ? ', seccomp filter' : ''}`);
  return runCaptured(ctx, { argv: ['/bin/sh', '-c', script], join: { pid: ctx.state.boxPid, types: BOX }, ...privileges });
}

/** Change the box's mounts from outside, as a runtime does: a thread joins its mount namespace. */
function inBox(ctx: LabContext, steps: ThreadStep[]): Promise<void> {
  return inNamespaces({ join: { pid: ctx.state.boxPid, types: ['mnt'] }, steps });
}

/** The runtime's read-only /proc/sys: a bind of it on itself, then that bind remounted read-only. */
const READ_ONLY_PROC_SYS: ThreadStep[] = [
  { call: 'mount', source: '/proc/sys', target: '/proc/sys', fstype: null, flags: MS_BIND | MS_REC },
  { call: 'mount', source: null, target: '/proc/sys', fstype: null, flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC },
];

/** "ro" or "rw": how /proc/sys is mounted in the box now (the last mount there is the one seen). */
function procSysMode(ctx: LabContext): string {
  const m = mountTable(ctx.state.boxPid).filter((x) => x.mountPoint === '/proc/sys').pop();
  return m ? (m.options.includes('ro') ? 'ro' : 'rw') : '(not a mount point: rw, as part of /proc)';
}

/** Write the box's hostname back to itself through /proc/sys: a write that changes nothing. */
const WRITE_HOSTNAME = 'echo "$(cat /proc/sys/kernel/hostname)" > /proc/sys/kernel/hostname';
/** Undo a read-only mount. MS_BIND makes it a change of this one mount's flags, never of the filesystem. */
const REMOUNT_RW = 'grep ^CapEff: /proc/self/status; mount -o remount,bind,rw /proc/sys';

/** Become root again in a new user namespace, and use it: mount a tmpfs in a new mount namespace. */
const USERNS_ATTACK = 'grep ^Seccomp: /proc/self/status; unshare -Urm sh -c "grep ^CapEff: /proc/self/status; mount -t tmpfs none /mnt && echo mounted"';

/** A field of /proc/self/status as a command printed it ("Uid", "CapEff", ...). */
function field(out: string, key: string): string {
  return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(out)?.[1].trim().split(/\s+/).join(' ') ?? '(not printed)';
}

/** The last line a command printed: its error message, when it failed. */
const lastLine = (r: Ran) => r.out.split('\n').pop() ?? '';
const outcome = (r: Ran) => `exit ${r.code}${r.code ? `: ${lastLine(r)}` : ''}`;

/**
 * The timers in /proc/timer_list ("# expires at A-B nsecs [in X to Y nsecs]"), as seconds from
 * now; and whether one is the host's sleep: due in about SLEEP_SECONDS (it started moments ago).
 */
function timers(text: string): { count: number; sleeper?: number } {
  const due = [...text.matchAll(/\[in (-?\d+) to -?\d+ nsecs\]/g)].map((m) => Number(m[1]) / 1e9);
  return { count: due.length, sleeper: due.find((s) => Math.abs(s - SLEEP_SECONDS) < 60) };
}

/** PIDs in the box's own /proc, reached from the host through its root. */
function pidsInBox(ctx: LabContext): string {
  try {
    return readdirSync(`/proc/${ctx.state.boxPid}/root/proc`).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)).join(' ');
  } catch {
    return '(unreadable)';
  }
}

/** Read /proc/timer_list the way a contained root process in the box would. */
async function readTimerList(ctx: LabContext): Promise<{ bytes: number; count: number; sleeper?: number; code: number }> {
  const r = await attack(ctx, 'cat /proc/timer_list', CONTAINED);
  return { bytes: r.code === 0 ? Buffer.byteLength(r.out) : 0, code: r.code, ...timers(r.out) };
}

/**
 * As uid 1000, run a setuid-root copy of the host's `cat` on /proc/self/status: the kernel's own
 * record of the credentials it ended up with. The copy is made on a tmpfs mounted over /tmp in a
 * mount namespace that exists for this one command (a fresh tmpfs allows setuid; many hosts mount
 * their /tmp nosuid). coreutils' cat, because busybox, run setuid, drops the privilege itself.
 */
function setuidCat(ctx: LabContext, noNewPrivs: boolean): Promise<Ran> {
  ctx.say(`$ cp /bin/cat /tmp/cat; chmod 4755 /tmp/cat; setpriv --reuid 1000 --regid 1000 --clear-groups${noNewPrivs ? ' --no-new-privs' : ''} /tmp/cat /proc/self/status   # in a private /tmp`);
  const run = (name: string, args: string[]): ThreadStep => ({ call: 'run', path: hostTool(name), argv: [name, ...args], env: [] });
  return runCaptured(ctx, {
    argv: ['/tmp/cat', '/proc/self/status'],
    unshare: CLONE_NEWNS,
    steps: [
      PRIVATE_ROOT,
      { call: 'mount', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, data: 'mode=1777,size=4m' },
      run('cp', [hostTool('cat'), '/tmp/cat']),
      run('chmod', ['4755', '/tmp/cat']), // owned by root (who copied it), setuid
    ],
    user: { uid: 1000, gid: 1000 },
    capabilities: DOCKER_DEFAULT_CAPS,
    noNewPrivs,
  });
}

const lab: Lab = {
  id: 'hardening',
  title: 'Hardening: what a container must not be able to do, and the defences',
  module: 14,
  lesson: 'run',
  needs: ['root', 'ns-mnt', 'ns-pid', 'ns-uts', 'ns-ipc'],
  steps: [
    {
      id: 'box',
      title: 'A box with no defences',
      explain: [
        'Namespaces change what a process *sees*; they take nothing away from what root *can do*, and a container\'s root is the host\'s root. This lab builds a box the way `nestbox run` does, from a copy of the default rootfs: new mount, PID, UTS and IPC namespaces, `pivot_root` into the copy, a `/dev` with only `null`, and its own `/proc`, mounted from inside its PID namespace. It leaves out the defences `nestbox run` adds, so the next steps can show, one at a time, what each of them stops.',
        '',
        'The lab then runs commands *in* the box the way `nestbox exec` does (joining its namespaces), as root, with the capabilities it chooses for each attempt.',
      ].join('\n'),
      command: "cp -a ROOTFS BOX; unshare -mpui --fork sh -c 'mount --make-rprivate /; mount --bind BOX BOX; mount -t tmpfs tmpfs BOX/dev; mknod BOX/dev/null c 1 3; cd BOX; pivot_root . .; umount -l .; mount -t proc proc /proc; hostname box; exec sleep infinity' &",
      syscall: 'unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC); mount(MS_REC|MS_PRIVATE); mount(MS_BIND); mount("tmpfs"); mknod; pivot_root(".", "."); umount2(".", MNT_DETACH); then setns(mnt, pid) + mount("proc")',
      async perform(ctx) {
        const root = join(ctx.workDir, 'box');
        await copyRootfs(ctx, root);
        ctx.state.boxPid = await ctx.spawn({
          argv: ['/bin/sleep', 'infinity'], // the box's own sleep: the root has moved by then
          env: baseEnv(),
          unshare: CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
          hostname: 'box',
          steps: [
            PRIVATE_ROOT,
            { call: 'mount', source: root, target: root, fstype: null, flags: MS_BIND | MS_REC }, // pivot_root needs a mount point
            { call: 'mount', source: 'tmpfs', target: join(root, 'dev'), fstype: 'tmpfs', flags: MS_NOSUID, data: 'mode=755,size=64k' },
            { call: 'mknod', path: join(root, 'dev', 'null'), mode: S_IFCHR | 0o666, major: 1, minor: 3 },
            ...pivotRootSteps(root),
          ],
        }, 'PID 1 of the box');
        // /proc shows the PID namespace of whoever mounts it: a process inside must do it.
        await inNamespaces({
          join: { pid: ctx.state.boxPid, types: ['mnt', 'pid'] },
          steps: [{ call: 'run', path: '/bin/mount', argv: ['mount', '-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc', '/proc'], env: [] }],
        });
        ctx.state.root = root;
        ctx.state.hostHostname = gethostname();
        return `the box's first process is PID ${ctx.state.boxPid} on the host, its root a copy of the rootfs in ${root}`;
      },
      async verify(ctx) {
        const pid = ctx.state.boxPid;
        const mounts = mountTable(pid);
        const root = mounts.find((m) => m.mountPoint === '/');
        return [
          observe(`NSpid in /proc/${pid}/status: on the host, inside`, `${pid} 1`, processStatus(pid).nspid.join(' ')),
          // mountinfo names a bind by its path inside its filesystem: the copy's path, or its tail when /run is a filesystem of its own.
          observeThat(`its / (/proc/${pid}/mountinfo)`, `the copy, ${ctx.state.root}`, root?.root ?? '(none)', !!root && root.root.endsWith(join(basename(ctx.workDir), 'box'))),
          observe('PIDs in its own /proc', '1', pidsInBox(ctx)),
          observe('its hostname (through setns)', 'box', await hostnameOf(ctx, pid)),
          observe(`/proc/sys in its mountinfo`, '(not a mount point: rw, as part of /proc)', procSysMode(ctx)),
          observe(`/proc/timer_list in its mountinfo`, 'not a mount point', mounts.some((m) => m.mountPoint === '/proc/timer_list') ? 'a mount point' : 'not a mount point'),
        ];
      },
      async cleanup(ctx) {
        // The ledger kills them too; stopping them here also collects their exit (no zombies).
        await stopAndReap(ctx, ctx.state.boxPid, ctx.state.sleeperPid);
      },
    },
    {
      id: 'proc-sys',
      title: 'Read-only /proc/sys: the kernel\'s knobs are not the container\'s',
      explain: [
        'Most of `/proc/sys` belongs to the whole machine, not to a namespace. `kernel/core_pattern`, for one, names the program the kernel runs, as root on the host, whenever any process dumps core: a container that can write it can run anything on the host (a known escape). And writing there takes no capability at all: the file\'s owner (root) and mode are the whole check.',
        '',
        'The lab will not touch a knob of the host. It writes `kernel/hostname`, which belongs to the box\'s own UTS namespace, with the value it already has: a write that changes nothing, but is refused the same way. The attacker is what `nestbox run` gives: root with Docker\'s 14 capabilities and no_new_privs (which Docker adds only with `--security-opt no-new-privileges`). Then the defence, as runtimes apply it: `/proc/sys` bound on itself and that bind remounted read-only. Then the same write again.',
      ].join('\n'),
      command: `nsenter -t {boxPid} -m -u -i -p sh -c '${WRITE_HOSTNAME}'; nsenter -t {boxPid} -m sh -c 'mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys'; nsenter -t {boxPid} -m -u -i -p sh -c '${WRITE_HOSTNAME}'`,
      syscall: 'open("/proc/sys/kernel/hostname", O_WRONLY) + write; mount(MS_BIND); mount(MS_BIND|MS_REMOUNT|MS_RDONLY); open(...) = EROFS',
      async perform(ctx) {
        ctx.state.writeBefore = await attack(ctx, WRITE_HOSTNAME, CONTAINED);
        ctx.say('$ mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro,nosuid,nodev,noexec /proc/sys   # in the box');
        await inBox(ctx, READ_ONLY_PROC_SYS);
        ctx.state.writeAfter = await attack(ctx, WRITE_HOSTNAME, CONTAINED);
        return 'wrote the box\'s hostname back to itself, made /proc/sys read-only, wrote again';
      },
      async verify(ctx) {
        const before: Ran = ctx.state.writeBefore, after: Ran = ctx.state.writeAfter;
        return [
          observe('the write, /proc/sys writable', 'exit 0', outcome(before)),
          observe(`/proc/sys in the box (/proc/${ctx.state.boxPid}/mountinfo)`, 'ro', procSysMode(ctx)),
          observeThat('the same write, /proc/sys read-only', 'refused: Read-only file system (EROFS)', outcome(after), after.code !== 0 && /read-only/i.test(after.out)),
          observe('the box\'s hostname (the value written was its own)', 'box', await hostnameOf(ctx, ctx.state.boxPid)),
          observe('the host\'s hostname (unchanged)', ctx.state.hostHostname, gethostname()),
        ];
      },
    },
    {
      id: 'capabilities',
      title: 'Capabilities: without CAP_SYS_ADMIN there is no undoing it',
      explain: [
        'A read-only mount holds only as long as the process cannot remount it, and `mount` needs `CAP_SYS_ADMIN`. Root has about 40 capabilities; `nestbox run`, like Docker, keeps 14 (`chown`, `kill`, `setuid`, binding ports below 1024...) and drops the bounding set to match, so nothing the container runs can get the others back. `--privileged` keeps them all.',
        '',
        'Two attempts at `mount -o remount,bind,rw /proc/sys` in the box, differing in one thing, the capability sets: every capability (what `--privileged` gives: all that nestbox itself holds, which on some VMs lacks one or two the host keeps back from root), then Docker\'s 14. In between, the lab puts the read-only mount back.',
      ].join('\n'),
      command: "nsenter -t {boxPid} -m -u -i -p sh -c 'mount -o remount,bind,rw /proc/sys'   # as root with every capability, then with Docker's 14",
      syscall: 'mount(NULL, "/proc/sys", NULL, MS_REMOUNT|MS_BIND, NULL): allowed with CAP_SYS_ADMIN, EPERM without',
      async perform(ctx) {
        ctx.state.remountAll = await attack(ctx, REMOUNT_RW, { noNewPrivs: true });
        ctx.state.modeAfterAll = procSysMode(ctx);
        ctx.say('$ mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro,nosuid,nodev,noexec /proc/sys   # in the box, again');
        await inBox(ctx, READ_ONLY_PROC_SYS);
        ctx.state.remount14 = await attack(ctx, REMOUNT_RW, CONTAINED);
        ctx.state.modeAfter14 = procSysMode(ctx);
        return 'tried the remount with every capability, then with Docker\'s 14';
      },
      async verify(ctx) {
        const all: Ran = ctx.state.remountAll, few: Ran = ctx.state.remount14;
        return [
          observe('every capability nestbox holds: its CapEff', hex(processStatus('self').capEff), field(all.out, 'CapEff')),
          observe('its remount', 'exit 0', outcome(all)),
          observe('/proc/sys in the box after it', 'rw', ctx.state.modeAfterAll),
          observe("Docker's 14: its CapEff", DOCKER_CAPS_HEX, field(few.out, 'CapEff')),
          observeThat('its remount', 'refused: permission denied (EPERM)', outcome(few), few.code !== 0 && /denied|not permitted/i.test(few.out)),
          observe('/proc/sys in the box after it', 'ro', ctx.state.modeAfter14),
        ];
      },
    },
    {
      id: 'no-new-privs',
      title: 'no_new_privs: a setuid program gives nothing back',
      explain: [
        'A container can run as an ordinary user (`nestbox run -u 1000`). But its image may hold setuid-root programs (`su`, `passwd`, `mount`...): `execve` of such a file makes the process\'s effective uid 0, and gives root\'s capabilities back, as many as the bounding set allows. `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS)`, inherited by every child and impossible to unset) makes `execve` ignore setuid bits and file capabilities.',
        '',
        'The lab copies the host\'s `cat`, setuid root, into a private `/tmp`, and runs it as uid 1000 with Docker\'s 14 in the bounding set, once without and once with no_new_privs. `cat /proc/self/status` prints what the kernel recorded for the process: `Uid` is real, effective, saved, filesystem.',
      ].join('\n'),
      command: 'cp /bin/cat /tmp/cat; chmod 4755 /tmp/cat; setpriv --reuid 1000 --regid 1000 --clear-groups /tmp/cat /proc/self/status; setpriv --reuid 1000 --regid 1000 --clear-groups --no-new-privs /tmp/cat /proc/self/status',
      syscall: 'setresuid(1000, 1000, 1000); [prctl(PR_SET_NO_NEW_PRIVS, 1);] execve("/tmp/cat") of a file with mode 4755 owned by uid 0',
      async perform(ctx) {
        ctx.state.withoutNnp = await setuidCat(ctx, false);
        ctx.state.withNnp = await setuidCat(ctx, true);
        return 'ran a setuid-root cat as uid 1000, without and with no_new_privs';
      },
      async verify(ctx) {
        const without: Ran = ctx.state.withoutNnp, withNnp: Ran = ctx.state.withNnp;
        return [
          observe('without no_new_privs: Uid (real, effective, saved, fs)', '1000 0 0 0', field(without.out, 'Uid')),
          observe('its CapEff: the 14 are back', DOCKER_CAPS_HEX, field(without.out, 'CapEff')),
          observe('with no_new_privs: Uid', '1000 1000 1000 1000', field(withNnp.out, 'Uid')),
          observe('its CapEff', hex(0n), field(withNnp.out, 'CapEff')),
          observe('its NoNewPrivs', '1', field(withNnp.out, 'NoNewPrivs')),
        ];
      },
    },
    {
      id: 'leak',
      title: 'Masked paths: /proc/timer_list shows the host next door',
      explain: [
        'Some files in `/proc` describe the whole machine, and no namespace filters them. `/proc/timer_list` lists every pending high-resolution timer on every CPU, each with when it fires: the sleeps of *all* processes, in every PID namespace. That is how much and when the neighbours run, which side-channel attacks feed on. `/proc/kcore` (the kernel\'s memory), `/proc/keys` and others are masked for the same reason.',
        '',
        `The lab starts \`sleep ${SLEEP_SECONDS}\` on the host, a process the box cannot list, and a root process in the box (Docker's 14 capabilities) reads \`/proc/timer_list\` and finds its timer, due in about ${SLEEP_SECONDS} seconds.`,
      ].join('\n'),
      command: `sleep ${SLEEP_SECONDS} &   # on the host; then: nsenter -t {boxPid} -m -u -i -p sh -c 'ls /proc; cat /proc/timer_list'`,
      syscall: 'clock_nanosleep (the host\'s sleep arms an hrtimer); open("/proc/timer_list") + read, inside the box',
      async perform(ctx) {
        ctx.state.sleeperPid = await ctx.spawn({ argv: [hostTool('sleep'), String(SLEEP_SECONDS)], env: baseEnv() }, 'a host process the box cannot see');
        // Its timer exists once it is in clock_nanosleep: wait until the host's own list shows it.
        for (let i = 0; i < 100 && timers(readFileSync('/proc/timer_list', 'utf8')).sleeper === undefined; i++) await sleep(10);
        ctx.state.leak = await readTimerList(ctx);
        return `started sleep ${SLEEP_SECONDS} as PID ${ctx.state.sleeperPid} on the host, read /proc/timer_list in the box`;
      },
      async verify(ctx) {
        const leak = ctx.state.leak;
        return [
          observe('PIDs the box can list (its /proc)', '1', pidsInBox(ctx)),
          observeThat('/proc/timer_list, read in the box', 'readable: every CPU\'s timers', `${leak.bytes} bytes, ${leak.count} timers`, leak.code === 0 && leak.count > 0),
          observeThat(`the host's sleep (PID ${ctx.state.sleeperPid}) in it`, `a timer due in ~${SLEEP_SECONDS} s`, leak.sleeper !== undefined ? `due in ${leak.sleeper.toFixed(1)} s` : 'not found', leak.sleeper !== undefined),
        ];
      },
    },
    {
      id: 'mask',
      title: 'Mask /proc/timer_list',
      explain: `The defence is one mount: \`/dev/null\` bound over the file (a masked directory gets an empty read-only tmpfs instead). Reading it then gives nothing, and a process without \`CAP_SYS_ADMIN\` cannot unmount it. \`nestbox run\` masks Docker's ${MASKED_PATHS.length} paths this way (those this kernel has). The mount must be made in the *box's* mount namespace.`,
      command: 'nsenter -t {boxPid} -m mount --bind /dev/null /proc/timer_list',
      syscall: 'setns(CLONE_NEWNS) into the box; mount("/dev/null", "/proc/timer_list", NULL, MS_BIND, NULL)',
      exercise: {
        task: 'Mask **/proc/timer_list** in the box: bind **/dev/null** over it, in the box\'s mount namespace. Use the shell nestbox opens inside the box, or a second terminal (with `nsenter`, into the mount namespace of PID {boxPid}). The check reads it again from inside the box.',
        hints: [
          'A mount made in your own shell on the host lands in the host\'s mount namespace, and one made after `unshare -m` in a throwaway copy of it: neither is the box\'s. Enter the box first: the lab\'s shell, or `nsenter -t {boxPid} -m`.',
          'In the lab\'s shell: `mount --bind /dev/null /proc/timer_list`, then `exit`. From a second terminal: `sudo nsenter -t {boxPid} -m mount --bind /dev/null /proc/timer_list`.',
        ],
        shell: { pidKey: 'boxPid', types: BOX },
        async solve(ctx) {
          const r = await attack(ctx, 'mount --bind /dev/null /proc/timer_list', {});
          if (r.code !== 0) throw new Error(`the reference answer failed: ${r.out}`);
        },
        async mistake(ctx) {
          // `unshare -m mount --bind ...`: the bind lands in a new mount namespace of its own, which
          // goes away with the mount command. The box (and the host) never see it.
          await runCaptured(ctx, { argv: [hostTool('mount'), '--bind', '/dev/null', '/proc/timer_list'], unshare: CLONE_NEWNS, steps: [PRIVATE_ROOT] });
        },
      },
      async verify(ctx) {
        const read = await readTimerList(ctx);
        const mask = mountTable(ctx.state.boxPid).filter((m) => m.mountPoint === '/proc/timer_list').pop();
        const host = timers(readFileSync('/proc/timer_list', 'utf8'));
        return [
          observeThat(`/proc/timer_list in the box (/proc/${ctx.state.boxPid}/mountinfo)`, 'a bind of /dev/null', mask ? (mask.root === '/null' ? `a bind of /dev/null (root /null, ${mask.fstype})` : `${mask.root} (${mask.fstype})`) : 'not a mount point', mask?.root === '/null'),
          observe('/proc/timer_list, read in the box', '0 bytes, 0 timers', `${read.bytes} bytes, ${read.count} timers`),
          observe('the host\'s sleep in it', 'not found', read.sleeper !== undefined ? 'found' : 'not found'),
          observeThat('the host\'s own /proc/timer_list (only the box is masked)', 'readable', `${host.count} timers`, host.count > 0),
        ];
      },
    },
    {
      id: 'seccomp',
      title: 'seccomp: a user namespace gives root\'s powers back, unless the call is refused',
      explain: [
        'Every defence so far leaves one door open. Creating a **user namespace** needs no privilege at all, and in a new one the creator holds *every* capability, over that namespace and the namespaces it makes from there. So the contained root of the box, with its 14 capabilities, can run `unshare -Urm` and be root with `CAP_SYS_ADMIN` again: mount filesystems, create network devices, load netfilter rules. Those are in its own namespaces and harm no one by themselves; but they run kernel code that was written for root only, and a long line of container escapes began exactly like this (CVE-2022-0185 in the filesystem-context code, CVE-2022-25636 and CVE-2023-32233 in nf_tables).',
        '',
        'The defence is **seccomp**: a small BPF program, installed with `seccomp(SECCOMP_SET_MODE_FILTER)`, that the kernel runs on every system call of the process and of all it starts, before the call itself. It sees the call\'s number, the ABI it came through, and its arguments, and can make the call fail with an errno. The kernel takes a filter only from a process with no_new_privs (or `CAP_SYS_ADMIN`), and it can never be removed. `nestbox run` installs one modelled on Docker\'s default profile (`src/runtime/seccomp-profile.ts`): `unshare`, `setns`, `mount` and `clone` with namespace flags are refused unless the container holds `CAP_SYS_ADMIN`; `keyctl` (keyrings are not namespaced), `kexec_load`, `open_by_handle_at`, `bpf`, `userfaultfd`, `io_uring` and others are refused too.',
        '',
        'Two attempts at the same `unshare -Urm sh -c \'mount -t tmpfs none /mnt\'` in the box, both as root with Docker\'s 14 and no_new_privs, differing in one thing: the second runs under the filter. `Seccomp` in `/proc/PID/status` reads 0 (none), 1 (strict) or 2 (a filter). (The new user namespace shows every capability the kernel knows, even one the host\'s root lacks: they count only for objects that namespace owns.)',
      ].join('\n'),
      command: `nsenter -t {boxPid} -m -u -i -p sh -c '${USERNS_ATTACK}'   # Docker's 14 and no_new_privs; then the same under nestbox run's seccomp filter`,
      syscall: 'unshare(CLONE_NEWUSER|CLONE_NEWNS) + mount("none", "/mnt", "tmpfs"); then prctl(PR_SET_NO_NEW_PRIVS) + seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) before execve: unshare = EPERM',
      async perform(ctx) {
        ctx.state.userns = await attack(ctx, USERNS_ATTACK, CONTAINED);
        ctx.state.usernsFiltered = await attack(ctx, USERNS_ATTACK, { ...CONTAINED, seccomp: assembleFilter(seccompPolicy(DOCKER_DEFAULT_CAPS)) });
        return 'made a user namespace and mounted a tmpfs in the box, then tried the same under the filter';
      },
      async verify(ctx) {
        const open: Ran = ctx.state.userns, filtered: Ran = ctx.state.usernsFiltered;
        const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
        return [
          observe('without a filter: Seccomp', '0', field(open.out, 'Seccomp')),
          observe('CapEff in its user namespace (all)', hex((1n << BigInt(lastCap + 1)) - 1n), field(open.out, 'CapEff')),
          observeThat('its tmpfs mount', 'mounted', /^mounted$/m.test(open.out) ? 'mounted' : outcome(open), /^mounted$/m.test(open.out)),
          observe('under the filter: Seccomp', '2', field(filtered.out, 'Seccomp')),
          observeThat('its unshare', 'refused: Operation not permitted (EPERM)', outcome(filtered), filtered.code !== 0 && /not permitted/i.test(filtered.out) && !/^mounted$/m.test(filtered.out)),
          observe('the box\'s PID 1: Seccomp', '0', String(processStatus(ctx.state.boxPid).seccomp)),
        ];
      },
    },
  ],
};

export default lab;
