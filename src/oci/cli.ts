// `nestbox oci` (and bin/nestbox-oci, for engines that want a program's path): runc's command line,
// with runc's spellings, so that podman, containerd and the OCI validation suite can drive it:
//
//   nestbox-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] [--trace[=FILE]]
//               COMMAND [FLAGS] ARGS
//
// Flags are parsed as Go's flag package (urfave/cli, which runc uses) parses them: one dash or
// two, `--flag value` or `--flag=value`, and the first argument that is not a flag ends them.
import { appendFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { OCI_VERSION } from './types.js';

type FlagKind = 'bool' | 'string' | 'list';
interface CommandDef { summary: string; usage: string; flags: Record<string, FlagKind>; aliases?: Record<string, string> }

const GLOBAL: Record<string, FlagKind> = {
  root: 'string', log: 'string', 'log-format': 'string', debug: 'bool', 'systemd-cgroup': 'bool', criu: 'string',
  rootless: 'string', trace: 'string', help: 'bool', version: 'bool',
};
const GLOBAL_ALIASES: Record<string, string> = { h: 'help', v: 'version' };

const COMMANDS: Record<string, CommandDef> = {
  create: {
    summary: 'make a container from a bundle; its process waits for `start`',
    usage: 'create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] ID',
    flags: { bundle: 'string', 'pid-file': 'string', 'console-socket': 'string', 'no-pivot': 'bool', 'no-new-keyring': 'bool', 'preserve-fds': 'string' },
    aliases: { b: 'bundle' },
  },
  start: { summary: 'run the program of a created container', usage: 'start ID', flags: {} },
  run: {
    summary: 'create and start; without --detach, wait for the end and delete',
    usage: 'run [--bundle DIR] [--detach] [--pid-file FILE] [--console-socket SOCKET] ID',
    flags: { bundle: 'string', 'pid-file': 'string', 'console-socket': 'string', detach: 'bool', 'no-pivot': 'bool', 'no-new-keyring': 'bool', 'preserve-fds': 'string', keep: 'bool' },
    aliases: { b: 'bundle', d: 'detach' },
  },
  state: { summary: 'the container\'s state, as JSON, read from the kernel', usage: 'state ID', flags: {} },
  kill: { summary: 'send a signal (default TERM) to the container\'s process', usage: 'kill [--all] ID [SIGNAL]', flags: { all: 'bool' }, aliases: { a: 'all' } },
  delete: { summary: 'release a stopped container (--force: kill it first)', usage: 'delete [--force] ID', flags: { force: 'bool' }, aliases: { f: 'force' } },
  exec: {
    summary: 'run another process in a running container',
    usage: 'exec [--process FILE | ID COMMAND ARGS...] [--detach] [--pid-file FILE] [--tty --console-socket SOCKET] [--cwd DIR] [--env K=V] [--user UID[:GID]] ID',
    flags: { process: 'string', detach: 'bool', 'pid-file': 'string', tty: 'bool', 'console-socket': 'string', cwd: 'string', env: 'list', user: 'string', 'additional-gids': 'list', cap: 'list', 'no-new-privs': 'bool', 'process-label': 'string', apparmor: 'string', 'preserve-fds': 'string', cgroup: 'string', 'ignore-paused': 'bool' },
    aliases: { p: 'process', d: 'detach', t: 'tty', e: 'env', u: 'user', g: 'additional-gids', c: 'cap' },
  },
  pause: { summary: 'freeze every process of the container', usage: 'pause ID', flags: {} },
  resume: { summary: 'thaw a paused container', usage: 'resume ID', flags: {} },
  list: { summary: 'the containers this root holds', usage: 'list [--format table|json] [--quiet]', flags: { format: 'string', quiet: 'bool' }, aliases: { f: 'format', q: 'quiet' } },
  ps: { summary: 'the processes of a container', usage: 'ps [--format table|json] ID', flags: { format: 'string' }, aliases: { f: 'format' } },
  features: { summary: 'what this runtime supports, as JSON', usage: 'features', flags: {} },
  spec: { summary: 'write a starting config.json (runc spec)', usage: 'spec [--bundle DIR]', flags: { bundle: 'string', rootless: 'bool' }, aliases: { b: 'bundle' } },
};

export interface Parsed { flags: Record<string, string | boolean | string[]>; args: string[] }

/** Go's flag rules: flags first, `-x`, `--x`, `--x=v`, `--x v`; the first plain argument ends them. */
export function parseFlags(argv: string[], defs: Record<string, FlagKind>, aliases: Record<string, string> = {}): Parsed & { rest: string[] } {
  const flags: Parsed['flags'] = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    const [rawName, inline] = a.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    const name = aliases[rawName] ?? rawName;
    const kind = defs[name];
    if (!kind) throw new UserError(`flag provided but not defined: -${rawName}`, 1);
    if (kind === 'bool') {
      flags[name] = inline === undefined ? true : !['false', '0'].includes(inline);
      continue;
    }
    // `--trace` alone is allowed: to stderr.
    const value = inline ?? (name === 'trace' ? 'stderr' : argv[++i]);
    if (value === undefined) throw new UserError(`flag needs an argument: -${rawName}`, 1);
    if (kind === 'list') flags[name] = [...((flags[name] as string[]) ?? []), value];
    else flags[name] = value;
  }
  return { flags, args: [], rest: argv.slice(i) };
}

