// Lab "netmodes": Docker's four network modes side by side, each a process whose network is
// verified by what the kernel shows it: bridge (a namespace of its own with a veth on a bridge),
// host (the host's namespace), none (a namespace with only lo) and container:<other> (another
// container's namespace, joined).
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { CLONE_NEWNET } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { baseEnv, type ThreadStep } from '../src/kernel/spawn.js';
import { readFileSync } from 'node:fs';
import type { Netns } from '../src/net/exec.js';
import { link } from '../src/net/link.js';
import { padEnd } from '../src/render/text-width.js';
import { nbName, startWebServer, webRoot, httpGet, interfacesOf, ping, labBridge, plugIntoBridge } from './net-lab-kit.js';

interface NetmodesState {
  /** The host's network namespace (inode number), read before anything is made. */
  hostNet: number;
  /** The four boxes, one per mode: each a sleep holding (or joining) a network namespace. */
  bridgePid: number;
  hostPid: number;
  nonePid: number;
  containerPid: number;
  /** The bridge box's eth0 address (without the /24). */
  boxAddr: string;
  /** The log of the web server in the bridge box (busybox httpd -vv). */
  webLog: string;
  /** The exercise's shell joins this process's namespace: the container-mode box. */
  pid: number;
  /** Requests from 127.0.0.1 in the web server's log before the exercise. */
  requestsBefore: number;
}

const WEB = '127.0.0.1:8080';
const holder = (ctx: LabContext<NetmodesState>, how: { unshare?: number; join?: { pid: number; types: ['net'] }; steps?: ThreadStep[] }, note: string) =>
  ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), ...how }, note);

/** Requests the web server in the bridge box logged from 127.0.0.1 (busybox httpd -vv: "127.0.0.1:PORT: url:/"). */
function loopbackRequests(ctx: LabContext<NetmodesState>): number {
  try {
    return readFileSync(ctx.state.webLog, 'utf8').split('\n').filter((l) => /^\[?(::ffff:)?127\.0\.0\.1\]?:\d+: url:/.test(l)).length;
  } catch {
    return 0;
  }
}

const netOfPid = (pid: number) => namespaceId(pid, 'net');
const label = (pid: number) => `net:[${netOfPid(pid)}]`;
const interfacesLabel = (pid: number) => t(`interfaces in /proc/${pid}/net/dev`, `/proc/${pid}/net/dev 里的网卡`);

