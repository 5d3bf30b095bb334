// Helpers shared by the network labs veth, bridge, nat, ports and netmodes: names, the commands a
// learner would type (narrated under each step), the lab's bridge and the namespaces wired to it or
// to the host, ip_forward, small servers and clients run inside namespaces, and the traffic checks. Traffic only ever goes to addresses of namespaces the lab created, or to
// the host's own loopback; every client has a time limit.
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from '../src/lab/types.js';
import { baseEnv } from '../src/kernel/spawn.js';
import { NetCtx, Netns, inNetnsArgv, runArgv, toolPath, ToolResult } from '../src/net/exec.js';
import { link, createVethPair, moveLink, addAddress, setUp, quietIpv6, addRoute } from '../src/net/link.js';
import { createBridge, attach } from '../src/net/bridge.js';
import { reserveSubnet, AddressPool } from '../src/net/pool.js';
import { useIpForward, leaveIpForward } from '../src/net/network.js';
import { parseProcNetDev, parseListeningPorts, DevCounters } from '../src/net/parse.js';
import { linkName } from '../src/host/paths.js';
import { listSpecs, detectIptables, deleteRule } from '../src/net/iptables.js';
import { sleep } from './kit.js';
import { pick } from '../src/i18n/lang.js';

/** The lab's NetCtx: objects go into its ledger, and each command run is shown as "$ command". */
export function netOf<S extends object>(ctx: LabContext<S>): NetCtx {
  return { ledger: ctx.ledger, trace: (c) => ctx.say(`$ ${c}`) };
}

/** "nb" + purpose + the run's unique token: a name no other run uses (15 characters at most). */
export const nbName = <S extends object>(ctx: LabContext<S>, purpose: string) => linkName(purpose, ctx.unique);

/**
 * The lab's bridge, made as Docker makes docker0: a subnet no route on this host uses yet, its first
 * address on the bridge (the containers' gateway), the bridge up. Sets ctx.state.bridge, subnet and
 * gateway; returns the subnet's address pool.
 */
export async function labBridge<S extends object>(ctx: LabContext<S>): Promise<AddressPool> {
  const net = netOf(ctx);
  const bridge = nbName(ctx, 'br');
  ctx.state.bridge = bridge;
  const subnet = await reserveSubnet(net);
  ctx.state.subnet = subnet;
  const pool = new AddressPool(subnet);
  ctx.state.gateway = pool.gateway;
  await createBridge(net, bridge);
  await addAddress(net, 'host', bridge, pool.cidr(pool.gateway));
  await setUp(net, 'host', bridge);
  return pool;
}

/**
 * Plug a namespace into the lab's bridge as Docker plugs a container into docker0: a veth pair whose
 * host end (`port`) becomes a port of the bridge, up; the other end moves into the namespace as
 * eth0 and gets the pool's next address; lo and eth0 come up, and (unless told otherwise) a
 * default route via the gateway is added. `quietIpv6` keeps IPv6 off eth0, so its counters show
 * only what the lab sends. Returns the namespace's address.
 */
export async function plugIntoBridge<S extends object>(ctx: LabContext<S>, pool: AddressPool, ns: Netns, port: string, peer: string, opts: { quietIpv6?: boolean; defaultRoute?: boolean } = {}): Promise<string> {
  const net = netOf(ctx);
  await createVethPair(net, port, peer);
  await attach(net, port, ctx.state.bridge!); // set by labBridge, which every caller runs first
  await setUp(net, 'host', port);
  const address = await peerAsEth0(ctx, pool, ns, peer, !!opts.quietIpv6);
  if (opts.defaultRoute ?? true) await addRoute(net, ns, 'default', { via: pool.gateway });
  return address;
}

/**
 * Link a namespace straight to the host, like a machine on the host's own network: a veth pair
 * whose host end (`hostEnd`) gets the pool's first address, and whose other end moves into the
 * namespace as eth0 with the next one. The namespace knows only its own subnet: no default route.
 * IPv6 stays off the host end (and off eth0 with `quietInside`). Returns the namespace's address.
 */
