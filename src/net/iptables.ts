// Netfilter rules through iptables, the way Docker writes them. Two kernels' worth of machinery can
// sit behind the same `iptables` command: the legacy x_tables backend and nf_tables (iptables-nft
// translates the same syntax into nftables rules). Rules added through one are invisible to the
// other, so nestbox uses the backend the host's own `iptables` uses and writes which one in the
// ledger. It only ever deletes rules and chains it recorded itself; nothing is flushed wholesale.

import { NetCtx, runArgvOk, shellQuote, tool, toolPath } from './exec.js';
import { parseIptablesListing, parseIptablesSpecs, parseIptablesVersion, ChainListing, ListedRule } from './parse.js';
import { existsSync } from 'node:fs';
import { pick } from '../i18n/lang.js';

export interface IptablesInfo {
  backend: 'nft' | 'legacy';
  version: string;
  /** The binary nestbox runs: iptables-nft or iptables-legacy when present, so cleanup hits the same backend. */
  bin: string;
}

let cached: Promise<IptablesInfo> | undefined;

/** `iptables -V` says "(nf_tables)" or "(legacy)"; asked once per process. */
export function detectIptables(): Promise<IptablesInfo> {
  cached ??= (async () => {
    const r = await tool('iptables', ['-V']);
    const v = parseIptablesVersion(r.stdout + r.stderr);
    if (r.code !== 0 || !v) throw new Error(`iptables is not usable here: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`} (apt-get install -y iptables)`);
    const specific = v.backend === 'nft' ? 'iptables-nft' : 'iptables-legacy';
    const bin = existsSync(toolPath(specific)) ? specific : 'iptables';
    return { ...v, bin };
  })();
  return cached;
}

/** A rule in a chain: the chain and the rest of its arguments, as after `-A` ("-s 10.0.0.0/24 -j MASQUERADE"). */
export interface Rule { table: string; chain: string; spec: string[] }

/** The command a learner would type (plain `iptables`: it already is the host's backend). */
function ruleCommand(op: '-A' | '-I' | '-D' | '-C', r: Rule): string {
  return ['iptables', '-t', r.table, op, r.chain, ...r.spec].map(shellQuote).join(' ');
}

/** iptables with `-w` (wait for the xtables lock instead of failing when another tool holds it). */
async function ipt(args: string[], trace?: (c: string) => void): Promise<string> {
  const { bin } = await detectIptables();
  trace?.(['iptables', ...args].map(shellQuote).join(' '));
  return runArgvOk([bin, '-w', ...args]);
}

/**
 * Append (or insert at the top) a rule. The ledger entry is written first: if nestbox dies right
 * after, cleanup finds the rule through it (`-C` tells whether it was really added).
 */
export async function addRule(net: NetCtx, r: Rule, opts: { insert?: boolean } = {}): Promise<void> {
  const { bin } = await detectIptables();
  net.ledger.record({ kind: 'iptables', table: r.table, args: [r.chain, ...r.spec], backend: bin });
  await ipt(['-t', r.table, opts.insert ? '-I' : '-A', r.chain, ...r.spec], net.trace);
}

/** Delete one rule by its specification (the first that matches, as `iptables -D` does). */
export async function deleteRule(r: Rule, trace?: (c: string) => void): Promise<void> {
  await ipt(['-t', r.table, '-D', r.chain, ...r.spec], trace);
}

/**
 * Several rules (and new chains) in one `iptables-restore --noflush` call: one transaction, one
 * process instead of one per rule. --noflush keeps every existing rule; a chain is declared only
 * when it is new, since declaring an existing chain would empty it.
 */
export async function addRules(net: NetCtx, table: string, rules: Rule[], newChains: string[] = []): Promise<void> {
  const { bin } = await detectIptables();
  for (const chain of newChains) net.ledger.record({ kind: 'chain', table, chain, backend: bin });
  for (const r of rules) net.ledger.record({ kind: 'iptables', table, args: [r.chain, ...r.spec], backend: bin });
  const lines = [`*${table}`, ...newChains.map((c) => `:${c} - [0:0]`), ...rules.map((r) => ['-A', r.chain, ...r.spec].map(restoreQuote).join(' ')), 'COMMIT', ''];
  net.trace?.(`${bin}-restore -w --noflush  ${pick('(one transaction of what the next lines do)', '（下面几行在一个事务里一起完成）')}`);
  for (const c of newChains) net.trace?.(`iptables -t ${table} -N ${c}`);
  for (const r of rules) net.trace?.(ruleCommand('-A', r));
  await runArgvOk([`${bin}-restore`, '-w', '--noflush'], { input: lines.join('\n') });
}

/** iptables-restore reads a shell-like line: quote arguments with spaces. */
function restoreQuote(arg: string): string {
  return /[\s"']/.test(arg) ? `"${arg.replace(/(["\\])/g, '\\$1')}"` : arg;
}

/** `iptables -t TABLE -S [CHAIN]`: every rule as the arguments that would recreate it. */
export async function listSpecs(table: string, chain?: string) {
  const { bin } = await detectIptables();
  return parseIptablesSpecs(await runArgvOk([bin, '-w', '-t', table, '-S', ...(chain ? [chain] : [])]));
}

/** `iptables -t TABLE -nvxL [CHAIN]`: chains with the kernel's packet and byte counters (-x: exact). */
export async function listChains(table: string, chain?: string): Promise<ChainListing[]> {
  const { bin } = await detectIptables();
  return parseIptablesListing(await runArgvOk([bin, '-w', '-t', table, '-nvxL', ...(chain ? [chain] : [])]));
}

/** A rule as `-S` gives it, together with its counters from `-nvxL`. */
export interface CountedRule { chain: string; args: string[]; text: string; counters: ListedRule }

/**
 * The rules of one chain with their counters. `-S` and `-nvxL` list a chain's rules in the same
 * order, so the n-th of one is the n-th of the other; neither zeroes anything (no -Z).
 */
export async function countedRules(table: string, chain: string): Promise<CountedRule[]> {
  const [specs, listing] = await Promise.all([listSpecs(table, chain), listChains(table, chain)]);
  const listed = listing.find((c) => c.name === chain)?.rules ?? [];
  const rules = specs.rules.filter((r) => r.chain === chain);
  return rules.map((r, i) => ({ ...r, counters: listed[i] }));
}

/** Lines like `iptables -t nat -nvL CHAIN` prints, for the given rules only (a lab's own). */
export function formatListing(chain: ChainListing | undefined, keep: (r: ListedRule, index: number) => boolean = () => true): string[] {
  if (!chain) return [];
  const head = chain.policy !== undefined ? `Chain ${chain.name} (policy ${chain.policy} ${chain.packets} packets, ${chain.bytes} bytes)` : `Chain ${chain.name} (${chain.references} references)`;
  const rows = chain.rules.filter(keep).map((r) => [String(r.packets), String(r.bytes), r.target, protoName(r.prot), r.in, r.out, r.source, r.destination, r.extra]);
  const titles = ['pkts', 'bytes', 'target', 'prot', 'in', 'out', 'source', 'destination', ''];
  const widths = titles.map((t, c) => Math.max(t.length, ...rows.map((r) => r[c].length)));
  // Counters are right-aligned, like iptables prints them.
  const fmt = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(' ').trimEnd();
  return [head, fmt(titles), ...rows.map(fmt)];
}

/** Newer iptables prints protocol numbers with -n; name the common ones. */
export function protoName(prot: string): string {
  return ({ '0': 'all', '1': 'icmp', '6': 'tcp', '17': 'udp' } as Record<string, string>)[prot] ?? prot;
}

