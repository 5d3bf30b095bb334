// Lab "bridge": a Linux bridge (nestbox's docker0) with three namespaces plugged into it, each
// given an address from a pool, a default route through the bridge, and traffic that makes the
// bridge learn where every MAC address lives.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Text } from '../src/lab/types.js';
import { existsSync } from 'node:fs';
import type { Netns } from '../src/net/exec.js';
import { createNetns, addRoute, link, routes, routeGet } from '../src/net/link.js';
import { bridgePorts, fdb } from '../src/net/bridge.js';
import { AddressPool } from '../src/net/pool.js';
import { addRule, countedRules, listChains, formatListing, detectIptables, Rule } from '../src/net/iptables.js';
import { readSysctl, BRIDGE_NF_CALL_IPTABLES } from '../src/net/sysctl.js';
import { netOf, nbName, startEchoServer, ping, echo, labBridge, plugIntoBridge } from './net-lab-kit.js';

const ECHO_PORT = 7007;
const BOXES = [1, 2, 3];

interface BridgeState {
  /** The lab's bridge, its subnet and gateway address: set by labBridge in the first step. */
  bridge: string;
  subnet: string;
  gateway: string;
  /** Per namespace, in order 1, 2, 3: its name, its bridge port (the host's veth end), its address, its echo server's PID. */
  ns: string[];
  ports: string[];
  addrs: string[];
  echo: number[];
  /** The process the exercise's shell joins (the echo server in the third namespace). */
  pid: number;
  /** The third namespace's name, for the exercise's texts. */
  ns3: string;
  /** net.bridge.bridge-nf-call-iptables (undefined: br_netfilter not loaded). */
  brnf: string | undefined;
  /** The ICC rule's packet counter right after it was added (undefined: rule not found). */
  iccBefore: number | undefined;
  /** Pings 1->2, 1->3, 2->3: answered or not. */
  pings: boolean[];
  /** What the third namespace's echo server sent back ('' when nothing did). */
  echo13: string;
  /** MAC address of each namespace's eth0 (undefined: not found). */
  macs: (string | undefined)[];
}

const ns = (ctx: LabContext<BridgeState>, i: number): Netns => ({ name: ctx.state.ns[i - 1] });
/** An address far from any lab subnet, for `ip route get` only: the kernel picks a route, nothing is sent. */
const FAR_AWAY = '198.51.100.7';
const ABSENT = t('absent', '不存在');
const NONE = t('none', '无');
const NONE_YET = t('none yet', '还没有');
const NOTHING = t('(nothing)', '（什么也没有）');
/** How the pings went: "answered, answered, lost". */
const pingResults = (pings: boolean[]): Text => t(pings.map((p) => (p ? 'answered' : 'lost')).join(', '), pings.map((p) => (p ? '有应答' : '丢失')).join('、'));

/** Docker's "inter-container communication" rule: frames switched between two ports of the bridge are accepted. */
const iccRule = (ctx: LabContext<BridgeState>): Rule => ({ table: 'filter', chain: 'FORWARD', spec: ['-i', ctx.state.bridge, '-o', ctx.state.bridge, '-m', 'comment', '--comment', `nestbox lab bridge ${ctx.unique}`, '-j', 'ACCEPT'] });

async function iccCounter(ctx: LabContext<BridgeState>): Promise<number | undefined> {
  const rules = await countedRules('filter', 'FORWARD');
  return rules.find((r) => r.text.includes(`nestbox lab bridge ${ctx.unique}`))?.counters?.packets;
}

