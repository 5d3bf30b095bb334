// The parts of oclif nestbox uses, gathered for scripts/bundle.js: it bundles them into one file
// that src/cli/oclif.ts loads with V8's code cache. Commands import them from oclif.ts, never from
// here or from @oclif/core, so that every command and bin/run.js share one oclif.
export { execute } from '@oclif/core/execute';
export { Command } from '@oclif/core/command';
export * as Flags from '@oclif/core/flags';
export * as Args from '@oclif/core/args';
