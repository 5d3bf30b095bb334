// Where nestbox keeps things on the host, and the naming rules that make anything it leaves behind
// easy to spot (../shared/tools/residue-check and `nestbox cleanup` rely on them):
//   - network interfaces and named network namespaces start with "nb"
//   - cgroups live under a parent named "nestbox"
//   - iptables chains contain "NESTBOX"
//   - runtime state lives in /run/nestbox (gone at reboot), persistent data in /var/lib/nestbox
//   - lab work directories live in /var/lib/nestbox/labs, not in /run: systemd mounts /run noexec,
//     and labs start programs from their copies of a root filesystem (chroot, volumes, nat...)
// NESTBOX_RUN_DIR and NESTBOX_LIB_DIR move both, so tests can use a temporary root.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function runDir(): string {
  return process.env.NESTBOX_RUN_DIR ?? '/run/nestbox';
}

export function libDir(): string {
  return process.env.NESTBOX_LIB_DIR ?? '/var/lib/nestbox';
}

/**
 * Where labs keep their work directories (a copy of a rootfs, web roots with CGI scripts): a place
 * where programs may be executed on every host. Each lab's ledger, in /run, records its directory;
 * after a reboot the ledger is gone and `nestbox cleanup` removes directories no ledger names.
 */
export function labsWorkRoot(): string {
  return join(libDir(), 'labs');
}

/**
 * A program of nestbox's own bin/ directory (run.js, the CLI itself; nestbox-monitor), for starting
 * nestbox again: a container's creator, a restart, a lab that runs `nestbox run`. Found from this
 * file, which sits (as dist/src/host/paths.js, or inside a bundle in dist/src/bundle) three levels
 * below the project.
 */
export function nestboxBin(name = 'run.js'): string {
  return fileURLToPath(new URL(`../../../bin/${name}`, import.meta.url));
}

export function rootfsDir(name = 'default'): string {
  return join(libDir(), 'rootfs', name);
}

export const LINK_PREFIX = 'nb';
export const CHAIN_PREFIX = 'NESTBOX';

/**
 * A host-side interface name: "nb" + purpose + a short unique part, within the kernel's
 * 15-character limit (IFNAMSIZ 16 with the NUL).
 */
export function linkName(purpose: string, unique: string | number): string {
  const name = `${LINK_PREFIX}${purpose}${unique}`;
  if (name.length > 15) throw new Error(`interface name "${name}" is longer than the kernel's 15 characters`);
  return name;
}
