// A live picture of namespaces, read from /proc alone (like lsns, but grouped): every process whose
// namespaces are not all the host's, grouped by the namespaces it has of its own, drawn as the
// process tree within each group. It shows what the kernel holds now, not what a lab believes.
import { listPids, namespaceIds, processStatus, commandLine } from '../kernel/proc.js';
import { NAMESPACE_TYPES, NamespaceType } from '../kernel/constants.js';
import { readOwners } from './owners.js';
import { tr, pick } from '../i18n/lang.js';
import { glyphs } from '../render/glyphs.js';
import { truncate } from '../render/text-width.js';

export interface NsProcess { pid: number; ppid: number; nspid: number[]; command: string; own: Partial<Record<NamespaceType, number>> }
export interface NsGroup { namespaces: Partial<Record<NamespaceType, number>>; processes: NsProcess[]; /** The container or lab it belongs to, when nestbox made it. */ owner?: string }
export interface NsView { host: Partial<Record<NamespaceType, number>>; hostProcesses: number; groups: NsGroup[] }

/**
 * The host's namespaces are PID 1's. Where PID 1's links cannot be read (some sandboxes hide them),
 * the CLI's own serve: its main thread never leaves the host's namespaces.
 */
export function namespaceView(): NsView {
  const init = namespaceIds(1);
  const host = Object.keys(init).length ? init : namespaceIds('self');
  const groups = new Map<string, NsGroup>();
  let hostProcesses = 0;
  for (const pid of listPids()) {
    const ids = namespaceIds(pid);
    if (!Object.keys(ids).length) continue; // gone, or a kernel thread we may not read
    const own: Partial<Record<NamespaceType, number>> = {};
    for (const t of NAMESPACE_TYPES) if (ids[t] !== undefined && ids[t] !== host[t]) own[t] = ids[t];
    if (!Object.keys(own).length) { hostProcesses++; continue; }
    const command = commandLine(pid);
    if (!command) continue; // a kernel thread: it belongs to no container
    let status;
    try { status = processStatus(pid); } catch { continue; }
    const key = JSON.stringify(own);
    if (!groups.has(key)) groups.set(key, { namespaces: own, processes: [] });
    groups.get(key)!.processes.push({ pid, ppid: status.ppid, nspid: status.nspid, command, own });
  }
  const owners = readOwners();
  for (const g of groups.values()) {
    const owned = g.processes.map((p) => owners.byPid.get(p.pid)).find(Boolean);
    if (owned) g.owner = tr(owned);
  }
  return { host, hostProcesses, groups: [...groups.values()] };
}

const label = (ns: Partial<Record<NamespaceType, number>>) =>
  NAMESPACE_TYPES.filter((t) => ns[t] !== undefined).map((t) => `${t}:[${ns[t]}]`).join(' ');

/** Plain lines (colour is added by the caller through `paint`). */
export function drawNamespaceView(view: NsView, paint: { head: (s: string) => string; dim: (s: string) => string; ns: (s: string) => string } = { head: (s) => s, dim: (s) => s, ns: (s) => s }): string[] {
  const out: string[] = [];
  const g = glyphs();
  out.push(paint.head(pick("The host's namespaces", '宿主机的命名空间')));
  out.push('  ' + paint.ns(label(view.host)));
  out.push(paint.dim(pick(`  ${view.hostProcesses} processes are in all of them`, `  ${view.hostProcesses} 个进程全都在这些命名空间里`)));
  if (!view.groups.length) {
    out.push('', paint.dim(pick('No process has a namespace of its own right now.', '现在没有哪个进程有自己的命名空间。')));
    return out;
  }
  out.push('', paint.head(pick('Processes with namespaces of their own', '有自己命名空间的进程')) + paint.dim(pick(' (only the types that differ from the host are shown)', '（只列出和宿主机不同的类型）')));
  for (const group of view.groups) {
    out.push('', '  ' + paint.ns(label(group.namespaces)) + (group.owner ? '  ' + paint.head(group.owner) : ''));
    const pids = new Set(group.processes.map((p) => p.pid));
    const roots = group.processes.filter((p) => !pids.has(p.ppid));
    const walk = (p: NsProcess, prefix: string, last: boolean) => {
      const inner = p.nspid.length > 1 ? paint.dim(pick(` (PID ${p.nspid[p.nspid.length - 1]} inside its PID namespace)`, `（在它的 PID 命名空间里是 PID ${p.nspid[p.nspid.length - 1]}）`)) : '';
      out.push(`  ${prefix}${last ? g.elbow : g.tee} ${p.pid} ${truncate(p.command, 60, g.ellipsis)}${inner}`);
      const kids = group.processes.filter((c) => c.ppid === p.pid);
      kids.forEach((k, i) => walk(k, prefix + (last ? '   ' : `${g.v}  `), i === kids.length - 1));
    };
    roots.forEach((r, i) => walk(r, '', i === roots.length - 1));
  }
  return out;
}
