// Lab "bridge": a Linux bridge (nestbox's docker0) with three namespaces plugged into it, each
// given an address from a pool, a default route through the bridge, and traffic that makes the
// bridge learn where every MAC address lives.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
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
const ns = (ctx: LabContext, i: number): Netns => ({ name: ctx.state.ns[i - 1] });
/** An address far from any lab subnet, for `ip route get` only: the kernel picks a route, nothing is sent. */
const FAR_AWAY = '198.51.100.7';

/** Docker's "inter-container communication" rule: frames switched between two ports of the bridge are accepted. */
const iccRule = (ctx: LabContext): Rule => ({ table: 'filter', chain: 'FORWARD', spec: ['-i', ctx.state.bridge, '-o', ctx.state.bridge, '-m', 'comment', '--comment', `nestbox lab bridge ${ctx.unique}`, '-j', 'ACCEPT'] });

async function iccCounter(ctx: LabContext): Promise<number | undefined> {
  const rules = await countedRules('filter', 'FORWARD');
  return rules.find((r) => r.text.includes(`nestbox lab bridge ${ctx.unique}`))?.counters?.packets;
}

const lab: Lab = {
  id: 'bridge',
  title: 'Bridges: a switch for namespaces, the docker0 of nestbox',
  module: 12,
  lesson: 'veth-bridge',
  needs: ['root', 'ns-net', 'ip', 'iptables'],
  steps: [
    {
      id: 'bridge',
      title: 'Create the bridge and give it the gateway address',
      explain: "A bridge is a virtual layer-2 switch inside the kernel. Docker creates one called `docker0`; nestbox's containers use `nb0`, and this lab makes one of its own. The bridge is also an interface of the host: giving it the first address of a subnet makes the host a member of that network, and that address becomes the containers' gateway. Adding the address also adds the route to the subnet through the bridge.",
      command: 'ip link add $BR type bridge; ip addr add 10.213.0.1/24 dev $BR; ip link set $BR up',
      syscall: 'netlink RTM_NEWLINK IFLA_INFO_KIND "bridge"; RTM_NEWADDR; RTM_NEWLINK IFF_UP',
      async perform(ctx) {
        await labBridge(ctx);
        return `bridge ${ctx.state.bridge} with ${ctx.state.gateway} on subnet ${ctx.state.subnet}`;
      },
      async verify(ctx) {
        const br = await link('host', ctx.state.bridge);
        const route = (await routes('host')).find((r) => r.dst === ctx.state.subnet);
        return [
          observe(`/sys/class/net/${ctx.state.bridge}/bridge`, 'present', existsSync(`/sys/class/net/${ctx.state.bridge}/bridge`) ? 'present' : 'absent'),
          observe(`kind (ip -details link)`, 'bridge', br?.kind ?? 'absent'),
          observe(`address of ${ctx.state.bridge}`, `${ctx.state.gateway}/24`, br?.inet.join(' ') || 'none'),
          observe(`host route to ${ctx.state.subnet}`, `dev ${ctx.state.bridge}`, route ? `dev ${route.dev}` : 'none'),
          observe(`ports in /sys/class/net/${ctx.state.bridge}/brif`, 'none yet', bridgePorts(ctx.state.bridge).join(' ') || 'none yet'),
        ];
      },
    },
    {
      id: 'attach',
      title: 'Plug three namespaces into the bridge',
      explain: "For each namespace nestbox does what Docker does for each container: a veth pair; the host end becomes a *port* of the bridge (`ip link set VETH master BRIDGE`, once `brctl addif`); the other end moves into the namespace as `eth0` and gets an address from the bridge's pool. The pool hands out each address once: every address taken is a file created with `O_EXCL`, which only one process can create, so even containers started at the same instant never collide. The first two get a default route via the gateway; the third does not, yet.",
      command: 'ip link add $V1 type veth peer name $P1; ip link set $V1 master $BR up; ip link set $P1 netns $NS1 name eth0; ip -n $NS1 addr add 10.213.0.2/24 dev eth0; ip -n $NS1 link set eth0 up; ip -n $NS1 route add default via 10.213.0.1',
      syscall: 'netlink RTM_NEWLINK (veth, IFLA_MASTER, IFLA_NET_NS_FD); RTM_NEWADDR; RTM_NEWROUTE; open(O_CREAT|O_EXCL) per address',
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
        ctx.say(`the third namespace is ${ctx.state.ns[2]} (${ctx.state.addrs[2]}); the gateway is ${ctx.state.gateway}`);
        return ctx.state.ns.map((n: string, i: number) => `${n} ${ctx.state.addrs[i]} via port ${ctx.state.ports[i]}`).join('; ');
      },
      async verify(ctx) {
        const obs = [observe(`ports in /sys/class/net/${ctx.state.bridge}/brif`, [...ctx.state.ports].sort().join(' '), bridgePorts(ctx.state.bridge).join(' '))];
        const seen: string[] = [];
        for (const i of BOXES) {
          const eth0 = await link(ns(ctx, i), 'eth0');
          seen.push(...(eth0?.inet ?? []));
          obs.push(observe(`eth0 in ${ctx.state.ns[i - 1]}: address, state`, `${ctx.state.addrs[i - 1]}/24 UP`, `${eth0?.inet.join(' ') || 'none'} ${eth0?.operstate ?? 'absent'}`));
        }
        obs.push(observeThat('addresses handed out', 'three different ones, none the gateway', seen.join(' '), new Set(seen).size === 3 && !seen.some((s) => s.startsWith(`${ctx.state.gateway}/`))));
        obs.push(observe(`pool files (one per address taken)`, [...ctx.state.addrs].sort().join(' '), new AddressPool(ctx.state.subnet).taken().filter((a) => ctx.state.addrs.includes(a)).join(' ')));
        return obs;
      },
    },
    {
      id: 'icc',
      title: "Let traffic between the bridge's ports through the firewall",
      explain: "A bridge switches frames at layer 2, below IP, so you might expect iptables never to see them. But with the `br_netfilter` module loaded and `net.bridge.bridge-nf-call-iptables = 1` (Docker and Kubernetes both need it), bridged IPv4 packets also pass through the iptables FORWARD chain. Docker therefore adds an ACCEPT rule for traffic from its bridge to its bridge (\"inter-container communication\"); nestbox adds the same, at the top of FORWARD, marked with a comment. Its packet counter will show whether this kernel sends bridged packets through iptables.",
      command: 'iptables -I FORWARD -i $BR -o $BR -j ACCEPT; cat /proc/sys/net/bridge/bridge-nf-call-iptables',
      syscall: 'setsockopt(IPT_SO_SET_REPLACE) or an nf_tables netlink batch (the backend iptables uses)',
      async perform(ctx) {
        await addRule(netOf(ctx), iccRule(ctx), { insert: true });
        ctx.state.brnf = readSysctl(BRIDGE_NF_CALL_IPTABLES);
        ctx.state.iccBefore = await iccCounter(ctx);
        const ipt = await detectIptables();
        return `br_netfilter: ${ctx.state.brnf === undefined ? 'not loaded' : `bridge-nf-call-iptables = ${ctx.state.brnf}`}; iptables backend: ${ipt.backend === 'nft' ? 'nf_tables' : 'legacy'}`;
      },
      async verify(ctx) {
        const listing = await listChains('filter', 'FORWARD');
        const mine = listing[0]?.rules.findIndex((r) => r.extra.includes(`nestbox lab bridge ${ctx.unique}`)) ?? -1;
        return [
          observe('position of our rule in FORWARD (-nvxL)', 1, mine + 1),
          observe('its counters so far', '0 packets', `${ctx.state.iccBefore} packets`),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'The default route through the bridge',
      explain: "A namespace reaches addresses on its own subnet directly (the kernel added that route with the address). Anything else needs a *default route*: \"send it to the gateway\", the bridge's address, and let the host route it onward. Docker sets this route in every container. The third namespace has none yet: `ip route` there shows only the subnet. (`ip route get ADDRESS` asks the kernel which route it would take, without sending anything.)",
      command: 'ip -n {ns3} route add default via {gateway}',
      syscall: 'netlink RTM_NEWROUTE dst 0.0.0.0/0 gateway 10.213.0.1 in the third namespace',
      exercise: {
        task: "In the **third** namespace, {ns3}, add a default route via the bridge's address, the gateway {gateway}. In the shell nestbox opens there: `ip route` to look, then add the route.",
        hints: [
          '`ip route` inside shows only the route to the subnet, {subnet}: every other address has no route. A default route names a gateway with `via`.',
          '`ip route add default dev eth0` is not the same: without `via`, the namespace would ask for every address on the bridge itself, and nobody there answers for the rest of the world.',
          'Inside the shell: `ip route add default via {gateway}`. From another terminal: `nsenter --target PID --net ip route add default via {gateway}`.',
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
          observe(`default route in ${ctx.state.ns[2]} (ip -json route)`, `via ${ctx.state.gateway} dev eth0`, def ? `${def.gateway ? `via ${def.gateway} ` : ''}dev ${def.dev}` : 'none'),
          observe(`ip route get ${FAR_AWAY} in ${ctx.state.ns[2]}`, `${FAR_AWAY} via ${ctx.state.gateway} dev eth0`, get.text),
        ];
      },
    },
    {
      id: 'traffic',
      title: 'Traffic between the namespaces; the bridge learns their MAC addresses',
      explain: "The bridge keeps a forwarding database (fdb): for every frame it receives it notes the source MAC address and the port it came in on. Frames to a MAC it knows go out of that one port; the others are flooded to every port but the one they came in on. The entries age out after 300 seconds without traffic. `bridge fdb show br BRIDGE` lists them (once `brctl showmacs`); the learned ones have no `permanent` flag, and the port is the veth whose peer is that namespace's eth0.",
      command: 'ip netns exec $NS1 ping -c1 10.213.0.3; ... ; bridge fdb show br $BR; iptables -nvL FORWARD',
      syscall: 'netlink RTM_GETNEIGH (family AF_BRIDGE) for the fdb',
      async perform(ctx) {
        const learned = (await fdb(ctx.state.bridge)).filter((e) => e.learned);
        ctx.say(`learned fdb entries before any traffic: ${learned.length}`);
        const a = ctx.state.addrs;
        ctx.state.pings = [
          await ping(ctx, ns(ctx, 1), a[1]),
          await ping(ctx, ns(ctx, 1), a[2]),
          await ping(ctx, ns(ctx, 2), a[2]),
        ];
        ctx.state.echo13 = await echo(ctx, ns(ctx, 1), a[2], ECHO_PORT, `hello from ${ctx.state.ns[0]}`);
        ctx.state.macs = [];
        for (const i of BOXES) ctx.state.macs.push((await link(ns(ctx, i), 'eth0'))?.mac);
        for (const e of (await fdb(ctx.state.bridge)).filter((x) => x.learned)) ctx.say(`fdb: ${e.mac} on port ${e.port}`);
        const icc = (await listChains('filter', 'FORWARD'))[0];
        for (const line of formatListing(icc, (r) => r.extra.includes(`nestbox lab bridge ${ctx.unique}`))) ctx.say(line);
        return `pings ${ctx.state.pings.map((p: boolean) => (p ? 'answered' : 'lost')).join(', ')}; echo "${ctx.state.echo13}"`;
      },
      async verify(ctx) {
        const table = await fdb(ctx.state.bridge);
        const obs = [
          observe('pings 1->2, 1->3, 2->3', 'answered, answered, answered', ctx.state.pings.map((p: boolean) => (p ? 'answered' : 'lost')).join(', ')),
          observe(`TCP echo from ${ctx.state.ns[2]}'s server`, `hello from ${ctx.state.ns[0]}`, ctx.state.echo13 || '(nothing)'),
        ];
        for (const i of BOXES) {
          const mac = ctx.state.macs[i - 1];
          const entry = table.find((e) => e.mac === mac && e.learned);
          obs.push(observe(`fdb: ${mac} (${ctx.state.ns[i - 1]}'s eth0)`, `learned on port ${ctx.state.ports[i - 1]}`, entry ? `learned on port ${entry.port}` : 'absent'));
        }
        const icc = (await iccCounter(ctx)) ?? 0;
        const through = ctx.state.brnf === '1';
        obs.push(observeThat('packets counted by the ACCEPT rule in FORWARD',
          through ? '> 0: bridged packets pass through iptables (br_netfilter)' : '0: bridged packets skip iptables (br_netfilter off)',
          icc, through ? icc > 0 : icc === 0));
        return obs;
      },
    },
  ],
};

export default lab;
