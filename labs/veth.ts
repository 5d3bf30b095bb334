// Lab "veth": two network namespaces joined by a veth pair, the virtual cable every container's
// network starts with. Each step is done with `ip` and checked by reading the kernel back.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { mountTable, namespaceId } from '../src/kernel/proc.js';
import { statSync, readFileSync, existsSync } from 'node:fs';
import type { Netns } from '../src/net/exec.js';
import { createNetns, createVethPair, moveLink, addAddress, setUp, quietIpv6, links, link } from '../src/net/link.js';
import { reserveSubnet } from '../src/net/pool.js';
import { parseCidr, nthAddress } from '../src/net/ipv4.js';
import { netOf, nbName, startEchoServer, inside, ping, echo, waitOperUp } from './net-lab-kit.js';

const ECHO_PORT = 7007;
const ABSENT = t('absent', '不存在');
const NONE = t('none', '无');
const GONE = t('gone', '不在了');
const ANSWERED = t('answered', '有应答');
const NOTHING = t('(nothing)', '（什么也没有）');
const EQUAL = t('equal, > 0', '相等，且 > 0');

/** Packet counters of the two eth0s, read before the traffic step (undefined: the interface gave none). */
interface Counters { aTx: number | undefined; bRx: number | undefined; bTx: number | undefined; aRx: number | undefined }

interface VethState {
  /** The two named network namespaces (ip netns). */
  a: string;
  b: string;
  /** The host's own net namespace inode (undefined when /proc/self/ns/net cannot be read). */
  hostNet: number | undefined;
  /** The veth pair's ends as created on the host; they become eth0 in a and in b. */
  va: string;
  vb: string;
  addrA: string;
  addrB: string;
  /** PIDs of the echo servers in a and in b. */
  echoA: number;
  echoB: number;
  /** The process the exercise's shell joins (the echo server in b). */
  pid: number;
  /** iflink of eth0 in a, and the name of the interface in b with that index (undefined: none). */
  iflinkA: number;
  peerOfA: string | undefined;
  before: Counters;
  pingAB: boolean;
  pingBA: boolean;
  /** What each echo server sent back ('' when nothing did). */
  echoAB: string;
  echoBA: string;
}

const A = (ctx: LabContext<VethState>): Netns => ({ name: ctx.state.a });
const B = (ctx: LabContext<VethState>): Netns => ({ name: ctx.state.b });
/** How much a counter grew; without a reading before it, NaN (the check then fails). */
const grew = (now: number | undefined, before: number | undefined) => (now ?? 0) - (before ?? NaN);

