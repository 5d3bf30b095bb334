// Lab "netmodes": Docker's four network modes side by side, each a process whose network is
// verified by what the kernel shows it: bridge (a namespace of its own with a veth on a bridge),
// host (the host's namespace), none (a namespace with only lo) and container:<other> (another
// container's namespace, joined).
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNET } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { baseEnv, type ThreadStep } from '../src/kernel/spawn.js';
import { readFileSync } from 'node:fs';
import type { Netns } from '../src/net/exec.js';
import { link } from '../src/net/link.js';
import { nbName, startWebServer, webRoot, httpGet, interfacesOf, ping, labBridge, plugIntoBridge } from './net-lab-kit.js';

const WEB = '127.0.0.1:8080';
const holder = (ctx: LabContext, how: { unshare?: number; join?: { pid: number; types: ['net'] }; steps?: ThreadStep[] }, note: string) =>
  ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), ...how }, note);

/** Requests the web server in the bridge box logged from 127.0.0.1 (busybox httpd -vv: "127.0.0.1:PORT: url:/"). */
function loopbackRequests(ctx: LabContext): number {
  try {
    return readFileSync(ctx.state.webLog, 'utf8').split('\n').filter((l) => /^\[?(::ffff:)?127\.0\.0\.1\]?:\d+: url:/.test(l)).length;
  } catch {
    return 0;
  }
}

const netOfPid = (pid: number) => namespaceId(pid, 'net');
const label = (pid: number) => `net:[${netOfPid(pid)}]`;

