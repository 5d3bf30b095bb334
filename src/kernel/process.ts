// Process plumbing a container runtime needs beyond namespaces: a pipe to hold a container's first
// process until its root is ready, and execve to turn a short-lived Node process into a small
// program that waits for the container (so no Node process stays alive per container).
import { libc, libcFunc } from './libc.js';
import { KernelError } from './errors.js';

const O_CLOEXEC = 0o2000000;

/** pipe2(O_CLOEXEC): [read end, write end]. Close-on-exec, so only the fds handed down explicitly reach a child. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  if (libcFunc('int pipe2(_Out_ int *fds, int flags)')(fds, O_CLOEXEC) === -1) throw new KernelError('pipe2', 'O_CLOEXEC', libc().errno());
  return [fds[0], fds[1]];
}

/**
 * execve(2) from Node: every other thread of the process ends, the PID, the children and the
 * descriptors without close-on-exec stay. Only returns by throwing.
 */
export function execve(path: string, argv: string[], env: string[]): never {
  libcFunc('int execve(const char *path, const char **argv, const char **envp)')(path, [...argv, null], [...env, null]);
  throw new KernelError('execve', JSON.stringify(path), libc().errno());
}


/** dup2(2): make `newfd` a copy of `oldfd` (closing what newfd was). */
export function dup2(oldfd: number, newfd: number): void {
  if (libcFunc('int dup2(int oldfd, int newfd)')(oldfd, newfd) === -1) throw new KernelError('dup2', `${oldfd}, ${newfd}`, libc().errno());
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * execve with some descriptors moved to fixed numbers first (`[from, to]`: the program finds `from`
 * as `to`). Each is first copied above 100 (close-on-exec, so nothing stale reaches the program),
 * then duplicated onto its number, so a move never overwrites a descriptor another one still needs:
 * moving 4 to 3 and 3 to 4 works. dup2 clears close-on-exec on the copy, which is what passes it on.
 */
export function execWithFds(path: string, argv: string[], env: string[], moves: [number, number][]): never {
  const fcntl = libcFunc('int fcntl(int fd, int cmd, int arg)');
  const lifted = moves.map(([from, to]) => {
    const high = fcntl(from, F_DUPFD_CLOEXEC, 100);
    if (high === -1) throw new KernelError('fcntl', `${from}, F_DUPFD_CLOEXEC`, libc().errno());
    return [high, to] as const;
  });
  for (const [high, to] of lifted) dup2(high, to);
  return execve(path, argv, env);
}
