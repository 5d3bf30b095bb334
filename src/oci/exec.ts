// `exec`: one more process in a running container, described like its first one (an OCI
// `process`, from --process FILE as conmon writes it, or from the command line): a thread joins the
// container's namespaces, and the process is held by the container's own /bin/sh until it has been
// moved into the container's cgroup, then let go (as `nestbox exec` does, and runc's setns process).
import { closeSync, constants as fsc, lstatSync, openSync, readFileSync } from 'node:fs';
import { ownDescription as own, writePidFile } from './files.js';
import { UserError } from '../errors.js';
import { hold } from '../kernel/held.js';
import { spawnInNamespaces, waitForExit, warmThreads } from '../kernel/spawn.js';
import { openCgroupDirs } from '../kernel/cgroup.js';
import { assembleProgram } from '../kernel/seccomp.js';
import { setProcessLimits, type ProcessLimit, type AnyRlimit } from '../kernel/rlimit.js';
import { sendFd } from '../kernel/unix-socket.js';
import type { NamespaceType } from '../kernel/constants.js';
import { bornInside } from '../runtime/cgroups.js';
import { openContainerPty } from '../runtime/terminal.js';
import { NS_NAME, trace, traceClock, hostLimits } from '../runtime/create.js';
import { seccompProgram } from './seccomp.js';
import { statusOf, checkId } from './state.js';
import type { OciContext } from './runtime.js';
import type { OciProcess } from './types.js';

type Flags = Record<string, string | boolean | string[]>;

export async function ociExec(ctx: OciContext, id: string, command: string[], flags: Flags): Promise<number> {
  const r = ctx.store.load(checkId(id));
  const status = statusOf(r);
  if (status !== 'running' && !(status === 'paused' && flags['ignore-paused'])) throw new UserError(`cannot exec in container "${id}": it is ${status}, not running`, 1);
  const namespaces = r.config.linux?.namespaces ?? [];
  const p = processFor(r.config.process, command, flags);
  const terminal = !!p.terminal;
  const socket = typeof flags['console-socket'] === 'string' ? flags['console-socket'] : undefined;
  if (terminal && !socket) throw new UserError('a terminal (--tty, or process.terminal) needs --console-socket, where the engine takes it', 1);
  warmThreads(1);
  let t = traceClock();
  const types = [...new Set(['mnt' as NamespaceType, ...namespaces.map((n) => NS_NAME[n.type])])].filter((x) => x !== 'user');
  // A user namespace of its own: a single-threaded helper enters it first, then the others
  // (src/kernel/userns.ts); the thread joins nothing.
  const userns = namespaces.some((n) => n.type === 'user') ? { enter: r.pid, types } : undefined;
  const devNull = openSync('/dev/null', 'r+');
  const stdio: [number, number, number] = terminal ? [devNull, devNull, devNull] : [own(0, fsc.O_RDONLY), own(1, fsc.O_WRONLY), own(2, fsc.O_WRONLY)];
  const caps = p.capabilities;
  const request = {
    env: p.env ?? [],
    join: { pid: r.pid, types },
    stdio,
    setsid: terminal,
    capabilitySets: caps ? { bounding: caps.bounding ?? [], effective: caps.effective ?? [], permitted: caps.permitted ?? [], inheritable: caps.inheritable ?? [], ambient: caps.ambient ?? [] } : undefined,
    noNewPrivs: !!p.noNewPrivileges,
    seccomp: r.config.linux?.seccomp ? assembleProgram(seccompProgram(r.config.linux.seccomp)) : undefined,
    user: { uid: p.user.uid, gid: p.user.gid, groups: p.user.additionalGids ?? [] },
  };
  const limits = hostLimits((p.rlimits ?? []).map((l): ProcessLimit => ({ name: l.type.replace(/^RLIMIT_/, '').toLowerCase() as AnyRlimit, soft: l.soft, hard: l.hard })), ctx.warn);
  const cg = r.cgroupDirs.length ? openCgroupDirs(r.cgroupDirs) : undefined;
  try {
    let pid: number;
    if (lstatSync(`/proc/${r.pid}/root/bin/sh`, { throwIfNoEntry: false })) {
      const held = await hold({ ...request, shell: '/bin/sh', command: p.args!, workdir: p.cwd, limits, umask: p.user.umask, userns });
      pid = held.pid;
      try {
        if (cg) held.joinCgroup(cg);
        const pty = terminal ? openContainerPty(r.pid, p.user) : undefined;
        if (pty) {
          try { sendFd(socket!, pty.master, pty.path); } finally { closeSync(pty.master); }
        }
        await held.release(pty?.path);
      } catch (err) {
        await held.kill();
        throw err;
      }
    } else {
      if (userns) throw new UserError('exec into a container with a user namespace of its own needs /bin/sh in it, to hold the process', 1);
      // No shell in the container to hold it: the process is started from inside the cgroup.
      const start = (cgroupTasks?: { enter: string[]; leave: string[] }) => spawnInNamespaces({ ...request, cgroupTasks, path: p.args![0], argv: p.args!, cwd: p.cwd });
      pid = cg ? await bornInside(cg, start) : await start();
      if (limits.length) setProcessLimits(pid, limits);
    }
    t = trace(`PID ${pid} joined ${types.join(', ')} of PID ${r.pid} and its cgroup, runs ${p.args!.join(' ')}`, `PID ${pid} 加入了 PID ${r.pid} 的 ${types.join('、')} 和它的控制组，运行 ${p.args!.join(' ')}`, t);
    if (typeof flags['pid-file'] === 'string') writePidFile(flags['pid-file'], pid);
    // Detached, its parent (this process) ends now, and the engine (conmon, a subreaper) or the
    // host's init collects it.
    if (flags.detach) return 0;
    const { code } = await waitForExit(pid);
    return code;
  } finally {
    for (const fd of new Set([devNull, ...stdio])) if (fd > 2) closeSync(fd);
  }
}