/** /sys/class/net/DEV/{ifindex,iflink} on the host: the numbers behind "DEV@ifN". */
function sysIndex(dev: string): { ifindex?: number; iflink?: number } {
  try {
    return { ifindex: Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8')), iflink: Number(readFileSync(`/sys/class/net/${dev}/iflink`, 'utf8')) };
  } catch {
    return {};
  }
}

const lab: Lab<VethState> = {
  id: 'veth',
  title: t('veth pairs: a virtual cable between two network namespaces', 'veth 设备对：连接两个网络命名空间的虚拟网线'),
  module: 12,
  lesson: 'veth-bridge',
  needs: ['root', 'ns-net', 'ip'],
  steps: [
    {
      id: 'namespaces',
      title: t('Two named network namespaces', '两个有名字的网络命名空间'),
      explain: t(
        "`ip netns add NAME` creates a network namespace and keeps it alive without any process in it: it bind-mounts the namespace's `/proc/self/ns/net` file onto `/run/netns/NAME`. Each starts with nothing but a loopback device, down. Names let you aim commands at it: `ip -n NAME ...` or `ip netns exec NAME program`.",
        '`ip netns add NAME` 创建一个网络命名空间，里面没有任何进程，它也能一直存在：这条命令把该命名空间的 `/proc/self/ns/net` 文件绑定挂载（bind mount）到 `/run/netns/NAME` 上。新的命名空间里只有一个回环设备，而且是关着的（down）。有了名字，就能把命令指向它：`ip -n NAME ...` 或 `ip netns exec NAME program`。',
      ),
      command: 'ip netns add $A; ip netns add $B; ip netns list',
      syscall: 'unshare(CLONE_NEWNET); mount("/proc/self/ns/net", "/run/netns/NAME", MS_BIND)',
      async perform(ctx) {
        const net = netOf(ctx);
        ctx.state.a = nbName(ctx, 'a');
        ctx.state.b = nbName(ctx, 'b');
        await createNetns(net, ctx.state.a);
        await createNetns(net, ctx.state.b);
        ctx.state.hostNet = namespaceId('self', 'net');
        return t(`created ${ctx.state.a} and ${ctx.state.b}`, `创建了 ${ctx.state.a} 和 ${ctx.state.b}`);
      },
      async verify(ctx) {
        const obs = [];
        for (const name of [ctx.state.a, ctx.state.b]) {
          const path = `/run/netns/${name}`;
          const mount = mountTable().find((m) => m.mountPoint === path);
          const ino = existsSync(path) ? statSync(path).ino : undefined;
          const ifaces = (await links({ name })).map((l) => `${l.name}${l.up ? ' UP' : ' DOWN'}`);
          obs.push(
            observe(t(`${path}: mount type`, `${path} 的挂载类型`), 'nsfs', mount?.fstype ?? ABSENT),
            observeThat(t(`its inode (the namespace's number)`, '它的 inode（也就是命名空间的编号）'), t(`≠ host's net:[${ctx.state.hostNet}]`, `≠ 宿主机的 net:[${ctx.state.hostNet}]`), `net:[${ino}]`, ino !== undefined && ino !== ctx.state.hostNet),
            observe(t(`interfaces in ${name} (ip -json link)`, `${name} 里的网络接口（ip -json link）`), 'lo DOWN', ifaces.join(', ')),
          );
        }
        return obs;
      },
    },
    {
      id: 'pair',
      title: t('Create a veth pair on the host', '在宿主机上创建一个 veth 设备对'),
      explain: t(
        "A veth pair is two Ethernet devices joined back to back: whatever one end transmits, the other receives. Each end knows its peer's interface index, its *iflink*: `ip link` prints it after the name, as `@ifN` (or `@peername` when the peer is in the same namespace). Both ends start on the host, down, without addresses.",
        'veth 设备对是背靠背连在一起的两个以太网设备：一端发出的，另一端都会收到。每一端都记着对端的接口索引号，叫作 *iflink*。`ip link` 把它打印在名字后面，写成 `@ifN`（如果对端在同一个命名空间里，就写成 `@peername`，即对端的名字）。两端一开始都在宿主机上，关着（down），也没有地址。',
      ),
      command: 'ip link add $VA type veth peer name $VB; ip link show type veth',
      syscall: 'netlink RTM_NEWLINK, IFLA_INFO_KIND "veth", VETH_INFO_PEER',
      async perform(ctx) {
        ctx.state.va = nbName(ctx, 'va');
        ctx.state.vb = nbName(ctx, 'vb');
        await createVethPair(netOf(ctx), ctx.state.va, ctx.state.vb);
        return t(`${ctx.state.va} and ${ctx.state.vb} exist on the host, joined to each other`, `宿主机上有了 ${ctx.state.va} 和 ${ctx.state.vb}，两者互为对端`);
      },
      async verify(ctx) {
        const a = sysIndex(ctx.state.va);
        const b = sysIndex(ctx.state.vb);
        const info = await link('host', ctx.state.va);
        return [
          observe(t(`kind of ${ctx.state.va} (ip -details: linkinfo)`, `${ctx.state.va} 的类型（ip -details 的 linkinfo）`), 'veth', info?.kind ?? ABSENT),
          observe(t(`${ctx.state.va}'s iflink (its peer's index)`, `${ctx.state.va} 的 iflink（对端的索引号）`),
            t(`${b.ifindex} (= ${ctx.state.vb}'s ifindex)`, `${b.ifindex}（= ${ctx.state.vb} 的 ifindex）`),
            t(`${a.iflink} (= ${ctx.state.vb}'s ifindex)`, `${a.iflink}（= ${ctx.state.vb} 的 ifindex）`)),
          observe(t(`${ctx.state.vb}'s iflink`, `${ctx.state.vb} 的 iflink`),
            t(`${a.ifindex} (= ${ctx.state.va}'s ifindex)`, `${a.ifindex}（= ${ctx.state.va} 的 ifindex）`),
            t(`${b.iflink} (= ${ctx.state.va}'s ifindex)`, `${b.iflink}（= ${ctx.state.va} 的 ifindex）`)),
          observe(t(`${ctx.state.va} is up`, `${ctx.state.va} 是否 up`), false, info?.up ?? ABSENT),
        ];
      },
    },
    {
      id: 'move',
      title: t('Plug each end into a namespace, with an address', '把两端各插进一个命名空间，配上地址'),
      explain: t(
        "`ip link set DEV netns NS name eth0` moves an end into a namespace and renames it there, the way Docker turns its veth end into the container's `eth0`. The host no longer sees it. Addresses are per namespace: each end gets one from a /24 nestbox picked because no route on this host uses it. The first end is brought up; the second is left down on purpose. A tiny TCP echo server (`nc`) listens in each namespace.",
        '`ip link set DEV netns NS name eth0` 把一端移进某个命名空间，并在那里给它改名；Docker 就是这样把自己那一端 veth 变成容器里的 `eth0` 的。移走以后，宿主机就看不到它了。地址是各个命名空间自己的：两端各从同一个 /24 里分到一个地址，nestbox 挑这个 /24，是因为宿主机上没有任何路由在用它。第一端设为 up；第二端故意留在 down。每个命名空间里都有一个很小的 TCP 回显服务器（`nc`）在监听。',
      ),
      command: t('ip link set $VA netns $A name eth0; ip -n $A addr add 10.213.0.1/24 dev eth0; ip -n $A link set eth0 up; (the same for $B, without "up")',
        'ip link set $VA netns $A name eth0; ip -n $A addr add 10.213.0.1/24 dev eth0; ip -n $A link set eth0 up; （$B 也照样做，只是不加 "up"）'),
      syscall: t('netlink RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME; RTM_NEWADDR; RTM_NEWLINK IFF_UP',
        'netlink RTM_NEWLINK，带上 IFLA_NET_NS_FD 和 IFLA_IFNAME；RTM_NEWADDR；RTM_NEWLINK IFF_UP'),
      async perform(ctx) {
        const net = netOf(ctx);
        const subnet = parseCidr(await reserveSubnet(net));
        ctx.state.addrA = nthAddress(subnet, 1);
        ctx.state.addrB = nthAddress(subnet, 2);
        for (const [end, ns, addr] of [[ctx.state.va, A(ctx), ctx.state.addrA], [ctx.state.vb, B(ctx), ctx.state.addrB]] as const) {
          await moveLink(net, end, ns, 'eth0');
          await quietIpv6(net, ns, 'eth0'); // no IPv6 chatter: the counters below show only what the lab sends
          await addAddress(net, ns, 'eth0', `${addr}/${subnet.prefix}`);
          await setUp(net, ns, 'lo');
        }
        await setUp(net, A(ctx), 'eth0');
        ctx.state.echoA = await startEchoServer(ctx, A(ctx), ECHO_PORT, 'echo server in A');
        ctx.state.echoB = await startEchoServer(ctx, B(ctx), ECHO_PORT, 'echo server in B');
        ctx.state.pid = ctx.state.echoB; // the exercise's shell joins B through this process
        return t(`${ctx.state.a}: eth0 ${ctx.state.addrA}/24, up; ${ctx.state.b}: eth0 ${ctx.state.addrB}/24, still down`,
          `${ctx.state.a}：eth0 ${ctx.state.addrA}/24，已 up；${ctx.state.b}：eth0 ${ctx.state.addrB}/24，仍是 down`);
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        return [
          observe(t(`${ctx.state.va} on the host (/sys/class/net)`, `宿主机上的 ${ctx.state.va}（/sys/class/net）`), GONE, existsSync(`/sys/class/net/${ctx.state.va}`) ? t('present', '还在') : GONE),
          observe(t(`eth0 in ${ctx.state.a}: address`, `${ctx.state.a} 里 eth0 的地址`), `${ctx.state.addrA}/24`, ea?.inet.join(' ') ?? ABSENT),
          observe(t(`eth0 in ${ctx.state.b}: address`, `${ctx.state.b} 里 eth0 的地址`), `${ctx.state.addrB}/24`, eb?.inet.join(' ') ?? ABSENT),
          observe(t(`eth0 in ${ctx.state.a}: flags say up`, `${ctx.state.a} 里 eth0 的标志是否为 up`), true, ea?.up ?? ABSENT),
          // Up on one side only: the kernel reports that its lower layer (the peer) is down.
          observe(t(`eth0 in ${ctx.state.a}: operstate`, `${ctx.state.a} 里 eth0 的 operstate`), 'LOWERLAYERDOWN', ea?.operstate ?? ABSENT),
          observe(t(`eth0 in ${ctx.state.b}: flags say up`, `${ctx.state.b} 里 eth0 的标志是否为 up`), false, eb?.up ?? ABSENT),
        ];
      },
    },
    {
      id: 'peer',
      title: t("Find a veth's peer from its @ifN index", '从 @ifN 索引号找到 veth 的对端'),
      explain: t(
        "Inside a namespace, `ip link` shows `eth0@if5`: the 5 is the *iflink*, the peer's interface index, and `link-netnsid` says which namespace holds it. `/sys/class/net/eth0/iflink` gives the same number (read it inside the namespace: `ip netns exec` mounts a /sys that shows the namespace's own interfaces). The interface whose ifindex is that number, in the other namespace (or on the host, for a container), is the other end. This is how you find which host `veth...` belongs to a container.",
        '在命名空间里，`ip link` 显示 `eth0@if5`：这个 5 就是 *iflink*，即对端的接口索引号；`link-netnsid` 说明对端在哪个命名空间里。`/sys/class/net/eth0/iflink` 给出的是同一个数字（要在命名空间里面读：`ip netns exec` 会挂载一个 /sys，里面列的是这个命名空间自己的接口）。到另一个命名空间里（对容器来说，就是宿主机上）找 ifindex 等于这个数字的接口，它就是另一端。宿主机上哪个 `veth...` 属于哪个容器，就是这样查出来的。',
      ),
      command: 'ip -n $A link show eth0; ip netns exec $A cat /sys/class/net/eth0/iflink; ip -n $B -o link | grep "^N:"',
      syscall: t('netlink RTM_GETLINK (IFLA_LINK, IFLA_LINK_NETNSID); read(2) of /sys/class/net/eth0/iflink',
        'netlink RTM_GETLINK（IFLA_LINK, IFLA_LINK_NETNSID）；read(2) 读 /sys/class/net/eth0/iflink'),
      async perform(ctx) {
        const shown = await inside(ctx, A(ctx), ['ip', '-o', 'link', 'show', 'eth0'], { quiet: true });
        ctx.say(`$ ip -n ${ctx.state.a} -o link show eth0  ->  ${shown.stdout.split('\\')[0].trim()}`);
        const r = await inside(ctx, A(ctx), ['cat', '/sys/class/net/eth0/iflink']);
        ctx.state.iflinkA = Number(r.stdout.trim());
        const peer = (await links(B(ctx))).find((l) => l.ifindex === ctx.state.iflinkA);
        ctx.state.peerOfA = peer?.name;
        return t(`eth0 in ${ctx.state.a} has iflink ${ctx.state.iflinkA}; in ${ctx.state.b}, index ${ctx.state.iflinkA} is ${peer?.name ?? 'nothing'}`,
          `${ctx.state.a} 里 eth0 的 iflink 是 ${ctx.state.iflinkA}；${ctx.state.b} 里${peer ? `的 ${ctx.state.iflinkA} 号接口是 ${peer.name}` : `没有 ${ctx.state.iflinkA} 号接口`}`);
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        return [
          observe(t(`/sys/class/net/eth0/iflink inside ${ctx.state.a}`, `${ctx.state.a} 里的 /sys/class/net/eth0/iflink`), ea?.iflink, ctx.state.iflinkA),
          observe(t(`interface with ifindex ${ctx.state.iflinkA} in ${ctx.state.b}`, `${ctx.state.b} 里 ifindex 为 ${ctx.state.iflinkA} 的接口`), 'eth0', ctx.state.peerOfA ?? NONE),
          observe(t(`iflink of eth0 in ${ctx.state.b} (back the other way)`, `${ctx.state.b} 里 eth0 的 iflink（反过来查）`),
            t(`${ea?.ifindex} (eth0 of ${ctx.state.a})`, `${ea?.ifindex}（${ctx.state.a} 的 eth0）`),
            t(`${eb?.iflink} (eth0 of ${ctx.state.a})`, `${eb?.iflink}（${ctx.state.a} 的 eth0）`)),
          observeThat(t(`link-netnsid of eth0 in ${ctx.state.a}`, `${ctx.state.a} 里 eth0 的 link-netnsid`), t('set: the peer lives in another namespace', '有值：对端在另一个命名空间里'), ea?.linkNetnsid ?? NONE, ea?.linkNetnsid !== undefined),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Plug in the other end', '接上另一端'),
      explain: t(
        "A veth carries frames only when *both* ends are up: until then the up end reports LOWERLAYERDOWN and every packet sent into it is dropped. Bring up the end in the second namespace; the first namespace must then reach it.",
        'veth 只有在*两端*都 up 时才传送帧。在那之前，已经 up 的那一端显示 LOWERLAYERDOWN，发进去的每个包都会被丢掉。把第二个命名空间里的那一端设为 up，之后第一个命名空间必须能访问到它。',
      ),
      command: 'ip -n {b} link set eth0 up',
      syscall: t('netlink RTM_NEWLINK with IFF_UP on eth0 in the second namespace',
        '在第二个命名空间里对 eth0 发 netlink RTM_NEWLINK，带上 IFF_UP'),
      exercise: {
        task: t(
          "In the second namespace, {b}, bring **eth0** up. In the shell nestbox opens there: `ip link set eth0 up`, then `ip addr` to see it. From your own terminal, `ip -n {b} link set eth0 up` does the same.",
          '在第二个命名空间 {b} 里，把 **eth0** 设为 up。在 nestbox 为你在里面打开的 shell 里运行 `ip link set eth0 up`，再用 `ip addr` 看看结果。在你自己的终端里运行 `ip -n {b} link set eth0 up`，效果也一样。',
        ),
        hints: [
          t("The cable's end in {b} is called eth0 there, and `ip link` shows it DOWN. `ip link set lo up` is not it: loopback is already up. Both namespaces call their end eth0: the one in the first namespace is up already; the one to bring up is in {b}.",
            '网线在 {b} 里的那一端，在那里叫 eth0，`ip link` 显示它是 DOWN。`ip link set lo up` 不对：回环设备早就 up 了。两个命名空间都把自己那一端叫作 eth0：第一个命名空间里的已经 up 了，要设为 up 的是 {b} 里的那个。'),
          t('Use the shell nestbox opens: it is inside {b} already. There: `ip link set eth0 up`.',
            '用 nestbox 打开的 shell：它已经在 {b} 里面了。在那里运行 `ip link set eth0 up`。'),
          t('From another terminal: `ip -n {b} link set eth0 up` ({b} is a named namespace, listed by `ip netns`), or `nsenter --target PID --net ip link set eth0 up` (PID is the echo server in {b}).',
            '在另一个终端里：`ip -n {b} link set eth0 up`（{b} 是一个有名字的命名空间，`ip netns` 会列出它），或者 `nsenter --target PID --net ip link set eth0 up`（PID 是 {b} 里那个回显服务器）。'),
        ],
        shell: { pidKey: 'pid', types: ['net'] },
        async solve(ctx) {
          await setUp(netOf(ctx), B(ctx), 'eth0');
        },
        async mistake(ctx) {
          // The wrong device: loopback, which was up already.
          await setUp(netOf(ctx), B(ctx), 'lo');
        },
      },
      async verify(ctx) {
        const stateB = await waitOperUp(B(ctx), 'eth0', 500);
        const stateA = (await link(A(ctx), 'eth0'))?.operstate ?? 'absent';
        const reached = stateB === 'UP' ? await ping(ctx, A(ctx), ctx.state.addrB, { quiet: true }) : false;
        return [
          observe(t(`eth0 in ${ctx.state.b}: operstate`, `${ctx.state.b} 里 eth0 的 operstate`), 'UP', stateB === 'absent' ? ABSENT : stateB),
          observe(t(`eth0 in ${ctx.state.a}: operstate (peer up)`, `${ctx.state.a} 里 eth0 的 operstate（对端已 up）`), 'UP', stateA === 'absent' ? ABSENT : stateA),
          observe(t(`ping ${ctx.state.addrB} from ${ctx.state.a}`, `从 ${ctx.state.a} ping ${ctx.state.addrB}`), ANSWERED, reached ? ANSWERED : t('no answer', '没有应答')),
        ];
      },
    },
    {
      id: 'traffic',
      title: t('Traffic through the cable, both ways', '流量在网线上双向通过'),
      explain: t(
        "With both ends up, the two namespaces form a two-host Ethernet: ARP finds the peer's MAC address, then ICMP and TCP flow. A veth delivers every frame one end sends to the other end: the sender's transmit counter and the receiver's receive counter (`ip -s link`) move by the same amount (IPv6 was kept quiet on these links, so nothing else is sent).",
        '两端都 up 以后，两个命名空间就组成了一个只有两台主机的以太网：先由 ARP 查出对端的 MAC 地址，然后 ICMP 和 TCP 就能通了。一端发出的每一帧，veth 都会交到另一端：发送方的发送计数和接收方的接收计数（`ip -s link`）增加的数量一样（这两条链路上的 IPv6 已经关掉，不会发出别的东西）。',
      ),
      command: 'ip netns exec $A ping -c1 $ADDR_B; echo hello | ip netns exec $A nc $ADDR_B 7007; ip -s -n $A link show eth0',
      syscall: t('socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); connect(2)/write(2)/read(2) on a TCP socket',
        'socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)；在一个 TCP 套接字上 connect(2)/write(2)/read(2)'),
      async perform(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        ctx.state.before = { aTx: ea?.stats?.txPackets, bRx: eb?.stats?.rxPackets, bTx: eb?.stats?.txPackets, aRx: ea?.stats?.rxPackets };
        ctx.state.pingAB = await ping(ctx, A(ctx), ctx.state.addrB);
        ctx.state.pingBA = await ping(ctx, B(ctx), ctx.state.addrA);
        ctx.state.echoAB = await echo(ctx, A(ctx), ctx.state.addrB, ECHO_PORT, `hello from ${ctx.state.a}`);
        ctx.state.echoBA = await echo(ctx, B(ctx), ctx.state.addrA, ECHO_PORT, `hello from ${ctx.state.b}`);
        return t(`echo from ${ctx.state.b}'s server: "${ctx.state.echoAB}"; from ${ctx.state.a}'s: "${ctx.state.echoBA}"`,
          `${ctx.state.b} 的服务器回显：“${ctx.state.echoAB}”；${ctx.state.a} 的服务器回显：“${ctx.state.echoBA}”`);
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        const d = ctx.state.before;
        const aTx = grew(ea?.stats?.txPackets, d.aTx);
        const bRx = grew(eb?.stats?.rxPackets, d.bRx);
        const bTx = grew(eb?.stats?.txPackets, d.bTx);
        const aRx = grew(ea?.stats?.rxPackets, d.aRx);
        return [
          observe(`ping ${ctx.state.a} -> ${ctx.state.b}`, true, ctx.state.pingAB),
          observe(`ping ${ctx.state.b} -> ${ctx.state.a}`, true, ctx.state.pingBA),
          observe(t(`TCP echo from ${ctx.state.b}'s server`, `${ctx.state.b} 的服务器返回的 TCP 回显`), `hello from ${ctx.state.a}`, ctx.state.echoAB || NOTHING),
          observe(t(`TCP echo from ${ctx.state.a}'s server`, `${ctx.state.a} 的服务器返回的 TCP 回显`), `hello from ${ctx.state.b}`, ctx.state.echoBA || NOTHING),
          observeThat(t(`packets ${ctx.state.a} sent / ${ctx.state.b} got`, `${ctx.state.a} 发出的包 / ${ctx.state.b} 收到的包`), EQUAL, `${aTx} / ${bRx}`, aTx > 0 && aTx === bRx),
          observeThat(t(`packets ${ctx.state.b} sent / ${ctx.state.a} got`, `${ctx.state.b} 发出的包 / ${ctx.state.a} 收到的包`), EQUAL, `${bTx} / ${aRx}`, bTx > 0 && bTx === aRx),
        ];
      },
    },
  ],
};

export default lab;
