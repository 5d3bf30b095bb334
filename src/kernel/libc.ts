// The only place nestbox loads native code: libc, through koffi.
//
// koffi costs a few ms to load, so it is required lazily on the first kernel call: `nestbox --help`
// and commands that only read /proc never pay for it.
import { createRequire } from 'node:module';

type KoffiFn = ((...args: any[]) => any) & { async: (...args: any[]) => void };

export interface Libc {
  koffi: any;
  /** The loaded libc.so.6, for libcFunc(). */
  lib: any;
  errno(): number;
  unshare: KoffiFn;
  setns: KoffiFn;
  sethostname: KoffiFn;
  gethostname: KoffiFn;
  mount: KoffiFn;
  umount2: KoffiFn;
  chroot: KoffiFn;
  chdir: KoffiFn;
  fchdir: KoffiFn;
  prctl: KoffiFn;
  kill: KoffiFn;
  syscallStrStr: KoffiFn;
  syscallPtrPtr: KoffiFn;
  syscallUint3: KoffiFn;
  syscallIntPtr: KoffiFn;
  waitpid: KoffiFn;
  posix_spawn: KoffiFn;
  posix_spawn_file_actions_init: KoffiFn;
  posix_spawn_file_actions_destroy: KoffiFn;
  posix_spawn_file_actions_adddup2: KoffiFn;
  posix_spawn_file_actions_addclosefrom_np: KoffiFn;
  posix_spawn_file_actions_addchdir_np: KoffiFn;
  posix_spawnattr_init: KoffiFn;
  posix_spawnattr_destroy: KoffiFn;
  posix_spawnattr_setflags: KoffiFn;
  posix_spawnattr_setsigmask: KoffiFn;
  posix_spawnattr_setsigdefault: KoffiFn;
  sigemptyset: KoffiFn;
  sigfillset: KoffiFn;
  sigdelset: KoffiFn;
  open: KoffiFn;
  close: KoffiFn;
}

let cached: Libc | undefined;
const extra = new Map<string, KoffiFn>();

/**
 * Declare one more libc function by its C prototype, once (for calls a single lab needs, such as
 * msgget for SysV IPC). Modules under src/kernel use this instead of loading libc again.
 */
export function libcFunc(signature: string): KoffiFn {
  let fn = extra.get(signature);
  if (!fn) {
    fn = libc().lib.func(signature) as KoffiFn;
    extra.set(signature, fn);
  }
  return fn;
}

/**
 * koffi's own entry point (index.js) spends ~10 ms of JavaScript choosing among its prebuilt
 * binaries, on every thread that loads it; a container's creation loads it on three. The binary
 * for this machine is loaded directly, by the path index.js would choose; the entry point is the
 * fallback where there is none (a build from source puts it at the same path).
 */
function loadKoffi(): any {
  const require = createRequire(import.meta.url);
  try {
    return require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`);
  } catch {
    return require('koffi');
  }
}

export function libc(): Libc {
  if (cached) return cached;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const f = (sig: string): KoffiFn => lib.func(sig);
  cached = {
    koffi,
    lib,
    errno: () => koffi.errno(),
    unshare: f('int unshare(int flags)'),
    setns: f('int setns(int fd, int nstype)'),
    sethostname: f('int sethostname(const char *name, size_t len)'),
    gethostname: f('int gethostname(_Out_ uint8_t *name, size_t len)'),
    mount: f('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: f('int umount2(const char *target, int flags)'),
    chroot: f('int chroot(const char *path)'),
    chdir: f('int chdir(const char *path)'),
    fchdir: f('int fchdir(int fd)'),
    prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    kill: f('int kill(int pid, int sig)'),
    // syscall(2) for calls glibc does not wrap, or wraps differently (pivot_root, capget/capset, setresuid).
    // One prototype per argument shape keeps koffi's conversions exact.
    syscallStrStr: f('long syscall(long nr, const char *a, const char *b)'),
    syscallPtrPtr: f('long syscall(long nr, void *a, void *b)'),
    syscallUint3: f('long syscall(long nr, unsigned int a, unsigned int b, unsigned int c)'),
    syscallIntPtr: f('long syscall(long nr, int a, const void *b)'),
    waitpid: f('int waitpid(int pid, _Out_ int *status, int options)'),
    posix_spawn: f('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)'),
    posix_spawn_file_actions_init: f('int posix_spawn_file_actions_init(void *actions)'),
    posix_spawn_file_actions_destroy: f('int posix_spawn_file_actions_destroy(void *actions)'),
    posix_spawn_file_actions_adddup2: f('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
    posix_spawn_file_actions_addclosefrom_np: f('int posix_spawn_file_actions_addclosefrom_np(void *actions, int from)'),
    posix_spawn_file_actions_addchdir_np: f('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
    posix_spawnattr_init: f('int posix_spawnattr_init(void *attr)'),
    posix_spawnattr_destroy: f('int posix_spawnattr_destroy(void *attr)'),
    posix_spawnattr_setflags: f('int posix_spawnattr_setflags(void *attr, short flags)'),
    posix_spawnattr_setsigmask: f('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    posix_spawnattr_setsigdefault: f('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    sigemptyset: f('int sigemptyset(void *set)'),
    sigfillset: f('int sigfillset(void *set)'),
    sigdelset: f('int sigdelset(void *set, int sig)'),
    open: f('int open(const char *path, int flags)'),
    close: f('int close(int fd)'),
  };
  return cached;
}