/** Run `nestbox oci ARGV`; resolves to the exit status. */
export async function ociMain(argv: string[]): Promise<number> {
  // A reader that went away (`... --trace | head`, an engine that gave up) must not stop a create
  // half-way, between two kernel steps: what is written to it is lost, the work goes on.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const global = parseFlags(argv, GLOBAL, GLOBAL_ALIASES);
  const g = global.flags;
  const [command, ...rest] = global.rest;
  if (g.version) {
    process.stdout.write(`nestbox-oci version 0.1.0\nspec: ${OCI_VERSION}\n`);
    return 0;
  }
  if (g.help || !command || command === 'help') {
    process.stdout.write(helpText(rest[0]));
    return 0;
  }
  const def = COMMANDS[command];
  const logTo = typeof g.log === 'string' ? g.log : undefined;
  const json = g['log-format'] === 'json';
  const log = (level: string, msg: string) => {
    if (!logTo) return;
    const time = new Date().toISOString();
    try { appendFileSync(logTo, json ? JSON.stringify({ level, msg, time }) + '\n' : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`); } catch { /* no log then */ }
  };
  if (typeof g.trace === 'string') {
    process.env.NESTBOX_TRACE = '1';
    if (g.trace !== 'stderr') process.env.NESTBOX_TRACE_FILE = resolve(g.trace);
  }
  try {
    if (!def) throw new UserError(`no such command "${command}": nestbox oci --help lists them`, 1);
    if (g.criu) throw new UserError('checkpoint and restore (--criu) are not part of nestbox', 1);
    const parsed = parseFlags(rest, def.flags, def.aliases);
    if (parsed.flags.help) { process.stdout.write(helpText(command)); return 0; }
    // What the engine asked, first in the trace: for podman, one line per call conmon makes.
    if (process.env.NESTBOX_TRACE) traceLine(`nestbox-oci ${argv.join(' ')}`);
    if (command !== 'spec' && command !== 'features' && process.getuid?.() !== 0) {
      throw new UserError(`nestbox oci ${command} needs root (namespaces, mounts and cgroups): run it with sudo`, 1);
    }
    const { OciStore, defaultRoot } = await import('./state.js');
    const ctx = {
      store: new OciStore(typeof g.root === 'string' ? resolve(g.root) : defaultRoot()),
      systemdCgroup: !!g['systemd-cgroup'],
      // With --log (engines give one), warnings go there, as runc's do; podman reads it.
      warn: (line: string) => { if (logTo) log('warning', line); else process.stderr.write(`nestbox-oci: warning: ${line}\n`); },
    };
    return await dispatch(command, ctx, parsed.flags, parsed.rest);
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    if (process.env.DEBUG) console.error(err);
    const message = String(e.message ?? e).split('\n')[0];
    process.stderr.write(`nestbox-oci: ${message}\n`);
    log('error', message);
    if (process.env.NESTBOX_TRACE) traceLine(`  failed: ${message}`);
    return e.exitCode && e.exitCode !== 0 ? (e.exitCode === 125 ? 1 : e.exitCode) : 1;
  }
}

function traceLine(line: string): void {
  if (process.env.NESTBOX_TRACE_FILE) appendFileSync(process.env.NESTBOX_TRACE_FILE, line + '\n');
  else process.stderr.write(line + '\n');
}

const one = (args: string[], usage: string): string => {
  if (!args[0]) throw new UserError(`a container ID is needed: nestbox oci ${usage}`, 1);
  return args[0];
};

async function dispatch(command: string, ctx: import('./runtime.js').OciContext, flags: Parsed['flags'], args: string[]): Promise<number> {
  const rt = await import('./runtime.js');
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  const usage = COMMANDS[command].usage;
  switch (command) {
    case 'create':
      await rt.ociCreate(ctx, one(args, usage), { bundle: str('bundle'), pidFile: str('pid-file'), consoleSocket: str('console-socket') });
      return 0;
    case 'run':
      return rt.ociRun(ctx, one(args, usage), { bundle: str('bundle'), pidFile: str('pid-file'), consoleSocket: str('console-socket'), detach: !!flags.detach });
    case 'start':
      await rt.ociStart(ctx, one(args, usage));
      return 0;
    case 'state':
      process.stdout.write(JSON.stringify(rt.ociState(ctx, one(args, usage)), null, 2) + '\n');
      return 0;
    case 'kill':
      await rt.ociKill(ctx, one(args, usage), args[1], !!flags.all);
      return 0;
    case 'delete':
      await rt.ociDelete(ctx, one(args, usage), !!flags.force);
      return 0;
    case 'pause':
    case 'resume':
      await rt.ociPause(ctx, one(args, usage), command === 'pause');
      return 0;
    case 'exec': {
      const { ociExec } = await import('./exec.js');
      return ociExec(ctx, one(args, usage), args.slice(1), flags);
    }
    case 'list': {
      const { statusOf, stateOf } = await import('./state.js');
      const all = ctx.store.list();
      if (flags.quiet) process.stdout.write(all.map((r) => r.id + '\n').join(''));
      else if (flags.format === 'json') process.stdout.write(JSON.stringify(all.map(stateOf)) + '\n');
      else {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'], ...all.map((r) => [r.id, String(statusOf(r) === 'stopped' ? 0 : r.pid), statusOf(r), r.bundle, r.created])];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
        process.stdout.write(rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd() + '\n').join(''));
      }
      return 0;
    }
    case 'ps': {
      const { openCgroupDirs } = await import('../kernel/cgroup.js');
      const r = ctx.store.load(one(args, usage));
      const pids = r.cgroupDirs.length ? openCgroupDirs(r.cgroupDirs).procs() : [];
      if (flags.format === 'json') process.stdout.write(JSON.stringify(pids) + '\n');
      else {
        const { commandLine } = await import('../kernel/proc.js');
        process.stdout.write(['PID   CMD', ...pids.map((p) => `${String(p).padEnd(5)} ${commandLine(p)}`)].join('\n') + '\n');
      }
      return 0;
    }
    case 'features':
      process.stdout.write(JSON.stringify(features(), null, 2) + '\n');
      return 0;
    case 'spec': {
      const dir = resolve(str('bundle') ?? '.');
      const file = join(dir, 'config.json');
      if (existsSync(file)) throw new UserError(`${file} exists already: remove it first`, 1);
      const { exampleConfig } = await import('./example.js');
      writeFileSync(file, JSON.stringify(exampleConfig(), null, 2) + '\n');
      return 0;
    }
  }
  return 1;
}

/** `features` (runc 1.1+): what a config may ask of this runtime. */
function features(): object {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['bind', 'rbind', 'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts', 'time'],
      cgroup: { v1: true, v2: true, systemd: false },
      seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE'], operators: ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'], archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'] },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.nestbox.runtime': 'nestbox' },
  };
}

function helpText(command?: string): string {
  const def = command ? COMMANDS[command] : undefined;
  if (def) return `Usage: nestbox oci ${def.usage}\n\n${def.summary[0].toUpperCase()}${def.summary.slice(1)}.\n`;
  const lines = Object.entries(COMMANDS).map(([name, d]) => `  ${name.padEnd(10)} ${d.summary}`);
  return `Usage: nestbox oci [GLOBAL FLAGS] COMMAND [FLAGS] ID...   (also: nestbox-oci ...)

nestbox as an OCI runtime: runc's command line, so podman, containerd and the OCI validation suite
can run containers with it (podman --runtime $(which nestbox-oci) run ...). A container is made from
a bundle: a directory with config.json and the root filesystem it names. The same code makes every
container of \`nestbox run\`, which writes such a config for its own containers (bundle.json).

Commands:
${lines.join('\n')}

Global flags (runc's):
  --root DIR              where the containers' state is kept (default /run/nestbox/oci)
  --log FILE              also write warnings and errors there (podman reads it)
  --log-format text|json
  --systemd-cgroup        cgroupsPath is systemd's slice:prefix:name; nestbox makes the directories
                          itself (runc asks systemd over D-Bus)
  --trace[=FILE]          print each step with its cost, and the command line it was given (podman:
                          --runtime-flag trace=/tmp/trace.log)
  --debug                 accepted, as runc's; DEBUG=1 prints stack traces

Unlike runc: no checkpoint/restore (--criu), no \`update\` or \`events\`; AppArmor profiles and SELinux
labels are ignored where the host has neither enabled; exec cannot join a container that has a user
namespace of its own; where root lacks CAP_SYS_RESOURCE, an rlimit above this host's own hard limit
is lowered to it, with a warning, instead of failing the container.
`;
}

// bin/nestbox-oci settles the container's threads through the same module instance as ociMain.
export { threadsSettled } from '../kernel/spawn.js';
