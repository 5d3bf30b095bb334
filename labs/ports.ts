// Lab "ports": `docker run -p HOSTPORT:PORT` is a DNAT rule. A custom chain (Docker's DOCKER,
// here NESTBOX-<id>) is reached from PREROUTING for packets arriving from outside and from OUTPUT
// for the host's own, both only for local destination addresses; in it one DNAT rule per port.
// The "outside" client is a namespace of the lab's own; the host also calls on 127.0.0.1.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import type { Netns } from '../src/net/exec.js';
import { createNetns, routeGet } from '../src/net/link.js';
import { reserveSubnet, reserveHostPort, AddressPool } from '../src/net/pool.js';
import { addRule, addRules, countedRules, listChains, formatListing, listSpecs, detectIptables, Rule, CountedRule } from '../src/net/iptables.js';
import { ruleOption } from '../src/net/parse.js';
import { setSysctl, readSysctl, routeLocalnet } from '../src/net/sysctl.js';
import { netOf, nbName, startWebServer, webRoot, httpGet, plainAddress, adoptRules, removeRulesNaming, useForwarding, leaveForwarding, labBridge, plugIntoBridge, linkToHost } from './net-lab-kit.js';

const WEB_PORT = 8080;
const NO_ANSWER = t('no answer', '没有回应');
const NO_RULE = t('no rule', '没有这条规则');
interface PortsState {
  /** The lab's bridge and its gateway address: set by labBridge in the first step. */
  bridge: string;
  gateway: string;
  /** The web namespace on the bridge: its name, address, web server's PID, and the page it serves. */
  web: string;
  webAddr: string;
  webPid: number;
  text: string;
  /** The client namespace, linked straight to the host: its name, subnet, address, and the host's address facing it. */
  client: string;
  clientSubnet: string;
  clientAddr: string;
  hostSide: string;
  /** The host port to publish, and the lab's nat chain (NESTBOX-<unique>) that holds the DNAT rule. */
  hostPort: number;
  chain: string;
  /** What GET http://127.0.0.1:PORT/ returned on the host (undefined: no answer), and the caller the web server saw ('' when none). */
  localBody: string | undefined;
  localPeer: string;
  /** The three requests from the client in the counters step (undefined: no answer), and how much the DNAT counter grew. */
  requests: (string | undefined)[];
  dnatDelta: number;
}

const WEB = (ctx: LabContext<PortsState>): Netns => ({ name: ctx.state.web });
const CLIENT = (ctx: LabContext<PortsState>): Netns => ({ name: ctx.state.client });
const tag = (ctx: LabContext<PortsState>) => `nestbox lab ports ${ctx.unique}`;
const comment = (ctx: LabContext<PortsState>, what: string) => ['-m', 'comment', '--comment', `${tag(ctx)} ${what}`];

/** The published port, the way Docker writes it in its DOCKER chain. */
const dnat = (ctx: LabContext<PortsState>, to: string): Rule => ({ table: 'nat', chain: ctx.state.chain, spec: ['!', '-i', ctx.state.bridge, '-p', 'tcp', '-m', 'tcp', '--dport', String(ctx.state.hostPort), '-j', 'DNAT', '--to-destination', to] });

/** DNAT rules in the lab's chain for the published port. */
async function dnatRules(ctx: LabContext<PortsState>): Promise<CountedRule[]> {
  return (await countedRules('nat', ctx.state.chain)).filter((r) => r.args.at(-3) === 'DNAT' || r.args.includes('DNAT')).filter((r) => ruleOption(r.args, '--dport', '--destination-port') === String(ctx.state.hostPort));
}

/** The counters of one of the lab's own rules in a built-in chain, found by its comment. */
async function counterOf(ctx: LabContext<PortsState>, chain: string, what: string): Promise<number> {
  return (await countedRules('nat', chain)).find((r) => r.text.includes(`${tag(ctx)} ${what}`))?.counters?.packets ?? 0;
}

