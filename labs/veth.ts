// Lab "veth": two network namespaces joined by a veth pair, the virtual cable every container's
// network starts with. Each step is done with `ip` and checked by reading the kernel back.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { mountTable, namespaceId } from '../src/kernel/proc.js';
import { statSync, readFileSync, existsSync } from 'node:fs';
import type { Netns } from '../src/net/exec.js';
import { createNetns, createVethPair, moveLink, addAddress, setUp, quietIpv6, links, link } from '../src/net/link.js';
import { reserveSubnet } from '../src/net/pool.js';
import { parseCidr, nthAddress } from '../src/net/ipv4.js';
import { netOf, nbName, startEchoServer, inside, ping, echo, waitOperUp } from './net-lab-kit.js';

const ECHO_PORT = 7007;
const A = (ctx: LabContext): Netns => ({ name: ctx.state.a });
const B = (ctx: LabContext): Netns => ({ name: ctx.state.b });

/** /sys/class/net/DEV/{ifindex,iflink} on the host: the numbers behind "DEV@ifN". */
function sysIndex(dev: string): { ifindex?: number; iflink?: number } {
  try {
    return { ifindex: Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8')), iflink: Number(readFileSync(`/sys/class/net/${dev}/iflink`, 'utf8')) };
  } catch {
    return {};
  }
}

const lab: Lab = {
  id: 'veth',
  title: 'veth pairs: a virtual cable between two network namespaces',
  module: 12,
  lesson: 'veth-bridge',
  needs: ['root', 'ns-net', 'ip'],
  steps: [
    {
      id: 'namespaces',
      title: 'Two named network namespaces',
      explain: "`ip netns add NAME` creates a network namespace and keeps it alive without any process in it: it bind-mounts the namespace's `/proc/self/ns/net` file onto `/run/netns/NAME`. Each starts with nothing but a loopback device, down. Names let you aim commands at it: `ip -n NAME ...` or `ip netns exec NAME program`.",
      command: 'ip netns add $A; ip netns add $B; ip netns list',
      syscall: 'unshare(CLONE_NEWNET); mount("/proc/self/ns/net", "/run/netns/NAME", MS_BIND)',
      async perform(ctx) {
        const net = netOf(ctx);
        ctx.state.a = nbName(ctx, 'a');
        ctx.state.b = nbName(ctx, 'b');
        await createNetns(net, ctx.state.a);
        await createNetns(net, ctx.state.b);
        ctx.state.hostNet = namespaceId('self', 'net');
        return `created ${ctx.state.a} and ${ctx.state.b}`;
      },
      async verify(ctx) {
        const obs = [];
        for (const name of [ctx.state.a, ctx.state.b]) {
          const path = `/run/netns/${name}`;
          const mount = mountTable().find((m) => m.mountPoint === path);
          const ino = existsSync(path) ? statSync(path).ino : undefined;
          const ifaces = (await links({ name })).map((l) => `${l.name}${l.up ? ' UP' : ' DOWN'}`);
          obs.push(
            observe(`${path}: mount type`, 'nsfs', mount?.fstype ?? 'absent'),
            observeThat(`its inode (the namespace's number)`, `≠ host's net:[${ctx.state.hostNet}]`, `net:[${ino}]`, ino !== undefined && ino !== ctx.state.hostNet),
            observe(`interfaces in ${name} (ip -json link)`, 'lo DOWN', ifaces.join(', ')),
          );
        }
        return obs;
      },
    },
    {
      id: 'pair',
      title: 'Create a veth pair on the host',
      explain: "A veth pair is two Ethernet devices joined back to back: whatever one end transmits, the other receives. Each end knows its peer's interface index, its *iflink*: `ip link` prints it after the name, as `@ifN` (or `@peername` when the peer is in the same namespace). Both ends start on the host, down, without addresses.",
      command: 'ip link add $VA type veth peer name $VB; ip link show type veth',
      syscall: 'netlink RTM_NEWLINK, IFLA_INFO_KIND "veth", VETH_INFO_PEER',
      async perform(ctx) {
        ctx.state.va = nbName(ctx, 'va');
        ctx.state.vb = nbName(ctx, 'vb');
        await createVethPair(netOf(ctx), ctx.state.va, ctx.state.vb);
        return `${ctx.state.va} and ${ctx.state.vb} exist on the host, joined to each other`;
      },
      async verify(ctx) {
        const a = sysIndex(ctx.state.va);
        const b = sysIndex(ctx.state.vb);
        const info = await link('host', ctx.state.va);
        return [
          observe(`kind of ${ctx.state.va} (ip -details: linkinfo)`, 'veth', info?.kind ?? 'absent'),
          observe(`${ctx.state.va}'s iflink (its peer's index)`, `${b.ifindex} (= ${ctx.state.vb}'s ifindex)`, `${a.iflink} (= ${ctx.state.vb}'s ifindex)`),
          observe(`${ctx.state.vb}'s iflink`, `${a.ifindex} (= ${ctx.state.va}'s ifindex)`, `${b.iflink} (= ${ctx.state.va}'s ifindex)`),
          observe(`${ctx.state.va} is up`, false, info?.up ?? 'absent'),
        ];
      },
    },
    {
      id: 'move',
      title: 'Plug each end into a namespace, with an address',
      explain: "`ip link set DEV netns NS name eth0` moves an end into a namespace and renames it there, the way Docker turns its veth end into the container's `eth0`. The host no longer sees it. Addresses are per namespace: each end gets one from a /24 nestbox picked because no route on this host uses it. The first end is brought up; the second is left down on purpose. A tiny TCP echo server (`nc`) listens in each namespace.",
      command: 'ip link set $VA netns $A name eth0; ip -n $A addr add 10.213.0.1/24 dev eth0; ip -n $A link set eth0 up; (the same for $B, without "up")',
      syscall: 'netlink RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME; RTM_NEWADDR; RTM_NEWLINK IFF_UP',
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
        return `${ctx.state.a}: eth0 ${ctx.state.addrA}/24, up; ${ctx.state.b}: eth0 ${ctx.state.addrB}/24, still down`;
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        return [
          observe(`${ctx.state.va} on the host (/sys/class/net)`, 'gone', existsSync(`/sys/class/net/${ctx.state.va}`) ? 'present' : 'gone'),
          observe(`eth0 in ${ctx.state.a}: address`, `${ctx.state.addrA}/24`, ea?.inet.join(' ') ?? 'absent'),
          observe(`eth0 in ${ctx.state.b}: address`, `${ctx.state.addrB}/24`, eb?.inet.join(' ') ?? 'absent'),
          observe(`eth0 in ${ctx.state.a}: flags say up`, true, ea?.up ?? 'absent'),
          // Up on one side only: the kernel reports that its lower layer (the peer) is down.
          observe(`eth0 in ${ctx.state.a}: operstate`, 'LOWERLAYERDOWN', ea?.operstate ?? 'absent'),
          observe(`eth0 in ${ctx.state.b}: flags say up`, false, eb?.up ?? 'absent'),
        ];
      },
    },
    {
      id: 'peer',
      title: "Find a veth's peer from its @ifN index",
      explain: "Inside a namespace, `ip link` shows `eth0@if5`: the 5 is the *iflink*, the peer's interface index, and `link-netnsid` says which namespace holds it. `/sys/class/net/eth0/iflink` gives the same number (read it inside the namespace: `ip netns exec` mounts a /sys that shows the namespace's own interfaces). The interface whose ifindex is that number, in the other namespace (or on the host, for a container), is the other end. This is how you find which host `veth...` belongs to a container.",
      command: 'ip -n $A link show eth0; ip netns exec $A cat /sys/class/net/eth0/iflink; ip -n $B -o link | grep "^N:"',
      syscall: 'netlink RTM_GETLINK (IFLA_LINK, IFLA_LINK_NETNSID); read(2) of /sys/class/net/eth0/iflink',
      async perform(ctx) {
        const shown = await inside(ctx, A(ctx), ['ip', '-o', 'link', 'show', 'eth0'], { quiet: true });
        ctx.say(`$ ip -n ${ctx.state.a} -o link show eth0  ->  ${shown.stdout.split('\\')[0].trim()}`);
        const r = await inside(ctx, A(ctx), ['cat', '/sys/class/net/eth0/iflink']);
        ctx.state.iflinkA = Number(r.stdout.trim());
        const peer = (await links(B(ctx))).find((l) => l.ifindex === ctx.state.iflinkA);
        ctx.state.peerOfA = peer?.name;
        return `eth0 in ${ctx.state.a} has iflink ${ctx.state.iflinkA}; in ${ctx.state.b}, index ${ctx.state.iflinkA} is ${peer?.name ?? 'nothing'}`;
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        return [
          observe(`/sys/class/net/eth0/iflink inside ${ctx.state.a}`, ea?.iflink, ctx.state.iflinkA),
          observe(`interface with ifindex ${ctx.state.iflinkA} in ${ctx.state.b}`, 'eth0', ctx.state.peerOfA ?? 'none'),
          observe(`iflink of eth0 in ${ctx.state.b} (back the other way)`, `${ea?.ifindex} (eth0 of ${ctx.state.a})`, `${eb?.iflink} (eth0 of ${ctx.state.a})`),
          observeThat(`link-netnsid of eth0 in ${ctx.state.a}`, 'set: the peer lives in another namespace', ea?.linkNetnsid ?? 'none', ea?.linkNetnsid !== undefined),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Plug in the other end',
      explain: "A veth carries frames only when *both* ends are up: until then the up end reports LOWERLAYERDOWN and every packet sent into it is dropped. Bring up the end in the second namespace; the first namespace must then reach it.",
      command: 'ip -n {b} link set eth0 up',
      syscall: 'netlink RTM_NEWLINK with IFF_UP on eth0 in the second namespace',
      exercise: {
        task: "In the second namespace, {b}, bring **eth0** up. In the shell nestbox opens there: `ip link set eth0 up`, then `ip addr` to see it. From your own terminal, `ip -n {b} link set eth0 up` does the same.",
        hints: [
          "The cable's end in {b} is called eth0 there, and `ip link` shows it DOWN. `ip link set lo up` is not it: loopback is already up. Both namespaces call their end eth0: the one in the first namespace is up already; the one to bring up is in {b}.",
          'Use the shell nestbox opens: it is inside {b} already. There: `ip link set eth0 up`.',
          'From another terminal: `ip -n {b} link set eth0 up` ({b} is a named namespace, listed by `ip netns`), or `nsenter --target PID --net ip link set eth0 up` (PID is the echo server in {b}).',
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
          observe(`eth0 in ${ctx.state.b}: operstate`, 'UP', stateB),
          observe(`eth0 in ${ctx.state.a}: operstate (peer up)`, 'UP', stateA),
          observe(`ping ${ctx.state.addrB} from ${ctx.state.a}`, 'answered', reached ? 'answered' : 'no answer'),
        ];
      },
    },
    {
      id: 'traffic',
      title: 'Traffic through the cable, both ways',
      explain: "With both ends up, the two namespaces form a two-host Ethernet: ARP finds the peer's MAC address, then ICMP and TCP flow. A veth delivers every frame one end sends to the other end: the sender's transmit counter and the receiver's receive counter (`ip -s link`) move by the same amount (IPv6 was kept quiet on these links, so nothing else is sent).",
      command: 'ip netns exec $A ping -c1 $ADDR_B; echo hello | ip netns exec $A nc $ADDR_B 7007; ip -s -n $A link show eth0',
      syscall: 'socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); connect(2)/write(2)/read(2) on a TCP socket',
      async perform(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        ctx.state.before = { aTx: ea?.stats?.txPackets, bRx: eb?.stats?.rxPackets, bTx: eb?.stats?.txPackets, aRx: ea?.stats?.rxPackets };
        ctx.state.pingAB = await ping(ctx, A(ctx), ctx.state.addrB);
        ctx.state.pingBA = await ping(ctx, B(ctx), ctx.state.addrA);
        ctx.state.echoAB = await echo(ctx, A(ctx), ctx.state.addrB, ECHO_PORT, `hello from ${ctx.state.a}`);
        ctx.state.echoBA = await echo(ctx, B(ctx), ctx.state.addrA, ECHO_PORT, `hello from ${ctx.state.b}`);
        return `echo from ${ctx.state.b}'s server: "${ctx.state.echoAB}"; from ${ctx.state.a}'s: "${ctx.state.echoBA}"`;
      },
      async verify(ctx) {
        const ea = await link(A(ctx), 'eth0');
        const eb = await link(B(ctx), 'eth0');
        const d = ctx.state.before;
        const aTx = (ea?.stats?.txPackets ?? 0) - d.aTx;
        const bRx = (eb?.stats?.rxPackets ?? 0) - d.bRx;
        const bTx = (eb?.stats?.txPackets ?? 0) - d.bTx;
        const aRx = (ea?.stats?.rxPackets ?? 0) - d.aRx;
        return [
          observe(`ping ${ctx.state.a} -> ${ctx.state.b}`, true, ctx.state.pingAB),
          observe(`ping ${ctx.state.b} -> ${ctx.state.a}`, true, ctx.state.pingBA),
          observe(`TCP echo from ${ctx.state.b}'s server`, `hello from ${ctx.state.a}`, ctx.state.echoAB || '(nothing)'),
          observe(`TCP echo from ${ctx.state.a}'s server`, `hello from ${ctx.state.b}`, ctx.state.echoBA || '(nothing)'),
          observeThat(`packets ${ctx.state.a} sent / ${ctx.state.b} got`, 'equal, > 0', `${aTx} / ${bRx}`, aTx > 0 && aTx === bRx),
          observeThat(`packets ${ctx.state.b} sent / ${ctx.state.a} got`, 'equal, > 0', `${bTx} / ${aRx}`, bTx > 0 && bTx === aRx),
        ];
      },
    },
  ],
};

export default lab;
