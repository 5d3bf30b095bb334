// Lab "nat": how a container reaches the world through the host. The host forwards (ip_forward)
// and rewrites the source address of packets leaving the container subnet (MASQUERADE). "The
// world" here is a namespace of the lab's own, with its own veth, subnet and no route back to the
// containers, so no packet ever leaves this machine.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Netns } from '../src/net/exec.js';
import { createNetns, routes } from '../src/net/link.js';
import { reserveSubnet, AddressPool } from '../src/net/pool.js';
import { addRule, countedRules, listChains, formatListing, Rule } from '../src/net/iptables.js';
import { ruleOption } from '../src/net/parse.js';
import { readSysctl, IP_FORWARD, BRIDGE_NF_CALL_IPTABLES } from '../src/net/sysctl.js';
import { Ledger } from '../src/host/ledger.js';
import { netOf, nbName, startWebServer, webRoot, httpGet, plainAddress, ping, snmpCounter, devCounters, adoptRules, removeRulesNaming, useForwarding, leaveForwarding, labBridge, plugIntoBridge, linkToHost } from './net-lab-kit.js';

interface NatState {
  /** The lab's bridge, its subnet and gateway address: set by labBridge in the first step (cleanup, which runs even when that step did not, checks). */
  bridge: string;
  subnet: string;
  gateway: string;
  /** The box: a namespace on the bridge, and its address. */
  box: string;
  boxAddr: string;
  /** The outside: a namespace linked straight to the host, its subnet and address, and its web server's PID. */
  outside: string;
  outSubnet: string;
  outsideAddr: string;
  outsidePid: number;
  /** The host's end of the veth to the outside, and its address there. */
  hostOut: string;
  hostOutAddr: string;
  /** ip_forward before the lab turned it on (undefined: unreadable). */
  forwardBefore: string | undefined;
  /** The outside's OutNoRoutes and eth0 receive counters before the request without NAT (undefined: unreadable). */
  noRoutesBefore: number | undefined;
  rxBefore: number | undefined;
  /** The outside's page as the box got it without NAT (undefined: no answer, as expected). */
  plainAnswer: string | undefined;
  /** The caller the outside saw with MASQUERADE (undefined: no answer), and whether the box's ping was answered. */
  seen: string | undefined;
  pinged: boolean;
}

const BOX = (ctx: LabContext<NatState>): Netns => ({ name: ctx.state.box });
const NONE = t('none', '无');
const NO_ANSWER = t('no answer', '没有回应');
const PRESENT = t('present', '存在');
const OUTSIDE = (ctx: LabContext<NatState>): Netns => ({ name: ctx.state.outside });
const tag = (ctx: LabContext<NatState>) => `nestbox lab nat ${ctx.unique}`;
const comment = (ctx: LabContext<NatState>, what: string) => ['-m', 'comment', '--comment', `${tag(ctx)} ${what}`];

/** The rule Docker adds for its bridge: from the container subnet, leaving by any interface but the bridge. */
const masquerade = (ctx: LabContext<NatState>): Rule => ({ table: 'nat', chain: 'POSTROUTING', spec: ['-s', ctx.state.subnet, '!', '-o', ctx.state.bridge, ...comment(ctx, 'masquerade'), '-j', 'MASQUERADE'] });

/** MASQUERADE rules in POSTROUTING for the lab's subnet that send packets anywhere but back into the bridge. */
async function masqueradeRules(ctx: LabContext<NatState>) {
  const rules = await countedRules('nat', 'POSTROUTING');
  return rules.filter((r) => r.args.at(-1) === 'MASQUERADE' && ruleOption(r.args, '-s', '--source') === ctx.state.subnet);
}

