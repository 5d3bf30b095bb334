// `nestbox run`'s options, as plain data: the oclif command (src/commands/run.ts) builds its flags
// and --help from this table, and run-main.ts parses them with Node's own util.parseArgs. Loading
// oclif's parser costs more than a container takes to start, and `run` is the command learners time.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { splitAtCommand } from './command-args.js';
import type { RunFlags } from '../runtime/spec.js';

export interface RunOption {
  type: 'boolean' | 'string';
  char?: string;
  multiple?: boolean;
  aliases?: string[];
  description: string;
}

/**
 * The everyday `docker run` flags beyond the basics, parsed in src/runtime/run-flags.ts. Kept in a
 * block of their own; RUN_OPTIONS takes them all.
 */
const EVERYDAY_OPTIONS: Record<string, RunOption> = {
  label: { type: 'string', char: 'l', multiple: true, description: 'set a label KEY=VALUE on the container (for people and tools; the kernel never sees it)' },
  'label-file': { type: 'string', multiple: true, description: 'read KEY=VALUE labels from a file, one a line' },
  init: { type: 'boolean', description: 'PID 1 is tini (the host\'s /usr/bin/tini-static, bound at /sbin/docker-init; apt-get install tini), which reaps zombies and passes signals on; the command is its child' },
  dns: { type: 'string', multiple: true, description: 'a nameserver for the container\'s /etc/resolv.conf, instead of the host\'s' },
  'dns-search': { type: 'string', multiple: true, description: 'a search domain for /etc/resolv.conf (. for none)' },
  'dns-option': { type: 'string', multiple: true, aliases: ['dns-opt'], description: 'a resolver option for /etc/resolv.conf (e.g. ndots:2)' },
  'add-host': { type: 'string', multiple: true, description: 'add NAME:IP to /etc/hosts; IP host-gateway is the host\'s address on nb0 (--net bridge only; Docker allows it with any network)' },
  ulimit: { type: 'string', multiple: true, description: 'a resource limit NAME=SOFT[:HARD] (nofile, nproc, core, memlock, stack, cpu, fsize, ...; -1 unlimited), set on PID 1 before its command runs, and on exec\'d processes' },
  device: { type: 'string', multiple: true, description: 'give the container a host device: /dev/HOST[:/dev/CONTAINER][:rwm] (the node bound in, and allowed by the device rules)' },
  'stop-signal': { type: 'string', description: 'the signal `nestbox stop` sends first (default: the image\'s STOPSIGNAL, else SIGTERM)' },
  'stop-timeout': { type: 'string', description: 'seconds `nestbox stop` waits before SIGKILL when not given -t: 0-3600, default 10 (Docker\'s -1, wait forever, is not offered)' },
  'memory-swap': { type: 'string', description: 'memory plus swap (e.g. 128m; at least --memory, which it needs; -1: unlimited swap); where the kernel does not account swap it is ignored' },
  'cpu-shares': { type: 'string', char: 'c', description: 'relative CPU weight, 2-262144 (default 1024; 0: not set): cpu.shares on cgroup v1, cpu.weight on v2 (converted as runc does); Docker moves values outside the range into it, nestbox refuses them' },
  'group-add': { type: 'string', multiple: true, description: 'an extra group for the container\'s processes: a name from its /etc/group, or a number' },
  sysctl: { type: 'string', multiple: true, description: 'set a namespaced kernel setting KEY=VALUE in the container: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, and net.* with --net bridge or none (Docker also allows net.* with --net container:NAME)' },
};