const lab: Lab<NetmodesState> = {
  id: 'netmodes',
  title: t('Network modes: bridge, host, none and container, side by side', '网络模式：bridge、host、none 和 container 并排对比'),
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip'],
  steps: [
    {
      id: 'bridge',
      title: t('--network bridge: a namespace of its own, wired to a bridge', '--network bridge：自己的命名空间，接在网桥上'),
      explain: t(
        "Docker's default. The container's first process starts in a new network namespace; the runtime then creates a veth pair, attaches one end to the bridge and moves the other into the namespace *by the process's PID* (`ip link set VETH netns PID`), and configures it from outside with `nsenter --net=/proc/PID/ns/net ip ...`. This is exactly what `nestbox run` does. A web server in this box listens on its 127.0.0.1 only.",
        '这是 Docker 的默认模式。容器的第一个进程在一个新的网络命名空间里启动；接着运行时创建一个 veth 设备对，一端接到网桥上，另一端*按这个进程的 PID* 移进它的命名空间（`ip link set VETH netns PID`），再从外面用 `nsenter --net=/proc/PID/ns/net ip ...` 配置它。`nestbox run` 做的正是这些。这个盒子里的 Web 服务器只在它自己的 127.0.0.1 上监听。',
      ),
      command: 'unshare --net sleep infinity & ip link add $V type veth peer name $P; ip link set $V master $BR up; ip link set $P netns $! name eth0; nsenter --net=/proc/$!/ns/net ip addr add 10.213.0.2/24 dev eth0 ...',
      syscall: t('unshare(CLONE_NEWNET); netlink RTM_NEWLINK with IFLA_NET_NS_PID; setns(CLONE_NEWNET) for nsenter',
        'unshare(CLONE_NEWNET)；netlink RTM_NEWLINK，带上 IFLA_NET_NS_PID；nsenter 靠 setns(CLONE_NEWNET) 进去'),
      async perform(ctx) {
        ctx.state.hostNet = namespaceId('self', 'net')!;
        const pool = await labBridge(ctx);
        ctx.state.bridgePid = await holder(ctx, { unshare: CLONE_NEWNET }, 'bridge-mode box');
        const box: Netns = { pid: ctx.state.bridgePid };
        ctx.state.boxAddr = await plugIntoBridge(ctx, pool, box, nbName(ctx, 'v'), nbName(ctx, 'p'));
        const web = await startWebServer(ctx, box, WEB, webRoot(ctx, 'web', 'hello from the bridge-mode box'), 'web server in the bridge box');
        ctx.state.webLog = web.log;
        return t(`PID ${ctx.state.bridgePid} in ${label(ctx.state.bridgePid)}, eth0 ${ctx.state.boxAddr} on ${ctx.state.bridge}`,
          `PID ${ctx.state.bridgePid} 在 ${label(ctx.state.bridgePid)} 里，eth0 的地址是 ${ctx.state.boxAddr}，接在 ${ctx.state.bridge} 上`);
      },
      async verify(ctx) {
        const pid = ctx.state.bridgePid;
        const eth0 = await link({ pid }, 'eth0');
        return [
          observeThat(`/proc/${pid}/ns/net`, t(`≠ host's net:[${ctx.state.hostNet}]`, `≠ 宿主机的 net:[${ctx.state.hostNet}]`), label(pid), netOfPid(pid) !== ctx.state.hostNet),
          observe(interfacesLabel(pid), 'lo eth0', interfacesOf(pid).join(' ')),
          observe(t('eth0 address (read through nsenter)', 'eth0 的地址（通过 nsenter 读取）'), `${ctx.state.boxAddr}/24`, eth0?.inet.join(' ') || t('none', '没有')),
          observe(t(`ping ${ctx.state.boxAddr} from the host`, `从宿主机 ping ${ctx.state.boxAddr}`), true, await ping(ctx, 'host', ctx.state.boxAddr, { quiet: true })),
        ];
      },
    },
    {
      id: 'host',
      title: t('--network host: no namespace of its own', '--network host：没有自己的命名空间'),
      explain: t(
        "With `--network host` the runtime simply does not unshare the network namespace: the process uses the host's interfaces, addresses and ports directly. No veth, no NAT, full speed; but a server in it takes the host's port, and the container can see and touch the host's network.",
        '用 `--network host` 时，运行时干脆不去 unshare 网络命名空间：进程直接使用宿主机的网卡、地址和端口。没有 veth，没有 NAT，速度一点不打折扣；但它里面的服务器占的是宿主机的端口，容器也能看到、也能改动宿主机的网络。',
      ),
      command: t('sleep infinity &   # no --net: the host\'s namespace',
        'sleep infinity &   # 不加 --net：用的就是宿主机的命名空间'),
      syscall: t('posix_spawn without CLONE_NEWNET', 'posix_spawn，不带 CLONE_NEWNET'),
      async perform(ctx) {
        ctx.state.hostPid = await holder(ctx, {}, 'host-mode box');
        return t(`PID ${ctx.state.hostPid} in ${label(ctx.state.hostPid)}`, `PID ${ctx.state.hostPid} 在 ${label(ctx.state.hostPid)} 里`);
      },
      async verify(ctx) {
        const pid = ctx.state.hostPid;
        return [
          observe(`/proc/${pid}/ns/net`, t(`net:[${ctx.state.hostNet}] (the host's)`, `net:[${ctx.state.hostNet}]（宿主机的）`), t(`${label(pid)} (the host's)`, `${label(pid)}（宿主机的）`)),
          observe(interfacesLabel(pid), interfacesOf('self').join(' '), interfacesOf(pid).join(' ')),
        ];
      },
    },
    {
      id: 'none',
      title: t('--network none: a namespace with nothing in it', '--network none：一个空荡荡的命名空间'),
      explain: t(
        "`--network none` unshares the network namespace and configures nothing but the loopback device: a new namespace's `lo` starts down, and Docker (like `nestbox run --net none`) brings it up, so programs that talk to themselves on 127.0.0.1 still work. There is no other interface and no way out. Useful for batch jobs that must not talk to anyone.",
        '`--network none` 会 unshare 网络命名空间，但除了回环设备什么都不配置：新命名空间里的 `lo` 一开始是关着的，Docker 会把它启用（`nestbox run --net none` 也一样），这样在 127.0.0.1 上跟自己通信的程序照样能工作。除此之外没有别的网卡，也没有通往外面的路。适合那些不许和任何人通信的批处理任务。',
      ),
      command: 'unshare --net sh -c "ip link set lo up; exec sleep infinity" &',
      syscall: 'unshare(CLONE_NEWNET); ioctl(SIOCSIFFLAGS, lo, IFF_UP); posix_spawn',
      async perform(ctx) {
        ctx.state.nonePid = await holder(ctx, { unshare: CLONE_NEWNET, steps: [{ call: 'linkUp', name: 'lo' }] }, 'none-mode box');
        return t(`PID ${ctx.state.nonePid} in ${label(ctx.state.nonePid)}`, `PID ${ctx.state.nonePid} 在 ${label(ctx.state.nonePid)} 里`);
      },
      async verify(ctx) {
        const pid = ctx.state.nonePid;
        const lo = await link({ pid }, 'lo');
        return [
          observeThat(`/proc/${pid}/ns/net`, t('its own: ≠ the host\'s and ≠ the bridge box\'s', '它自己的：≠ 宿主机的，也 ≠ bridge 盒子的'), label(pid), ![ctx.state.hostNet, netOfPid(ctx.state.bridgePid)].includes(netOfPid(pid))),
          observe(interfacesLabel(pid), 'lo', interfacesOf(pid).join(' ')),
          observe(t('lo is up (as Docker brings it up)', 'lo 已启用（Docker 也会启用它）'), true, lo?.up ?? t('absent', '不存在')),
        ];
      },
    },
    {
      id: 'container',
      title: t('--network container:<other>: join another container\'s namespace', '--network container:<other>：加入另一个容器的命名空间'),
      explain: t(
        "`--network container:web` starts the new container *inside the network namespace of an existing one* (`setns(2)` on `/proc/PID/ns/net`, like `nsenter --net`). Both then share one set of interfaces, one IP address, one port space and one 127.0.0.1. Kubernetes builds every pod this way: a tiny pause container holds the namespace, the pod's containers join it.",
        '`--network container:web` 让新容器*在一个已有容器的网络命名空间里*启动（对 `/proc/PID/ns/net` 调用 `setns(2)`，和 `nsenter --net` 一样）。从此两者共用一套网卡、一个 IP 地址、一个端口空间和一个 127.0.0.1。Kubernetes 的每个 Pod 都是这样搭起来的：一个很小的 pause 容器占着命名空间，Pod 里的容器都加入进来。',
      ),
      command: 'nsenter --target $BRIDGE_PID --net sleep infinity &',
      syscall: 'setns(open("/proc/PID/ns/net"), CLONE_NEWNET); posix_spawn',
      async perform(ctx) {
        ctx.state.containerPid = await holder(ctx, { join: { pid: ctx.state.bridgePid, types: ['net'] } }, 'container-mode box');
        ctx.state.pid = ctx.state.containerPid; // the exercise's shell joins this process's namespace
        return t(`PID ${ctx.state.containerPid} in ${label(ctx.state.containerPid)}`, `PID ${ctx.state.containerPid} 在 ${label(ctx.state.containerPid)} 里`);
      },
      async verify(ctx) {
        const pid = ctx.state.containerPid;
        const mine = await link({ pid }, 'eth0');
        const theirs = await link({ pid: ctx.state.bridgePid }, 'eth0');
        return [
          observe(`/proc/${pid}/ns/net`, t(`${label(ctx.state.bridgePid)} (the bridge box's)`, `${label(ctx.state.bridgePid)}（bridge 盒子的）`), t(`${label(pid)} (the bridge box's)`, `${label(pid)}（bridge 盒子的）`)),
          observe(interfacesLabel(pid), interfacesOf(ctx.state.bridgePid).join(' '), interfacesOf(pid).join(' ')),
          observe(t('its eth0: ifindex, MAC, address', '它的 eth0：ifindex、MAC、地址'), `${theirs?.ifindex} ${theirs?.mac} ${theirs?.inet.join(' ')}`, `${mine?.ifindex} ${mine?.mac} ${mine?.inet.join(' ')}`),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('One 127.0.0.1 for two containers', '两个容器，一个 127.0.0.1'),
      explain: t(
        "The bridge box's web server listens on 127.0.0.1:8080 only, which nothing outside its namespace can reach. A container that shares the namespace can. Fetch the page from the container-mode box's network namespace; its web server logs each request with the caller's address.",
        'bridge 盒子里的 Web 服务器只监听 127.0.0.1:8080，它的命名空间以外谁也访问不到，和它共用命名空间的容器却可以。请从 container 模式盒子的网络命名空间里取这个页面；Web 服务器会把每次请求连同调用方的地址记进日志。',
      ),
      command: 'nsenter --target PID --net busybox wget -qO- http://127.0.0.1:8080/',
      syscall: t('setns(CLONE_NEWNET); connect(2) to 127.0.0.1:8080 in the shared namespace',
        'setns(CLONE_NEWNET)；在共用的命名空间里 connect(2) 到 127.0.0.1:8080'),
      exercise: {
        task: t(
          "From the **container-mode** box's network namespace (the shell nestbox opens, or `nsenter --target PID --net`), fetch `http://127.0.0.1:8080/`.",
          '在 **container 模式**盒子的网络命名空间里（用 nestbox 打开的 shell，或者 `nsenter --target PID --net`），取回 `http://127.0.0.1:8080/`。',
        ),
        hints: [
          t("Plain `wget http://127.0.0.1:8080/` in your own terminal asks the *host's* 127.0.0.1, a different loopback: nothing of the lab listens there. The request must start inside the shared namespace.",
            '在你自己的终端里直接运行 `wget http://127.0.0.1:8080/`，问的是*宿主机*的 127.0.0.1，那是另一个回环接口，实验里没有任何东西在那里监听。请求必须从两者共用的那个命名空间里发出。'),
          t('In the shell nestbox opens: `busybox wget -qO- http://127.0.0.1:8080/`.', '在 nestbox 打开的 shell 里：`busybox wget -qO- http://127.0.0.1:8080/`。'),
          t('From your own terminal: `nsenter --target PID --net busybox wget -qO- http://127.0.0.1:8080/`.', '在你自己的终端里：`nsenter --target PID --net busybox wget -qO- http://127.0.0.1:8080/`。'),
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
        return [observeThat(t('web server log: requests from 127.0.0.1', 'Web 服务器日志：来自 127.0.0.1 的请求'), t('≥ 1 new', '≥ 1 条新的'), t(`${n} new`, `${n} 条新的`), n >= 1)];
      },
    },
    {
      id: 'compare',
      title: t('The four modes side by side', '四种模式并排对比'),
      explain: t(
        "Four processes, four answers to \"which network am I in?\", each read from `/proc/$p/ns/net` and `/proc/$p/net/dev`, $p being its process ID. bridge and container share one namespace; host shares the host's; none has one all to itself with nothing in it.",
        '四个进程，对“我在哪个网络里？”给出四个回答，每个都读自 `/proc/$p/ns/net` 和 `/proc/$p/net/dev`，$p 是进程号。bridge 和 container 共用一个命名空间；host 用的是宿主机的；none 独占一个，里面什么也没有。',
      ),
      command: 'for p in $BRIDGE $HOST $NONE $CONTAINER; do readlink /proc/$p/ns/net; cat /proc/$p/net/dev; done',
      syscall: t('readlink(2) and read(2) under /proc/$p', '对 /proc/$p 下的文件做 readlink(2) 和 read(2)'),
      async perform(ctx) {
        const rows: [string, number][] = [['bridge', ctx.state.bridgePid], ['host', ctx.state.hostPid], ['none', ctx.state.nonePid], ['container', ctx.state.containerPid]];
        const header = (mode: string, ns: string, interfaces: string) => `${padEnd(mode, 10)} ${'PID'.padEnd(8)} ${padEnd(ns, 18)} ${interfaces}`;
        ctx.say(t(header('mode', 'namespace', 'interfaces'), header('模式', '命名空间', '网卡')));
        for (const [mode, pid] of rows) ctx.say(`${mode.padEnd(10)} ${String(pid).padEnd(8)} ${label(pid).padEnd(18)} ${interfacesOf(pid).join(' ')}`);
        return 'bridge = container ≠ none ≠ host';
      },
      async verify(ctx) {
        const [b, h, n, c] = [ctx.state.bridgePid, ctx.state.hostPid, ctx.state.nonePid, ctx.state.containerPid].map(netOfPid);
        return [
          observe(t('bridge and container share a namespace', 'bridge 和 container 共用一个命名空间'), true, b === c && b !== undefined),
          observe(t("host is the host's", 'host 用的就是宿主机的命名空间'), true, h === ctx.state.hostNet),
          observe(t('none is alone', 'none 独占一个'), true, n !== undefined && ![b, h, c].includes(n)),
          observeThat(t('distinct namespaces among the four', '四者共有几个不同的命名空间'), '3', new Set([b, h, n, c]).size, new Set([b, h, n, c]).size === 3),
        ];
      },
    },
  ],
};

export default lab;
