// Lab "run": the capstone. One command, `nestbox run -d`, builds a container; each step then looks
// at it from the host, in the kernel's own files, and finds what the earlier labs built by hand:
// the command as PID 1 of a PID namespace, six new namespaces, a cgroup with a memory limit, an
// overlay root with no trace of the host's, Docker's capabilities and no_new_privs, a veth on the
// bridge nb0 and a DNAT rule for the published port. The learner then works inside it with
// `nestbox exec`, and the last step removes it and checks that everything it held is gone.
//
// The lab drives the real command line (bin/run.js, what `sudo nestbox` runs), not the runtime's
// functions: what the learner watches is exactly what typing the command gives.
//
// Nothing may outlive the lab. The container is started with --rm, and its PID 1 is written in the
// lab's ledger: however the lab ends (done, quit, Ctrl-C, killed and then `nestbox cleanup`),
// killing that one process is enough. Its monitor then records the exit and undoes the
// container's own ledger (cgroup, veth, rules, address), and --rm removes its directory and name.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../src/host/exec.js';
import { startTime } from '../src/host/ledger.js';
import { rootfsDir } from '../src/host/paths.js';
import { mountTable, namespaceId, processStatus, commandLine } from '../src/kernel/proc.js';
import { DOCKER_DEFAULT_CAPS, capabilityMask, capabilityNames, NamespaceType } from '../src/kernel/constants.js';
import { detectCgroupLayout, processCgroups } from '../src/kernel/cgroup-layout.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { findContainer, listContainers, paths, namesDir } from '../src/runtime/store.js';
import { link } from '../src/net/link.js';
import { listeningPorts, poolDir } from '../src/net/pool.js';
import { detectIptables } from '../src/net/iptables.js';
import { shellQuote } from '../src/net/exec.js';
import { httpGet, interfacesOf, waitListening } from './net-lab-kit.js';
import { hostnameOf } from './uts.js';
import { commOf } from './kit.js';

/** The nestbox command line itself (labs are built next to src/, so ../../bin from dist/labs/). */
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const MEMORY = '64m';
const MEMORY_BYTES = 64 * 1024 * 1024;
/** busybox httpd serving the container's /etc: GET /hostname answers with its hostname. */
const COMMAND = ['httpd', '-f', '-p', '80', '-h', '/etc'];
/** Namespaces `nestbox run --net bridge` creates, and the two it leaves as the host's (as Docker does by default). */
const NEW_NAMESPACES: NamespaceType[] = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'];
const SHARED_NAMESPACES: NamespaceType[] = ['user', 'time'];
/** Docker's 14 capabilities as a mask, the way /proc/PID/status prints it: 00000000a80425fb. */
const DOCKER_CAPS_HEX = capabilityMask(DOCKER_DEFAULT_CAPS).toString(16).padStart(16, '0');

/** Run `nestbox ARGS` as the learner would, narrated as the command they would type. */
async function nestbox(ctx: LabContext, args: string[]): Promise<RunResult> {
  ctx.say(`$ sudo nestbox ${args.map(shellQuote).join(' ')}`);
  return ctx.exec(process.execPath, [bin, ...args]);
}

/** The last line nestbox printed on stderr (its error message). */
const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/**
 * A host port to publish: nothing listens on it, no running container has published it (each
 * published port is a claim file in nestbox's pool), and no DNAT rule on the host catches it
 * already (a lab's own chain, say). Starting at a random place keeps two labs running at once from
 * picking the same one.
 */
async function freeHostPort(ctx: LabContext): Promise<number> {
  const { bin: iptables } = await detectIptables();
  const nat = (await ctx.exec(iptables, ['-w', '-t', 'nat', '-S'])).stdout;
  const taken = new Set([...listeningPorts(), ...[...nat.matchAll(/--dport (\d+)/g)].map((m) => Number(m[1]))]);
  try {
    for (const f of readdirSync(join(poolDir(), 'ports'))) taken.add(parseInt(f, 10));
  } catch { /* no container has published a port yet */ }
  const first = 18080, span = 920;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = first + ((offset + i) % span);
    if (!taken.has(port)) return port;
  }
  throw new Error(`no free host port between ${first} and ${first + span - 1}`);
}

