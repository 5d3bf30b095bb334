// The default root filesystem, built on this machine with no download: a static busybox when
// busybox-static is installed, otherwise the host's own programs plus the shared libraries they
// need (read from their ELF headers). It is built in a temporary directory and renamed into place,
// so a half-built rootfs never appears under its final name.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readElf } from './elf.js';
import { findStaticBusybox } from '../doctor/checks.js';
import { rootfsDir, libDir } from '../host/paths.js';
import { UserError } from '../errors.js';
import { childProcess } from '../host/exec.js';

const HOST_PROGRAMS = ['sh', 'ls', 'ps', 'hostname', 'cat', 'mount', 'umount', 'ip', 'sleep', 'id', 'echo', 'mkdir', 'touch', 'rm', 'grep', 'env', 'true', 'false', 'uname', 'readlink', 'kill', 'chroot', 'ipcs', 'ipcmk', 'nsenter', 'unshare', 'head', 'wc', 'dd', 'stat', 'df'];
const MARKER = '.nestbox-rootfs.json';

export interface RootfsInfo { name: string; path: string; kind: 'busybox' | 'host'; created: string; programs: number; bytes: number }

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** Validate a rootfs name: one path component, no dots-only, no control characters. */
function checkRootfsName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new UserError(`invalid rootfs name "${name}": use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)`);
  }
}

export function createRootfs(target = rootfsDir(), opts: { force?: boolean; useHost?: boolean } = {}): RootfsInfo {
  if (existsSync(target)) {
    if (!opts.force) throw new UserError(`${target} already exists: remove it first (nestbox rootfs rm) or pass --force`);
    rmSync(target, { recursive: true, force: true });
  }
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var/tmp', 'mnt', 'home']) {
      mkdirSync(join(tmp, d), { recursive: true });
    }
    chmodSync(join(tmp, 'tmp'), 0o1777);
    const busybox = opts.useHost ? undefined : findStaticBusybox();
    const programs = busybox ? installBusybox(tmp, busybox) : installHostPrograms(tmp);
    writeFileSync(join(tmp, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(tmp, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(tmp, 'etc/hostname'), 'nestbox\n');
    writeFileSync(join(tmp, 'etc/hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
    writeFileSync(join(tmp, 'etc/os-release'), 'NAME="nestbox rootfs"\nID=nestbox\n');
    const info: RootfsInfo = { name: basename(target), path: target, kind: busybox ? 'busybox' : 'host', created: new Date().toISOString(), programs, bytes: 0 };
    info.bytes = directorySize(tmp);
    writeFileSync(join(tmp, MARKER), JSON.stringify(info, null, 2) + '\n');
    renameSync(tmp, target);
    return info;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The default rootfs, built on first use. */
export function ensureDefaultRootfs(): string {
  const dir = rootfsDir();
  if (!existsSync(join(dir, MARKER))) createRootfs(dir, { force: existsSync(dir) });
  return dir;
}

function installBusybox(root: string, busybox: string): number {
  copyFileSync(busybox, join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  // `busybox --list-full` prints each applet with its usual directory (bin/sh, usr/bin/env, ...)
  const applets = childProcess().execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const link = join(root, applet);
    if (existsSync(link) || applet === 'bin/busybox') continue;
    mkdirSync(dirname(link), { recursive: true });
    const depth = applet.split('/').length - 1;
    symlinkSync('../'.repeat(depth) + 'bin/busybox', link);
  }
  return applets.length;
}

function installHostPrograms(root: string): number {
  const copied = new Set<string>();
  let count = 0;
  for (const name of HOST_PROGRAMS) {
    const path = findOnHost(name);
    if (!path) continue;
    copyWithDependencies(root, path, copied);
    const dest = join(root, 'bin', name);
    if (!existsSync(dest)) {
      copyFileSync(realpathSync(path), dest);
      chmodSync(dest, 0o755);
    }
    count++;
  }
  if (!existsSync(join(root, 'bin/sh'))) throw new UserError('no shell found on this host to build a rootfs from: apt-get install -y busybox-static');
  return count;
}

function findOnHost(name: string): string | undefined {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Copy the loader and every DT_NEEDED library (recursively) to the same paths inside the rootfs. */
function copyWithDependencies(root: string, binary: string, copied: Set<string>): void {
  const elf = readElf(realpathSync(binary));
  if (!elf) return;
  const wanted: string[] = [];
  if (elf.interpreter) wanted.push(elf.interpreter);
  for (const lib of elf.needed) {
    const dir = LIB_DIRS.find((d) => existsSync(join(d, lib)));
    if (dir) wanted.push(join(dir, lib));
  }
  for (const path of wanted) {
    if (copied.has(path)) continue;
    copied.add(path);
    const dest = join(root, path);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(realpathSync(path), dest);
    chmodSync(dest, 0o755);
    copyWithDependencies(root, path, copied);
  }
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += directorySize(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

export function listRootfs(): RootfsInfo[] {
  const base = join(libDir(), 'rootfs');
  if (!existsSync(base)) return [];
  const out: RootfsInfo[] = [];
  for (const name of readdirSync(base)) {
    if (name.startsWith('.')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(base, name, MARKER), 'utf8')));
    } catch {
      out.push({ name, path: join(base, name), kind: 'host', created: '', programs: 0, bytes: 0 });
    }
  }
  return out;
}

export function removeRootfs(name: string): string {
  checkRootfsName(name);
  const dir = rootfsDir(name);
  if (!existsSync(dir)) throw new UserError(`no rootfs named "${name}" (see nestbox rootfs ls)`);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
