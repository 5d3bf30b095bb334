// `nestbox inspect`: a container as `docker inspect` shows it, field for field where nestbox has
// the same thing (Id, State, HostConfig, Config, NetworkSettings, Mounts...), so that
// `inspect -f '{{.State.ExitCode}}'` and the other field paths Docker users know give the same
// answers. What only nestbox knows (its cgroup directories, the capabilities it kept, the host end
// of the veth pair) is under "Nestbox", never mixed into Docker's keys.
import { existsSync } from 'node:fs';
import { DOCKER_DEFAULT_CAPS } from '../kernel/constants.js';
import { containerEnv, type ContainerSpec } from './spec.js';
import { paths, type Container } from './store.js';
import { createdTime, dockerRunning, dockerState, networkNames } from './ps-view.js';
import { hostConfigExtras, configExtras } from './inspect-extras.js';
import { dockerMounts, mountsHostConfig } from './mount-spec.js';
import { DEFAULT_SHM_SIZE } from '../recipes/rootfs.js';

/** Go's zero time, which Docker prints for a time that has not happened (never started, not finished). */
const ZERO_TIME = '0001-01-01T00:00:00Z';


/** docker inspect's Mounts: binds, volumes and --mount tmpfs, each with its type (mount-spec.ts). */
function mountsOf(spec: ContainerSpec): Record<string, unknown>[] {
  return dockerMounts(spec);
}

export function inspect(c: Container): Record<string, unknown> {
  const { spec, state } = c;
  const running = dockerRunning(state);
  const status = dockerState(state);
  const p = paths(c.id);
  const etc = (file: string) => (existsSync(`${p.dir}/${file}`) ? `${p.dir}/${file}` : '');
  const live = status === 'running' || status === 'paused';
  // Published ports and the address exist while it runs; an ended container gave them back.
  const ports = live ? Object.fromEntries(spec.ports.map((pt) => [`${pt.containerPort}/${pt.proto}`, [{ HostIp: pt.hostIp, HostPort: String(pt.hostPort) }]])) : {};
  const ip = live ? state.IPAddress ?? '' : '';
  // The bridge's own address is host 1 of the container's /24 (src/net/pool.ts).
  const gateway = ip ? ip.replace(/\.\d+$/, '.1') : '';
  const restart = spec.restart ?? { name: 'no', maximumRetryCount: 0 };
  const capAdd = spec.privileged ? [] : spec.capabilities.filter((x) => !(DOCKER_DEFAULT_CAPS as string[]).includes(x));
  const capDrop = spec.privileged ? [] : DOCKER_DEFAULT_CAPS.filter((x) => !spec.capabilities.includes(x));
  const orNull = <T>(list: T[]) => (list.length ? list : null);
  return {
    Id: c.id,
    Created: createdTime(c) || ZERO_TIME,
    Path: spec.command[0] ?? '',
    Args: spec.command.slice(1),
    State: {
      Status: status,
      Running: running,
      Paused: status === 'paused',
      Restarting: status === 'restarting',
      OOMKilled: state.OOMKilled,
      Dead: false,
      Pid: live ? state.Pid : 0,
      ExitCode: state.ExitCode,
      Error: state.Error,
      StartedAt: state.StartedAt || ZERO_TIME,
      FinishedAt: state.FinishedAt || ZERO_TIME,
    },
    // Docker names the image by its ID here and by the name the user gave in Config.Image; a root
    // filesystem directory has no ID, only its path.
    Image: spec.imageId ? `sha256:${spec.imageId}` : spec.image,
    ResolvConfPath: etc('resolv.conf'),
    HostnamePath: etc('hostname'),
    HostsPath: etc('hosts'),
    LogPath: existsSync(p.log) ? p.log : '',
    Name: `/${spec.name}`,
    RestartCount: state.RestartCount ?? 0,
    Driver: 'overlay',
    HostConfig: {
      ...mountsHostConfig(spec, DEFAULT_SHM_SIZE), // Binds, Tmpfs, ShmSize
      NetworkMode: spec.net.mode === 'container' ? `container:${spec.net.container}` : spec.net.mode,
      PortBindings: Object.fromEntries(spec.ports.map((pt) => [`${pt.containerPort}/${pt.proto}`, [{ HostIp: pt.hostIp === '0.0.0.0' ? '' : pt.hostIp, HostPort: String(pt.hostPort || '') }]])),
      RestartPolicy: { Name: restart.name, MaximumRetryCount: restart.maximumRetryCount },
      AutoRemove: spec.autoRemove,
      // As Docker reports them: relative to its 14 defaults (both empty with --privileged); the set
      // the container holds is Nestbox.Capabilities.
      CapAdd: orNull(capAdd),
      CapDrop: orNull(capDrop),
      Privileged: spec.privileged,
      ReadonlyRootfs: spec.readOnly,
      // Docker lists what differs from its defaults here: no_new_privs is one (nestbox always sets it).
      SecurityOpt: spec.privileged ? null : ['no-new-privileges', ...(spec.seccomp === false ? ['seccomp=unconfined'] : [])],
      Memory: spec.memory ?? 0,
      NanoCpus: spec.cpus ? Math.round((spec.cpus.quotaUs / spec.cpus.periodUs) * 1e9) : 0,
      CpusetCpus: spec.cpuset ?? '',
      // null: no limit (unset, 0 or -1), as Docker reports it.
      PidsLimit: typeof spec.pidsLimit === 'number' ? spec.pidsLimit : null,
      // --init, --dns, --add-host, --ulimit, --device, --group-add, --sysctl, --memory-swap, --cpu-shares
      ...hostConfigExtras(spec),
    },
    GraphDriver: { Name: 'overlay', Data: { UpperDir: p.upper, WorkDir: p.work, MergedDir: p.rootfs } },
    Mounts: mountsOf(spec),
    Config: {
      Hostname: spec.hostname,
      Domainname: '',
      User: spec.user ?? '',
      AttachStdin: spec.interactive && !spec.detach,
      Tty: spec.tty,
      OpenStdin: spec.interactive,
      Env: containerEnv(spec),
      // The command is the entrypoint, then its arguments (the image's CMD, or those given to run).
      Cmd: orNull(spec.command.slice(spec.entrypoint?.length ?? 0)),
      Image: spec.image,
      WorkingDir: spec.workdir,
      Entrypoint: spec.entrypoint?.length ? spec.entrypoint : null,
      ...(spec.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) } : {}),
      // Labels, StopSignal, StopTimeout
      ...configExtras(spec),
    },
    NetworkSettings: {
      IPAddress: ip,
      IPPrefixLen: ip ? 24 : 0,
      Gateway: gateway,
      Ports: ports,
      Networks: Object.fromEntries(networkNames(spec).map((n) => [n, n === 'bridge' ? { IPAddress: ip, IPPrefixLen: ip ? 24 : 0, Gateway: gateway } : { IPAddress: '', IPPrefixLen: 0, Gateway: '' }])),
    },
    Nestbox: {
      // One cgroup directory per controller tree (one on cgroup v2), and the controllers used.
      CgroupPaths: state.Cgroup,
      Controllers: state.Controllers ?? [],
      Capabilities: spec.capabilities,
      Seccomp: spec.seccomp !== false && !spec.privileged,
      HostVeth: live ? state.HostVeth ?? '' : '',
      MonitorPid: state.MonitorPid ?? 0,
      PidStart: state.PidStart ?? 0,
    },
  };
}