/** The process: --process FILE, or the container's own with the command line's changes. */
function processFor(base: OciProcess | undefined, command: string[], flags: Flags): OciProcess {
  if (typeof flags.process === 'string') {
    let p: OciProcess;
    try {
      p = JSON.parse(readFileSync(flags.process, 'utf8'));
    } catch (err) {
      throw new UserError(`--process ${flags.process}: ${(err as Error).message}`, 1);
    }
    if (!Array.isArray(p.args) || !p.args.length) throw new UserError(`--process ${flags.process}: args must list the program`, 1);
    if (!p.user) p.user = { uid: 0, gid: 0 };
    if (!p.cwd) p.cwd = '/';
    return p;
  }
  if (!command.length) throw new UserError('exec needs a command after the ID (or --process FILE)', 1);
  const user = typeof flags.user === 'string' ? flags.user : undefined;
  const [uid, gid] = user ? user.split(':').map(Number) : [base?.user.uid ?? 0, base?.user.gid ?? 0];
  if (!Number.isInteger(uid) || (gid !== undefined && !Number.isInteger(gid))) throw new UserError(`--user "${user}": give UID[:GID], numbers`, 1);
  const env = new Map<string, string>();
  for (const e of [...(base?.env ?? []), ...((flags.env as string[]) ?? [])]) env.set(e.split('=')[0], e);
  const caps = base?.capabilities;
  const extra = ((flags.cap as string[]) ?? []).map((c) => c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const add = (list: string[] | undefined) => [...new Set([...(list ?? []), ...extra])];
  return {
    args: command,
    env: [...env.values()],
    cwd: typeof flags.cwd === 'string' ? flags.cwd : base?.cwd ?? '/',
    user: { uid, gid: gid ?? 0, additionalGids: ((flags['additional-gids'] as string[]) ?? []).map(Number) },
    terminal: !!flags.tty,
    capabilities: caps && { bounding: add(caps.bounding), effective: add(caps.effective), permitted: add(caps.permitted), inheritable: caps.inheritable, ambient: caps.ambient },
    noNewPrivileges: !!flags['no-new-privs'] || !!base?.noNewPrivileges,
    rlimits: base?.rlimits,
  };
}

