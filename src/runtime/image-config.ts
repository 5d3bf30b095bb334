// What an image's config gives a container when `run` does not say otherwise, by Docker's rules:
//
//   command     ENTRYPOINT + CMD. Arguments after the image replace CMD only; --entrypoint X
//               replaces ENTRYPOINT with the one program X and drops the image's CMD (X's
//               arguments are the ones after the image); --entrypoint "" leaves no entrypoint.
//               Nothing left at all: Docker's "no command specified".
//   Env         first, so -e and --env-file override it (spec.ts)
//   WorkingDir  unless -w (spec.ts)
//   User        unless -u
//   Labels      under the container's own -l labels
//   ExposedPorts  documentation, except with -P: each one not published by -p gets a free host port
//   Volumes     each path an anonymous volume, unless a -v or --mount is already there
//   StopSignal  unless --stop-signal
import { UserError } from '../errors.js';
import type { RunConfig } from '../image/config.js';
import { checkUserSyntax } from './users.js';
import { parseVolumeFlag, type MountSpec } from './mount-spec.js';
import { parseStopSignal } from './run-flags.js';
import type { PortSpec } from './spec.js';

const EXIT_RUNTIME = 125;

/**
 * The container's command, and how much of it is the entrypoint. `config` is undefined for a root
 * filesystem directory, which has none: then a shell, as nestbox has always started.
 */
export function commandFor(args: string[], entrypointFlag: string | undefined, config: RunConfig | undefined): { command: string[]; entrypoint?: string[] } {
  let entrypoint = config?.Entrypoint ?? [];
  let cmd = config?.Cmd ?? [];
  if (entrypointFlag !== undefined) {
    entrypoint = entrypointFlag === '' ? [] : [entrypointFlag];
    cmd = [];
  }
  if (args.length) cmd = args;
  const command = [...entrypoint, ...cmd];
  if (!command.length) {
    if (!config) return { command: ['/bin/sh'] };
    throw new UserError('no command specified: the image has no ENTRYPOINT or CMD, so give one after the image (nestbox run IMAGE -- COMMAND)', EXIT_RUNTIME);
  }
  return { command, ...(entrypoint.length ? { entrypoint } : {}) };
}

/** The container's user: -u, else the image's USER (checked the same way; looked up when it starts). */
export function userFor(flag: string | undefined, config: RunConfig | undefined): string | undefined {
  if (flag !== undefined) {
    checkUserSyntax(flag);
    return flag;
  }
  const user = config?.User;
  if (!user) return undefined;
  try {
    checkUserSyntax(user);
  } catch {
    throw new UserError(`the image's USER "${user}" is not user[:group]: run it with -u`, EXIT_RUNTIME);
  }
  return user;
}

/** "80/tcp" -> its parts; the image's EXPOSE keys, as Docker writes them. */
function exposedPort(key: string): { port: number; proto: 'tcp' | 'udp' } | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) return undefined;
  return { port: Number(m[1]), proto: (m[2] ?? 'tcp') as 'tcp' | 'udp' };
}

/** The image's exposed ports, as "80/tcp" (ps shows those not published so). */
export function exposedPorts(config: RunConfig | undefined): string[] {
  return Object.keys(config?.ExposedPorts ?? {}).map(exposedPort).filter((p) => p !== undefined).map((p) => `${p!.port}/${p!.proto}`);
}

/** -P: each exposed port not published yet, on a free host port of every address (as -p PORT). */
export function publishAll(ports: PortSpec[], exposed: string[]): PortSpec[] {
  const added: PortSpec[] = [];
  for (const key of exposed) {
    const p = exposedPort(key)!;
    if (ports.some((q) => q.containerPort === p.port && q.proto === p.proto)) continue;
    added.push({ hostIp: '0.0.0.0', hostPort: 0, containerPort: p.port, proto: p.proto });
  }
  return [...ports, ...added];
}

/** The image's VOLUMEs not covered by the user's own mounts, as anonymous volumes. */
export function imageVolumes(config: RunConfig | undefined, mounts: MountSpec[]): MountSpec[] {
  const taken = new Set(mounts.map((m) => m.target.replace(/\/+$/, '') || '/'));
  return Object.keys(config?.Volumes ?? {})
    .map((path) => path.replace(/\/+$/, '') || '/')
    .filter((path) => path.startsWith('/') && path !== '/' && !taken.has(path))
    .map((path) => parseVolumeFlag(path));
}

/** --stop-signal, else the image's STOPSIGNAL. */
export function stopSignalFor(flag: string | undefined, config: RunConfig | undefined): string | undefined {
  if (flag !== undefined || !config?.StopSignal) return undefined; // run-flags.ts parsed the flag
  try {
    return parseStopSignal(config.StopSignal);
  } catch {
    return undefined; // a signal nestbox does not know: stop sends SIGTERM
  }
}
