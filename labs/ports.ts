// Lab "ports": `docker run -p HOSTPORT:PORT` is a DNAT rule. A custom chain (Docker's DOCKER,
// here NESTBOX-<id>) is reached from PREROUTING for packets arriving from outside and from OUTPUT
// for the host's own, both only for local destination addresses; in it one DNAT rule per port.
// The "outside" client is a namespace of the lab's own; the host also calls on 127.0.0.1.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Netns } from '../src/net/exec.js';
import { createNetns, routeGet } from '../src/net/link.js';
import { reserveSubnet, reserveHostPort, AddressPool } from '../src/net/pool.js';
import { addRule, addRules, countedRules, listChains, formatListing, listSpecs, detectIptables, Rule, CountedRule } from '../src/net/iptables.js';
import { ruleOption } from '../src/net/parse.js';
import { setSysctl, readSysctl, routeLocalnet } from '../src/net/sysctl.js';
import { netOf, nbName, startWebServer, webRoot, httpGet, plainAddress, adoptRules, removeRulesNaming, useForwarding, leaveForwarding, labBridge, plugIntoBridge, linkToHost } from './net-lab-kit.js';

const WEB_PORT = 8080;
const WEB = (ctx: LabContext): Netns => ({ name: ctx.state.web });
const CLIENT = (ctx: LabContext): Netns => ({ name: ctx.state.client });
const tag = (ctx: LabContext) => `nestbox lab ports ${ctx.unique}`;
const comment = (ctx: LabContext, what: string) => ['-m', 'comment', '--comment', `${tag(ctx)} ${what}`];

/** The published port, the way Docker writes it in its DOCKER chain. */
const dnat = (ctx: LabContext, to: string): Rule => ({ table: 'nat', chain: ctx.state.chain, spec: ['!', '-i', ctx.state.bridge, '-p', 'tcp', '-m', 'tcp', '--dport', String(ctx.state.hostPort), '-j', 'DNAT', '--to-destination', to] });

/** DNAT rules in the lab's chain for the published port. */
async function dnatRules(ctx: LabContext): Promise<CountedRule[]> {
  return (await countedRules('nat', ctx.state.chain)).filter((r) => r.args.at(-3) === 'DNAT' || r.args.includes('DNAT')).filter((r) => ruleOption(r.args, '--dport', '--destination-port') === String(ctx.state.hostPort));
}

/** The counters of one of the lab's own rules in a built-in chain, found by its comment. */
async function counterOf(ctx: LabContext, chain: string, what: string): Promise<number> {
  return (await countedRules('nat', chain)).find((r) => r.text.includes(`${tag(ctx)} ${what}`))?.counters?.packets ?? 0;
}