const lab: Lab<PortsState> = {
  id: 'ports',
  title: t('Published ports: DNAT through a NESTBOX chain', '端口映射：经由 NESTBOX 链做 DNAT'),
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'topology',
      title: t('A web server in a container, a client outside', '容器里的 Web 服务器，外面的客户端'),
      explain: t(
        "The web namespace is a container on the lab's bridge with a small web server on port 8080. The client namespace stands for a machine on the host's network: it is connected to the host by a veth, and knows only its own subnet, so it can reach the host's address on that link but not the container's private address. The host forwards (ip_forward) and, like Docker, lets connections that were DNATed into the bridge and their replies through FORWARD, with rules inserted at the top of the chain.",
        'Web 命名空间是接在实验网桥上的一个容器，里面有个小小的 Web 服务器，监听 8080 端口。客户端命名空间代表宿主机所在网络上的一台机器：它通过一个 veth 连到宿主机，只知道自己的子网，所以能访问宿主机在这条链路上的地址，却访问不到容器的私有地址。宿主机会转发（ip_forward），并且像 Docker 一样，用插在 FORWARD 链最前面的规则，放行被 DNAT 进网桥的连接和它们的回包。',
      ),
      command: 'ip link add $BR type bridge ...; ip netns exec $WEB httpd -f -p 8080; ip netns add $CLIENT ...',
      syscall: t('netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE; bind(2)+listen(2) in the web namespace',
        'netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE；在 web 命名空间里 bind(2)+listen(2)'),
      async perform(ctx) {
        const net = netOf(ctx);
        ctx.state.web = nbName(ctx, 'web');
        ctx.state.client = nbName(ctx, 'cli');
        const pool = await labBridge(ctx);
        await createNetns(net, ctx.state.web);
        ctx.state.webAddr = await plugIntoBridge(ctx, pool, WEB(ctx), nbName(ctx, 'vw'), nbName(ctx, 'pw'));
        ctx.state.text = `hello from ${ctx.state.web}`;
        const server = await startWebServer(ctx, WEB(ctx), `0.0.0.0:${WEB_PORT}`, webRoot(ctx, 'web', ctx.state.text), 'web server');
        ctx.state.webPid = server.pid;
        // The client: its own subnet on a veth to the host; no default route.
        ctx.state.clientSubnet = await reserveSubnet(net);
        const cpool = new AddressPool(ctx.state.clientSubnet);
        ctx.state.hostSide = cpool.gateway;
        await createNetns(net, ctx.state.client);
        ctx.state.clientAddr = await linkToHost(ctx, cpool, CLIENT(ctx), nbName(ctx, 'vc'), nbName(ctx, 'pc'));
        await useForwarding(ctx);
        // Into the bridge only what was published (DNAT) and replies; out of it anything. At the top
        // of FORWARD, so that a host whose FORWARD ends in DROP or REJECT still lets them through.
        await addRule(net, { table: 'filter', chain: 'FORWARD', spec: ['-o', ctx.state.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...comment(ctx, 'in'), '-j', 'ACCEPT'] }, { insert: true });
        await addRule(net, { table: 'filter', chain: 'FORWARD', spec: ['-i', ctx.state.bridge, '!', '-o', ctx.state.bridge, ...comment(ctx, 'out'), '-j', 'ACCEPT'] }, { insert: true });
        ctx.state.hostPort = reserveHostPort(net);
        ctx.state.chain = `NESTBOX-${ctx.unique}`;
        ctx.say(t(`web server: ${ctx.state.webAddr}:${WEB_PORT} in ${ctx.state.web}, behind bridge ${ctx.state.bridge}`,
          `Web 服务器：${ctx.state.web} 里的 ${ctx.state.webAddr}:${WEB_PORT}，在网桥 ${ctx.state.bridge} 后面`));
        ctx.say(t(`client: ${ctx.state.client} (${ctx.state.clientAddr}); the host's address facing it: ${ctx.state.hostSide}`,
          `客户端：${ctx.state.client}（${ctx.state.clientAddr}）；宿主机朝向它的地址：${ctx.state.hostSide}`));
        return t(`the web server answers on ${ctx.state.webAddr}:${WEB_PORT}; the port to publish will be ${ctx.state.hostPort}`,
          `Web 服务器在 ${ctx.state.webAddr}:${WEB_PORT} 上应答；要映射的端口是 ${ctx.state.hostPort}`);
      },
      async verify(ctx) {
        const direct = await httpGet(ctx, 'host', `http://${ctx.state.webAddr}:${WEB_PORT}/`, { quiet: true });
        const fromClient = await routeGet(CLIENT(ctx), ctx.state.webAddr);
        return [
          observe(t(`GET http://${ctx.state.webAddr}:${WEB_PORT}/ from the host`, `从宿主机 GET http://${ctx.state.webAddr}:${WEB_PORT}/`), ctx.state.text, direct ?? NO_ANSWER),
          observe(t(`client's route to ${ctx.state.webAddr} (ip route get)`, `客户端去往 ${ctx.state.webAddr} 的路由（ip route get）`), t('none: Network is unreachable', '无：Network is unreachable'),
            fromClient.ok ? fromClient.text : t(`none: ${fromClient.text.replace(/^RTNETLINK answers: /, '')}`, `无：${fromClient.text.replace(/^RTNETLINK answers: /, '')}`)),
          observe('net.ipv4.ip_forward', '1', readSysctl('/proc/sys/net/ipv4/ip_forward')),
        ];
      },
      async cleanup(ctx) {
        await leaveForwarding(ctx);
      },
    },
    {
      id: 'chain',
      title: t('A chain for published ports, reached for local destinations', '一条专放映射端口的链，目的地址是本机时才跳过去'),
      explain: t(
        "Docker keeps its port rules in a chain of its own, DOCKER, in the nat table; nestbox's containers use NESTBOX, and this lab makes NESTBOX-<id> so it never touches anyone else's. Two jumps lead there, both with `-m addrtype --dst-type LOCAL` (\"the destination is one of this host's own addresses\"): from PREROUTING, for packets arriving from other machines, and from OUTPUT, for connections the host itself makes, which never pass PREROUTING. Both jumps and the chain go in with one `iptables-restore --noflush`, which adds without flushing anything.",
        'Docker 把它的端口规则放在 nat 表里一条自己的链 DOCKER 中；nestbox 的容器用 NESTBOX，这个实验则建一条 NESTBOX-<id>，这样绝不会碰到别人的链。有两条跳转规则通向它，都带着 `-m addrtype --dst-type LOCAL`（“目的地址是这台宿主机自己的某个地址”）：一条在 PREROUTING 里，接住从别的机器来的包；一条在 OUTPUT 里，接住宿主机自己发起的连接，这些连接从不经过 PREROUTING。两条跳转和这条链用一次 `iptables-restore --noflush` 加进去，它只添加，不清空任何东西。',
      ),
      command: 'iptables -t nat -N $CHAIN; iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j $CHAIN; iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j $CHAIN',
      syscall: t('one nf_tables (or x_tables) transaction from iptables-restore',
        'iptables-restore 提交的一个 nf_tables（或 x_tables）事务'),
      async perform(ctx) {
        const ipt = await detectIptables();
        const backend = ipt.backend === 'nft' ? 'nf_tables' : 'legacy';
        ctx.say(t(`iptables -V: v${ipt.version} (${backend}): nestbox writes through ${ipt.bin}`, `iptables -V：v${ipt.version}（${backend}）：nestbox 通过 ${ipt.bin} 写入规则`));
        await addRules(netOf(ctx), 'nat', [
          { table: 'nat', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(ctx, 'from outside'), '-j', ctx.state.chain] },
          { table: 'nat', chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(ctx, 'from the host'), '-j', ctx.state.chain] },
        ], [ctx.state.chain]);
        ctx.say(t(`chain ${ctx.state.chain}; publish host port ${ctx.state.hostPort} to ${ctx.state.webAddr}:${WEB_PORT}; bridge ${ctx.state.bridge}`,
          `链 ${ctx.state.chain}；把宿主机端口 ${ctx.state.hostPort} 映射到 ${ctx.state.webAddr}:${WEB_PORT}；网桥 ${ctx.state.bridge}`));
        return t(`chain ${ctx.state.chain} in the nat table, reached from PREROUTING and OUTPUT`, `nat 表里的链 ${ctx.state.chain}，从 PREROUTING 和 OUTPUT 跳过去`);
      },
      async verify(ctx) {
        const specs = await listSpecs('nat');
        const jumps = specs.rules.filter((r) => r.args.at(-1) === ctx.state.chain && r.args.includes('LOCAL')).map((r) => r.chain);
        const listing = (await listChains('nat', ctx.state.chain))[0];
        return [
          observe(t(`chain ${ctx.state.chain} (iptables -t nat -S)`, `链 ${ctx.state.chain}（iptables -t nat -S）`), t('present', '存在'), specs.chains.includes(ctx.state.chain) ? t('present', '存在') : t('absent', '不存在')),
          observe(t('jumps to it, for --dst-type LOCAL, from', '跳到它的规则（--dst-type LOCAL）所在的链'), 'OUTPUT PREROUTING', jumps.sort().join(' ')),
          observe(t(`${ctx.state.chain}: references, rules (-nvxL)`, `${ctx.state.chain}：引用数、规则数（-nvxL）`), t('2 references, 0 rules', '2 个引用，0 条规则'),
            t(`${listing?.references} references, ${listing?.rules.length} rules`, `${listing?.references} 个引用，${listing?.rules.length} 条规则`)),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('The DNAT rule that publishes the port', '映射端口的 DNAT 规则'),
      explain: t(
        "DNAT rewrites a packet's destination before the routing decision, so the kernel then routes it to the container as if it had been sent there. conntrack remembers the rewrite and turns the replies' source back into the host's address. Docker's rule reads `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`; the `! -i docker0` leaves traffic coming from the containers themselves alone.",
        'DNAT 在路由决策之前改写数据包的目的地址，于是内核接下来就把它路由给容器，就好像它本来就是发给容器的。连接跟踪（conntrack）记住这次改写，再把回包的源地址改回宿主机的地址。Docker 的规则是 `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`；其中 `! -i docker0` 让来自容器自己的流量不受影响。',
      ),
      command: 'iptables -t nat -A {chain} ! -i {bridge} -p tcp --dport {hostPort} -j DNAT --to-destination {webAddr}:8080',
      syscall: t('a nat rule with the DNAT target; nf_nat rewrites the first packet and conntrack the rest',
        'nat 表里一条目标为 DNAT 的规则；nf_nat 改写第一个包，之后的包由连接跟踪（conntrack）照样改写'),
      exercise: {
        task: t(
          "On the host, add to the lab's chain, {chain}, a DNAT rule: TCP packets for the **host port** {hostPort} go to the web server's address, {webAddr}, **port 8080**. The client namespace, {client}, must then get the page from the host's address {hostSide}.",
          '在宿主机上，往实验的链 {chain} 里加一条 DNAT 规则：发往**宿主机端口** {hostPort} 的 TCP 包，转给 Web 服务器的地址 {webAddr} 的 **8080 端口**。加好以后，客户端命名空间 {client} 必须能从宿主机的地址 {hostSide} 取到页面。',
        ),
        hints: [
          t("The rule goes into the nat table, in the lab's chain {chain} (not straight into PREROUTING: the chain is what both PREROUTING and OUTPUT jump to, and what is removed in one piece). It matches TCP to `--dport {hostPort}`, except what comes from the bridge itself (`! -i {bridge}`).",
            '规则放在 nat 表里，实验的链 {chain} 中（不要直接放进 PREROUTING：PREROUTING 和 OUTPUT 都跳到这条链，清理时也是整条链一起删掉）。它匹配发往 `--dport {hostPort}` 的 TCP，但来自网桥本身的除外（`! -i {bridge}`）。'),
          t('Without `:8080`, DNAT keeps the original port (the host port), where nothing listens in the container.',
            '不写 `:8080` 的话，DNAT 会保留原来的端口（宿主机端口），而容器里没有程序在那个端口上监听。'),
          t('Check it: `iptables -t nat -nvL {chain}`, then `ip netns exec {client} wget -qO- http://{hostSide}:{hostPort}/`.',
            '检查一下：先 `iptables -t nat -nvL {chain}`，再 `ip netns exec {client} wget -qO- http://{hostSide}:{hostPort}/`。'),
          t('`iptables -t nat -A {chain} ! -i {bridge} -p tcp --dport {hostPort} -j DNAT --to-destination {webAddr}:8080`',
            '参考答案：`iptables -t nat -A {chain} ! -i {bridge} -p tcp --dport {hostPort} -j DNAT --to-destination {webAddr}:8080`'),
        ],
        shell: 'host',
        async solve(ctx) {
          await addRule(netOf(ctx), dnat(ctx, `${ctx.state.webAddr}:${WEB_PORT}`));
        },
        async mistake(ctx) {
          // The container's address without its port: DNAT keeps the original destination port.
          await addRule(netOf(ctx), dnat(ctx, ctx.state.webAddr));
        },
      },
      async verify(ctx) {
        // A rule typed by hand into a built-in chain instead of the lab's: make sure cleanup removes it.
        await adoptRules(ctx, 'nat', ['PREROUTING', 'OUTPUT', 'POSTROUTING'], [ctx.state.webAddr, ctx.state.bridge]);
        const rules = await dnatRules(ctx);
        const target = rules.map((r) => ruleOption(r.args, '--to-destination')).join(' ');
        const body = await httpGet(ctx, CLIENT(ctx), `http://${ctx.state.hostSide}:${ctx.state.hostPort}/`, { quiet: true, timeoutMs: 700 });
        return [
          observe(t(`DNAT --dport ${ctx.state.hostPort} in ${ctx.state.chain}: to`, `${ctx.state.chain} 里 DNAT --dport ${ctx.state.hostPort} 的去向`), `${ctx.state.webAddr}:${WEB_PORT}`, target || NO_RULE),
          observe(t(`GET http://${ctx.state.hostSide}:${ctx.state.hostPort}/ from the client`, `从客户端 GET http://${ctx.state.hostSide}:${ctx.state.hostPort}/`), ctx.state.text, body ?? NO_ANSWER),
        ];
      },
      async cleanup(ctx) {
        // Rules in the lab's chain go with the chain; any typed into a built-in chain go here.
        if (ctx.state.webAddr) await removeRulesNaming('nat', ['PREROUTING', 'OUTPUT', 'POSTROUTING'], [ctx.state.webAddr]);
      },
    },
    {
      id: 'localhost',
      title: t('From the host itself, on 127.0.0.1', '从宿主机自己访问 127.0.0.1'),
      explain: t(
        "The OUTPUT jump catches `127.0.0.1:PORT` too, and DNAT sends the packet to the container, but its source is still 127.0.0.1. The kernel refuses to route a loopback address out of a real interface (a *martian*), unless `route_localnet` is set on that interface; and the container could not answer 127.0.0.1 anyway. So two things are needed: `route_localnet=1` on the bridge, and a MASQUERADE for locally made packets leaving by the bridge (`-m addrtype --src-type LOCAL`), which gives them the bridge's address. That is hairpin NAT, Docker's choice with `--userland-proxy=false`. By default Docker instead runs `docker-proxy`, a small program listening on the host port that copies bytes to the container: simple and works for 127.0.0.1, but one process per port, and the container sees the proxy as the caller. nestbox takes the kernel's way: no extra process, and only on its own bridge.",
        'OUTPUT 里的跳转也会接住 `127.0.0.1:PORT`，DNAT 把包转给容器，可是包的源地址还是 127.0.0.1。内核拒绝把回环地址从真正的网卡路由出去（这种包叫 *martian*），除非那块网卡上设了 `route_localnet`；何况容器本来也没法回复 127.0.0.1。所以需要两样东西：网桥上的 `route_localnet=1`，以及一条 MASQUERADE，专管本机产生、从网桥出去的包（`-m addrtype --src-type LOCAL`），让它们带上网桥的地址。这就是 hairpin NAT，Docker 加 `--userland-proxy=false` 时的做法。Docker 默认用的是 `docker-proxy`：一个在宿主机端口上监听、把字节转抄给容器的小程序。它简单，对 127.0.0.1 也管用，但每个端口要一个进程，而且容器看到的调用方是这个代理。nestbox 走内核的路：不需要额外的进程，而且只设在它自己的网桥上。',
      ),
      command: 'sysctl -w net.ipv4.conf.$BR.route_localnet=1; iptables -t nat -A POSTROUTING -o $BR -m addrtype --src-type LOCAL -j MASQUERADE; wget -qO- http://127.0.0.1:$HOSTPORT/',
      syscall: t('write(2) to /proc/sys/net/ipv4/conf/BRIDGE/route_localnet; a MASQUERADE rule; connect(2) to 127.0.0.1',
        'write(2) 写 /proc/sys/net/ipv4/conf/BRIDGE/route_localnet；一条 MASQUERADE 规则；connect(2) 到 127.0.0.1'),
      async perform(ctx) {
        const net = netOf(ctx);
        const before = await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/`, { timeoutMs: 500 });
        ctx.say(before === undefined
          ? t('before: no answer (the packet to the container still had source 127.0.0.1: dropped as a martian)', '之前：没有回应（发给容器的包，源地址仍是 127.0.0.1，被当作 martian 丢掉了）')
          : t('before: answered already (route_localnet is on for every interface here)', '之前：已经有回应了（这台机器上所有接口都开着 route_localnet）'));
        setSysctl(net, routeLocalnet(ctx.state.bridge), '1');
        await addRule(net, { table: 'nat', chain: 'POSTROUTING', spec: ['-o', ctx.state.bridge, '-m', 'addrtype', '--src-type', 'LOCAL', ...comment(ctx, 'localhost'), '-j', 'MASQUERADE'] });
        ctx.state.localBody = await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/`);
        ctx.state.localPeer = plainAddress(await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/cgi-bin/peer`));
        return t(`127.0.0.1:${ctx.state.hostPort} answered "${ctx.state.localBody ?? 'nothing'}"; the web server saw ${ctx.state.localPeer || 'nobody'} calling`,
          `127.0.0.1:${ctx.state.hostPort} ${ctx.state.localBody === undefined ? '没有回答' : `回答了“${ctx.state.localBody}”`}；${ctx.state.localPeer ? `Web 服务器看到的调用方是 ${ctx.state.localPeer}` : 'Web 服务器没有看到调用方'}`);
      },
      async verify(ctx) {
        return [
          observe(`net.ipv4.conf.${ctx.state.bridge}.route_localnet`, '1', readSysctl(routeLocalnet(ctx.state.bridge))),
          observe(t(`GET http://127.0.0.1:${ctx.state.hostPort}/ on the host`, `在宿主机上 GET http://127.0.0.1:${ctx.state.hostPort}/`), ctx.state.text, ctx.state.localBody ?? NO_ANSWER),
          observe(t('caller the web server saw (REMOTE_ADDR)', 'Web 服务器看到的调用方（REMOTE_ADDR）'),
            t(`${ctx.state.gateway} (the bridge's address)`, `${ctx.state.gateway}（网桥的地址）`),
            t(`${ctx.state.localPeer || 'nobody'} (the bridge's address)`, `${ctx.state.localPeer || '没有人'}（网桥的地址）`)),
        ];
      },
    },
    {
      id: 'counters',
      title: t('Read the rules and their counters', '读一读规则和它们的计数器'),
      explain: t(
        "`iptables -t nat -nvL` shows each rule with two counters, packets and bytes. The nat table is consulted only for the first packet of a connection (conntrack applies the same rewrite to the rest), so the DNAT rule's packet counter goes up by one per connection: three requests from the client, three more. The PREROUTING jump counts every new connection to any local address, the OUTPUT jump the host's own.",
        '`iptables -t nat -nvL` 显示每条规则和它的两个计数器：包数和字节数。nat 表只看一个连接的第一个数据包（其余的包由连接跟踪做同样的改写），所以 DNAT 规则的包计数器每个连接加一：客户端发三次请求，就多三个。PREROUTING 里的跳转数的是发往任何本机地址的每个新连接，OUTPUT 里的跳转数的是宿主机自己发起的那些。',
      ),
      command: 'iptables -t nat -nvL PREROUTING; iptables -t nat -nvL OUTPUT; iptables -t nat -nvL $CHAIN; iptables -t nat -nvL POSTROUTING',
      syscall: t('reading the rules with their counters (no -Z: nothing is reset)', '连同计数器一起读出规则（不加 -Z：什么都不清零）'),
      async perform(ctx) {
        const before = (await dnatRules(ctx))[0]?.counters?.packets ?? 0;
        ctx.state.requests = [];
        for (let i = 0; i < 3; i++) ctx.state.requests.push(await httpGet(ctx, CLIENT(ctx), `http://${ctx.state.hostSide}:${ctx.state.hostPort}/`, { quiet: i > 0, timeoutMs: 700 }));
        ctx.state.dnatDelta = ((await dnatRules(ctx))[0]?.counters?.packets ?? 0) - before;
        const nat = await listChains('nat');
        const mine = (r: { extra: string; target: string }) => r.extra.includes(tag(ctx)) || r.target === ctx.state.chain;
        for (const chain of ['PREROUTING', 'OUTPUT', ctx.state.chain, 'POSTROUTING']) {
          ctx.say(chain === ctx.state.chain ? `$ iptables -t nat -nvL ${chain}` : t(`$ iptables -t nat -nvL ${chain}   (the lab's rules)`, `$ iptables -t nat -nvL ${chain}   （实验的规则）`));
          for (const line of formatListing(nat.find((c) => c.name === chain), chain === ctx.state.chain ? undefined : mine)) ctx.say(line);
        }
        const answered = ctx.state.requests.filter((r) => r === ctx.state.text).length;
        return t(`3 requests from the client: ${answered} answered; DNAT counted ${ctx.state.dnatDelta} more`, `客户端发了 3 次请求：${answered} 次得到回应；DNAT 规则多数了 ${ctx.state.dnatDelta} 个包`);
      },
      async verify(ctx) {
        const pre = await counterOf(ctx, 'PREROUTING', 'from outside');
        const out = await counterOf(ctx, 'OUTPUT', 'from the host');
        return [
          observe(t('requests from the client answered', '客户端得到回应的请求数'), 3, ctx.state.requests.filter((r) => r === ctx.state.text).length),
          observe(t('DNAT rule: packets for those 3 connections', 'DNAT 规则：这 3 个连接数到的包'), 3, ctx.state.dnatDelta),
          observeThat(t('PREROUTING jump: packets counted', 'PREROUTING 里的跳转：数到的包'), t("≥ 4 (the client's connections, this step's and the exercise's)", '≥ 4（客户端的连接：这一步的，加上练习里的）'), pre, pre >= 4),
          observeThat(t('OUTPUT jump: packets counted', 'OUTPUT 里的跳转：数到的包'), t('≥ 1 (the host on 127.0.0.1)', '≥ 1（宿主机访问 127.0.0.1）'), out, out >= 1),
        ];
      },
    },
  ],
};

export default lab;