export const RUN_OPTIONS: Record<string, RunOption> = {
  name: { type: 'string', description: 'a name for the container (letters, digits, _ . -)' },
  detach: { type: 'boolean', char: 'd', description: 'run in the background and print the container id' },
  interactive: { type: 'boolean', char: 'i', description: 'keep standard input connected' },
  tty: { type: 'boolean', char: 't', description: 'give it a terminal of its own: joined to yours, or with -d kept for `nestbox attach` (with -i for a shell)' },
  rm: { type: 'boolean', description: 'remove the container when it exits' },
  hostname: { type: 'string', char: 'h', description: 'the container\'s hostname (default: its id)' },
  env: { type: 'string', char: 'e', multiple: true, description: 'set an environment variable KEY=VALUE' },
  'env-file': { type: 'string', multiple: true, description: 'read KEY=VALUE lines from a file' },
  workdir: { type: 'string', char: 'w', description: 'working directory inside the container' },
  user: { type: 'string', char: 'u', description: 'run as user[:group], names or numbers from the container\'s /etc/passwd and /etc/group (default: the image\'s USER)' },
  entrypoint: { type: 'string', description: 'the program to run instead of the image\'s ENTRYPOINT (one program, no arguments: they go after the image); the image\'s CMD is dropped too, as in Docker; "" for none' },
  // Mounts (src/runtime/mount-spec.ts).
  volume: { type: 'string', char: 'v', multiple: true, description: 'mount a volume: NAME:/path[:ro] (a named volume, made on first use, starting with the image\'s files there), /host/path:/path[:ro] (a host directory, made when missing), or /path (an anonymous volume, removed by rm -v and --rm)' },
  mount: { type: 'string', multiple: true, description: 'mount, in Docker\'s key=value form: type=bind,source=/host,target=/path[,readonly] (the source must exist), type=volume[,source=NAME],target=/path[,readonly][,volume-nocopy], type=tmpfs,target=/path[,tmpfs-size=BYTES][,tmpfs-mode=1777]' },
  tmpfs: { type: 'string', multiple: true, description: 'mount a tmpfs: /path[:OPTIONS] (Docker\'s defaults: rw,noexec,nosuid,nodev, and without size= the kernel\'s, half the RAM; e.g. /run:size=64m,exec)' },
  'shm-size': { type: 'string', description: 'size of /dev/shm (default 64m)' },
  publish: { type: 'string', char: 'p', multiple: true, description: 'publish a port: [ip:][hostPort:]containerPort[/tcp|udp]; no host port: a free one is chosen (see nestbox port)' },
  'publish-all': { type: 'boolean', char: 'P', description: 'publish every port the image EXPOSEs on a free host port (see nestbox port)' },
  memory: { type: 'string', char: 'm', description: 'memory limit (e.g. 64m, 1g; at least 6m); without --memory-swap, no swap on top (Docker allows as much swap again)' },
  cpus: { type: 'string', description: 'CPU limit in CPUs (e.g. 0.5)' },
  'pids-limit': { type: 'string', description: 'most processes at once (-1: no limit)' },
  'cpuset-cpus': { type: 'string', description: 'CPUs it may run on (e.g. 0 or 0-1)' },
  net: { type: 'string', aliases: ['network'], description: 'network: bridge (default), host, none or container:<name>' },
  'read-only': { type: 'boolean', description: 'mount the container\'s root read-only' },
  'cap-add': { type: 'string', multiple: true, description: 'add a capability (e.g. NET_ADMIN)' },
  'cap-drop': { type: 'string', multiple: true, description: 'drop a capability (or ALL)' },
  privileged: { type: 'boolean', description: 'every capability nestbox holds, no no_new_privs, no seccomp filter, no device rules, no masked or read-only paths: the container can take over the host' },
  'security-opt': { type: 'string', multiple: true, description: 'seccomp=unconfined: no seccomp filter (no-new-privileges is always on)' },
  restart: { type: 'string', description: 'when PID 1 ends: no (default), on-failure[:N] (exit code not 0, at most N times), always, unless-stopped; not after stop or kill, and not across reboots (nestbox has no daemon)' },
  ...EVERYDAY_OPTIONS,
  trace: { type: 'boolean', description: 'print each step of building the container, with its cost' },
};

const usageError = (mode: string) => (what: string) => new UserError(`${what} (see \`nestbox ${mode} --help\`)`, 125);

/**
 * `nestbox run [OPTIONS] ROOTFS [--] [COMMAND...]` into its parts; null when --help is asked for
 * (oclif shows the help).
 */
export function parseRunArgs(argv: string[], mode: 'run' | 'create' = 'run'): { rootfs: string; command: string[]; flags: RunFlags & { trace?: boolean } } | null {
  const usage = usageError(mode);
  const { own, command, afterDashes } = splitAtCommand(argv, RUN_OPTIONS);
  if (own.includes('--help')) return null;
  if (!afterDashes && command[0]?.startsWith('-')) {
    throw new UserError(`${command[0]}: nestbox's options go before the rootfs or image, the command after it: nestbox ${mode} [FLAGS] ROOTFS -- COMMAND`, 125);
  }
  // Every value as --long=value: parseArgs would refuse a value starting with a dash (--cpus -1),
  // which must reach the limit parsers and their message.
  const long = new Map<string, string>();
  for (const [name, o] of Object.entries(RUN_OPTIONS)) {
    if (o.type !== 'string') continue;
    for (const word of [`--${name}`, ...(o.char ? [`-${o.char}`] : []), ...(o.aliases ?? []).map((a) => `--${a}`)]) long.set(word, name);
  }
  const words: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const name = long.get(own[i]);
    if (name && i + 1 < own.length) words.push(`--${name}=${own[++i]}`);
    else {
      // --alias=value (--network=none, --dns-opt=ndots:2) under the option's own name.
      const eq = /^(--[^=]+)=(.*)$/s.exec(own[i]);
      const aliased = eq ? long.get(eq[1]) : undefined;
      words.push(aliased && eq ? `--${aliased}=${eq[2]}` : own[i]);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: words,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(Object.entries(RUN_OPTIONS).map(([name, o]) => [name, { type: o.type, ...(o.char ? { short: o.char } : {}), ...(o.multiple ? { multiple: true } : {}) }])),
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const option = (/'([^']+)'/.exec((err as Error).message)?.[1] ?? '').replace(' <value>', '');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usage(`unknown option ${option}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw usage(`option ${option} ${/does not take/.test((err as Error).message) ? 'takes no value' : 'needs a value'}`);
    throw usage((err as Error).message.split('\n')[0]);
  }
  const [rootfs, ...extra] = parsed.positionals;
  if (!rootfs) throw usage(`nestbox ${mode} needs a root filesystem or an image, for example: nestbox ${mode} --rm default -- /bin/sh`);
  if (mode === 'create' && parsed.values.detach) throw usage('create takes no -d: a created container is started with nestbox start (-a to attach)');
  if (extra.length) throw usage(`unexpected ${extra.join(' ')}`);
  return { rootfs, command, flags: parsed.values as RunFlags & { trace?: boolean } };
}