const lab: Lab<BridgeState> = {
  id: 'bridge',
  title: t('Bridges: a switch for namespaces, the docker0 of nestbox', '网桥：命名空间的交换机，nestbox 的 docker0'),
  module: 12,
  lesson: 'veth-bridge',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'bridge',
      title: t('Create the bridge and give it the gateway address', '创建网桥，给它配上网关地址'),
      explain: t(
        "A bridge is a virtual layer-2 switch inside the kernel. Docker creates one called `docker0`; nestbox's containers use `nb0`, and this lab makes one of its own. The bridge is also an interface of the host: giving it the first address of a subnet makes the host a member of that network, and that address becomes the containers' gateway. Adding the address also adds the route to the subnet through the bridge.",
        '网桥是内核里的一台虚拟二层交换机。Docker 建的网桥叫 `docker0`；nestbox 的容器用 `nb0`，这个实验则自己建一个。网桥同时也是宿主机的一个网络接口：把一个子网的第一个地址配给它，宿主机就成了这个网络的一员，这个地址也就成了容器们的网关。配上地址的同时，内核还会加上一条经由网桥去往这个子网的路由。',
      ),
      command: 'ip link add $BR type bridge; ip addr add 10.213.0.1/24 dev $BR; ip link set $BR up',
      syscall: 'netlink RTM_NEWLINK IFLA_INFO_KIND "bridge"; RTM_NEWADDR; RTM_NEWLINK IFF_UP',
      async perform(ctx) {
        await labBridge(ctx);
        return t(`bridge ${ctx.state.bridge} with ${ctx.state.gateway} on subnet ${ctx.state.subnet}`, `网桥 ${ctx.state.bridge}，地址 ${ctx.state.gateway}，子网 ${ctx.state.subnet}`);
      },
      async verify(ctx) {
        const br = await link('host', ctx.state.bridge);
        const route = (await routes('host')).find((r) => r.dst === ctx.state.subnet);
        return [
          observe(`/sys/class/net/${ctx.state.bridge}/bridge`, t('present', '存在'), existsSync(`/sys/class/net/${ctx.state.bridge}/bridge`) ? t('present', '存在') : ABSENT),
          observe(t(`kind (ip -details link)`, '类型（ip -details link）'), 'bridge', br?.kind ?? ABSENT),
          observe(t(`address of ${ctx.state.bridge}`, `${ctx.state.bridge} 的地址`), `${ctx.state.gateway}/24`, br?.inet.join(' ') || NONE),
          observe(t(`host route to ${ctx.state.subnet}`, `宿主机去往 ${ctx.state.subnet} 的路由`), `dev ${ctx.state.bridge}`, route ? `dev ${route.dev}` : NONE),
          observe(t(`ports in /sys/class/net/${ctx.state.bridge}/brif`, `/sys/class/net/${ctx.state.bridge}/brif 里的端口`), NONE_YET, bridgePorts(ctx.state.bridge).join(' ') || NONE_YET),
        ];
      },
    },
    {
      id: 'attach',
      title: t('Plug three namespaces into the bridge', '把三个命名空间接到网桥上'),
      explain: t(
        "For each namespace nestbox does what Docker does for each container: a veth pair; the host end becomes a *port* of the bridge (`ip link set VETH master BRIDGE`, once `brctl addif`); the other end moves into the namespace as `eth0` and gets an address from the bridge's pool. The pool hands out each address once: every address taken is a file created with `O_EXCL`, which only one process can create, so even containers started at the same instant never collide. The first two get a default route via the gateway; the third does not, yet.",
        '对每个命名空间，nestbox 都做 Docker 对每个容器做的事：建一个 veth 设备对；宿主机上的一端成为网桥的一个*端口*（`ip link set VETH master BRIDGE`，以前用 `brctl addif`）；另一端移进命名空间，改名为 `eth0`，并从网桥的地址池里分到一个地址。地址池里的每个地址只分出去一次：每占用一个地址，就用 `O_EXCL` 创建一个文件，而这个文件只有一个进程能创建成功，所以哪怕几个容器在同一瞬间启动，也不会分到同一个地址。前两个命名空间有经由网关的默认路由；第三个暂时还没有。',
      ),
      command: 'ip link add $V1 type veth peer name $P1; ip link set $V1 master $BR up; ip link set $P1 netns $NS1 name eth0; ip -n $NS1 addr add 10.213.0.2/24 dev eth0; ip -n $NS1 link set eth0 up; ip -n $NS1 route add default via 10.213.0.1',
      syscall: t('netlink RTM_NEWLINK (veth, IFLA_MASTER, IFLA_NET_NS_FD); RTM_NEWADDR; RTM_NEWROUTE; open(O_CREAT|O_EXCL) per address',
        'netlink RTM_NEWLINK（veth, IFLA_MASTER, IFLA_NET_NS_FD）；RTM_NEWADDR；RTM_NEWROUTE；每分配一个地址，就 open(O_CREAT|O_EXCL) 一个文件'),
      async perform(ctx) {
        const net = netOf(ctx);
        const pool = new AddressPool(ctx.state.subnet);
        ctx.state.ns = [];
        ctx.state.ports = [];
        ctx.state.addrs = [];
        ctx.state.echo = [];
        for (const i of BOXES) {
          const name = nbName(ctx, `n${i}`);
          const port = nbName(ctx, `v${i}`);
          const peer = nbName(ctx, `p${i}`);
          ctx.state.ns.push(name);
          ctx.state.ports.push(port);
          await createNetns(net, name);
          // No IPv6 chatter: the bridge learns only from the lab's traffic. The third gets no default route, yet.
          ctx.state.addrs.push(await plugIntoBridge(ctx, pool, { name }, port, peer, { quietIpv6: true, defaultRoute: i < 3 }));
          ctx.state.echo.push(await startEchoServer(ctx, { name }, ECHO_PORT, `echo server in ${name}`));
        }
        ctx.state.pid = ctx.state.echo[2]; // the exercise's shell joins the third namespace through it
        ctx.state.ns3 = ctx.state.ns[2];
        ctx.say(t(`the third namespace is ${ctx.state.ns[2]} (${ctx.state.addrs[2]}); the gateway is ${ctx.state.gateway}`, `第三个命名空间是 ${ctx.state.ns[2]}（${ctx.state.addrs[2]}）；网关是 ${ctx.state.gateway}`));
        return t(ctx.state.ns.map((n, i) => `${n} ${ctx.state.addrs[i]} via port ${ctx.state.ports[i]}`).join('; '),
          ctx.state.ns.map((n, i) => `${n} ${ctx.state.addrs[i]}，经由端口 ${ctx.state.ports[i]}`).join('；'));
      },
      async verify(ctx) {
        const obs = [observe(t(`ports in /sys/class/net/${ctx.state.bridge}/brif`, `/sys/class/net/${ctx.state.bridge}/brif 里的端口`), [...ctx.state.ports].sort().join(' '), bridgePorts(ctx.state.bridge).join(' '))];
        const seen: string[] = [];
        for (const i of BOXES) {
          const eth0 = await link(ns(ctx, i), 'eth0');
          seen.push(...(eth0?.inet ?? []));
          obs.push(observe(t(`eth0 in ${ctx.state.ns[i - 1]}: address, state`, `${ctx.state.ns[i - 1]} 里 eth0 的地址和状态`), `${ctx.state.addrs[i - 1]}/24 UP`,
            t(`${eth0?.inet.join(' ') || 'none'} ${eth0?.operstate ?? 'absent'}`, `${eth0?.inet.join(' ') || '无'} ${eth0?.operstate ?? '不存在'}`)));
        }
        obs.push(observeThat(t('addresses handed out', '分出去的地址'), t('three different ones, none the gateway', '三个互不相同，都不是网关的地址'), seen.join(' '), new Set(seen).size === 3 && !seen.some((s) => s.startsWith(`${ctx.state.gateway}/`))));
        obs.push(observe(t(`pool files (one per address taken)`, '池文件（每占用一个地址就有一个）'), [...ctx.state.addrs].sort().join(' '), new AddressPool(ctx.state.subnet).taken().filter((a) => ctx.state.addrs.includes(a)).join(' ')));
        return obs;
      },
    },
    {
      id: 'icc',
      title: t("Let traffic between the bridge's ports through the firewall", '让防火墙放行网桥端口之间的流量'),
      explain: t(
        "A bridge switches frames at layer 2, below IP, so you might expect iptables never to see them. But with the `br_netfilter` module loaded and `net.bridge.bridge-nf-call-iptables = 1` (Kubernetes needs it; Docker loads it when one of its networks needs it), bridged IPv4 packets also pass through the iptables FORWARD chain. Docker therefore adds an ACCEPT rule for traffic from its bridge to its bridge (\"inter-container communication\"); this lab adds the same for its own bridge, at the top of FORWARD, marked with a comment, and the rule's packet counter will show whether this kernel sends bridged packets through iptables. (`nestbox run` keeps the same rule for `nb0` in a chain of its own, `NESTBOX-FORWARD`, reached by a jump at the top of FORWARD.)",
        '网桥在第二层、也就是 IP 之下交换帧，所以你也许以为 iptables 根本看不到它们。可是只要加载了 `br_netfilter` 模块，并且 `net.bridge.bridge-nf-call-iptables = 1`（Kubernetes 需要它；Docker 在它的某个网络需要时会加载它），桥接的 IPv4 数据包也要经过 iptables 的 FORWARD 链。所以 Docker 加了一条 ACCEPT 规则，放行从它的网桥到它的网桥的流量（“容器间通信”）；这个实验也给自己的网桥加上同样的规则，插在 FORWARD 的最前面，并用注释做了标记。这条规则的包计数器会告诉你，这个内核有没有让桥接的包经过 iptables。（`nestbox run` 给 `nb0` 的同一条规则放在它自己的链 `NESTBOX-FORWARD` 里，由 FORWARD 最前面的一条跳转规则跳过去。）',
      ),
      command: 'iptables -I FORWARD -i $BR -o $BR -j ACCEPT; cat /proc/sys/net/bridge/bridge-nf-call-iptables',
      syscall: t('setsockopt(IPT_SO_SET_REPLACE) or an nf_tables netlink batch (the backend iptables uses)',
        'setsockopt(IPT_SO_SET_REPLACE)，或者一批 nf_tables 的 netlink 消息（看 iptables 用的是哪个后端）'),
      async perform(ctx) {
        await addRule(netOf(ctx), iccRule(ctx), { insert: true });
        ctx.state.brnf = readSysctl(BRIDGE_NF_CALL_IPTABLES);
        ctx.state.iccBefore = await iccCounter(ctx);
        const ipt = await detectIptables();
        const backend = ipt.backend === 'nft' ? 'nf_tables' : 'legacy';
        return t(`br_netfilter: ${ctx.state.brnf === undefined ? 'not loaded' : `bridge-nf-call-iptables = ${ctx.state.brnf}`}; iptables backend: ${backend}`,
          `br_netfilter：${ctx.state.brnf === undefined ? '未加载' : `bridge-nf-call-iptables = ${ctx.state.brnf}`}；iptables 后端：${backend}`);
      },
      async verify(ctx) {
        const listing = await listChains('filter', 'FORWARD');
        const mine = listing[0]?.rules.findIndex((r) => r.extra.includes(`nestbox lab bridge ${ctx.unique}`)) ?? -1;
        return [
          // First, or behind only other rules of nestbox's (a container's NESTBOX-FORWARD jump, another
          // lab's ACCEPT): ahead of everything that could drop its packets.
          observeThat(t('position of our rule in FORWARD (-nvxL)', '我们的规则在 FORWARD 里的位置（-nvxL）'),
            t('1, or right after other nestbox rules', '第 1 条，或者只排在 nestbox 的其他规则后面'), mine + 1,
            mine >= 0 && listing[0].rules.slice(0, mine).every((r) => r.target === 'ACCEPT' || r.target.startsWith('NESTBOX'))),
          observe(t('its counters so far', '它目前的计数'), t('0 packets', '0 个包'), t(`${ctx.state.iccBefore} packets`, `${ctx.state.iccBefore} 个包`)),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('The default route through the bridge', '经由网桥的默认路由'),
      explain: t(
        "A namespace reaches addresses on its own subnet directly (the kernel added that route with the address). Anything else needs a *default route*: \"send it to the gateway\", the bridge's address, and let the host route it onward. Docker sets this route in every container. The third namespace has none yet: `ip route` there shows only the subnet. (`ip route get ADDRESS` asks the kernel which route it would take, without sending anything.)",
        '命名空间可以直接访问自己子网里的地址（配地址的时候，内核顺带加上了这条路由）。其他地址都需要一条*默认路由*：“交给网关”，也就是网桥的地址，由宿主机再往下路由。Docker 在每个容器里都设了这条路由。第三个命名空间还没有：在那里运行 `ip route`，只能看到子网那一条。（`ip route get ADDRESS` 问内核去某个地址会走哪条路由，一个包也不发。）',
      ),
      command: 'ip -n {ns3} route add default via {gateway}',
      syscall: t('netlink RTM_NEWROUTE dst 0.0.0.0/0 gateway 10.213.0.1 in the third namespace',
        '在第三个命名空间里：netlink RTM_NEWROUTE dst 0.0.0.0/0 gateway 10.213.0.1'),
      exercise: {
        task: t(
          "In the **third** namespace, {ns3}, add a default route via the bridge's address, the gateway {gateway}. In the shell nestbox opens there: `ip route` to look, then add the route.",
          '在**第三个**命名空间 {ns3} 里，添加一条默认路由，经由网桥的地址，也就是网关 {gateway}。在 nestbox 为你在里面打开的 shell 里，先用 `ip route` 看一看，再添加路由。',
        ),
        hints: [
          t('`ip route` inside shows only the route to the subnet, {subnet}: every other address has no route. A default route names a gateway with `via`.',
            '在里面运行 `ip route`，只能看到去往子网 {subnet} 的路由：其他地址都没有路由。默认路由要用 `via` 指明网关。'),
          t('`ip route add default dev eth0` is not the same: without `via`, the namespace would ask for every address on the bridge itself, and nobody there answers for the rest of the world.',
            '`ip route add default dev eth0` 不是一回事：没有 `via`，命名空间会直接在网桥上打听每一个地址，而网桥上没有谁会替外面的世界应答。'),
          t('Inside the shell: `ip route add default via {gateway}`. From another terminal: `nsenter --target PID --net ip route add default via {gateway}`.',
            '在 shell 里：`ip route add default via {gateway}`。在另一个终端里：`nsenter --target PID --net ip route add default via {gateway}`。'),
        ],
        shell: { pidKey: 'pid', types: ['net'] },
        async solve(ctx) {
          await addRoute(netOf(ctx), ns(ctx, 3), 'default', { via: ctx.state.gateway });
        },
        async mistake(ctx) {
          // A default route with no gateway: "everything is on this link".
          await addRoute(netOf(ctx), ns(ctx, 3), 'default', { dev: 'eth0' });
        },
      },
      async verify(ctx) {
        const def = (await routes(ns(ctx, 3))).find((r) => r.dst === 'default');
        const get = await routeGet(ns(ctx, 3), FAR_AWAY);
        return [
          observe(t(`default route in ${ctx.state.ns[2]} (ip -json route)`, `${ctx.state.ns[2]} 里的默认路由（ip -json route）`), `via ${ctx.state.gateway} dev eth0`, def ? `${def.gateway ? `via ${def.gateway} ` : ''}dev ${def.dev}` : NONE),
          observe(t(`ip route get ${FAR_AWAY} in ${ctx.state.ns[2]}`, `在 ${ctx.state.ns[2]} 里 ip route get ${FAR_AWAY}`), `${FAR_AWAY} via ${ctx.state.gateway} dev eth0`, get.text),
        ];
      },
    },
    {
      id: 'traffic',
      title: t('Traffic between the namespaces; the bridge learns their MAC addresses', '命名空间之间的流量；网桥学到它们的 MAC 地址'),
      explain: t(
        "The bridge keeps a forwarding database (fdb): for every frame it receives it notes the source MAC address and the port it came in on. Frames to a MAC it knows go out of that one port; the others are flooded to every port but the one they came in on. The entries age out after 300 seconds without traffic. `bridge fdb show br BRIDGE` lists them (once `brctl showmacs`); the learned ones have no `permanent` flag, and the port is the veth whose peer is that namespace's eth0.",
        '网桥维护着一个转发数据库（fdb）：每收到一帧，就记下帧的源 MAC 地址和它进来的端口。发往已知 MAC 的帧只从那一个端口出去；其余的帧泛洪到除来路以外的所有端口。表项在 300 秒没有流量后过期。`bridge fdb show br BRIDGE` 列出这些表项（以前用 `brctl showmacs`）；学到的表项没有 `permanent` 标记，表项里的端口，就是对端为该命名空间 eth0 的那个 veth。',
      ),
      command: 'ip netns exec $NS1 ping -c1 10.213.0.3; ... ; bridge fdb show br $BR; iptables -nvL FORWARD',
      syscall: t('netlink RTM_GETNEIGH (family AF_BRIDGE) for the fdb', 'netlink RTM_GETNEIGH（地址族 AF_BRIDGE），读出网桥的转发数据库（fdb）'),
      async perform(ctx) {
        const learned = (await fdb(ctx.state.bridge)).filter((e) => e.learned);
        ctx.say(t(`learned fdb entries before any traffic: ${learned.length}`, `还没有任何流量时，学到的 fdb 表项：${learned.length} 个`));
        const a = ctx.state.addrs;
        ctx.state.pings = [
          await ping(ctx, ns(ctx, 1), a[1]),
          await ping(ctx, ns(ctx, 1), a[2]),
          await ping(ctx, ns(ctx, 2), a[2]),
        ];
        ctx.state.echo13 = await echo(ctx, ns(ctx, 1), a[2], ECHO_PORT, `hello from ${ctx.state.ns[0]}`);
        ctx.state.macs = [];
        for (const i of BOXES) ctx.state.macs.push((await link(ns(ctx, i), 'eth0'))?.mac);
        for (const e of (await fdb(ctx.state.bridge)).filter((x) => x.learned)) ctx.say(t(`fdb: ${e.mac} on port ${e.port}`, `fdb：${e.mac} 在端口 ${e.port} 上`));
        const icc = (await listChains('filter', 'FORWARD'))[0];
        for (const line of formatListing(icc, (r) => r.extra.includes(`nestbox lab bridge ${ctx.unique}`))) ctx.say(line);
        const pings = pingResults(ctx.state.pings);
        return t(`pings ${pings.en}; echo "${ctx.state.echo13}"`, `ping：${pings.zh}；回显“${ctx.state.echo13}”`);
      },
      async verify(ctx) {
        const table = await fdb(ctx.state.bridge);
        const obs = [
          observe(t('pings 1->2, 1->3, 2->3', 'ping 1->2、1->3、2->3'), pingResults([true, true, true]), pingResults(ctx.state.pings)),
          observe(t(`TCP echo from ${ctx.state.ns[2]}'s server`, `${ctx.state.ns[2]} 的服务器返回的 TCP 回显`), `hello from ${ctx.state.ns[0]}`, ctx.state.echo13 || NOTHING),
        ];
        for (const i of BOXES) {
          const mac = ctx.state.macs[i - 1];
          const entry = table.find((e) => e.mac === mac && e.learned);
          obs.push(observe(t(`fdb: ${mac} (${ctx.state.ns[i - 1]}'s eth0)`, `fdb：${mac}（${ctx.state.ns[i - 1]} 的 eth0）`),
            t(`learned on port ${ctx.state.ports[i - 1]}`, `在端口 ${ctx.state.ports[i - 1]} 上学到`), entry ? t(`learned on port ${entry.port}`, `在端口 ${entry.port} 上学到`) : ABSENT));
        }
        const icc = (await iccCounter(ctx)) ?? 0;
        const through = ctx.state.brnf === '1';
        obs.push(observeThat(t('packets counted by the ACCEPT rule in FORWARD', 'FORWARD 里那条 ACCEPT 规则数到的包'),
          through ? t('> 0: bridged packets pass through iptables (br_netfilter)', '> 0：桥接的包经过 iptables（br_netfilter）') : t('0: bridged packets skip iptables (br_netfilter off)', '0：桥接的包绕过 iptables（br_netfilter 没有生效）'),
          icc, through ? icc > 0 : icc === 0));
        return obs;
      },
    },
  ],
};

export default lab;