const lab: Lab = {
  id: 'ports',
  title: 'Published ports: DNAT through a NESTBOX chain',
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'topology',
      title: 'A web server in a container, a client outside',
      explain: "The web namespace is a container on the lab's bridge with a small web server on port 8080. The client namespace stands for a machine on the host's network: it is connected to the host by a veth, and knows only its own subnet, so it can reach the host's address on that link but not the container's private address. The host forwards (ip_forward) and, like Docker, lets connections that were DNATed into the bridge and their replies through FORWARD.",
      command: 'ip link add $BR type bridge ...; ip netns exec $WEB httpd -f -p 8080; ip netns add $CLIENT ...',
      syscall: 'netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE; bind(2)+listen(2) in the web namespace',
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
        ctx.say(`web server: ${ctx.state.webAddr}:${WEB_PORT} in ${ctx.state.web}, behind bridge ${ctx.state.bridge}`);
        ctx.say(`client: ${ctx.state.client} (${ctx.state.clientAddr}); the host's address facing it: ${ctx.state.hostSide}`);
        return `the web server answers on ${ctx.state.webAddr}:${WEB_PORT}; the port to publish will be ${ctx.state.hostPort}`;
      },
      async verify(ctx) {
        const direct = await httpGet(ctx, 'host', `http://${ctx.state.webAddr}:${WEB_PORT}/`, { quiet: true });
        const fromClient = await routeGet(CLIENT(ctx), ctx.state.webAddr);
        return [
          observe(`GET http://${ctx.state.webAddr}:${WEB_PORT}/ from the host`, ctx.state.text, direct ?? 'no answer'),
          observe(`client's route to ${ctx.state.webAddr} (ip route get)`, 'none: Network is unreachable', fromClient.ok ? fromClient.text : `none: ${fromClient.text.replace(/^RTNETLINK answers: /, '')}`),
          observe('net.ipv4.ip_forward', '1', readSysctl('/proc/sys/net/ipv4/ip_forward')),
        ];
      },
      async cleanup(ctx) {
        await leaveForwarding(ctx);
      },
    },
    {
      id: 'chain',
      title: 'A chain for published ports, reached for local destinations',
      explain: "Docker keeps its port rules in a chain of its own, DOCKER, in the nat table; nestbox's containers use NESTBOX, and this lab makes NESTBOX-<id> so it never touches anyone else's. Two jumps lead there, both with `-m addrtype --dst-type LOCAL` (\"the destination is one of this host's own addresses\"): from PREROUTING, for packets arriving from other machines, and from OUTPUT, for connections the host itself makes, which never pass PREROUTING. Both jumps and the chain go in with one `iptables-restore --noflush`, which adds without flushing anything.",
      command: 'iptables -t nat -N $CHAIN; iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j $CHAIN; iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j $CHAIN',
      syscall: 'one nf_tables (or x_tables) transaction from iptables-restore',
      async perform(ctx) {
        const ipt = await detectIptables();
        ctx.say(`iptables -V: v${ipt.version} (${ipt.backend === 'nft' ? 'nf_tables' : 'legacy'}): nestbox writes through ${ipt.bin}`);
        await addRules(netOf(ctx), 'nat', [
          { table: 'nat', chain: 'PREROUTING', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(ctx, 'from outside'), '-j', ctx.state.chain] },
          { table: 'nat', chain: 'OUTPUT', spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', ...comment(ctx, 'from the host'), '-j', ctx.state.chain] },
        ], [ctx.state.chain]);
        ctx.say(`chain ${ctx.state.chain}; publish host port ${ctx.state.hostPort} to ${ctx.state.webAddr}:${WEB_PORT}; bridge ${ctx.state.bridge}`);
        return `chain ${ctx.state.chain} in the nat table, reached from PREROUTING and OUTPUT`;
      },
      async verify(ctx) {
        const specs = await listSpecs('nat');
        const jumps = specs.rules.filter((r) => r.args.at(-1) === ctx.state.chain && r.args.includes('LOCAL')).map((r) => r.chain);
        const listing = (await listChains('nat', ctx.state.chain))[0];
        return [
          observe(`chain ${ctx.state.chain} (iptables -t nat -S)`, 'present', specs.chains.includes(ctx.state.chain) ? 'present' : 'absent'),
          observe('jumps to it, for --dst-type LOCAL, from', 'OUTPUT PREROUTING', jumps.sort().join(' ')),
          observe(`${ctx.state.chain}: references, rules (-nvxL)`, '2 references, 0 rules', `${listing?.references} references, ${listing?.rules.length} rules`),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'The DNAT rule that publishes the port',
      explain: "DNAT rewrites a packet's destination before the routing decision, so the kernel then routes it to the container as if it had been sent there. conntrack remembers the rewrite and turns the replies' source back into the host's address. Docker's rule reads `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`; the `! -i docker0` leaves traffic coming from the containers themselves alone.",
      command: 'iptables -t nat -A {chain} ! -i {bridge} -p tcp --dport {hostPort} -j DNAT --to-destination {webAddr}:8080',
      syscall: 'a nat rule with the DNAT target; nf_nat rewrites the first packet and conntrack the rest',
      exercise: {
        task: "On the host, add to the lab's chain, {chain}, a DNAT rule: TCP packets for the **host port** {hostPort} go to the web server's address, {webAddr}, **port 8080**. The client namespace, {client}, must then get the page from the host's address {hostSide}.",
        hints: [
          "The rule goes into the nat table, in the lab's chain {chain} (not straight into PREROUTING: the chain is what both PREROUTING and OUTPUT jump to, and what is removed in one piece). It matches TCP to `--dport {hostPort}`, except what comes from the bridge itself (`! -i {bridge}`).",
          'Without `:8080`, DNAT keeps the original port (the host port), where nothing listens in the container.',
          'Check it: `iptables -t nat -nvL {chain}`, then `ip netns exec {client} wget -qO- http://{hostSide}:{hostPort}/`.',
          '`iptables -t nat -A {chain} ! -i {bridge} -p tcp --dport {hostPort} -j DNAT --to-destination {webAddr}:8080`',
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
          observe(`DNAT --dport ${ctx.state.hostPort} in ${ctx.state.chain}: to`, `${ctx.state.webAddr}:${WEB_PORT}`, target || 'no rule'),
          observe(`GET http://${ctx.state.hostSide}:${ctx.state.hostPort}/ from the client`, ctx.state.text, body ?? 'no answer'),
        ];
      },
      async cleanup(ctx) {
        // Rules in the lab's chain go with the chain; any typed into a built-in chain go here.
        if (ctx.state.webAddr) await removeRulesNaming('nat', ['PREROUTING', 'OUTPUT', 'POSTROUTING'], [ctx.state.webAddr]);
      },
    },
    {
      id: 'localhost',
      title: 'From the host itself, on 127.0.0.1',
      explain: "The OUTPUT jump catches `127.0.0.1:PORT` too, and DNAT sends the packet to the container, but its source is still 127.0.0.1. The kernel refuses to route a loopback address out of a real interface (a *martian*), unless `route_localnet` is set on that interface; and the container could not answer 127.0.0.1 anyway. So two things are needed: `route_localnet=1` on the bridge, and a MASQUERADE for locally made packets leaving by the bridge (`-m addrtype --src-type LOCAL`), which gives them the bridge's address. That is hairpin NAT, Docker's choice with `--userland-proxy=false`. By default Docker instead runs `docker-proxy`, a small program listening on the host port that copies bytes to the container: simple and works for 127.0.0.1, but one process per port, and the container sees the proxy as the caller. nestbox takes the kernel's way: no extra process, and only on its own bridge.",
      command: 'sysctl -w net.ipv4.conf.$BR.route_localnet=1; iptables -t nat -A POSTROUTING -o $BR -m addrtype --src-type LOCAL -j MASQUERADE; wget -qO- http://127.0.0.1:$HOSTPORT/',
      syscall: 'write(2) to /proc/sys/net/ipv4/conf/BRIDGE/route_localnet; a MASQUERADE rule; connect(2) to 127.0.0.1',
      async perform(ctx) {
        const net = netOf(ctx);
        const before = await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/`, { timeoutMs: 500 });
        ctx.say(`before: ${before === undefined ? 'no answer (the packet to the container still had source 127.0.0.1: dropped as a martian)' : 'answered already (route_localnet is on for every interface here)'}`);
        setSysctl(net, routeLocalnet(ctx.state.bridge), '1');
        await addRule(net, { table: 'nat', chain: 'POSTROUTING', spec: ['-o', ctx.state.bridge, '-m', 'addrtype', '--src-type', 'LOCAL', ...comment(ctx, 'localhost'), '-j', 'MASQUERADE'] });
        ctx.state.localBody = await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/`);
        ctx.state.localPeer = plainAddress(await httpGet(ctx, 'host', `http://127.0.0.1:${ctx.state.hostPort}/cgi-bin/peer`));
        return `127.0.0.1:${ctx.state.hostPort} answered "${ctx.state.localBody ?? 'nothing'}"; the web server saw ${ctx.state.localPeer || 'nobody'} calling`;
      },
      async verify(ctx) {
        return [
          observe(`net.ipv4.conf.${ctx.state.bridge}.route_localnet`, '1', readSysctl(routeLocalnet(ctx.state.bridge))),
          observe(`GET http://127.0.0.1:${ctx.state.hostPort}/ on the host`, ctx.state.text, ctx.state.localBody ?? 'no answer'),
          observe('caller the web server saw (REMOTE_ADDR)', `${ctx.state.gateway} (the bridge's address)`, `${ctx.state.localPeer || 'nobody'} (the bridge's address)`),
        ];
      },
    },
    {
      id: 'counters',
      title: 'Read the rules and their counters',
      explain: "`iptables -t nat -nvL` shows each rule with two counters, packets and bytes. The nat table is consulted only for the first packet of a connection (conntrack applies the same rewrite to the rest), so the DNAT rule's packet counter goes up by one per connection: three requests from the client, three more. The PREROUTING jump counts every new connection to any local address, the OUTPUT jump the host's own.",
      command: 'iptables -t nat -nvL PREROUTING; iptables -t nat -nvL OUTPUT; iptables -t nat -nvL $CHAIN; iptables -t nat -nvL POSTROUTING',
      syscall: 'reading the rules with their counters (no -Z: nothing is reset)',
      async perform(ctx) {
        const before = (await dnatRules(ctx))[0]?.counters?.packets ?? 0;
        ctx.state.requests = [];
        for (let i = 0; i < 3; i++) ctx.state.requests.push(await httpGet(ctx, CLIENT(ctx), `http://${ctx.state.hostSide}:${ctx.state.hostPort}/`, { quiet: i > 0, timeoutMs: 700 }));
        ctx.state.dnatDelta = ((await dnatRules(ctx))[0]?.counters?.packets ?? 0) - before;
        const nat = await listChains('nat');
        const mine = (r: { extra: string; target: string }) => r.extra.includes(tag(ctx)) || r.target === ctx.state.chain;
        for (const chain of ['PREROUTING', 'OUTPUT', ctx.state.chain, 'POSTROUTING']) {
          ctx.say(`$ iptables -t nat -nvL ${chain}${chain === ctx.state.chain ? '' : '   (the lab\'s rules)'}`);
          for (const line of formatListing(nat.find((c) => c.name === chain), chain === ctx.state.chain ? undefined : mine)) ctx.say(line);
        }
        return `3 requests from the client: ${ctx.state.requests.filter((r: string | undefined) => r === ctx.state.text).length} answered; DNAT counted ${ctx.state.dnatDelta} more`;
      },
      async verify(ctx) {
        const pre = await counterOf(ctx, 'PREROUTING', 'from outside');
        const out = await counterOf(ctx, 'OUTPUT', 'from the host');
        return [
          observe('requests from the client answered', 3, ctx.state.requests.filter((r: string | undefined) => r === ctx.state.text).length),
          observe('DNAT rule: packets for those 3 connections', 3, ctx.state.dnatDelta),
          observeThat('PREROUTING jump: packets counted', "≥ 4 (the client's connections, this step's and the exercise's)", pre, pre >= 4),
          observeThat('OUTPUT jump: packets counted', '≥ 1 (the host on 127.0.0.1)', out, out >= 1),
        ];
      },
    },
  ],
};

export default lab;
