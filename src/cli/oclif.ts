// oclif for nestbox's commands, from one bundle (scripts/bundle.js) loaded with V8's code cache
// (src/boot/code-cache.ts). Loaded module by module, oclif's hundred-odd CommonJS files cost some
// 40 ms of compiling at every command, twice what Node itself takes to start; from the bundle and
// its cache, a fraction of that. bin/run.js runs oclif from the same bundle, so the commands'
// Command class is the one oclif knows.
import { createRequire } from 'node:module';
import type * as Parts from './oclif-parts.js';

const parts: typeof Parts = createRequire(import.meta.url)('../bundle/code-cache.cjs').loadBundle('oclif');

export const { Flags, Args } = parts;
export const Command = parts.Command;
export type Command = Parts.Command;