export async function linkToHost<S extends object>(ctx: LabContext<S>, pool: AddressPool, ns: Netns, hostEnd: string, peer: string, opts: { quietInside?: boolean } = {}): Promise<string> {
  const net = netOf(ctx);
  await createVethPair(net, hostEnd, peer);
  await quietIpv6(net, 'host', hostEnd);
  await addAddress(net, 'host', hostEnd, pool.cidr(pool.gateway));
  await setUp(net, 'host', hostEnd);
  return peerAsEth0(ctx, pool, ns, peer, !!opts.quietInside);
}

/** Move a veth end into a namespace as eth0, give it the pool's next address, bring lo and eth0 up. */
async function peerAsEth0<S extends object>(ctx: LabContext<S>, pool: AddressPool, ns: Netns, peer: string, noIpv6: boolean): Promise<string> {
  const net = netOf(ctx);
  await moveLink(net, peer, ns, 'eth0');
  if (noIpv6) await quietIpv6(net, ns, 'eth0');
  const address = pool.allocate(net);
  await addAddress(net, ns, 'eth0', pool.cidr(address));
  await setUp(net, ns, 'lo');
  await setUp(net, ns, 'eth0');
  return address;
}

/** Turn the host into a router (ip_forward = 1) while the lab needs it; the old value goes into the ledger first. */
export async function useForwarding<S extends object>(ctx: LabContext<S>): Promise<void> {
  await useIpForward(netOf(ctx));
  ctx.state.usesForward = true;
}

/** The lab no longer needs forwarding: the last user puts the old ip_forward back. */
export async function leaveForwarding<S extends object>(ctx: LabContext<S>): Promise<void> {
  if (ctx.state.usesForward) await leaveIpForward(netOf(ctx));
  ctx.state.usesForward = false;
}

/** busybox on the host, else the one in nestbox's own root filesystem (static, runs anywhere). */
let busyboxPath: string | undefined;
export function busybox<S extends object>(ctx: LabContext<S>): string {
  busyboxPath ??= ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? join(ctx.rootfs(), 'bin', 'busybox');
  return busyboxPath;
}

/** How a busybox command is shown to the learner ("ping", not "/bin/busybox ping"). */
const shown = (argv: string[]) => (argv[0].endsWith('busybox') ? argv.slice(1) : argv);

/**
 * Run a short command inside a namespace, bounded by `timeoutMs` (SIGKILL after), narrated as
 * `ip netns exec NAME ...`. Its output is returned, never thrown.
 */
export async function inside<S extends object>(ctx: LabContext<S>, ns: Netns, argv: string[], opts: { timeoutMs?: number; input?: string; quiet?: boolean } = {}): Promise<ToolResult> {
  if (!opts.quiet) ctx.say(`$ ${inNetnsArgv(ns, shown(argv)).join(' ')}`);
  return runArgv(inNetnsArgv(ns, argv), { timeoutMs: opts.timeoutMs ?? 2000, input: opts.input });
}

/** One ICMP echo request, waiting at most a second for the reply. True when it came back. */
export async function ping<S extends object>(ctx: LabContext<S>, from: Netns, address: string, opts: { quiet?: boolean } = {}): Promise<boolean> {
  const r = await inside(ctx, from, [busybox(ctx), 'ping', '-c', '1', '-W', '1', address], { timeoutMs: 1500, ...opts });
  return r.code === 0 && / 0% packet loss/.test(r.stdout);
}

/** A TCP echo: send `message` to address:port with nc and return what came back ('' when nothing did). */
export async function echo<S extends object>(ctx: LabContext<S>, from: Netns, address: string, port: number, message: string): Promise<string> {
  ctx.say(`$ echo ${message} | ${inNetnsArgv(from, ['nc', '-w', '1', address, String(port)]).join(' ')}`);
  const r = await runArgv(inNetnsArgv(from, [busybox(ctx), 'nc', '-w', '1', address, String(port)]), { timeoutMs: 1500, input: message + '\n' });
  return r.stdout.trim();
}

