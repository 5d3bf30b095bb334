// `nestbox run`, without oclif: bin/run.js calls runMain directly (oclif is loaded only for
// `nestbox run --help`), so the command learners time pays only for Node and the container.
import { parseRunArgs } from './run-options.js';
import { requireRoot } from './require-root.js';

/** Run `nestbox run ARGV...`; false when it is a request for --help, which oclif answers. */
export async function runMain(argv: string[]): Promise<boolean> {
  const parsed = parseRunArgs(argv);
  if (!parsed) return false;
  const { rootfs, command, flags } = parsed;
  requireRoot('nestbox run');
  if (flags.trace) process.env.NESTBOX_TRACE = '1';
  const { buildSpec } = await import('../runtime/spec.js');
  const { imageConfig } = await import('../image/store.js');
  const spec = buildSpec(rootfs, command, flags, imageConfig(rootfs));
  (await import('../runtime/terminal.js')).checkTerminalInput(spec);
  // The two threads a container needs are usually booting already (bin/run.js); make sure.
  if (!spec.detach || process.env.NESTBOX_DETACHED_CREATOR) (await import('../kernel/spawn.js')).warmThreads(2);
  if (spec.privileged && !process.env.NESTBOX_DETACHED_CREATOR) {
    // As Docker's: no masks, /sys and /proc/sys writable. Unlike Docker's, /dev stays the minimal
    // one; the capabilities alone (CAP_SYS_MODULE, CAP_SYS_ADMIN) are enough to take the host over.
    process.stderr.write('nestbox: warning: --privileged gives the container every capability and no seccomp filter: root in it can load kernel modules and take over the host\n');
    if (flags['cap-add'] || flags['cap-drop']) process.stderr.write('nestbox: warning: --cap-add and --cap-drop are ignored with --privileged (as in Docker)\n');
  }
  if (flags.publish?.length && spec.net.mode === 'host' && !process.env.NESTBOX_DETACHED_CREATOR) {
    process.stderr.write('nestbox: warning: published ports are discarded with --net host: the container uses the host\'s ports directly (as in Docker)\n');
  }
  const run = await import('../runtime/run.js');
  try {
    if (process.env.NESTBOX_DETACHED_CREATOR) await run.createDetachedAndMonitor(spec);
    else if (spec.detach) process.exitCode = await run.runDetached();
    else process.exitCode = await run.runForeground(spec);
  } finally {
    // A run that fails early must not exit while a warmed thread still loads libc.
    await (await import('../kernel/spawn.js')).threadsSettled();
  }
  return true;
}

export { reportError } from './report-error.js';
