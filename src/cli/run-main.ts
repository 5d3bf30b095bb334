// `nestbox run`, without oclif: bin/run.js calls runMain directly (oclif is loaded only for
// `nestbox run --help`), so the command learners time pays only for Node and the container.
import { parseRunArgs } from './run-options.js';
import { requireRoot } from './require-root.js';

/**
 * Run `nestbox run ARGV...` (or `nestbox create ARGV...`, which takes the same options and only
 * registers the container); false when it is a request for --help, which oclif answers.
 */
export async function runMain(argv: string[], mode: 'run' | 'create' = 'run'): Promise<boolean> {
  const parsed = parseRunArgs(argv, mode);
  if (!parsed) return false;
  const { rootfs, command, flags } = parsed;
  requireRoot(`nestbox ${mode}`);
  if (flags.trace) process.env.NESTBOX_TRACE = '1';
  const { buildSpec } = await import('../runtime/spec.js');
  const { findImage } = await import('../runtime/images.js');
  const image = findImage(rootfs);
  const spec = buildSpec(rootfs, command, flags, image?.config);
  // The container keeps the image's ID and layers: a name moved to a newer image (build -t, tag)
  // does not change what an existing container stands on.
  if (image) Object.assign(spec, { imageId: image.id, layers: image.layers });
  if (mode === 'create') {
    (await import('../runtime/run-create.js')).registerContainer(spec);
    console.log(spec.id);
    return true;
  }
  // Checked only where the user's terminal is joined to the container's (run -it, not -dit).
  if (!spec.detach) (await import('../runtime/terminal.js')).checkTerminalInput(spec);
  // The two threads a container needs are usually booting already (bin/run.js); make sure.
  if (!spec.detach) (await import('../kernel/spawn.js')).warmThreads(2);
  if (spec.privileged) {
    // As Docker's: no masks, /sys and /proc/sys writable. Unlike Docker's, /dev stays the minimal
    // one; the capabilities alone (CAP_SYS_MODULE, CAP_SYS_ADMIN) are enough to take the host over.
    process.stderr.write('nestbox: warning: --privileged gives the container every capability and no seccomp filter: root in it can load kernel modules and take over the host\n');
    if (flags['cap-add'] || flags['cap-drop']) process.stderr.write('nestbox: warning: --cap-add and --cap-drop are ignored with --privileged (as in Docker)\n');
  }
  if (flags.publish?.length && spec.net.mode === 'host') {
    process.stderr.write('nestbox: warning: published ports are discarded with --net host: the container uses the host\'s ports directly (as in Docker)\n');
  }
  const run = await import('../runtime/run.js');
  try {
    if (spec.detach) process.exitCode = await run.runDetached(spec);
    else process.exitCode = await run.runForeground(spec);
  } finally {
    // A run that fails early must not exit while a warmed thread still loads libc.
    await (await import('../kernel/spawn.js')).threadsSettled();
  }
  return true;
}

export { reportError } from './report-error.js';
// bin/run.js warms and settles the container's threads through the same module instance as runMain.
export { warmThreads, threadsSettled } from '../kernel/spawn.js';