/** Is the container's PID 1 still the process the lab saw start (same PID *and* start time)? */
const stillRunning = (ctx: LabContext) => ctx.state.pidStart !== undefined && startTime(ctx.state.pid1) === ctx.state.pidStart;

/** The container's memory cgroup, as the kernel names it in /proc/PID/cgroup, and its limit file. */
function memoryCgroup(pid: number): { path: string; dir: string; file: string } {
  const layout = detectCgroupLayout();
  const tree = layout.usable.memory;
  if (!tree) throw new Error('this host has no memory controller');
  // v2: one tree, the line "0::/path"; v1: the line of the hierarchy the memory controller is in.
  const line = processCgroups(pid).find((l) => (tree.version === 2 ? l.hierarchy === 0 : l.controllers.includes('memory')));
  const path = line?.path ?? '(no line)';
  return { path, dir: join(tree.path, path), file: tree.version === 2 ? 'memory.max' : 'memory.limit_in_bytes' };
}

/** The rule of the NESTBOX chain that publishes `port`, as `iptables -t nat -S NESTBOX` prints it. */
async function dnatRule(ctx: LabContext, port: number): Promise<string | undefined> {
  const { bin: iptables } = await detectIptables();
  const r = await ctx.exec(iptables, ['-w', '-t', 'nat', '-S', 'NESTBOX']);
  // A failure means the chain is gone: the last container on nb0 removed it.
  if (r.code !== 0) return undefined;
  return r.stdout.split('\n').find((l) => l.startsWith('-A NESTBOX') && l.includes(` --dport ${port} `));
}

/** PIDs in the container's own /proc (reached from the host through its root). */
function pidsInside(pid: number): string {
  try {
    return readdirSync(`/proc/${pid}/root/proc`).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)).join(' ');
  } catch {
    return '(unreadable)';
  }
}

/** nb0 after a container left it: removed by the last one out, kept while others still use it. */
function bridgeAfter(id: string) {
  const others = listContainers().filter((c) => c.id !== id && c.spec.net.mode === 'bridge' && (c.state.Status === 'running' || c.state.Status === 'paused')).length;
  const present = existsSync('/sys/class/net/nb0');
  return observeThat('the bridge nb0 (/sys/class/net/nb0)', others ? `kept: ${others} other container${others > 1 ? 's' : ''} on it` : 'gone: this was the last container on it',
    present ? 'present' : 'gone', others ? present : !present);
}

