// The commands learners time (`run`, `create`, the container's creator and monitor, `nestbox oci`,
// which podman calls several times per container, and the worker thread that makes namespaces) load from one file each instead of some sixty modules: resolving
// and reading that many files costs Node more than the container itself takes to start. The
// bundles are build output next to the modules they are made of (dist/src/bundle sits at the same
// depth as dist/src/runtime, so every path the code computes from its own location stays right);
// the source a learner reads is still src/. koffi, a native addon, stays outside.
import { build } from 'esbuild';

await build({
  entryPoints: {
    run: 'dist/src/cli/run-main.js',
    internal: 'dist/src/cli/internal-main.js',
    oci: 'dist/src/oci/cli.js',
    'spawn-thread': 'dist/src/kernel/spawn-thread.js',
  },
  outdir: 'dist/src/bundle',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  external: ['koffi'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