/**
 * An HTTP GET with busybox wget; the body, or undefined when the request failed or took longer
 * than `timeoutMs` (this busybox's own -T option is not used: the process is killed instead).
 */
export async function httpGet<S extends object>(ctx: LabContext<S>, from: Netns, url: string, opts: { timeoutMs?: number; quiet?: boolean } = {}): Promise<string | undefined> {
  const r = await inside(ctx, from, [busybox(ctx), 'wget', '-q', '-O', '-', url], { timeoutMs: opts.timeoutMs ?? 1500, quiet: opts.quiet });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** A document root for busybox httpd: index.html with `text`, and /cgi-bin/peer answering with the client's address as the server sees it. */
export function webRoot<S extends object>(ctx: LabContext<S>, name: string, text: string): string {
  const dir = join(ctx.workDir, name);
  mkdirSync(join(dir, 'cgi-bin'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), text + '\n');
  // REMOTE_ADDR is the source address of the connection, after any NAT on the way.
  writeFileSync(join(dir, 'cgi-bin', 'peer'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n');
  chmodSync(join(dir, 'cgi-bin', 'peer'), 0o755);
  // A web server cannot run a script from a filesystem mounted noexec (/run on systemd hosts):
  // it would answer with an error the check could only read as "nobody called".
  try {
    accessSync(join(dir, 'cgi-bin', 'peer'), constants.X_OK);
  } catch {
    const script = join(dir, 'cgi-bin', 'peer');
    throw new Error(pick(`the web server could not run ${script}: its filesystem does not allow programs to run (mounted noexec; see nestbox doctor, "work directories")`,
      `Web 服务器无法运行 ${script}：它所在的文件系统不允许运行程序（挂载时带了 noexec；见 nestbox doctor 的“工作目录”一项）`));
  }
  return dir;
}

/** REMOTE_ADDR as busybox prints it for an IPv4 client on a dual-stack socket: "[::ffff:10.0.0.1]" -> "10.0.0.1". */
export const plainAddress = (text: string | undefined) => (text ?? '').replace(/^\[?(::ffff:)?/, '').replace(/\]$/, '');

/**
 * Start a long-running program inside a namespace (a server, or a process that holds the
 * namespace); it is recorded in the ledger and killed at cleanup. Output goes to a log file.
 */
async function startInside<S extends object>(ctx: LabContext<S>, ns: Netns, argv: string[], note: string, log = join(ctx.workDir, `${note.replace(/\W+/g, '-')}.log`)): Promise<{ pid: number; log: string }> {
  ctx.say(`$ ${inNetnsArgv(ns, shown(argv)).join(' ')} &`);
  const out = openSync(log, 'a');
  const nul = openSync('/dev/null', 'r');
  try {
    // `ip netns exec` setns()es and then execs the program: the PID recorded is the program's own.
    const request = ns === 'host' ? { argv } : 'name' in ns ? { argv: [toolPath('ip'), 'netns', 'exec', ns.name, ...argv] } : { argv, join: { pid: ns.pid, types: ['net' as const] } };
    const pid = await ctx.spawn({ ...request, env: baseEnv(), stdio: [nul, out, out], setsid: true }, note);
    return { pid, log };
  } finally {
    closeSync(out);
    closeSync(nul);
  }
}

/** Wait (up to `ms`) until the process has a listening TCP socket on `port` in its namespace (/proc/PID/net/tcp and tcp6). */
export async function waitListening(pid: number, port: number, ms = 1500): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) {
    try {
      const text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8') + readFileSync(`/proc/${pid}/net/tcp6`, 'utf8').split('\n').slice(1).join('\n');
      if (parseListeningPorts(text).includes(port)) return true;
    } catch {
      return false; // the process is gone
    }
  }
  return false;
}

/** A TCP echo server (busybox nc, persistent with -ll) inside a namespace. */
export async function startEchoServer<S extends object>(ctx: LabContext<S>, ns: Netns, port: number, note: string): Promise<number> {
  const { pid } = await startInside(ctx, ns, [busybox(ctx), 'nc', '-ll', '-p', String(port), '-e', '/bin/cat'], note);
  if (!(await waitListening(pid, port))) throw new Error(pick(`the echo server in ${JSON.stringify(ns)} did not start listening on port ${port}`, `${JSON.stringify(ns)} 里的回显服务器没有开始监听端口 ${port}`));
  return pid;
}

/** A web server (busybox httpd in the foreground, logging each request) inside a namespace. */
export async function startWebServer<S extends object>(ctx: LabContext<S>, ns: Netns, bind: string, root: string, note: string): Promise<{ pid: number; log: string }> {
  const server = await startInside(ctx, ns, [busybox(ctx), 'httpd', '-f', '-vv', '-p', bind, '-h', root], note);
  if (!(await waitListening(server.pid, Number(bind.split(':').pop())))) throw new Error(pick(`the web server in ${JSON.stringify(ns)} did not start listening on ${bind}`, `${JSON.stringify(ns)} 里的 Web 服务器没有开始监听 ${bind}`));
  return server;
}

/** Interface counters of the namespace a process is in (/proc/PID/net/dev shows that process's namespace). */
export function devCounters(pid: number | 'self', dev: string): DevCounters | undefined {
  try {
    return parseProcNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8')).find((d) => d.name === dev);
  } catch {
    return undefined;
  }
}

/** Interface names a process sees, in /proc/PID/net/dev order. */
export function interfacesOf(pid: number | 'self'): string[] {
  try {
    return parseProcNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8')).map((d) => d.name);
  } catch {
    return [];
  }
}

/** A counter of /proc/PID/net/snmp ("Ip", "OutNoRoutes"): the IP statistics of that process's namespace. */
export function snmpCounter(pid: number, group: string, field: string): number | undefined {
  try {
    const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith(`${group}:`));
    const names = lines[0].split(/\s+/).slice(1);
    const values = lines[1].split(/\s+/).slice(1);
    const i = names.indexOf(field);
    return i < 0 ? undefined : Number(values[i]);
  } catch {
    return undefined;
  }
}

