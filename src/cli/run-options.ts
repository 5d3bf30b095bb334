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
  user: { type: 'string', char: 'u', description: 'run as user[:group], names or numbers from the container\'s /etc/passwd and /etc/group' },
  volume: { type: 'string', char: 'v', multiple: true, description: 'bind a host directory: /host/path:/container/path[:ro]' },
  publish: { type: 'string', char: 'p', multiple: true, description: 'publish a port: [ip:][hostPort:]containerPort[/tcp|udp]; no host port: a free one is chosen (see nestbox port)' },
  memory: { type: 'string', char: 'm', description: 'memory limit (e.g. 64m, 1g; at least 6m), with no swap on top (Docker allows as much swap again)' },
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
    else words.push(own[i].replace(/^--network=/, '--net='));
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
