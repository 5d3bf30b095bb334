// A mount's options as an OCI config writes them (the words of mount(8): "nosuid", "ro",
// "rbind", "rprivate", "mode=755"), sorted into what mount(2) takes: flags to set, flags to clear,
// a propagation change made by a second call, and the rest as the filesystem's own data string.
// The table is runc's (libcontainer/specconv), which is mount(8)'s.
import {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_REMOUNT, MS_MANDLOCK, MS_DIRSYNC, MS_NOATIME,
  MS_NODIRATIME, MS_BIND, MS_REC, MS_SILENT, MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_RELATIME,
  MS_I_VERSION, MS_STRICTATIME, MS_LAZYTIME,
} from '../kernel/constants.js';

export interface MountOptions {
  /** Flags for the mount call. */
  flags: number;
  /** Propagation changes, each one more mount(2) call after the mount itself. */
  propagation: number[];
  /** What the filesystem parses itself (mode=755,size=65536k). */
  data: string;
  bind: boolean;
  recursive: boolean;
  /** Options nestbox does not act on (SELinux relabelling, podman's tmpcopyup), for the trace. */
  ignored: string[];
  /**
   * nestbox's own option for a volume still empty: first copy in what the image has at the
   * destination (Docker's copy-up, which Docker's engine does before it calls runc).
   */
  copyUp: boolean;
}

const SET: Record<string, number> = {
  bind: MS_BIND, rbind: MS_BIND | MS_REC, ro: MS_RDONLY, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC,
  sync: MS_SYNCHRONOUS, remount: MS_REMOUNT, mand: MS_MANDLOCK, dirsync: MS_DIRSYNC, noatime: MS_NOATIME,
  nodiratime: MS_NODIRATIME, silent: MS_SILENT, relatime: MS_RELATIME, iversion: MS_I_VERSION, strictatime: MS_STRICTATIME,
  lazytime: MS_LAZYTIME,
};
const CLEAR: Record<string, number> = {
  rw: MS_RDONLY, suid: MS_NOSUID, dev: MS_NODEV, exec: MS_NOEXEC, async: MS_SYNCHRONOUS, nomand: MS_MANDLOCK,
  atime: MS_NOATIME, diratime: MS_NODIRATIME, loud: MS_SILENT, norelatime: MS_RELATIME, noiversion: MS_I_VERSION,
  nostrictatime: MS_STRICTATIME, nolazytime: MS_LAZYTIME, defaults: 0,
};
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE, shared: MS_SHARED, slave: MS_SLAVE, unbindable: MS_UNBINDABLE,
  rprivate: MS_PRIVATE | MS_REC, rshared: MS_SHARED | MS_REC, rslave: MS_SLAVE | MS_REC, runbindable: MS_UNBINDABLE | MS_REC,
};
/** Engine options that change nothing the kernel does here (SELinux labels, podman's extras). */
const IGNORED = new Set(['z', 'Z', 'tmpcopyup', 'notmpcopyup', 'copy-symlink', 'U', 'idmap', 'ridmap', 'nocopyup', 'copy']);

/** The option that asks for a copy-up (see MountOptions.copyUp). */
export const COPY_UP = 'nestbox-copyup';

export function parseMountOptions(options: readonly string[] = []): MountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  const ignored: string[] = [];
  let copyUp = false;
  for (const o of options) {
    if (o === COPY_UP) copyUp = true;
    else if (o in SET) flags |= SET[o];
    else if (o in CLEAR) flags &= ~CLEAR[o];
    else if (o in PROPAGATION) propagation.push(PROPAGATION[o]);
    else if (IGNORED.has(o) || o.startsWith('idmap=')) ignored.push(o);
    else data.push(o);
  }
  return { flags, propagation, data: data.join(','), bind: (flags & MS_BIND) !== 0, recursive: (flags & MS_REC) !== 0, ignored, copyUp };
}

/** linux.rootfsPropagation's values, as flags for the root mount. */
export function rootPropagation(value: string): number | undefined {
  return PROPAGATION[value];
}