/** Wait (up to `ms`) until an interface's operstate is UP: the kernel's link watcher says it carries traffic. */
export async function waitOperUp(ns: Netns, dev: string, ms = 1000): Promise<string> {
  let state = 'absent';
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    state = (await link(ns, dev))?.operstate ?? 'absent';
    if (state === 'UP') break;
  }
  return state;
}

/**
 * Rules a learner added by hand in the lab's exercises are not in the ledger. Those that name one
 * of the lab's own objects (its bridge, its subnet, its chain: unique to this run) are written in
 * the ledger now, so cleanup removes them too, even if the lab is killed later.
 */
export async function adoptRules<S extends object>(ctx: LabContext<S>, table: string, chains: string[], needles: string[]): Promise<void> {
  const { bin } = await detectIptables();
  const recorded = new Set(ctx.ledger.entries().filter((e) => e.kind === 'iptables').map((e) => JSON.stringify((e as any).args)));
  for (const r of (await listSpecs(table)).rules) {
    if (!chains.includes(r.chain) || !names(r.args, needles) || recorded.has(JSON.stringify(r.args))) continue;
    ctx.ledger.record({ kind: 'iptables', table, args: r.args, backend: bin });
  }
}

/** Delete rules (made by hand during an exercise) that name one of the lab's own objects. */
export async function removeRulesNaming(table: string, chains: string[], needles: string[]): Promise<void> {
  for (const r of (await listSpecs(table)).rules) {
    if (!chains.includes(r.chain) || !names(r.args, needles)) continue;
    await deleteRule({ table, chain: r.chain, spec: r.args.slice(1) }).catch(() => undefined);
  }
}

/** Does a rule name one of these objects (an interface, a subnet, an address, address:port)? */
function names(args: string[], needles: string[]): boolean {
  return needles.some((n) => n && args.some((a) => a === n || a === `${n}/32` || a.startsWith(`${n}:`)));
}
