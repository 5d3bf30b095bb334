// Lab "net": a network namespace is a whole network stack of its own (interfaces, addresses, routes,
// ports). A new one holds a single interface, its own loopback, and that one is down.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWNET } from '../src/kernel/constants.js';
import { namespaceId, Pid } from '../src/kernel/proc.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { which } from '../src/host/exec.js';
import { existsSync, readFileSync } from 'node:fs';
import { runJoined, stopAndReap } from './kit.js';

/** One interface's counters from /proc/PID/net/dev. */
interface DevCounters { name: string; rxPackets: number; txPackets: number }

/**
 * /proc/PID/net/dev lists the interfaces of PID's network namespace. (/sys/class/net would not do:
 * sysfs shows the network namespace of the process that mounted it, here the host's.)
 */
function netDev(pid: Pid): DevCounters[] {
  const lines = readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2).filter((l) => l.includes(':'));
  return lines.map((line) => {
    const [name, rest] = line.split(':');
    const f = rest.trim().split(/\s+/).map(Number);
    return { name: name.trim(), rxPackets: f[1], txPackets: f[9] };
  });
}

/** Run a program joined to PID's network namespace (like nsenter --target PID --net): its exit code and output. */
const runInside = (ctx: LabContext, pid: number, argv: string[]) => runJoined(ctx, pid, ['net'], argv);

let ipPath: string | undefined;
const ip = () => (ipPath ??= which('ip') ?? '/usr/sbin/ip');

let pingArgv: string[] | undefined;
/** One ping to 127.0.0.1, giving up after a second: busybox's ping, or the host's own (iputils). */
function pingCommand(): string[] {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  pingArgv ??= [...(busybox ? [busybox, 'ping'] : [which('ping') ?? '/bin/ping']), '-c', '1', '-W', '1', '127.0.0.1'];
  return pingArgv;
}