/** Ask the outside's web server who is calling: it answers with the source address it sees. */
async function whoCalls(ctx: LabContext<NatState>, quiet = false): Promise<string | undefined> {
  const body = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/cgi-bin/peer`, { timeoutMs: 700, quiet });
  return body === undefined ? undefined : plainAddress(body);
}

const lab: Lab<NatState> = {
  id: 'nat',
  title: t('NAT: a container reaches the outside through the host', 'NAT：容器经由宿主机访问外面'),
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'topology',
      title: t('A container on a bridge, and an "outside" network', '网桥上的一个容器，和一个“外面”的网络'),
      explain: t(
        "The box is a namespace on a bridge, like a container on docker0: address from the bridge's subnet, default route via the bridge. The *outside* is another namespace, reached through its own veth and subnet, like the network behind the host's eth0. Like any real network beyond your host, it has never heard of the container subnet: its only route is its own subnet. A web server runs there whose page answers with the source address it sees. Two FORWARD rules like Docker's, inserted at the top of the chain so that a DROP policy (Docker sets one) does not stop them, let the bridge's traffic out and the replies back in.",
        '盒子是接在网桥上的一个命名空间，就像接在 docker0 上的容器：地址来自网桥的子网，默认路由经由网桥。*外面*是另一个命名空间，通过它自己的 veth 和子网连到宿主机，就像宿主机 eth0 后面的那个网络。和你宿主机之外任何真实的网络一样，它从没听说过容器的子网：它唯一的路由就是它自己的子网。那里运行着一个 Web 服务器，它的页面会告诉你它看到的源地址。两条仿照 Docker 的 FORWARD 规则插在这条链的最前面，这样即使链的策略是 DROP（Docker 就会这么设），也挡不住它们：一条让网桥的流量出去，一条让回包回来。',
      ),
      command: 'ip link add $BR type bridge ...; ip netns add $BOX ...; ip netns add $OUT; ip link add $VO type veth peer name $PO; ...',
      syscall: t('netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE; setns(CLONE_NEWNET) for the servers',
        'netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE；服务器进程用 setns(CLONE_NEWNET) 进入各自的命名空间'),
      async perform(ctx) {
        const net = netOf(ctx);
        ctx.state.box = nbName(ctx, 'box');
        ctx.state.outside = nbName(ctx, 'out');
        ctx.state.hostOut = nbName(ctx, 'vo');
        // The container side: a bridge, subnet and pool like docker0's.
        const pool = await labBridge(ctx);
        await createNetns(net, ctx.state.box);
        ctx.state.boxAddr = await plugIntoBridge(ctx, pool, BOX(ctx), nbName(ctx, 'vb'), nbName(ctx, 'pb'), { quietIpv6: true });
        // The outside: its own subnet on a veth from the host; no route back to the box's subnet.
        ctx.state.outSubnet = await reserveSubnet(net);
        const out = new AddressPool(ctx.state.outSubnet);
        ctx.state.hostOutAddr = out.gateway;
        await createNetns(net, ctx.state.outside);
        ctx.state.outsideAddr = await linkToHost(ctx, out, OUTSIDE(ctx), ctx.state.hostOut, nbName(ctx, 'po'), { quietInside: true });
        const web = await startWebServer(ctx, OUTSIDE(ctx), '0.0.0.0:80', webRoot(ctx, 'outside', `the outside world (${ctx.state.outside})`), 'web server in the outside');
        ctx.state.outsidePid = web.pid;
        // Docker's FORWARD rules for a bridge: out from it, and replies back to it. At the top of
        // the chain, so that a host whose FORWARD ends in DROP or REJECT still lets them through.
        await addRule(net, { table: 'filter', chain: 'FORWARD', spec: ['-i', ctx.state.bridge, '!', '-o', ctx.state.bridge, ...comment(ctx, 'out'), '-j', 'ACCEPT'] }, { insert: true });
        await addRule(net, { table: 'filter', chain: 'FORWARD', spec: ['-o', ctx.state.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...comment(ctx, 'replies'), '-j', 'ACCEPT'] }, { insert: true });
        ctx.say(t(`the box: ${ctx.state.box}, ${ctx.state.boxAddr} on ${ctx.state.subnet} behind bridge ${ctx.state.bridge}`,
          `盒子：${ctx.state.box}，地址 ${ctx.state.boxAddr}，在网桥 ${ctx.state.bridge} 后面的子网 ${ctx.state.subnet} 上`));
        ctx.say(t(`the outside: ${ctx.state.outside}, ${ctx.state.outsideAddr}; the host's address facing it: ${ctx.state.hostOutAddr} on ${ctx.state.hostOut}`,
          `外面：${ctx.state.outside}，地址 ${ctx.state.outsideAddr}；宿主机朝向它的地址：${ctx.state.hostOut} 上的 ${ctx.state.hostOutAddr}`));
        return t(`box ${ctx.state.boxAddr} (subnet ${ctx.state.subnet}, bridge ${ctx.state.bridge}); outside ${ctx.state.outsideAddr}`,
          `盒子 ${ctx.state.boxAddr}（子网 ${ctx.state.subnet}，网桥 ${ctx.state.bridge}）；外面 ${ctx.state.outsideAddr}`);
      },
      async verify(ctx) {
        const boxDefault = (await routes(BOX(ctx))).find((r) => r.dst === 'default');
        const outRoutes = (await routes(OUTSIDE(ctx))).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
        const hostRoutes = (await routes('host')).map((r) => r.dst);
        return [
          observe(t(`default route in the box`, '盒子里的默认路由'), `via ${ctx.state.gateway}`, boxDefault?.gateway ? `via ${boxDefault.gateway}` : NONE),
          observe(t(`routes in the outside (ip -json route)`, '外面的路由（ip -json route）'), ctx.state.outSubnet, outRoutes.join(', ') || NONE),
          observe(t(`host routes to both subnets`, '宿主机去往两个子网的路由'), `${ctx.state.subnet} ${ctx.state.outSubnet}`, [ctx.state.subnet, ctx.state.outSubnet].filter((s) => hostRoutes.includes(s)).join(' ')),
          observe(t(`outside reached from the host (ping ${ctx.state.outsideAddr})`, `宿主机能访问到外面（ping ${ctx.state.outsideAddr}）`), true, await ping(ctx, 'host', ctx.state.outsideAddr, { quiet: true })),
        ];
      },
    },
    {
      id: 'forward',
      title: t('Turn the host into a router: ip_forward', '把宿主机变成路由器：ip_forward'),
      explain: t(
        "A packet from the box to the outside arrives on the bridge addressed to someone else. A Linux host drops such packets unless `net.ipv4.ip_forward` is 1; only then does it route them on, through the FORWARD chain, like a router. Docker turns it on when it starts. nestbox turns it on for as long as a lab or container needs it, writing the old value in its ledger first, and the last user puts the old value back. (`br_netfilter`, which older Docker guides load as well, is about traffic *inside* a bridge; see the bridge lab.)",
        '盒子发往外面的数据包从网桥进来，目的地址是别人。除非 `net.ipv4.ip_forward` 是 1，否则 Linux 宿主机会丢掉这种包；是 1 的时候，它才像路由器一样，经 FORWARD 链把包转发出去。Docker 启动时会把它打开。nestbox 只在有实验或容器需要的时候打开它：先把原来的值写进台账，最后一个用户离开时再把原值恢复。（老的 Docker 教程还会让你加载 `br_netfilter`，它管的是网桥*内部*的流量，见 bridge 实验。）',
      ),
      command: 'sysctl net.ipv4.ip_forward; sysctl -w net.ipv4.ip_forward=1',
      syscall: t('write(2) of "1" to /proc/sys/net/ipv4/ip_forward', 'write(2) 把 "1" 写进 /proc/sys/net/ipv4/ip_forward'),
      async perform(ctx) {
        ctx.state.forwardBefore = readSysctl(IP_FORWARD);
        if (ctx.state.forwardBefore === '0') {
          const r = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/`, { timeoutMs: 500 });
          ctx.say(t(`with ip_forward = 0 the request ${r === undefined ? 'got no answer: the host dropped it' : 'was answered'}`,
            `ip_forward = 0 时，这个请求${r === undefined ? '没有得到回应：宿主机把它丢掉了' : '得到了回应'}`));
        }
        await useForwarding(ctx);
        const now = readSysctl(IP_FORWARD);
        return t(`ip_forward was ${ctx.state.forwardBefore}, is ${now} now`, `ip_forward 原来是 ${ctx.state.forwardBefore}，现在是 ${now}`);
      },
      async verify(ctx) {
        const kept = new Ledger('shared-ip_forward').entries().find((e) => e.kind === 'sysctl' && e.path === IP_FORWARD) as { value: string } | undefined;
        const brnf = readSysctl(BRIDGE_NF_CALL_IPTABLES);
        ctx.say(t(`br_netfilter: ${brnf === undefined ? 'not loaded' : `net.bridge.bridge-nf-call-iptables = ${brnf}`}`,
          `br_netfilter：${brnf === undefined ? '未加载' : `net.bridge.bridge-nf-call-iptables = ${brnf}`}`));
        return [
          observe(IP_FORWARD, '1', readSysctl(IP_FORWARD)),
          ctx.state.forwardBefore === '1'
            ? observe(t('old value to restore', '要恢复的原值'), t('none: it was 1 already', '无：它本来就是 1'), t('none: it was 1 already', '无：它本来就是 1'))
            : observe(t('old value in the ledger, to restore', '台账里记下的原值，用来恢复'), ctx.state.forwardBefore, kept?.value ?? t('missing', '缺失')),
        ];
      },
      async cleanup(ctx) {
        await leaveForwarding(ctx);
      },
    },
    {
      id: 'no-nat',
      title: t('Forwarded, but no answer comes back', '转发出去了，却等不到回答'),
      explain: t(
        "Now the host forwards the box's packets, and they reach the outside with the box's own address as their source. The outside wants to answer but has no route to the container subnet, so its kernel cannot even send the reply: it counts it in `OutNoRoutes` in its `/proc/net/snmp`. This is exactly what happens to a private address on the internet: nobody routes it back.",
        '现在宿主机会转发盒子的数据包了，包到达外面时，源地址还是盒子自己的地址。外面想回答，却没有去往容器子网的路由，所以它的内核连回包都发不出去，只能在自己的 `/proc/net/snmp` 里把它记进 `OutNoRoutes`。私有地址在互联网上遇到的正是这种情况：没有人会把它路由回来。',
      ),
      command: 'ip netns exec $BOX wget -qO- http://$OUTSIDE/; ip netns exec $OUT cat /proc/net/snmp',
      syscall: t('connect(2) from the box; the outside: ip_route_output fails, IPSTATS_MIB_OUTNOROUTES++',
        '盒子里 connect(2)；外面的命名空间里：ip_route_output 失败，IPSTATS_MIB_OUTNOROUTES++'),
      async perform(ctx) {
        ctx.state.noRoutesBefore = snmpCounter(ctx.state.outsidePid, 'Ip', 'OutNoRoutes');
        ctx.state.rxBefore = devCounters(ctx.state.outsidePid, 'eth0')?.rxPackets;
        ctx.state.plainAnswer = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/`, { timeoutMs: 500 });
        return ctx.state.plainAnswer === undefined ? t('the request from the box got no answer', '盒子发出的请求没有得到回应') : t(`answered: ${ctx.state.plainAnswer}`, `得到了回应：${ctx.state.plainAnswer}`);
      },
      async verify(ctx) {
        const noRoutes = (snmpCounter(ctx.state.outsidePid, 'Ip', 'OutNoRoutes') ?? 0) - (ctx.state.noRoutesBefore ?? 0);
        const rx = (devCounters(ctx.state.outsidePid, 'eth0')?.rxPackets ?? 0) - (ctx.state.rxBefore ?? 0);
        return [
          observe(t('answer from the outside', '外面给的回答'), NONE, ctx.state.plainAnswer ?? NONE),
          observeThat(t("packets received on the outside's eth0", '外面的 eth0 收到的包'), t('> 0: the request did arrive', '> 0：请求确实到了'), t(`${rx} more`, `多了 ${rx} 个`), rx > 0),
          observeThat(t("outside's OutNoRoutes (/proc/PID/net/snmp)", '外面的 OutNoRoutes（/proc/PID/net/snmp）'), t('> 0: it had no route for its reply', '> 0：它的回包没有路由'), t(`${noRoutes} more`, `多了 ${noRoutes} 个`), noRoutes > 0),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('The MASQUERADE rule', 'MASQUERADE 规则'),
      explain: t(
        "MASQUERADE, in the nat table's POSTROUTING chain, rewrites the source address of a packet as it leaves the host, to the address of the interface it leaves by; conntrack remembers the mapping and rewrites the replies back. Docker adds one for its subnet: `-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE` (from the containers, leaving by anything but the bridge itself). Add the same for the box's subnet, {subnet}, and the lab's bridge, {bridge}.",
        'MASQUERADE 写在 nat 表的 POSTROUTING 链里：数据包离开宿主机时，它把包的源地址改成包出去的那块网卡的地址；连接跟踪（conntrack）记住这个对应关系，再把回包改回来。Docker 为自己的子网加了一条：`-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE`（来自容器、从网桥以外任何网卡出去的包）。请你为盒子的子网 {subnet} 和实验的网桥 {bridge} 加上同样的一条。',
      ),
      command: 'iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE',
      syscall: t('an nf_tables (or x_tables) rule in the nat table, hook NF_INET_POST_ROUTING',
        'nat 表里的一条 nf_tables（或 x_tables）规则，挂在 NF_INET_POST_ROUTING 钩子上'),
      exercise: {
        task: t(
          "On the host, add the MASQUERADE rule for the box's **subnet**, {subnet}, for packets that leave by any interface **other than** the lab's bridge, {bridge}. Then the outside, {outsideAddr}, must see the host's address, not the box's.",
          '在宿主机上，为盒子的**子网** {subnet} 添加 MASQUERADE 规则，管的是从实验网桥 {bridge} **以外**的任何网卡出去的包。加好以后，外面（{outsideAddr}）看到的必须是宿主机的地址，而不是盒子的地址。',
        ),
        hints: [
          t('The rule goes into the nat table, chain POSTROUTING, with the target MASQUERADE; it matches the source subnet (`-s {subnet}`) and the interface the packets leave by.',
            '规则放在 nat 表的 POSTROUTING 链里，目标是 MASQUERADE；它匹配源子网（`-s {subnet}`）和包出去的那块网卡。'),
          t("`! -o {bridge}` means \"leaving by any interface except the bridge\"; `-o {bridge}` would only rewrite packets going back *into* the bridge, never those going out.",
            '`! -o {bridge}` 的意思是“从网桥以外的任何网卡出去”；写成 `-o {bridge}`，就只会改写回到网桥*里面*去的包，出去的包一个也不改。'),
          t('`iptables -t nat -S POSTROUTING` shows what you added; `iptables -t nat -D POSTROUTING ...` with the same arguments removes a wrong one.',
            '`iptables -t nat -S POSTROUTING` 显示你加了什么；加错了，用同样的参数执行 `iptables -t nat -D POSTROUTING ...` 就能删掉。'),
          t('`iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE`',
            '参考答案：`iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE`'),
        ],
        shell: 'host',
        async solve(ctx) {
          await addRule(netOf(ctx), masquerade(ctx));
        },
        async mistake(ctx) {
          // The direction turned round: only packets going back into the bridge are rewritten.
          await addRule(netOf(ctx), { table: 'nat', chain: 'POSTROUTING', spec: ['-s', ctx.state.subnet, '-o', ctx.state.bridge, ...comment(ctx, 'mistake'), '-j', 'MASQUERADE'] });
        },
      },
      async verify(ctx) {
        await adoptRules(ctx, 'nat', ['POSTROUTING'], [ctx.state.subnet, ctx.state.bridge]);
        const rules = await masqueradeRules(ctx);
        const outward = rules.find((r) => ruleOption(r.args, '-o', '--out-interface') === `!${ctx.state.bridge}`) ?? rules.find((r) => ruleOption(r.args, '-o', '--out-interface') === undefined);
        const seen = await whoCalls(ctx, true);
        return [
          observe(t(`MASQUERADE for ${ctx.state.subnet} ! -o ${ctx.state.bridge}`, `${ctx.state.subnet} ! -o ${ctx.state.bridge} 的 MASQUERADE 规则`), PRESENT,
            outward ? PRESENT : rules.length ? t(`only: ${rules.map((r) => r.text).join('; ')}`, `只有：${rules.map((r) => r.text).join('; ')}`) : t('absent', '不存在')),
          observe(t('source address the outside sees', '外面看到的源地址'), ctx.state.hostOutAddr, seen ?? NO_ANSWER),
        ];
      },
      async cleanup(ctx) {
        // Rules typed by hand that name the lab's subnet or bridge go with the lab.
        if (ctx.state.subnet) await removeRulesNaming('nat', ['POSTROUTING'], [ctx.state.subnet, ctx.state.bridge]);
      },
    },
    {
      id: 'traffic',
      title: t('The outside sees the host; read the rule and its counters', '外面看到的是宿主机；读一读规则和它的计数器'),
      explain: t(
        "Now the box reaches the outside, and the outside sees the host's address as the caller: the host rewrote the source on the way out and the destination of each reply on the way back. The nat table is consulted only for the *first* packet of each connection; conntrack handles the rest, so the rule's packet counter counts connections (and ping exchanges), not packets.",
        '现在盒子能访问外面了，而外面看到的调用方是宿主机的地址：包出去时，宿主机改了它的源地址；每个回包回来时，宿主机又改了它的目的地址。nat 表只看每个连接的*第一个*数据包，其余的交给连接跟踪处理，所以这条规则的包计数器数的是连接（以及 ping 往返）的次数，而不是包数。',
      ),
      command: 'ip netns exec $BOX wget -qO- http://$OUTSIDE/cgi-bin/peer; iptables -t nat -nvL POSTROUTING',
      syscall: t('nf_nat: the conntrack entry stores the original and the rewritten tuple',
        'nf_nat：连接跟踪（conntrack）的条目同时记着原来的元组和改写后的元组'),
      async perform(ctx) {
        ctx.state.seen = await whoCalls(ctx);
        ctx.state.pinged = await ping(ctx, BOX(ctx), ctx.state.outsideAddr);
        const post = (await listChains('nat', 'POSTROUTING'))[0];
        ctx.say(t('$ iptables -t nat -nvL POSTROUTING   (the lab\'s rules)', '$ iptables -t nat -nvL POSTROUTING   （实验的规则）'));
        for (const line of formatListing(post, (r) => r.extra.includes(tag(ctx)) || r.source === ctx.state.subnet)) ctx.say(line);
        return t(`the outside saw ${ctx.state.seen ?? 'nothing'} calling; the box is ${ctx.state.boxAddr}`,
          `${ctx.state.seen === undefined ? '外面没有看到任何调用方' : `外面看到的调用方是 ${ctx.state.seen}`}；盒子是 ${ctx.state.boxAddr}`);
      },
      async verify(ctx) {
        const rules = await masqueradeRules(ctx);
        const outward = rules.find((r) => ruleOption(r.args, '-o', '--out-interface') !== ctx.state.bridge);
        return [
          observe(t('source address the outside saw', '外面看到的源地址'),
            t(`${ctx.state.hostOutAddr} (the host), not ${ctx.state.boxAddr}`, `${ctx.state.hostOutAddr}（宿主机），不是 ${ctx.state.boxAddr}`),
            t(`${ctx.state.seen ?? 'no answer'} (the host), not ${ctx.state.boxAddr}`, `${ctx.state.seen ?? '没有回应'}（宿主机），不是 ${ctx.state.boxAddr}`)),
          observe(t(`ping ${ctx.state.outsideAddr} from the box`, `从盒子 ping ${ctx.state.outsideAddr}`), true, ctx.state.pinged),
          observeThat(t('MASQUERADE rule: packets counted', 'MASQUERADE 规则：数到的包'), t('≥ 2 (first packets: the request, the ping)', '≥ 2（各自的第一个包：那次请求、那次 ping）'), outward?.counters?.packets ?? t('no rule', '没有这条规则'), (outward?.counters?.packets ?? 0) >= 2),
        ];
      },
    },
  ],
};

export default lab;
