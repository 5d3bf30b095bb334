// Lab "nat": how a container reaches the world through the host. The host forwards (ip_forward)
// and rewrites the source address of packets leaving the container subnet (MASQUERADE). "The
// world" here is a namespace of the lab's own, with its own veth, subnet and no route back to the
// containers, so no packet ever leaves this machine.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Netns } from '../src/net/exec.js';
import { createNetns, routes } from '../src/net/link.js';
import { reserveSubnet, AddressPool } from '../src/net/pool.js';
import { addRule, countedRules, listChains, formatListing, Rule } from '../src/net/iptables.js';
import { ruleOption } from '../src/net/parse.js';
import { readSysctl, IP_FORWARD, BRIDGE_NF_CALL_IPTABLES } from '../src/net/sysctl.js';
import { Ledger } from '../src/host/ledger.js';
import { netOf, nbName, startWebServer, webRoot, httpGet, plainAddress, ping, snmpCounter, devCounters, adoptRules, removeRulesNaming, useForwarding, leaveForwarding, labBridge, plugIntoBridge, linkToHost } from './net-lab-kit.js';

const BOX = (ctx: LabContext): Netns => ({ name: ctx.state.box });
const OUTSIDE = (ctx: LabContext): Netns => ({ name: ctx.state.outside });
const tag = (ctx: LabContext) => `nestbox lab nat ${ctx.unique}`;
const comment = (ctx: LabContext, what: string) => ['-m', 'comment', '--comment', `${tag(ctx)} ${what}`];

/** The rule Docker adds for its bridge: from the container subnet, leaving by any interface but the bridge. */
const masquerade = (ctx: LabContext): Rule => ({ table: 'nat', chain: 'POSTROUTING', spec: ['-s', ctx.state.subnet, '!', '-o', ctx.state.bridge, ...comment(ctx, 'masquerade'), '-j', 'MASQUERADE'] });

/** MASQUERADE rules in POSTROUTING for the lab's subnet that send packets anywhere but back into the bridge. */
async function masqueradeRules(ctx: LabContext) {
  const rules = await countedRules('nat', 'POSTROUTING');
  return rules.filter((r) => r.args.at(-1) === 'MASQUERADE' && ruleOption(r.args, '-s', '--source') === ctx.state.subnet);
}