/** `ip -json link show lo` inside PID's namespace: flags (UP or not), operstate, IPv4 addresses. */
async function loopback(ctx: LabContext, pid: number): Promise<{ flags: string[]; operstate: string; inet: string[] }> {
  const { out } = await runInside(ctx, pid, [ip(), '-json', 'addr', 'show', 'dev', 'lo']);
  const lo = (JSON.parse(out || '[]') as any[])[0] ?? { flags: [], operstate: 'absent', addr_info: [] };
  const inet = (lo.addr_info ?? []).filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`);
  return { flags: lo.flags, operstate: lo.operstate, inet };
}

const lab: Lab = {
  id: 'net',
  title: 'The network namespace: a network stack of its own',
  module: 6,
  lesson: 'network',
  needs: ['root', 'ns-net'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's network namespace",
      explain: "Interfaces, IP addresses, routing tables, firewall rules and the table of bound ports all belong to a network namespace. Every process is in one; `/proc/PID/net/dev` lists the interfaces of the namespace PID is in, with their packet counters.",
      command: 'readlink /proc/self/ns/net; cat /proc/self/net/dev',
      syscall: 'readlink(2) on /proc/self/ns/net; read(2) of /proc/self/net/dev',
      async perform(ctx) {
        ctx.state.hostNet = namespaceId('self', 'net');
        ctx.state.hostIfaces = netDev('self').map((d) => d.name);
        return `the host is in net:[${ctx.state.hostNet}] with interfaces ${ctx.state.hostIfaces.join(', ')}`;
      },
      async verify(ctx) {
        return [
          observe('/proc/self/ns/net', `net:[${ctx.state.hostNet}]`, `net:[${namespaceId('self', 'net')}]`),
          observe('interfaces in /proc/self/net/dev', ctx.state.hostIfaces.join(' '), netDev('self').map((d) => d.name).join(' ')),
        ];
      },
    },
    {
      id: 'unshare',
      title: 'A new network namespace: only lo, and it is down',
      explain: "`unshare(CLONE_NEWNET)` starts an empty network stack, not a copy: none of the host's interfaces, no addresses, no routes. The kernel gives every namespace its own loopback device, created *down*, so even 127.0.0.1 is unreachable: loopback gets its address only when it comes up. This is Docker's `--network none`. nestbox reads the lab's interfaces from `/proc/PID/net/dev`, and runs `ip` and `ping` joined to the namespace.",
      command: 'unshare --net sleep infinity & nsenter --target $! --net ip addr',
      syscall: 'unshare(CLONE_NEWNET); posix_spawn("/bin/sleep"); setns(fd of /proc/PID/ns/net, CLONE_NEWNET) for ip and ping',
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNET }, 'holds the lab network namespace');
        return `started PID ${ctx.state.pid} in a new network namespace`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = namespaceId(pid, 'net');
        const ifaces = netDev(pid).map((d) => d.name);
        const lo = await loopback(ctx, pid);
        const ping = await runInside(ctx, pid, pingCommand());
        return [
          observeThat(`/proc/${pid}/ns/net`, `≠ host's net:[${ctx.state.hostNet}]`, `net:[${inside}]`, inside !== undefined && inside !== ctx.state.hostNet),
          observe(`interfaces in /proc/${pid}/net/dev`, 'lo', ifaces.join(' ')),
          observe("host interfaces (other than lo) seen inside", 'none', ifaces.filter((n) => n !== 'lo' && ctx.state.hostIfaces.includes(n)).join(' ') || 'none'),
          observe('lo flags (ip -json addr, inside)', 'LOOPBACK', lo.flags.join(',')),
          observe('lo IPv4 addresses inside', 'none', lo.inet.join(' ') || 'none'),
          observeThat('ping 127.0.0.1 inside', 'fails: Network is unreachable', ping.out.includes('unreachable') ? 'Network is unreachable' : `exit ${ping.code}`, ping.code !== 0),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'exercise',
      title: 'Bring lo up inside the lab namespace',
      explain: "Bringing an interface up sets its `IFF_UP` flag through netlink. For loopback the kernel then adds 127.0.0.1/8 and the local routes by itself. Do it inside the lab's namespace; the host's interfaces must not be touched.",
      command: 'nsenter --target PID --net ip link set lo up',
      syscall: 'setns(fd of /proc/PID/ns/net, CLONE_NEWNET); netlink RTM_NEWLINK with IFF_UP on lo',
      exercise: {
        task: "Bring the loopback interface **up** inside the lab's network namespace. In the shell nestbox opens there: `ip link set lo up`, then `ip addr` to see it.",
        hints: [
          "Open the shell inside the lab namespace first: `ip` in your own terminal works on the host's interfaces.",
          '`unshare --net ip link set lo up` does not help: that is a new namespace of its own, gone when `ip` exits.',
          'From a second terminal: `nsenter --target PID --net ip link set lo up`.',
        ],
        shell: { pidKey: 'pid', types: ['net'] },
        async solve(ctx) {
          const { code, out } = await runInside(ctx, ctx.state.pid, [ip(), 'link', 'set', 'lo', 'up']);
          if (code !== 0) throw new Error(`ip link set lo up: ${out.trim()}`);
        },
        async mistake(ctx) {
          // Up in a namespace of its own: a fresh one, gone as soon as `ip` exits.
          const p = await ctx.spawn({ argv: [ip(), 'link', 'set', 'lo', 'up'], env: baseEnv(), unshare: CLONE_NEWNET });
          await waitForExit(p);
        },
      },
      async verify(ctx) {
        const lo = await loopback(ctx, ctx.state.pid);
        return [
          observeThat(`lo flags inside PID ${ctx.state.pid}'s namespace`, 'includes UP', lo.flags.join(','), lo.flags.includes('UP')),
          observe('lo IPv4 addresses inside', '127.0.0.1/8', lo.inet.join(' ') || 'none'),
        ];
      },
    },
    {
      id: 'loopback',
      title: 'Loopback works inside, and nothing else is reachable',
      explain: "With lo up, a `ping 127.0.0.1` inside the namespace goes out through *its* lo and comes back: the lab's lo counts the packets. Still, nothing outside can be reached: the main routing table is empty, so the kernel has no route to any other address and refuses to send (`ip route get` asks the kernel for a route without sending anything). To reach the host or the world, a namespace needs a device that leads out, such as one end of a veth pair (module 12).",
      command: 'nsenter --target PID --net sh -c "ping -c 1 127.0.0.1; ip route; ip route get 192.0.2.1"',
      syscall: 'setns(CLONE_NEWNET); socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); sendto(127.0.0.1); netlink RTM_GETROUTE',
      async perform(ctx) {
        const pid = ctx.state.pid;
        const before = netDev(pid).find((d) => d.name === 'lo');
        ctx.state.loRxBefore = before?.rxPackets ?? 0;
        const ping = await runInside(ctx, pid, pingCommand());
        ctx.state.pingCode = ping.code;
        return `ping 127.0.0.1 inside PID ${pid}'s namespace: ${ping.out.split('\n').find((l) => l.includes('packets')) ?? `exit ${ping.code}`}`;
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const lo = netDev(pid).find((d) => d.name === 'lo');
        const routes = await runInside(ctx, pid, [ip(), '-json', 'route', 'show']);
        const get = await runInside(ctx, pid, [ip(), 'route', 'get', '192.0.2.1']);
        const received = (lo?.rxPackets ?? 0) - ctx.state.loRxBefore;
        return [
          observe('ping 127.0.0.1 inside: exit code', 0, ctx.state.pingCode),
          observeThat(`packets received on lo (/proc/${pid}/net/dev)`, '≥ 2 more (request and reply)', `${received} more`, received >= 2),
          observe('main routing table inside (ip -json route)', '[]', routes.out.trim() || '(error)'),
          observeThat('route to 192.0.2.1 inside (ip route get)', 'Network is unreachable', get.out.trim().split('\n').pop(), get.code !== 0 && get.out.includes('unreachable')),
          observe(`interfaces in /proc/${pid}/net/dev`, 'lo', netDev(pid).map((d) => d.name).join(' ')),
        ];
      },
    },
  ],
};

export default lab;
