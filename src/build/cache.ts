// The build cache: for each step a build has done, the image config it produced, filed under a key
// made of everything the step's result depends on. A later build that reaches the same step with
// the same inputs takes the config (and with it the step's layer) from here instead of running it.
//
// The key is Docker's: the image the step starts from (its ID, which covers every earlier step,
// the ENV and WORKDIR and USER in force, the layers below), the instruction as written once its
// variables are replaced (a RUN also with the build args it sees: `|1 VERSION=2 /bin/sh -c ...`),
// and for COPY and ADD a checksum of the files copied, their contents, modes and link targets
// (not their times: touching a file does not miss the cache). What a RUN would do today (download
// a newer package) is not part of it: the step is matched by its text, which is why
// `RUN apt-get update` goes stale, and why `--no-cache` exists.
//
// libDir()/build-cache/<key>.json holds the config; its layers are kept while an entry lists them
// (`image rm` keeps them, as `docker rmi` keeps the build cache; `nestbox builder prune` empties it).
// A build in progress lists the layers it stands on in .inflight-<pid>.json, so that no `image rm`
// at the same moment removes them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { libDir } from '../host/paths.js';
import { startTime } from '../host/ledger.js';
import { layersDir } from '../runtime/images.js';
import { layerIdOf, parseConfig } from '../image/config.js';

export const cacheDir = () => join(libDir(), 'build-cache');
const INFLIGHT = '.inflight-';

/** The key of a step: sha256 over its inputs, one per line. */
export function cacheKey(parent: string, instruction: string, ...inputs: string[]): string {
  return createHash('sha256').update([parent, instruction, ...inputs].join('\n')).digest('hex');
}

/** The config a step with this key produced, if it is cached and its layers are all still there. */
export function cacheLookup(key: string): string | undefined {
  const file = join(cacheDir(), `${key}.json`);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  try {
    const layers = parseConfig(text).rootfs.diff_ids.map(layerIdOf);
    if (layers.every((l) => existsSync(join(layersDir(), l)))) return text;
  } catch { /* damaged: a miss, and replaced below */ }
  rmSync(file, { force: true });
  return undefined;
}

export function cacheStore(key: string, configText: string): void {
  mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
  const file = join(cacheDir(), `${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, configText);
  renameSync(tmp, file);
}

/** Every layer the cache and the builds running now hold on to. */
export function cachedLayers(): string[] {
  if (!existsSync(cacheDir())) return [];
  const out: string[] = [];
  for (const name of readdirSync(cacheDir())) {
    const file = join(cacheDir(), name);
    try {
      if (name.startsWith(INFLIGHT)) {
        const { pid, start, layers } = JSON.parse(readFileSync(file, 'utf8'));
        if (startTime(pid) === start) out.push(...layers);
        else rmSync(file, { force: true }); // a build that was killed
      } else if (name.endsWith('.json')) {
        out.push(...parseConfig(readFileSync(file, 'utf8')).rootfs.diff_ids.map(layerIdOf));
      }
    } catch { /* being written */ }
  }
  return out;
}

/** Note the layers this build stands on now (replacing what it noted before). */
export function holdLayers(layers: string[]): void {
  mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
  const file = join(cacheDir(), `${INFLIGHT}${process.pid}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, start: startTime(process.pid), layers }));
  renameSync(`${file}.tmp`, file);
}

export function releaseLayers(): void {
  rmSync(join(cacheDir(), `${INFLIGHT}${process.pid}.json`), { force: true });
}

/** `builder prune`: forget every cached step; returns how many there were. */
export function pruneCache(): number {
  if (!existsSync(cacheDir())) return 0;
  let n = 0;
  for (const name of readdirSync(cacheDir())) {
    if (name.startsWith(INFLIGHT) || !name.endsWith('.json')) continue;
    rmSync(join(cacheDir(), name), { force: true });
    n++;
  }
  return n;
}