/** Ask the outside's web server who is calling: it answers with the source address it sees. */
async function whoCalls(ctx: LabContext, quiet = false): Promise<string | undefined> {
  const body = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/cgi-bin/peer`, { timeoutMs: 700, quiet });
  return body === undefined ? undefined : plainAddress(body);
}

const lab: Lab = {
  id: 'nat',
  title: 'NAT: a container reaches the outside through the host',
  module: 13,
  lesson: 'nat-ports',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'topology',
      title: 'A container on a bridge, and an "outside" network',
      explain: "The box is a namespace on a bridge, like a container on docker0: address from the bridge's subnet, default route via the bridge. The *outside* is another namespace, reached through its own veth and subnet, like the network behind the host's eth0. Like any real network beyond your host, it has never heard of the container subnet: its only route is its own subnet. A web server runs there whose page answers with the source address it sees. Two FORWARD rules (Docker's) let the bridge's traffic out and the replies back in.",
      command: 'ip link add $BR type bridge ...; ip netns add $BOX ...; ip netns add $OUT; ip link add $VO type veth peer name $PO; ...',
      syscall: 'netlink RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE; setns(CLONE_NEWNET) for the servers',
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
        ctx.say(`the box: ${ctx.state.box}, ${ctx.state.boxAddr} on ${ctx.state.subnet} behind bridge ${ctx.state.bridge}`);
        ctx.say(`the outside: ${ctx.state.outside}, ${ctx.state.outsideAddr}; the host's address facing it: ${ctx.state.hostOutAddr} on ${ctx.state.hostOut}`);
        return `box ${ctx.state.boxAddr} (subnet ${ctx.state.subnet}, bridge ${ctx.state.bridge}); outside ${ctx.state.outsideAddr}`;
      },
      async verify(ctx) {
        const boxDefault = (await routes(BOX(ctx))).find((r) => r.dst === 'default');
        const outRoutes = (await routes(OUTSIDE(ctx))).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
        const hostRoutes = (await routes('host')).map((r) => r.dst);
        return [
          observe(`default route in the box`, `via ${ctx.state.gateway}`, boxDefault?.gateway ? `via ${boxDefault.gateway}` : 'none'),
          observe(`routes in the outside (ip -json route)`, ctx.state.outSubnet, outRoutes.join(', ') || 'none'),
          observe(`host routes to both subnets`, `${ctx.state.subnet} ${ctx.state.outSubnet}`, [ctx.state.subnet, ctx.state.outSubnet].filter((s) => hostRoutes.includes(s)).join(' ')),
          observe(`outside reached from the host (ping ${ctx.state.outsideAddr})`, true, await ping(ctx, 'host', ctx.state.outsideAddr, { quiet: true })),
        ];
      },
    },
    {
      id: 'forward',
      title: 'Turn the host into a router: ip_forward',
      explain: "A packet from the box to the outside arrives on the bridge addressed to someone else. A Linux host drops such packets unless `net.ipv4.ip_forward` is 1; only then does it route them on, through the FORWARD chain, like a router. Docker turns it on when it starts. nestbox turns it on for as long as a lab or container needs it, writing the old value in its ledger first, and the last user puts the old value back. (`br_netfilter`, the other setting the notes load, is about traffic *inside* a bridge; see the bridge lab.)",
      command: 'sysctl net.ipv4.ip_forward; sysctl -w net.ipv4.ip_forward=1',
      syscall: 'write(2) of "1" to /proc/sys/net/ipv4/ip_forward',
      async perform(ctx) {
        ctx.state.forwardBefore = readSysctl(IP_FORWARD);
        if (ctx.state.forwardBefore === '0') {
          const r = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/`, { timeoutMs: 500 });
          ctx.say(`with ip_forward = 0 the request ${r === undefined ? 'got no answer: the host dropped it' : 'was answered'}`);
        }
        await useForwarding(ctx);
        return `ip_forward was ${ctx.state.forwardBefore}, is ${readSysctl(IP_FORWARD)} now`;
      },
      async verify(ctx) {
        const kept = new Ledger('shared-ip_forward').entries().find((e) => e.kind === 'sysctl' && e.path === IP_FORWARD) as { value: string } | undefined;
        const brnf = readSysctl(BRIDGE_NF_CALL_IPTABLES);
        ctx.say(`br_netfilter: ${brnf === undefined ? 'not loaded' : `net.bridge.bridge-nf-call-iptables = ${brnf}`}`);
        return [
          observe(IP_FORWARD, '1', readSysctl(IP_FORWARD)),
          ctx.state.forwardBefore === '1'
            ? observe('old value to restore', 'none: it was 1 already', 'none: it was 1 already')
            : observe('old value in the ledger, to restore', ctx.state.forwardBefore, kept?.value ?? 'missing'),
        ];
      },
      async cleanup(ctx) {
        await leaveForwarding(ctx);
      },
    },
    {
      id: 'no-nat',
      title: 'Forwarded, but no answer comes back',
      explain: "Now the host forwards the box's packets, and they reach the outside with the box's own address as their source. The outside wants to answer but has no route to the container subnet, so its kernel cannot even send the reply: it counts it in `OutNoRoutes` in its `/proc/net/snmp`. This is exactly what happens to a private address on the internet: nobody routes it back.",
      command: 'ip netns exec $BOX wget -qO- http://$OUTSIDE/; ip netns exec $OUT cat /proc/net/snmp',
      syscall: 'connect(2) from the box; the outside: ip_route_output fails, IPSTATS_MIB_OUTNOROUTES++',
      async perform(ctx) {
        ctx.state.noRoutesBefore = snmpCounter(ctx.state.outsidePid, 'Ip', 'OutNoRoutes');
        ctx.state.rxBefore = devCounters(ctx.state.outsidePid, 'eth0')?.rxPackets;
        ctx.state.plainAnswer = await httpGet(ctx, BOX(ctx), `http://${ctx.state.outsideAddr}/`, { timeoutMs: 500 });
        return ctx.state.plainAnswer === undefined ? 'the request from the box got no answer' : `answered: ${ctx.state.plainAnswer}`;
      },
      async verify(ctx) {
        const noRoutes = (snmpCounter(ctx.state.outsidePid, 'Ip', 'OutNoRoutes') ?? 0) - (ctx.state.noRoutesBefore ?? 0);
        const rx = (devCounters(ctx.state.outsidePid, 'eth0')?.rxPackets ?? 0) - (ctx.state.rxBefore ?? 0);
        return [
          observe('answer from the outside', 'none', ctx.state.plainAnswer ?? 'none'),
          observeThat("packets received on the outside's eth0", '> 0: the request did arrive', `${rx} more`, rx > 0),
          observeThat("outside's OutNoRoutes (/proc/PID/net/snmp)", '> 0: it had no route for its reply', `${noRoutes} more`, noRoutes > 0),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'The MASQUERADE rule',
      explain: "MASQUERADE, in the nat table's POSTROUTING chain, rewrites the source address of a packet as it leaves the host, to the address of the interface it leaves by; conntrack remembers the mapping and rewrites the replies back. Docker adds one for its subnet: `-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE` (from the containers, leaving by anything but the bridge itself). Add the same for the box's subnet, {subnet}, and the lab's bridge, {bridge}.",
      command: 'iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE',
      syscall: 'an nf_tables (or x_tables) rule in the nat table, hook NF_INET_POST_ROUTING',
      exercise: {
        task: "On the host, add the MASQUERADE rule for the box's **subnet**, {subnet}, for packets that leave by any interface **other than** the lab's bridge, {bridge}. Then the outside, {outsideAddr}, must see the host's address, not the box's.",
        hints: [
          'The rule goes into the nat table, chain POSTROUTING, with the target MASQUERADE; it matches the source subnet (`-s {subnet}`) and the interface the packets leave by.',
          "`! -o {bridge}` means \"leaving by any interface except the bridge\"; `-o {bridge}` would only rewrite packets going back *into* the bridge, never those going out.",
          '`iptables -t nat -S POSTROUTING` shows what you added; `iptables -t nat -D POSTROUTING ...` with the same arguments removes a wrong one.',
          '`iptables -t nat -A POSTROUTING -s {subnet} ! -o {bridge} -j MASQUERADE`',
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
          observe(`MASQUERADE for ${ctx.state.subnet} ! -o ${ctx.state.bridge}`, 'present', outward ? 'present' : rules.length ? `only: ${rules.map((r) => r.text).join('; ')}` : 'absent'),
          observe('source address the outside sees', ctx.state.hostOutAddr, seen ?? 'no answer'),
        ];
      },
      async cleanup(ctx) {
        // Rules typed by hand that name the lab's subnet or bridge go with the lab.
        if (ctx.state.subnet) await removeRulesNaming('nat', ['POSTROUTING'], [ctx.state.subnet, ctx.state.bridge]);
      },
    },
    {
      id: 'traffic',
      title: 'The outside sees the host; read the rule and its counters',
      explain: "Now the box reaches the outside, and the outside sees the host's address as the caller: the host rewrote the source on the way out and the destination of each reply on the way back. The nat table is consulted only for the *first* packet of each connection; conntrack handles the rest, so the rule's packet counter counts connections (and ping exchanges), not packets.",
      command: 'ip netns exec $BOX wget -qO- http://$OUTSIDE/cgi-bin/peer; iptables -t nat -nvL POSTROUTING',
      syscall: 'nf_nat: the conntrack entry stores the original and the rewritten tuple',
      async perform(ctx) {
        ctx.state.seen = await whoCalls(ctx);
        ctx.state.pinged = await ping(ctx, BOX(ctx), ctx.state.outsideAddr);
        const post = (await listChains('nat', 'POSTROUTING'))[0];
        ctx.say('$ iptables -t nat -nvL POSTROUTING   (the lab\'s rules)');
        for (const line of formatListing(post, (r) => r.extra.includes(tag(ctx)) || r.source === ctx.state.subnet)) ctx.say(line);
        return `the outside saw ${ctx.state.seen ?? 'nothing'} calling; the box is ${ctx.state.boxAddr}`;
      },
      async verify(ctx) {
        const rules = await masqueradeRules(ctx);
        const outward = rules.find((r) => ruleOption(r.args, '-o', '--out-interface') !== ctx.state.bridge);
        return [
          observe('source address the outside saw', `${ctx.state.hostOutAddr} (the host), not ${ctx.state.boxAddr}`, `${ctx.state.seen ?? 'no answer'} (the host), not ${ctx.state.boxAddr}`),
          observe(`ping ${ctx.state.outsideAddr} from the box`, true, ctx.state.pinged),
          observeThat('MASQUERADE rule: packets counted', '≥ 2 (first packets: the request, the ping)', outward?.counters?.packets ?? 'no rule', (outward?.counters?.packets ?? 0) >= 2),
        ];
      },
    },
  ],
};

export default lab;
