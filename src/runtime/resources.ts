// linux.resources of an OCI config, written into the container's cgroup through the one cgroup
// layer (src/kernel/cgroup*.ts): each field is a knob of a controller, and each knob has a file on
// each cgroup version (memory.limit_in_bytes on v1 is memory.max on v2). The config counts in
// v1's terms (cpu shares, a memory+swap total, blkio weights 10-1000), as every OCI config does;
// the v2 side converts them as runc does.
import type { Cgroup } from '../kernel/cgroup.js';
import type { DeviceRule } from '../kernel/bpf.js';
import { UserError } from '../errors.js';
import type { OciResources, OciDeviceRule } from '../oci/types.js';

/** runc's devices every container may use, whatever its config says (after the config's own rules). */
export const DEFAULT_DEVICE_RULES: OciDeviceRule[] = [
  { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
  ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [10, 200]].map(([major, minor]) => ({ allow: true, type: 'c' as const, major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // the pty slaves, /dev/pts/N
];

/** One OCI device rule as the kernel layer takes it. */
function deviceRule(r: OciDeviceRule): DeviceRule {
  return { type: r.type ?? 'a', major: r.major === undefined || r.major < 0 ? undefined : r.major, minor: r.minor === undefined || r.minor < 0 ? undefined : r.minor, access: r.access || 'rwm', deny: !r.allow };
}

/**
 * Write every field given. `warn` hears about the fields this kernel cannot set and nestbox leaves
 * out (v1's kernel memory limit, gone from Linux 6.x; knobs v2 does not have); a field whose
 * controller the host lacks, or that the kernel refuses, fails the container.
 */
export function applyResources(cg: Cgroup, r: OciResources, warn: (line: string) => void = () => {}): void {
  const has = (c: string) => cg.dirs.has(c) || (cg.version === 2 && (c === 'devices' || c === 'freezer'));
  const need = (c: string, field: string) => {
    if (!has(c)) throw new UserError(`linux.resources.${field} needs the ${c} cgroup controller, which this host does not offer (see nestbox doctor)`, 1);
  };
  const v1Only = (done: boolean, field: string) => { if (!done) warn(`linux.resources.${field}: cgroup v2 has no such knob; left out`); };
  if (r.devices?.length && has('devices')) cg.applyDeviceRules(r.devices.map(deviceRule));
  const m = r.memory;
  if (m) {
    need('memory', 'memory');
    if (m.limit !== undefined) cg.setMemoryMax(m.limit < 0 ? 'max' : m.limit);
    if (m.swap !== undefined) {
      if (!cg.setMemorySwapMax(m.swap < 0 ? 'max' : m.swap, m.limit !== undefined && m.limit >= 0 ? m.limit : 0)) warn('linux.resources.memory.swap: this kernel does not account swap; left out');
    }
    if (m.reservation !== undefined) cg.setMemoryReservation(m.reservation < 0 ? 'max' : m.reservation);
    if (m.kernel !== undefined) {
      // Limiting kernel memory alone was removed from Linux (5.16 deprecated it, 6.x refuses it);
      // runc leaves it out too.
      try { v1Only(cg.setKernelMemory(m.kernel), 'memory.kernel'); } catch { warn('linux.resources.memory.kernel: this kernel refuses a kernel memory limit of its own; left out'); }
    }
    if (m.kernelTCP !== undefined) v1Only(cg.setKernelTcpMemory(m.kernelTCP), 'memory.kernelTCP');
    if (m.swappiness !== undefined && m.swappiness <= 100) v1Only(cg.setMemorySwappiness(m.swappiness), 'memory.swappiness');
    if (m.disableOOMKiller !== undefined) v1Only(cg.setOomKillDisable(m.disableOOMKiller), 'memory.disableOOMKiller');
  }
  const c = r.cpu;
  if (c) {
    if (c.shares !== undefined || c.quota !== undefined || c.period !== undefined) need('cpu', 'cpu');
    if (c.shares) cg.setCpuShares(c.shares);
    if (c.quota !== undefined || c.period !== undefined) cg.setCpuMax(c.quota === undefined || c.quota < 0 ? 'max' : c.quota, c.period ?? 100000);
    if (c.realtimeRuntime !== undefined || c.realtimePeriod !== undefined) v1Only(cg.setCpuRealtime(c.realtimeRuntime, c.realtimePeriod), 'cpu.realtimeRuntime');
    if (c.cpus || c.mems) {
      need('cpuset', 'cpu.cpus');
      cg.setCpuset(c.cpus || cg.cpusetEffective(), c.mems || undefined);
    }
  }
  if (r.pids) {
    need('pids', 'pids');
    cg.setPidsMax(r.pids.limit > 0 ? r.pids.limit : 'max');
  }
  const b = r.blockIO;
  if (b) {
    const io = cg.version === 2 ? 'io' : 'blkio';
    need(io, 'blockIO');
    if (b.weight) cg.setIoWeight(b.weight);
    if (b.leafWeight) warn('linux.resources.blockIO.leafWeight: gone from the kernel with CFQ; left out');
    for (const d of b.weightDevice ?? []) if (d.weight) cg.setIoWeight(d.weight, `${d.major}:${d.minor}`);
    const throttles = [['rbps', b.throttleReadBpsDevice], ['wbps', b.throttleWriteBpsDevice], ['riops', b.throttleReadIOPSDevice], ['wiops', b.throttleWriteIOPSDevice]] as const;
    for (const [kind, list] of throttles) for (const t of list ?? []) cg.setIoThrottle(`${t.major}:${t.minor}`, kind, t.rate);
  }
  for (const h of r.hugepageLimits ?? []) {
    need('hugetlb', 'hugepageLimits');
    cg.setHugetlbLimit(h.pageSize, h.limit);
  }
  if (r.network) {
    if (r.network.classID !== undefined) { need('net_cls', 'network.classID'); v1Only(cg.setNetClassid(r.network.classID), 'network.classID'); }
    for (const p of r.network.priorities ?? []) { need('net_prio', 'network.priorities'); v1Only(cg.setNetPriority(p.name, p.priority), 'network.priorities'); }
  }
  for (const [file, value] of Object.entries(r.unified ?? {})) {
    if (cg.version !== 2) throw new UserError('linux.resources.unified needs cgroup v2: this host keeps the container\'s controllers in v1', 1);
    if (file.includes('/') || file.startsWith('.')) throw new UserError(`linux.resources.unified: ${file} is not a file of the group`, 1);
    cg.setFile(file, value);
  }
}
