// docker inspect's keys for the everyday run flags (run-flags.ts), in Docker's names and shapes:
// HostConfig's and Config's. Whoever builds `inspect` spreads them in.
import type { ContainerSpec } from './spec.js';

/** HostConfig: Init, Dns, DnsSearch, DnsOptions, ExtraHosts, Ulimits, Devices, GroupAdd, Sysctls, MemorySwap, CpuShares. */
export function hostConfigExtras(spec: ContainerSpec): Record<string, unknown> {
  return {
    Init: !!spec.init,
    Dns: spec.dns ?? [],
    DnsSearch: spec.dnsSearch ?? [],
    DnsOptions: spec.dnsOptions ?? [],
    ExtraHosts: spec.extraHosts ?? [],
    Ulimits: (spec.ulimits ?? []).map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    Devices: (spec.devices ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions })),
    GroupAdd: spec.groupAdd ?? [],
    Sysctls: spec.sysctls ?? {},
    // Docker's total of memory and swap. Without --memory-swap nestbox allows no swap, so the total
    // is the memory limit itself (Docker would report twice the memory); 0 with no limit at all.
    MemorySwap: spec.memorySwap ?? spec.memory ?? 0,
    CpuShares: spec.cpuShares ?? 0,
  };
}

/** Config: Labels, StopSignal, StopTimeout (the last two left out when not given, as Docker does). */
export function configExtras(spec: ContainerSpec): Record<string, unknown> {
  return {
    Labels: spec.labels ?? {},
    ...(spec.stopSignal !== undefined ? { StopSignal: spec.stopSignal } : {}),
    ...(spec.stopTimeout !== undefined ? { StopTimeout: spec.stopTimeout } : {}),
  };
}