const lab: Lab = {
  id: 'run',
  title: 'nestbox run: every lab in one command, checked from the host',
  module: 14,
  lesson: 'run',
  needs: ['root', 'ns-mnt', 'ns-pid', 'ns-net', 'overlayfs', 'ip', 'iptables', 'cgroup-memory'],
  steps: [
    {
      id: 'run',
      title: 'Start a container with nestbox run -d',
      explain: [
        'One command now does what the earlier labs did one by one. `--trace` prints each step as the runtime takes it, with its cost (open `src/runtime/create.ts` next to it: its steps are the labs). The container runs busybox `httpd` serving its own `/etc`, with a **64 MiB** memory limit, and port 80 published on the host\'s `127.0.0.1`.',
        '',
        '`-d` detaches: a second nestbox creates the container and then *becomes* its monitor, a few lines of Perl that wait for PID 1, the job containerd\'s shim does for Docker. `--rm` removes the container when PID 1 ends. The lab writes that PID in its ledger, so whatever happens to the lab, killing that one process is enough to make the container go.',
      ].join('\n'),
      command: `sudo nestbox run -d --rm --trace --name {name} --memory ${MEMORY} -p 127.0.0.1:{port}:80 default -- ${COMMAND.join(' ')}`,
      syscall: 'mkdir (cgroup); unshare(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP); mount("overlay", ...); netlink (veth, bridge); iptables; mount("proc"); pivot_root(".", "."); execve("httpd")',
      async perform(ctx) {
        ctx.state.name = `nb-lab-${ctx.unique}`;
        ctx.state.port = await freeHostPort(ctx);
        const r = await nestbox(ctx, ['run', '-d', '--rm', '--trace', '--name', ctx.state.name, '--memory', MEMORY, '-p', `127.0.0.1:${ctx.state.port}:80`, 'default', '--', ...COMMAND]);
        // The trace: one line per step ("106.1 ms  namespaces created..."), and "$ ip ..." for each
        // network command. Lines starting with # are iptables' own notes.
        for (const line of r.stderr.split('\n')) if (line.trim() && !line.startsWith('#')) ctx.say(line.trim());
        if (r.code !== 0) throw new Error(`nestbox run failed (exit ${r.code}): ${lastLine(r.stderr)}`);
        const id = r.stdout.trim();
        const c = findContainer(id);
        // Before anything else: from here on, the lab's cleanup ends the container.
        ctx.ledger.record({ kind: 'process', pid: c.state.Pid, starttime: c.state.PidStart, note: `PID 1 of container ${ctx.state.name} (started with --rm)` });
        Object.assign(ctx.state, {
          id,
          pid1: c.state.Pid,
          pidStart: c.state.PidStart,
          monitor: c.state.MonitorPid,
          hostname: c.spec.hostname,
          address: c.state.IPAddress,
          veth: c.state.HostVeth,
          cgroupDirs: c.state.Cgroup,
        });
        // httpd is PID 1 the moment the runtime releases it; give it the moment it needs to listen.
        await waitListening(ctx.state.pid1, 80);
        return `container ${id} runs; its PID 1 is PID ${ctx.state.pid1} on the host`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const s = processStatus(pid);
        return [
          observe(`its state (${paths(ctx.state.id).state})`, 'running', findContainer(ctx.state.id).state.Status),
          observe(`NSpid in /proc/${pid}/status: on the host, inside`, `${pid} 1`, s.nspid.join(' ')),
          observe(`its command (/proc/${pid}/cmdline)`, COMMAND.join(' '), commandLine(pid)),
          observe('its parent (PPid): the monitor', `${ctx.state.monitor} perl`, `${s.ppid} ${commOf(s.ppid)}`),
        ];
      },
      async cleanup(ctx) {
        // The lab's own removal: quiet when the container is gone already (removed by the last
        // step, or by the learner with `nestbox stop`, --rm doing the rest).
        if (!ctx.state.name) return;
        try {
          findContainer(ctx.state.name);
        } catch {
          return;
        }
        await nestbox(ctx, ['rm', '-f', ctx.state.name]);
      },
    },
    {
      id: 'namespaces',
      title: 'Six new namespaces, and a hostname of its own',
      explain: 'The runtime unshared mount, UTS, IPC, PID, network and cgroup namespaces in one call, as the namespaces lab did one flag at a time. The user and time namespaces stay the host\'s: root in the container is root on the host (which is why the next steps take power away from it). Its hostname is its id, as Docker does unless `--hostname` says otherwise; its `/proc` was mounted from inside its PID namespace, so it lists the container\'s processes only.',
      command: 'ls -l /proc/{pid1}/ns /proc/self/ns; nsenter -t {pid1} -u hostname; ls /proc/{pid1}/root/proc',
      syscall: 'readlink("/proc/{pid1}/ns/TYPE"); setns(CLONE_NEWUTS); gethostname()',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        return [
          ...NEW_NAMESPACES.map((t) => {
            const host = namespaceId('self', t);
            const its = namespaceId(pid, t);
            return observeThat(`/proc/${pid}/ns/${t}`, `≠ host's ${t}:[${host}]`, `${t}:[${its}]`, its !== undefined && its !== host);
          }),
          ...SHARED_NAMESPACES.map((t) => observe(`/proc/${pid}/ns/${t}`, `${t}:[${namespaceId('self', t)}] (the host's)`, `${t}:[${namespaceId(pid, t)}] (the host's)`)),
          observe('its hostname (read through setns into its UTS namespace)', ctx.state.hostname, await hostnameOf(ctx, pid)),
          observeThat('the host\'s hostname', `its own, ≠ ${ctx.state.hostname}`, gethostname(), gethostname() !== ctx.state.hostname),
          observe(`PIDs in its /proc (/proc/${pid}/root/proc)`, '1', pidsInside(pid)),
        ];
      },
    },
    {
      id: 'cgroup',
      title: 'Its cgroup holds the memory limit',
      explain: `\`--memory ${MEMORY}\` became one number in one file of the container's cgroup, \`nestbox/ID\`: \`memory.max\` on cgroup v2, \`memory.limit_in_bytes\` on v1 (the memory lab). The kernel says which cgroup a process is in through \`/proc/{pid1}/cgroup\`; the cgroup's \`cgroup.procs\` lists the process back.`,
      command: 'cat /proc/{pid1}/cgroup; cat /sys/fs/cgroup/memory/nestbox/{id}/memory.limit_in_bytes   # v2: /sys/fs/cgroup/nestbox/{id}/memory.max',
      syscall: 'read("/proc/{pid1}/cgroup"); read(".../memory.max")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const cg = memoryCgroup(pid);
        const procs = readFileSync(join(cg.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        return [
          observe(`its memory cgroup (/proc/${pid}/cgroup)`, `/nestbox/${ctx.state.id}`, cg.path),
          observe(`${join(cg.dir, cg.file)}`, MEMORY_BYTES, readFileSync(join(cg.dir, cg.file), 'utf8').trim()),
          observeThat(`${join(cg.dir, 'cgroup.procs')}`, `includes ${pid}`, procs.join(' '), procs.includes(pid)),
        ];
      },
    },
    {
      id: 'root',
      title: 'Its root: an overlay, and nothing of the host\'s',
      explain: 'Its `/` is an overlay (the overlay lab): the image, here the default rootfs, is the read-only lower layer, and the container writes to its own upper layer in its directory. After `pivot_root` the old root was detached (the chroot lab), so the host\'s root filesystem is not even in the container\'s mount table: there is nothing to climb back to.',
      command: "grep ' / / ' /proc/{pid1}/mountinfo /proc/self/mountinfo",
      syscall: 'read("/proc/{pid1}/mountinfo")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const mounts = mountTable(pid);
        const root = mounts.find((m) => m.mountPoint === '/');
        const option = (key: string) => root?.superOptions.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1) ?? '(none)';
        const host = mountTable('self').find((m) => m.mountPoint === '/')!;
        const hostRootThere = mounts.some((m) => m.major === host.major && m.minor === host.minor && m.root === host.root);
        return [
          observe(`type of / in /proc/${pid}/mountinfo`, 'overlay', root?.fstype ?? '(no / mount)'),
          observe('its read-only layer (lowerdir=)', rootfsDir(), option('lowerdir')),
          observe('its writable layer (upperdir=)', paths(ctx.state.id).upper, option('upperdir')),
          observe(`the host's / (${host.major}:${host.minor} ${host.root}, ${host.fstype}) in its mountinfo`, 'absent', hostRootThere ? 'present' : 'absent'),
        ];
      },
    },
    {
      id: 'privileges',
      title: 'Root, with 14 capabilities, no_new_privs and a seccomp filter',
      explain: 'PID 1 runs as root, and root here is the host\'s root (no user namespace). What keeps it in check: its capability sets hold only Docker\'s 14 (no `CAP_SYS_ADMIN`: no `mount`; no `CAP_SYS_MODULE`, `CAP_SYS_TIME`, `CAP_SYS_PTRACE`...), the bounding set too, so nothing it runs can get more; and `no_new_privs`, so no setuid program can raise a process inside; and a seccomp filter, which refuses the system calls Docker\'s default profile refuses (`unshare` and `mount` among them, so a user namespace cannot hand root\'s capabilities back). Lab `hardening` shows what each of these stops, with an attack that works without it.',
      command: "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/{pid1}/status",
      syscall: 'read("/proc/{pid1}/status")',
      async verify(ctx) {
        const pid = ctx.state.pid1;
        const s = processStatus(pid);
        const hex = (mask: bigint) => mask.toString(16).padStart(16, '0');
        return [
          observe(`Uid in /proc/${pid}/status (real, effective)`, '0 0', s.uid.slice(0, 2).join(' ')),
          observe('CapEff: what it can do now', DOCKER_CAPS_HEX, hex(s.capEff)),
          observe('the same, by name', capabilityNames(capabilityMask(DOCKER_DEFAULT_CAPS)).join(' '), s.capEffNames.join(' ')),
          observe('CapBnd: the most it can ever have', DOCKER_CAPS_HEX, hex(s.capBnd)),
          observe('NoNewPrivs', 1, s.noNewPrivs ? 1 : 0),
          observe('Seccomp (2: a filter)', 2, s.seccomp),
        ];
      },
    },
    {
      id: 'network',
      title: 'Its network: a veth to nb0, an address, a DNAT rule',
      explain: 'Its network namespace holds `lo` and `eth0`, the inside end of a veth pair whose host end is a port of the bridge `nb0`, the docker0 of nestbox (the veth and bridge labs). `-p 127.0.0.1:{port}:80` became one DNAT rule in the `NESTBOX` chain of the nat table (the ports lab): a connection to the host\'s 127.0.0.1:{port} is sent to the container\'s address, port 80. The check asks its web server for `/hostname` through that port.',
      command: 'nsenter --net=/proc/{pid1}/ns/net ip addr show eth0; readlink /sys/class/net/{veth}/master; iptables -t nat -S NESTBOX; wget -qO- http://127.0.0.1:{port}/hostname',
      syscall: 'setns(CLONE_NEWNET) + netlink RTM_GETADDR; readlink("/sys/class/net/VETH/master"); connect(127.0.0.1:PORT), rewritten by DNAT',
      async verify(ctx) {
        const { pid1: pid, veth, address, port } = ctx.state;
        const eth0 = await link({ pid }, 'eth0');
        const master = existsSync(`/sys/class/net/${veth}/master`) ? basename(readlinkSync(`/sys/class/net/${veth}/master`)) : '(none)';
        const iflink = existsSync(`/sys/class/net/${veth}/iflink`) ? readFileSync(`/sys/class/net/${veth}/iflink`, 'utf8').trim() : '(no such interface)';
        const rule = await dnatRule(ctx, port);
        const answer = await httpGet(ctx, 'host', `http://127.0.0.1:${port}/hostname`);
        return [
          observe(`its interfaces (/proc/${pid}/net/dev)`, 'lo eth0', interfacesOf(pid).join(' ')),
          observe('eth0\'s address (ip addr, in its namespace)', `${address}/24`, eth0?.inet.join(' ') || '(none)'),
          observe(`the host end ${veth}: its bridge (/sys/class/net/${veth}/master)`, 'nb0', master),
          observe(`its peer (/sys/class/net/${veth}/iflink) is eth0's ifindex`, String(eth0?.ifindex), iflink),
          observeThat('its DNAT rule (iptables -t nat -S NESTBOX)', `--dport ${port} ... --to-destination ${address}:80`, rule ?? '(none)', !!rule && rule.includes(`--to-destination ${address}:80`)),
          observe(`GET http://127.0.0.1:${port}/hostname from the host`, ctx.state.hostname, answer ?? '(no answer)'),
        ];
      },
    },
    {
      id: 'exec',
      title: 'Work inside it with nestbox exec',
      explain: '`nestbox exec` is `nsenter` for containers: a thread joins every namespace of PID 1 (the mount namespace brings the container\'s root), and the new process starts in the container\'s cgroup with its capabilities and `no_new_privs`. `nestbox run`, by contrast, always makes a *new* container. A file written inside lands in the container\'s writable layer; the image does not change.',
      command: "sudo nestbox exec {name} sh -c 'hostname > /tmp/from-exec'",
      syscall: 'setns(mnt, uts, ipc, pid, cgroup, net of PID 1); write("cgroup.procs"); capset; prctl(PR_SET_NO_NEW_PRIVS); posix_spawn("sh")',
      exercise: {
        task: "In a second terminal on the host, run a command **in the running container {name}** that writes the container's hostname into **/tmp/from-exec** inside it. Then check.",
        hints: [
          '`nestbox run` starts a new container with a root of its own (and `--rm` throws it away): the file would never reach {name}. To work in a container that already runs, join it with `nestbox exec`.',
          "The redirection must happen inside the container, so hand the whole line to a shell there: `sudo nestbox exec {name} sh -c 'hostname > /tmp/from-exec'`. Without `sh -c '...'`, your own shell would write the file on the host.",
        ],
        shell: 'host',
        async solve(ctx) {
          const r = await nestbox(ctx, ['exec', ctx.state.name, 'sh', '-c', 'hostname > /tmp/from-exec']);
          if (r.code !== 0) throw new Error(`nestbox exec failed (exit ${r.code}): ${lastLine(r.stderr)}`);
        },
        async mistake(ctx) {
          // run instead of exec: a second, throwaway container writes the file in its own layer.
          await nestbox(ctx, ['run', '--rm', '--net', 'none', 'default', '--', 'sh', '-c', 'hostname > /tmp/from-exec']);
        },
      },
      async verify(ctx) {
        const inside = `/proc/${ctx.state.pid1}/root/tmp/from-exec`;
        const upper = join(paths(ctx.state.id).upper, 'tmp', 'from-exec');
        const image = join(rootfsDir(), 'tmp', 'from-exec');
        return [
          observe(`${inside} (its /tmp, from the host)`, ctx.state.hostname, existsSync(inside) ? readFileSync(inside, 'utf8').trim() : '(no such file)'),
          observe(`in its writable layer: ${upper}`, 'present', existsSync(upper) ? 'present' : 'absent'),
          observe(`in the image: ${image}`, 'absent', existsSync(image) ? 'present' : 'absent'),
        ];
      },
    },
    {
      id: 'remove',
      title: 'Remove it: everything it held goes',
      explain: '`nestbox rm -f` stops the container without a grace period (SIGTERM, then at once SIGKILL to every process in its cgroup), and its monitor, which waits for PID 1, takes over: it records the exit status, then undoes the container\'s ledger, newest first: the DNAT rule, the veth pair (deleting one end deletes both), the address, the cgroup. The last container on `nb0` also removes the bridge and its rules. `--rm` then removes the container\'s directory, with its writable layer, and frees its name.',
      command: 'sudo nestbox rm -f {name}',
      syscall: 'kill(SIGKILL) each PID of cgroup.procs; waitpid (the monitor); netlink RTM_DELLINK; iptables -D; rmdir (cgroup)',
      async perform(ctx) {
        const r = await nestbox(ctx, ['rm', '-f', ctx.state.name]);
        if (r.code !== 0) throw new Error(`nestbox rm -f failed (exit ${r.code}): ${lastLine(r.stderr)}`);
        return `removed ${ctx.state.name}`;
      },
      async verify(ctx) {
        const { pid1: pid, veth, port, id, name } = ctx.state;
        const cgroups = (ctx.state.cgroupDirs as string[]).filter((d) => existsSync(d));
        return [
          observe(`PID ${pid} (its PID 1)`, 'gone', stillRunning(ctx) ? 'running' : 'gone'),
          observe(`its cgroup directories (${(ctx.state.cgroupDirs as string[]).length})`, 'gone', cgroups.length ? cgroups.join(' ') : 'gone'),
          observe(`/sys/class/net/${veth}`, 'gone', existsSync(`/sys/class/net/${veth}`) ? 'present' : 'gone'),
          observe(`a DNAT rule for port ${port}`, 'none', (await dnatRule(ctx, port)) ?? 'none'),
          observe(`its directory ${paths(id).dir}`, 'gone', existsSync(paths(id).dir) ? 'present' : 'gone'),
          // lstat: the name is a symbolic link to the id, which existsSync would follow.
          observe(`its name (${join(namesDir(), name)})`, 'free', lstatSync(join(namesDir(), name), { throwIfNoEntry: false }) ? 'taken' : 'free'),
          bridgeAfter(id),
        ];
      },
    },
  ],
};

export default lab;
