// RUN: the command runs in a real nestbox container, made by the same code as `nestbox run` (its
// namespaces, cgroup, seccomp filter, network), whose overlay root has the image built so far as
// its lower layers and an empty upper directory. When the command ends with 0, that upper
// directory holds exactly what it created, changed (copied up) and deleted (whiteouts): packed as
// a tar, it is the step's layer. Then the container is removed, as Docker's builder removes its
// intermediate containers.
import { rmSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Output } from '../runtime/run.js';
import { paths } from '../runtime/store.js';
import { directoryTree, packToFile } from '../image/layer-tar.js';
import { LayerView } from '../image/union.js';
import { layerDirs } from '../runtime/images.js';
import { upperExclusions } from './stubs.js';

export interface RunStep {
  /** The whole command (a shell form already put after the SHELL). */
  command: string[];
  /** The image's Env, then the build args in force. */
  env: string[];
  user?: string;
  workdir: string;
  /** The layers of the image so far, bottom first; its ID (shown as the container's image). */
  layers: string[];
  parentId: string;
  network: string;
  output: Output;
  /** Where the layer's tar is written. */
  tar: string;
  /** Told the container's ID once it exists. */
  started?: (id: string) => void;
}

/** Run it; the layer's tar (its diff id and size), or undefined when the command changed nothing. */
export async function runStep(step: RunStep): Promise<{ digest: string; bytes: number } | undefined> {
  if (!step.layers.length) throw new UserError('RUN needs a program to run, and the image has no files yet (FROM scratch): COPY one in first (a static busybox, say)');
  const { buildSpec } = await import('../runtime/spec.js');
  const { runForeground } = await import('../runtime/run.js');
  const { removeContainerFiles } = await import('../runtime/finish.js');
  const spec = buildSpec(step.parentId.slice(0, 12), step.command, { net: step.network === 'default' ? 'bridge' : step.network, user: step.user, workdir: step.workdir });
  Object.assign(spec, { name: `build-${spec.id}`, env: step.env, layers: step.layers, labels: { 'nestbox.build': 'RUN' } });
  step.started?.(spec.id);
  let code: number;
  try {
    code = await runForeground(spec, step.output);
  } catch (err) {
    // Not made (a missing command is 127, as for run): nothing is left of it.
    throw new UserError(`The command '${step.command.join(' ')}' could not run: ${(err as Error).message}`, 1);
  }
  try {
    if (code !== 0) throw new UserError(`The command '${step.command.join(' ')}' returned a non-zero code: ${code}`, 1);
    const upper = paths(spec.id).upper;
    const exclude = upperExclusions(upper, new LayerView(layerDirs(step.layers)));
    const skipped: string[] = [];
    const result = packToFile(directoryTree(upper), step.tar, { exclude: (rel) => exclude.has(rel), skipped: (rel, why) => skipped.push(`/${rel} (${why})`) });
    for (const s of skipped) step.output.stderr.write(`nestbox: left out of the layer: ${s}\n`);
    if (result.bytes <= 1024) {
      rmSync(step.tar, { force: true });
      return undefined; // only the two end blocks: nothing changed
    }
    return result;
  } finally {
    removeContainerFiles(spec.id, spec.name);
  }
}

