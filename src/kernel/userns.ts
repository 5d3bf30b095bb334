// A container with a user namespace of its own: its uid 0 is an ordinary uid of the host (the
// mapping in /proc/PID/uid_map), and root's powers inside reach only what that namespace owns.
//
// The kernel lets only a single-threaded process create or join a user namespace (unshare and
// setns refuse CLONE_NEWUSER otherwise, since the other threads would be left behind in the old
// one). Node is never single-threaded, so the thread that makes every other container
// (spawn-thread.ts) cannot do it. runc has the same problem with Go, and solves it with a piece of
// C that runs before Go starts its threads (nsexec.c). nestbox's is bin/nestbox-nsexec, a small
// Perl program, started in the thread's place:
//
//   1. it unshares the user namespace, and says so on a pipe;
//   2. this process writes the mappings into /proc/HELPER/uid_map and gid_map (from the parent
//      namespace, where root may map any ids), and answers on a second pipe;
//   3. the helper unshares the other namespaces, now owned by the new user namespace;
//   4. it clones its first child with CLONE_PARENT, so the child is this process's own (the one
//      that may wait for it), and the first process of the new PID namespace; the helper ends;
//   5. the child cuts its capabilities, switches ids, sets no_new_privs, installs the seccomp
//      filter, and execs the program (the holding shell), exactly as the thread would have.
import { closeSync, read, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnInNamespaces, waitForExit, type SpawnRequest } from './spawn.js';
import { pipe } from './process.js';
import { capabilityMask, type NamespaceType } from './constants.js';
import { syscallTable } from './syscall-table.js';
import { NestboxError } from '../errors.js';

/** One line of uid_map or gid_map: ids from containerID on are hostID on, `size` of them. */
export interface IdMapping { containerID: number; hostID: number; size: number }

/**
 * A new user namespace with these mappings, or the one of a running process (`enter`, its PID),
 * joined with its other namespaces of `types` (an exec): the helper joins them all itself, the user
 * namespace first, since joining one needs a single-threaded process too.
 */
export type UserNamespace =
  | { uidMappings: IdMapping[]; gidMappings: IdMapping[] }
  | { enter: number; types: NamespaceType[] };

const HELPER = fileURLToPath(new URL('../../../bin/nestbox-nsexec', import.meta.url));

/** uid_map's text: "containerID hostID size" per line. */
function mappingText(list: readonly IdMapping[]): string {
  return list.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * spawnInNamespaces, with a user namespace first. The request's joins (by PID or path) are made by
 * the thread before the helper starts (joining is done as root of the host); its `unshare` flags,
 * capabilities, ids, no_new_privs and seccomp program by the helper. Resolves to the PID of the
 * program, a child of this process.
 */
export async function spawnInUserNamespace(req: SpawnRequest, userns: UserNamespace): Promise<number> {
  const entering = 'enter' in userns;
  const table = syscallTable(process.arch === 'arm64' ? 'arm64' : 'x64');
  const [fromHelper, helperOut] = pipe();
  const [helperIn, toHelper] = pipe();
  const caps = req.capabilitySets;
  const hex = (names: readonly string[] | undefined) => (names ? capabilityMask(names) : -1n).toString(16);
  const args = [
    `flags=${(req.unshare ?? 0) & ~0x10000000}`,
    `nr=${['unshare', 'setns', 'clone', 'prctl', 'setgroups', 'setresgid', 'setresuid', 'capset', 'seccomp'].map((n) => `${n}:${table[n]}`).join(',')}`,
    ...(entering ? [`enter=${userns.enter}`, `types=${['user', ...userns.types.filter((t) => t !== 'user')].join(',')}`] : []),
    ...(caps ? [`bounding=${hex(caps.bounding)}`, `effective=${hex(caps.effective)}`, `permitted=${hex(caps.permitted)}`, `inheritable=${hex(caps.inheritable)}`, `ambient=${hex(caps.ambient)}`] : []),
    ...(req.user ? [`uid=${req.user.uid}`, `gid=${req.user.gid}`, `groups=${(req.user.groups ?? []).join(',')}`] : []),
    ...(req.noNewPrivs ? ['nnp=1'] : []),
    ...(req.setsid ? ['setsid=1'] : []),
    ...(req.seccomp ? [`seccomp=${Buffer.from(req.seccomp).toString('hex')}`] : []),
    '--', req.path ?? req.argv[0], ...req.argv,
  ];
  let helper: number | undefined;
  try {
    // Fds 5 and 6 talk to the helper; the request's own extra fds keep their numbers (3 and 4).
    // Entering, the thread joins nothing: in the container's mount namespace, /usr/bin/perl would
    // be looked for in the container's root.
    helper = await spawnInNamespaces({
      join: entering ? undefined : req.join, joinPaths: entering ? undefined : req.joinPaths, env: req.env, stdio: req.stdio, cwd: req.cwd,
      path: '/usr/bin/perl', argv: ['perl', HELPER, ...args],
      extraFds: [...(req.extraFds ?? []), [helperOut, 5], [helperIn, 6]],
    });
    closeSync(helperOut);
    closeSync(helperIn);
    const said = lines(fromHelper);
    if (!entering) {
      const first = await said.next();
      if (first !== 'userns') throw new NestboxError(`the user namespace could not be made: ${first ?? 'the helper ended'}`);
      // setgroups stays allowed: root of the parent namespace writes the maps, which the kernel
      // trusts (an unprivileged writer would have to deny setgroups first).
      writeFileSync(`/proc/${helper}/uid_map`, mappingText(userns.uidMappings));
      writeFileSync(`/proc/${helper}/gid_map`, mappingText(userns.gidMappings));
      writeSync(toHelper, 'mapped\n');
    }
    const second = await said.next();
    const m = /^pid (\d+)$/.exec(second ?? '');
    if (!m) throw new NestboxError(`${entering ? 'the process' : 'the container\'s first process'} could not be made: ${second ?? 'the helper ended'}`);
    const status = await waitForExit(helper);
    helper = undefined;
    if (status.code !== 0) throw new NestboxError(`the namespace helper ended with status ${status.code}`);
    // The child reports its own failures (capabilities, ids, filter) before its exec.
    const third = await said.next();
    if (third) throw new NestboxError(third);
    return Number(m[1]);
  } catch (err) {
    if (helper !== undefined) {
      try { process.kill(helper, 'SIGKILL'); } catch { /* gone */ }
      await waitForExit(helper).catch(() => undefined);
    }
    throw err;
  } finally {
    closeSync(toHelper);
    try { closeSync(fromHelper); } catch { /* closed */ }
  }
}

/** The lines a pipe brings, one at a time (undefined at its end), read on libuv's thread pool. */
function lines(fd: number): { next(): Promise<string | undefined> } {
  let pending = '';
  let ended = false;
  const buf = Buffer.alloc(512);
  const more = () => new Promise<void>((resolve) => read(fd, buf, 0, buf.length, null, (err, n) => {
    if (err || n === 0) ended = true;
    else pending += buf.toString('utf8', 0, n);
    resolve();
  }));
  return {
    async next() {
      for (;;) {
        const i = pending.indexOf('\n');
        if (i >= 0) {
          const line = pending.slice(0, i);
          pending = pending.slice(i + 1);
          return line;
        }
        if (ended) {
          const rest = pending;
          pending = '';
          return rest || undefined;
        }
        await more();
      }
    },
  };
}
