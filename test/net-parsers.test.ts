// The pure parts of src/net and the network view, on saved tool output (test/fixtures/net/).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parseIpLinks, parseFdb, parseIptablesListing, parseIptablesSpecs, parseIptablesVersion, splitRule, ruleOption,
  parseProcNetDev, parseListeningPorts, parseRoutes, parseNetnsList,
} from '../src/net/parse.js';
import { parseCidr, formatCidr, overlaps, contains, nthAddress, hostCount, ipToInt, intToIp } from '../src/net/ipv4.js';
import { formatListing, protoName } from '../src/net/iptables.js';
import { inNetnsArgv, ipArgv, shellQuote } from '../src/net/exec.js';
import { subnetCandidates } from '../src/net/pool.js';
import { pairVeths, drawNetworkView, NetNamespace } from '../src/view/network.js';
import { useAscii } from '../src/render/glyphs.js';

// Compiled to dist/test/, the fixtures stay in test/fixtures/ at the package root.
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/net/${name}`, import.meta.url)), 'utf8');
const json = (name: string) => JSON.parse(fixture(name));

test('ip -json link: kind, master, peer index and namespace of a veth on a bridge', () => {
  const links = parseIpLinks(json('ip-link-host.json'));
  const br = links.find((l) => l.name === 'nbbr0')!;
  const v = links.find((l) => l.name === 'nbv1')!;
  assert.is(br.kind, 'bridge');
  assert.is(v.kind, 'veth');
  assert.is(v.master, 'nbbr0');
  assert.is(v.iflink, 6);
  assert.is(v.linkNetnsid, 0);
  assert.ok(v.up);
  assert.is(links.find((l) => l.name === 'ifb0')!.up, false);
  assert.is(links.find((l) => l.name === 'eth0')!.kind, undefined, 'a physical device has no linkinfo kind');
});

test('ip -json addr inside a namespace: addresses, counters, the peer on the host', () => {
  const links = parseIpLinks(json('ip-addr-netns.json'));
  const lo = links.find((l) => l.name === 'lo')!;
  const eth0 = links.find((l) => l.name === 'eth0')!;
  assert.equal(lo.inet, ['127.0.0.1/8']);
  assert.equal(lo.inet6, ['::1/128']);
  assert.equal(eth0.inet, ['10.213.250.2/24']);
  assert.is(eth0.ifindex, 6);
  assert.is(eth0.iflink, 7);
  assert.equal(eth0.stats, { rxPackets: 2, txPackets: 6, rxBytes: 140, txBytes: 512 });
});

test('a veth pair in one namespace: the peer is printed by name and resolved to its index', () => {
  const links = parseIpLinks(json('ip-link-same-ns.json'));
  const va = links.find((l) => l.name === 'va')!;
  const vb = links.find((l) => l.name === 'vb')!;
  assert.is(va.peerName, 'vb');
  assert.is(va.iflink, vb.ifindex);
  assert.is(vb.iflink, va.ifindex);
  assert.is(va.linkNetnsid, undefined);
});

test('bridge -json fdb: learned entries apart from permanent and per-port "self" ones', () => {
  const entries = parseFdb(json('bridge-fdb.json'), 'nbbr0');
  const learned = entries.filter((e) => e.learned);
  assert.equal(learned, [{ mac: 'e2:20:ec:1d:ea:ca', port: 'nbv1', learned: true, local: false }]);
  assert.ok(entries.some((e) => e.local && e.mac === 'ce:4b:a5:ac:2b:b9'), "the port's own MAC is a permanent local entry");
  assert.not.ok(entries.some((e) => e.mac.startsWith('33:33')), 'multicast "self" entries are left out');
});

test('iptables -nvxL: chains, policies, references and each rule with its counters', () => {
  const chains = parseIptablesListing(fixture('iptables-nat-nvxL.txt'));
  assert.equal(chains.map((c) => c.name), ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'NESTBOX-T']);
  const post = chains.find((c) => c.name === 'POSTROUTING')!;
  assert.is(post.policy, 'ACCEPT');
  assert.is(post.packets, 0);
  assert.is(post.rules.length, 2);
  assert.equal(post.rules[0], { packets: 0, bytes: 0, target: 'MASQUERADE', prot: '0', in: '*', out: '!nbbr0', source: '10.213.9.0/24', destination: '0.0.0.0/0', extra: '/* nestbox test */' });
  const mine = chains.find((c) => c.name === 'NESTBOX-T')!;
  assert.is(mine.references, 2);
  assert.is(mine.policy, undefined);
  assert.is(mine.rules[0].packets, 6);
  assert.is(mine.rules[0].bytes, 360);
  assert.is(mine.rules[0].in, '!nbbr0');
  assert.is(mine.rules[0].extra, 'tcp dpt:18080 to:10.213.9.2:8080');
  assert.is(chains.find((c) => c.name === 'OUTPUT')!.rules[0].packets, 6);
});

test('iptables -nvxL --line-numbers (legacy style): names for protocols, a rule without target', () => {
  const [fwd] = parseIptablesListing(fixture('iptables-filter-legacy-nvxL.txt'));
  assert.is(fwd.policy, 'DROP');
  assert.is(fwd.packets, 1523);
  assert.is(fwd.bytes, 91380);
  assert.equal(fwd.rules.map((r) => r.target), ['DOCKER-USER', 'ACCEPT', '', 'ACCEPT']);
  assert.is(fwd.rules[2].packets, 42);
  assert.is(fwd.rules[2].source, '10.213.9.0/24');
  assert.is(fwd.rules[3].prot, 'tcp');
  assert.is(fwd.rules[3].destination, '10.213.9.2');
  assert.is(fwd.rules[3].extra, 'tcp dpt:8080');
});

test('iptables -S: policies, chains, rules split like a shell would (quoted comments)', () => {
  const specs = parseIptablesSpecs(fixture('iptables-nat-S.txt'));
  assert.is(specs.policies.PREROUTING, 'ACCEPT');
  assert.equal(specs.chains, ['NESTBOX-T']);
  assert.is(specs.rules.length, 5);
  const masq = specs.rules[2];
  assert.is(masq.chain, 'POSTROUTING');
  assert.equal(masq.args, ['POSTROUTING', '-s', '10.213.9.0/24', '!', '-o', 'nbbr0', '-m', 'comment', '--comment', 'nestbox test', '-j', 'MASQUERADE']);
  assert.is(ruleOption(masq.args, '-o'), '!nbbr0');
  assert.is(ruleOption(masq.args, '-s', '--source'), '10.213.9.0/24');
  assert.is(ruleOption(specs.rules[4].args, '--to-destination'), '10.213.9.2:8080');
  assert.is(ruleOption(masq.args, '-d'), undefined);
  assert.equal(splitRule('X -m comment --comment "a \\"quoted\\" word" -j ACCEPT'), ['X', '-m', 'comment', '--comment', 'a "quoted" word', '-j', 'ACCEPT']);
});

test('counters formatted like iptables -nvL, for chosen rules only', () => {
  const chains = parseIptablesListing(fixture('iptables-nat-nvxL.txt'));
  const lines = formatListing(chains.find((c) => c.name === 'POSTROUTING'), (r) => r.out === '!nbbr0');
  assert.is(lines.length, 3);
  assert.match(lines[0], /^Chain POSTROUTING \(policy ACCEPT 0 packets, 0 bytes\)$/);
  assert.match(lines[1], /pkts\s+bytes target\s+prot in\s+out/);
  assert.match(lines[2], /MASQUERADE all\s+\*\s+!nbbr0 10\.213\.9\.0\/24/);
  assert.is(protoName('6'), 'tcp');
  assert.is(protoName('tcp'), 'tcp');
});

test('iptables -V: backend', () => {
  assert.equal(parseIptablesVersion('iptables v1.8.9 (nf_tables)\n'), { version: '1.8.9', backend: 'nft' });
  assert.equal(parseIptablesVersion('iptables v1.8.7 (legacy)'), { version: '1.8.7', backend: 'legacy' });
  assert.equal(parseIptablesVersion('iptables v1.4.21'), { version: '1.4.21', backend: 'legacy' });
  assert.is(parseIptablesVersion('command not found'), undefined);
});

test('routes and netns lists', () => {
  const routes = parseRoutes([{ dst: 'default', gateway: '10.213.0.1', dev: 'eth0', flags: [] }, { type: 'local', dst: '10.213.0.2', dev: 'eth0', table: 'local' }]);
  assert.equal(routes[0], { dst: 'default', gateway: '10.213.0.1', dev: 'eth0', table: 'main', type: 'unicast', scope: undefined, prefsrc: undefined });
  assert.is(routes[1].table, 'local');
  assert.equal(parseNetnsList([{ name: 'nba', id: 0 }, { name: 'nbb' }]), [{ name: 'nba', nsid: 0 }, { name: 'nbb', nsid: undefined }]);
});

test('/proc/net/dev and /proc/net/tcp', () => {
  const dev = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     672       8    0    0    0     0          0         0      672       8    0    0    0     0       0          0\n  eth0:    1190      13    0    0    0     0          0         0     1106      12    0    0    0     0       0          0\n';
  assert.equal(parseProcNetDev(dev), [
    { name: 'lo', rxBytes: 672, rxPackets: 8, txBytes: 672, txPackets: 8 },
    { name: 'eth0', rxBytes: 1190, rxPackets: 13, txBytes: 1106, txPackets: 12 },
  ]);
  const tcp = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n   1: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n';
  assert.equal(parseListeningPorts(tcp), [8080]);
});

test('IPv4 prefixes', () => {
  assert.is(intToIp(ipToInt('10.213.0.7')), '10.213.0.7');
  assert.equal(parseCidr('10.213.0.7/24'), { network: ipToInt('10.213.0.0'), prefix: 24 });
  assert.is(formatCidr(parseCidr('192.0.2.99/24')), '192.0.2.0/24');
  assert.ok(overlaps(parseCidr('10.213.0.0/16'), parseCidr('10.213.5.0/24')));
  assert.not.ok(overlaps(parseCidr('10.213.0.0/24'), parseCidr('10.213.1.0/24')));
  assert.ok(overlaps(parseCidr('0.0.0.0/0'), parseCidr('10.1.0.0/24')));
  assert.ok(contains(parseCidr('10.213.0.0/24'), '10.213.0.255'));
  assert.not.ok(contains(parseCidr('10.213.0.0/24'), '10.213.1.0'));
  assert.is(nthAddress(parseCidr('10.213.4.0/24'), 1), '10.213.4.1');
  assert.is(hostCount(parseCidr('10.213.4.0/24')), 254);
  assert.throws(() => ipToInt('10.213.0'));
  assert.throws(() => nthAddress(parseCidr('10.0.0.0/30'), 4));
  const first = [...subnetCandidates(213, 213)].slice(0, 2);
  assert.equal(first, ['10.213.0.0/24', '10.213.1.0/24']);
});

test('commands aimed at a namespace, as a learner types them', () => {
  assert.equal(ipArgv({ name: 'nba' }, ['link']), ['ip', '-n', 'nba', 'link']);
  assert.equal(ipArgv({ pid: 42 }, ['link']), ['nsenter', '--net=/proc/42/ns/net', 'ip', 'link']);
  assert.equal(ipArgv('host', ['link']), ['ip', 'link']);
  assert.equal(inNetnsArgv({ name: 'nba' }, ['ping', '-c1', '10.0.0.1']), ['ip', 'netns', 'exec', 'nba', 'ping', '-c1', '10.0.0.1']);
  assert.is(shellQuote('nestbox lab'), "'nestbox lab'");
  assert.is(shellQuote('!nbbr0'), '!nbbr0');
});

test('network view: veth ends paired across namespaces by ifindex and iflink, drawn under their bridge', () => {
  const iface = (l: ReturnType<typeof parseIpLinks>[number]) => ({ ...l, operstate: l.operstate, inet: l.inet });
  const host: NetNamespace = { label: 'host', inode: 1, processes: [], interfaces: parseIpLinks(json('ip-link-host.json')).map(iface) };
  const httpd = 'busybox httpd -f -vv -p 0.0.0.0:8080 -h /tmp/nestbox-lab-web-root-abcdef';
  const box: NetNamespace = { label: 'nbbox', name: 'nbbox', inode: 2, processes: [{ pid: 42, command: 'sleep infinity' }, { pid: 43, command: httpd }], interfaces: parseIpLinks(json('ip-addr-netns.json')).map(iface), defaultRoute: 'default via 10.213.250.1 dev eth0' };
  pairVeths([host, box]);
  assert.equal(host.interfaces.find((i) => i.name === 'nbv1')!.peer, { namespace: 'nbbox', ifname: 'eth0', ifindex: 6, inet: ['10.213.250.2/24'] });
  assert.is(box.interfaces.find((i) => i.name === 'eth0')!.peer!.ifname, 'nbv1');
  const nat = { ipForward: '1', routeLocalnet: ['nbbr0'], rules: ['-N NESTBOX', '-A PREROUTING -m addrtype --dst-type LOCAL -j NESTBOX'] };
  useAscii(false);
  const text = drawNetworkView({ host, namespaces: [box], nat }).join('\n');
  assert.match(text, /ip_forward=1 {3}route_localnet=1 on nbbr0/);
  assert.match(text, /^ {4}-A PREROUTING -m addrtype --dst-type LOCAL -j NESTBOX$/m);
  assert.match(text, /43 busybox httpd -f -vv -p 0\.0\.0\.0:8080 -h …/, 'a long command is cut between words');
  assert.match(text, /nbbr0 +bridge/);
  assert.match(text, /└─ nbv1 +veth .*⇄ eth0 in nbbox \(10\.213\.250\.2\/24\)/);
  assert.match(text, /nbbox {2}net:\[2\] \/run\/netns\/nbbox; processes 42 sleep infinity, 43/);
  assert.match(text, /eth0 +veth .*10\.213\.250\.2\/24 {2}⇄ nbv1 in the host/);
  assert.match(text, /default via 10\.213\.250\.1 dev eth0/);
});

test.run();
