// Lab "net": a network namespace is a whole network stack of its own (interfaces, addresses, routes,
// ports). A new one holds a single interface, its own loopback, and that one is down.
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { CLONE_NEWNET } from '../src/kernel/constants.js';
import { namespaceId, netDev } from '../src/kernel/proc.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { which } from '../src/host/exec.js';
import { existsSync } from 'node:fs';
import { runJoined, stopAndReap } from './kit.js';

interface NetState {
  /** The host's network namespace (inode number) and its interfaces' names. */
  hostNet: number;
  hostIfaces: string[];
  /** The sleep that holds the lab's network namespace. */
  pid: number;
  /** Packets lo had received inside before the ping, and the ping's exit code. */
  loRxBefore: number;
  pingCode: number;
}

/** Run a program joined to PID's network namespace (like nsenter --target PID --net): its exit code and output. */
const runInside = (ctx: LabContext<NetState>, pid: number, argv: string[]) => runJoined(ctx, pid, ['net'], argv);

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
async function loopback(ctx: LabContext<NetState>, pid: number): Promise<{ flags: string[]; operstate: string; inet: string[] }> {
  const { out } = await runInside(ctx, pid, [ip(), '-json', 'addr', 'show', 'dev', 'lo']);
  const lo = (JSON.parse(out || '[]') as any[])[0] ?? { flags: [], operstate: 'absent', addr_info: [] };
  const inet = (lo.addr_info ?? []).filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`);
  return { flags: lo.flags, operstate: lo.operstate, inet };
}

const NONE = t('none', '没有');

const lab: Lab<NetState> = {
  id: 'net',
  title: t('The network namespace: a network stack of its own', '网络命名空间：一套自己的网络栈'),
  module: 6,
  lesson: 'network',
  needs: ['root', 'ns-net'],
  steps: [
    {
      id: 'host',
      title: t("Look at the host's network namespace", '先看看宿主机的网络命名空间'),
      explain: t(
        "Interfaces, IP addresses, routing tables, firewall rules and the table of bound ports all belong to a network namespace. Every process is in one; `/proc/PID/net/dev` lists the interfaces of the namespace PID is in, with their packet counters.",
        '网络接口、IP 地址、路由表、防火墙规则，以及已绑定端口的那张表，全都属于某个网络命名空间。每个进程都在一个网络命名空间里；`/proc/PID/net/dev` 列出 PID 所在命名空间的网络接口，以及它们的包计数。',
      ),
      command: 'readlink /proc/self/ns/net; cat /proc/self/net/dev',
      syscall: t('readlink(2) on /proc/self/ns/net; read(2) of /proc/self/net/dev',
        '对 /proc/self/ns/net 做 readlink(2)；read(2) 读 /proc/self/net/dev'),
      async perform(ctx) {
        ctx.state.hostNet = namespaceId('self', 'net')!;
        ctx.state.hostIfaces = netDev('self').map((d) => d.name);
        return t(`the host is in net:[${ctx.state.hostNet}] with interfaces ${ctx.state.hostIfaces.join(', ')}`,
          `宿主机在 net:[${ctx.state.hostNet}] 里，网络接口有 ${ctx.state.hostIfaces.join('、')}`);
      },
      async verify(ctx) {
        return [
          observe('/proc/self/ns/net', `net:[${ctx.state.hostNet}]`, `net:[${namespaceId('self', 'net')}]`),
          observe(t('interfaces in /proc/self/net/dev', '/proc/self/net/dev 里的网络接口'), ctx.state.hostIfaces.join(' '), netDev('self').map((d) => d.name).join(' ')),
        ];
      },
    },
    {
      id: 'unshare',
      title: t('A new network namespace: only lo, and it is down', '新的网络命名空间：只有 lo，而且是关着的'),
      explain: t(
        "`unshare(CLONE_NEWNET)` starts an empty network stack, not a copy: none of the host's interfaces, no addresses, no routes. The kernel gives every namespace its own loopback device, created *down*, so even 127.0.0.1 is unreachable: loopback gets its address only when it comes up. This is Docker's `--network none`. nestbox reads the lab's interfaces from `/proc/PID/net/dev`, and runs `ip` and `ping` joined to the namespace.",
        '`unshare(CLONE_NEWNET)` 搭起一套空的网络栈，而不是一份拷贝：宿主机的网络接口一个也没有，没有地址，也没有路由。内核给每个命名空间一个自己的回环设备，创建时是*关着*的，所以连 127.0.0.1 都不可达：回环设备要等启用之后才有地址。这就是 Docker 的 `--network none`。nestbox 从 `/proc/PID/net/dev` 读取实验的网络接口，并在加入这个命名空间之后运行 `ip` 和 `ping`。',
      ),
      command: 'unshare --net sleep infinity & nsenter --target $! --net ip addr',
      syscall: t('unshare(CLONE_NEWNET); posix_spawn("/bin/sleep"); setns(fd of /proc/PID/ns/net, CLONE_NEWNET) for ip and ping',
        'unshare(CLONE_NEWNET)；posix_spawn("/bin/sleep")；ip 和 ping 先 setns(/proc/PID/ns/net 的 fd, CLONE_NEWNET) 进去'),
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWNET }, 'holds the lab network namespace');
        return t(`started PID ${ctx.state.pid} in a new network namespace`, `在新的网络命名空间里启动了 PID ${ctx.state.pid}`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const inside = namespaceId(pid, 'net');
        const ifaces = netDev(pid).map((d) => d.name);
        const lo = await loopback(ctx, pid);
        const ping = await runInside(ctx, pid, pingCommand());
        return [
          observeThat(`/proc/${pid}/ns/net`, t(`≠ host's net:[${ctx.state.hostNet}]`, `≠ 宿主机的 net:[${ctx.state.hostNet}]`), `net:[${inside}]`, inside !== undefined && inside !== ctx.state.hostNet),
          observe(t(`interfaces in /proc/${pid}/net/dev`, `/proc/${pid}/net/dev 里的网络接口`), 'lo', ifaces.join(' ')),
          observe(t('host interfaces (other than lo) seen inside', '在里面看到的宿主机网络接口（lo 除外）'), NONE, ifaces.filter((n) => n !== 'lo' && ctx.state.hostIfaces.includes(n)).join(' ') || NONE),
          observe(t('lo flags (ip -json addr, inside)', 'lo 的标志（在里面用 ip -json addr 查看）'), 'LOOPBACK', lo.flags.join(',')),
          observe(t('lo IPv4 addresses inside', '里面 lo 的 IPv4 地址'), NONE, lo.inet.join(' ') || NONE),
          observeThat(t('ping 127.0.0.1 inside', '在里面 ping 127.0.0.1'), t('fails: Network is unreachable', '失败：Network is unreachable'),
            ping.out.includes('unreachable') ? 'Network is unreachable' : t(`exit ${ping.code}`, `退出码 ${ping.code}`), ping.code !== 0),
        ];
      },
      cleanup: (ctx) => stopAndReap(ctx, ctx.state.pid),
    },
    {
      id: 'exercise',
      title: t('Bring lo up inside the lab namespace', '在实验的命名空间里启用 lo'),
      explain: t(
        "Bringing an interface up sets its `IFF_UP` flag through netlink. For loopback the kernel then adds 127.0.0.1/8 and the local routes by itself. Do it inside the lab's namespace; the host's interfaces must not be touched.",
        '启用一个网络接口，就是通过 netlink 给它设上 `IFF_UP` 标志。对回环设备，内核随后会自己加上 127.0.0.1/8 和本地路由。要在实验的命名空间里做；宿主机的网络接口一个也不能碰。',
      ),
      command: 'nsenter --target PID --net ip link set lo up',
      syscall: t('setns(fd of /proc/PID/ns/net, CLONE_NEWNET); netlink RTM_NEWLINK with IFF_UP on lo',
        'setns(/proc/PID/ns/net 的 fd, CLONE_NEWNET)；对 lo 发 netlink RTM_NEWLINK，带上 IFF_UP'),
      exercise: {
        task: t(
          "Bring the loopback interface **up** inside the lab's network namespace. In the shell nestbox opens there: `ip link set lo up`, then `ip addr` to see it.",
          '在实验的网络命名空间里把回环接口**启用**（up）。可以用 nestbox 在里面打开的 shell：先运行 `ip link set lo up`，再用 `ip addr` 看看它。',
        ),
        hints: [
          t("Open the shell inside the lab namespace first: `ip` in your own terminal works on the host's interfaces.",
            '先打开实验命名空间里的 shell：在你自己的终端里，`ip` 操作的是宿主机的网络接口。'),
          t('`unshare --net ip link set lo up` does not help: that is a new namespace of its own, gone when `ip` exits.',
            '`unshare --net ip link set lo up` 没有用：它操作的是另一个新建的命名空间，`ip` 一退出就没了。'),
          t('From a second terminal: `nsenter --target PID --net ip link set lo up`.', '在第二个终端里运行：`nsenter --target PID --net ip link set lo up`。'),
        ],
        shell: { pidKey: 'pid', types: ['net'] },
        async solve(ctx) {
          const { code, out } = await runInside(ctx, ctx.state.pid, [ip(), 'link', 'set', 'lo', 'up']);
          if (code !== 0) throw new Error(pick(`ip link set lo up: ${out.trim()}`, `ip link set lo up 失败：${out.trim()}`));
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
          observeThat(t(`lo flags inside PID ${ctx.state.pid}'s namespace`, `PID ${ctx.state.pid} 的命名空间里 lo 的标志`), t('includes UP', '包含 UP'), lo.flags.join(','), lo.flags.includes('UP')),
          observe(t('lo IPv4 addresses inside', '里面 lo 的 IPv4 地址'), '127.0.0.1/8', lo.inet.join(' ') || NONE),
        ];
      },
    },
    {
      id: 'loopback',
      title: t('Loopback works inside, and nothing else is reachable', '里面的回环通了，别的地方仍然不可达'),
      explain: t(
        "With lo up, a `ping 127.0.0.1` inside the namespace goes out through *its* lo and comes back: the lab's lo counts the packets. Still, nothing outside can be reached: the main routing table is empty, so the kernel has no route to any other address and refuses to send (`ip route get` asks the kernel for a route without sending anything). To reach the host or the world, a namespace needs a device that leads out, such as one end of a veth pair (module 12).",
        'lo 启用之后，在命名空间里 `ping 127.0.0.1`，包从*它自己的* lo 出去又回来：实验的 lo 会把这些包计上数。不过，外面的地方仍然一个也到不了：主路由表是空的，内核没有通往其他任何地址的路由，于是拒绝发送（`ip route get` 只向内核查询路由，并不发送任何东西）。要连到宿主机或外面的世界，命名空间需要一个通往外面的设备，比如 veth 设备对的一端（第 12 课）。',
      ),
      command: 'nsenter --target PID --net sh -c "ping -c 1 127.0.0.1; ip route; ip route get 192.0.2.1"',
      syscall: 'setns(CLONE_NEWNET); socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); sendto(127.0.0.1); netlink RTM_GETROUTE',
      async perform(ctx) {
        const pid = ctx.state.pid;
        const before = netDev(pid).find((d) => d.name === 'lo');
        ctx.state.loRxBefore = before?.rxPackets ?? 0;
        const ping = await runInside(ctx, pid, pingCommand());
        ctx.state.pingCode = ping.code;
        const summary = ping.out.split('\n').find((l) => l.includes('packets'));
        return t(`ping 127.0.0.1 inside PID ${pid}'s namespace: ${summary ?? `exit ${ping.code}`}`,
          `在 PID ${pid} 的命名空间里 ping 127.0.0.1：${summary ?? `退出码 ${ping.code}`}`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const lo = netDev(pid).find((d) => d.name === 'lo');
        const routes = await runInside(ctx, pid, [ip(), '-json', 'route', 'show']);
        const get = await runInside(ctx, pid, [ip(), 'route', 'get', '192.0.2.1']);
        const received = (lo?.rxPackets ?? 0) - ctx.state.loRxBefore;
        return [
          observe(t('ping 127.0.0.1 inside: exit code', '在里面 ping 127.0.0.1：退出码'), 0, ctx.state.pingCode),
          observeThat(t(`packets received on lo (/proc/${pid}/net/dev)`, `lo 收到的包（/proc/${pid}/net/dev）`), t('≥ 2 more (request and reply)', '至少多 2 个（请求和应答）'), t(`${received} more`, `多了 ${received} 个`), received >= 2),
          observe(t('main routing table inside (ip -json route)', '里面的主路由表（ip -json route）'), '[]', routes.out.trim() || t('(error)', '（出错）')),
          observeThat(t('route to 192.0.2.1 inside (ip route get)', '里面通往 192.0.2.1 的路由（ip route get）'), 'Network is unreachable', get.out.trim().split('\n').pop(), get.code !== 0 && get.out.includes('unreachable')),
          observe(t(`interfaces in /proc/${pid}/net/dev`, `/proc/${pid}/net/dev 里的网络接口`), 'lo', netDev(pid).map((d) => d.name).join(' ')),
        ];
      },
    },
  ],
};

export default lab;