const lab: Lab = {
  id: 'netmodes',
  title: 'Network modes: bridge, host, none and container, side by side',
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip'],
  steps: [
    {
      id: 'bridge',
      title: '--network bridge: a namespace of its own, wired to a bridge',
      explain: "Docker's default. The container's first process starts in a new network namespace; the runtime then creates a veth pair, attaches one end to the bridge and moves the other into the namespace *by the process's PID* (`ip link set VETH netns PID`), and configures it from outside with `nsenter --net=/proc/PID/ns/net ip ...`. This is exactly what `nestbox run` does. A web server in this box listens on its 127.0.0.1 only.",
      command: 'unshare --net sleep infinity & ip link add $V type veth peer name $P; ip link set $V master $BR up; ip link set $P netns $! name eth0; nsenter --net=/proc/$!/ns/net ip addr add 10.213.0.2/24 dev eth0 ...',
      syscall: 'unshare(CLONE_NEWNET); netlink RTM_NEWLINK with IFLA_NET_NS_PID; setns(CLONE_NEWNET) for nsenter',
      async perform(ctx) {
        ctx.state.hostNet = namespaceId('self', 'net');
        const pool = await labBridge(ctx);
        ctx.state.bridgePid = await holder(ctx, { unshare: CLONE_NEWNET }, 'bridge-mode box');
        const box: Netns = { pid: ctx.state.bridgePid };
        ctx.state.boxAddr = await plugIntoBridge(ctx, pool, box, nbName(ctx, 'v'), nbName(ctx, 'p'));
        const web = await startWebServer(ctx, box, WEB, webRoot(ctx, 'web', 'hello from the bridge-mode box'), 'web server in the bridge box');
        ctx.state.webLog = web.log;
        return `PID ${ctx.state.bridgePid} in ${label(ctx.state.bridgePid)}, eth0 ${ctx.state.boxAddr} on ${ctx.state.bridge}`;
      },
      async verify(ctx) {
        const pid = ctx.state.bridgePid;
        const eth0 = await link({ pid }, 'eth0');
        return [
          observeThat(`/proc/${pid}/ns/net`, `≠ host's net:[${ctx.state.hostNet}]`, label(pid), netOfPid(pid) !== ctx.state.hostNet),
          observe(`interfaces in /proc/${pid}/net/dev`, 'lo eth0', interfacesOf(pid).join(' ')),
          observe('eth0 address (read through nsenter)', `${ctx.state.boxAddr}/24`, eth0?.inet.join(' ') || 'none'),
          observe(`ping ${ctx.state.boxAddr} from the host`, true, await ping(ctx, 'host', ctx.state.boxAddr, { quiet: true })),
        ];
      },
    },
    {
      id: 'host',
      title: '--network host: no namespace of its own',
      explain: "With `--network host` the runtime simply does not unshare the network namespace: the process uses the host's interfaces, addresses and ports directly. No veth, no NAT, full speed; but a server in it takes the host's port, and the container can see and touch the host's network.",
      command: 'sleep infinity &   # no --net: the host\'s namespace',
      syscall: 'posix_spawn without CLONE_NEWNET',
      async perform(ctx) {
        ctx.state.hostPid = await holder(ctx, {}, 'host-mode box');
        return `PID ${ctx.state.hostPid} in ${label(ctx.state.hostPid)}`;
      },
      async verify(ctx) {
        const pid = ctx.state.hostPid;
        return [
          observe(`/proc/${pid}/ns/net`, `net:[${ctx.state.hostNet}] (the host's)`, `${label(pid)} (the host's)`),
          observe(`interfaces in /proc/${pid}/net/dev`, interfacesOf('self').join(' '), interfacesOf(pid).join(' ')),
        ];
      },
    },
    {
      id: 'none',
      title: '--network none: a namespace with nothing in it',
      explain: "`--network none` unshares the network namespace and configures nothing but the loopback device: a new namespace's `lo` starts down, and Docker (like `nestbox run --net none`) brings it up, so programs that talk to themselves on 127.0.0.1 still work. There is no other interface and no way out. Useful for batch jobs that must not talk to anyone.",
      command: 'unshare --net sh -c "ip link set lo up; exec sleep infinity" &',
      syscall: 'unshare(CLONE_NEWNET); ioctl(SIOCSIFFLAGS, lo, IFF_UP); posix_spawn',
      async perform(ctx) {
        ctx.state.nonePid = await holder(ctx, { unshare: CLONE_NEWNET, steps: [{ call: 'linkUp', name: 'lo' }] }, 'none-mode box');
        return `PID ${ctx.state.nonePid} in ${label(ctx.state.nonePid)}`;
      },
      async verify(ctx) {
        const pid = ctx.state.nonePid;
        const lo = await link({ pid }, 'lo');
        return [
          observeThat(`/proc/${pid}/ns/net`, 'its own: ≠ the host\'s and ≠ the bridge box\'s', label(pid), ![ctx.state.hostNet, netOfPid(ctx.state.bridgePid)].includes(netOfPid(pid))),
          observe(`interfaces in /proc/${pid}/net/dev`, 'lo', interfacesOf(pid).join(' ')),
          observe('lo is up (as Docker brings it up)', true, lo?.up ?? 'absent'),
        ];
      },
    },
    {
      id: 'container',
      title: '--network container:<other>: join another container\'s namespace',
      explain: "`--network container:web` starts the new container *inside the network namespace of an existing one* (`setns(2)` on `/proc/PID/ns/net`, like `nsenter --net`). Both then share one set of interfaces, one IP address, one port space and one 127.0.0.1. Kubernetes builds every pod this way: a tiny pause container holds the namespace, the pod's containers join it.",
      command: 'nsenter --target $BRIDGE_PID --net sleep infinity &',
      syscall: 'setns(open("/proc/PID/ns/net"), CLONE_NEWNET); posix_spawn',
      async perform(ctx) {
        ctx.state.containerPid = await holder(ctx, { join: { pid: ctx.state.bridgePid, types: ['net'] } }, 'container-mode box');
        ctx.state.pid = ctx.state.containerPid; // the exercise's shell joins this process's namespace
        return `PID ${ctx.state.containerPid} in ${label(ctx.state.containerPid)}`;
      },
      async verify(ctx) {
        const pid = ctx.state.containerPid;
        const mine = await link({ pid }, 'eth0');
        const theirs = await link({ pid: ctx.state.bridgePid }, 'eth0');
        return [
          observe(`/proc/${pid}/ns/net`, `${label(ctx.state.bridgePid)} (the bridge box's)`, `${label(pid)} (the bridge box's)`),
          observe(`interfaces in /proc/${pid}/net/dev`, interfacesOf(ctx.state.bridgePid).join(' '), interfacesOf(pid).join(' ')),
          observe('its eth0: ifindex, MAC, address', `${theirs?.ifindex} ${theirs?.mac} ${theirs?.inet.join(' ')}`, `${mine?.ifindex} ${mine?.mac} ${mine?.inet.join(' ')}`),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'One 127.0.0.1 for two containers',
      explain: "The bridge box's web server listens on 127.0.0.1:8080 only, which nothing outside its namespace can reach. A container that shares the namespace can. Fetch the page from the container-mode box's network namespace; its web server logs each request with the caller's address.",
      command: 'nsenter --target PID --net busybox wget -qO- http://127.0.0.1:8080/',
      syscall: 'setns(CLONE_NEWNET); connect(2) to 127.0.0.1:8080 in the shared namespace',
      exercise: {
        task: "From the **container-mode** box's network namespace (the shell nestbox opens, or `nsenter --target PID --net`), fetch `http://127.0.0.1:8080/`.",
        hints: [
          "Plain `wget http://127.0.0.1:8080/` in your own terminal asks the *host's* 127.0.0.1, a different loopback: nothing of the lab listens there. The request must start inside the shared namespace.",
          'In the shell nestbox opens: `busybox wget -qO- http://127.0.0.1:8080/`.',
          'From your own terminal: `nsenter --target PID --net busybox wget -qO- http://127.0.0.1:8080/`.',
        ],
        shell: { pidKey: 'pid', types: ['net'] },
        async solve(ctx) {
          await httpGet(ctx, { pid: ctx.state.containerPid }, `http://${WEB}/`);
        },
        async mistake(ctx) {
          // The host's own loopback: another namespace, another 127.0.0.1.
          await httpGet(ctx, 'host', `http://${WEB}/`, { timeoutMs: 500 });
        },
      },
      async perform(ctx) {
        ctx.state.requestsBefore = loopbackRequests(ctx);
      },
      async verify(ctx) {
        const n = loopbackRequests(ctx) - ctx.state.requestsBefore;
        return [observeThat('web server log: requests from 127.0.0.1', '≥ 1 new', `${n} new`, n >= 1)];
      },
    },
    {
      id: 'compare',
      title: 'The four modes side by side',
      explain: "Four processes, four answers to \"which network am I in?\", each read from `/proc/$p/ns/net` and `/proc/$p/net/dev`, $p being its process ID. bridge and container share one namespace; host shares the host's; none has one all to itself with nothing in it.",
      command: 'for p in $BRIDGE $HOST $NONE $CONTAINER; do readlink /proc/$p/ns/net; cat /proc/$p/net/dev; done',
      syscall: 'readlink(2) and read(2) under /proc/$p',
      async perform(ctx) {
        const rows: [string, number][] = [['bridge', ctx.state.bridgePid], ['host', ctx.state.hostPid], ['none', ctx.state.nonePid], ['container', ctx.state.containerPid]];
        ctx.say(`${'mode'.padEnd(10)} ${'PID'.padEnd(8)} ${'namespace'.padEnd(18)} interfaces`);
        for (const [mode, pid] of rows) ctx.say(`${mode.padEnd(10)} ${String(pid).padEnd(8)} ${label(pid).padEnd(18)} ${interfacesOf(pid).join(' ')}`);
        return 'bridge = container ≠ none ≠ host';
      },
      async verify(ctx) {
        const [b, h, n, c] = [ctx.state.bridgePid, ctx.state.hostPid, ctx.state.nonePid, ctx.state.containerPid].map(netOfPid);
        return [
          observe('bridge and container share a namespace', true, b === c && b !== undefined),
          observe("host is the host's", true, h === ctx.state.hostNet),
          observe('none is alone', true, n !== undefined && ![b, h, c].includes(n)),
          observeThat('distinct namespaces among the four', '3', new Set([b, h, n, c]).size, new Set([b, h, n, c]).size === 3),
        ];
      },
    },
  ],
};

export default lab;
