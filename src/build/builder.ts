// `nestbox build`: a Dockerfile, one instruction at a time, each turning the image so far (a config
// and its layers) into the next one, as Docker's builder does:
//
//   FROM          the image to start from: its config and layers
//   RUN           a container on the image so far; its upper directory becomes a layer (run-step.ts)
//   COPY, ADD     files of the context become a layer (copy.ts)
//   WORKDIR       the working directory; a layer only when the directory has to be made
//   ENV, ARG, LABEL, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL
//                 only the config changes (and its history gets a line)
//
// Each step's result is an image config: its sha256 is the step's image ID, printed after the step
// (" ---> 1a2b3c4d5e6f"), and the parent of the next step. Before a step runs, the build cache is
// asked for a config made by the same step from the same parent (cache.ts): then the step is not
// run again (" ---> Using cache"), and a build whose every step is cached gives the same image ID.
import { mkdirSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Output } from '../runtime/run.js';
import { layerDirs } from '../runtime/images.js';
import {
  diffIdOf, imageId, layerIdOf, parseConfig, serializeConfig, type HistoryEntry, type ImageConfigFile,
} from '../image/config.js';
import { LayerView } from '../image/union.js';
import { unpackLayer } from '../image/unpack.js';
import {
  checkImageName, isDangling, listImages, pruneLayers, removeDangling, saveImage, scratchDir, sweepLeftovers, treeSize, withImageStore,
} from '../image/store.js';
import { userFiles } from '../runtime/images.js';
import { resolveUser } from '../runtime/users.js';
import { parseDockerfile, type Instruction } from './dockerfile.js';
import { words, word, pairs, type Lookup } from './words.js';
import { configChange, envMap } from './instructions.js';
import { IgnoreRules } from './ignore.js';
import { BuildContext } from './context.js';
import { CopyPlan, writeEntries, type LayerEntry } from './copy.js';
import { cacheKey, cacheLookup, cacheStore, holdLayers, releaseLayers } from './cache.js';
import { resolveBase } from './from.js';
import { runStep } from './run-step.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildOptions {
  /** The context directory. */
  context: string;
  /** -f: the Dockerfile (default CONTEXT/Dockerfile); its text when read from stdin. */
  dockerfile?: string;
  dockerfileText?: string;
  tags: string[];
  /** --build-arg KEY=VALUE (or KEY: the value from nestbox's own environment). */
  buildArgs: string[];
  noCache?: boolean;
  quiet?: boolean;
  /** RUN's network: bridge (Docker's default), none or host. */
  network?: string;
  output?: Output;
}

export interface BuildResult { id: string; tags: string[]; steps: number; cached: number; run: number }

/** The build's state between steps: the image so far, and what only the build knows (ARG values). */
interface State {
  config: ImageConfigFile;
  text: string;
  id: string;
  /** ARGs declared so far (after FROM), with their values. */
  args: Map<string, string | undefined>;
  /** A CMD was given in this Dockerfile (then ENTRYPOINT leaves it; otherwise ENTRYPOINT clears the base's). */
  cmdSet: boolean;
}


/** The options as Docker would take them; one line for what is wrong. */
function checkOptions(opts: BuildOptions): { context: string; dockerfile: string; text: string; tags: string[]; buildArgs: Map<string, string> } {
  const context = resolve(opts.context);
  if (!existsSync(context) || !statSync(context).isDirectory()) throw new UserError(`unable to prepare context: path "${opts.context}" not found (give the build context, a directory)`);
  let dockerfile = opts.dockerfile ?? 'Dockerfile';
  let text = opts.dockerfileText;
  if (text === undefined) {
    // -f as Docker reads it: from the current directory, else inside the context.
    dockerfile = existsSync(resolve(dockerfile)) && opts.dockerfile !== undefined ? resolve(dockerfile) : resolve(context, dockerfile);
    try { text = readFileSync(dockerfile, 'utf8'); } catch { throw new UserError(`unable to prepare context: cannot read the Dockerfile ${dockerfile}`); }
  }
  const tags = opts.tags.map((t) => checkImageName(t, '-t'));
  const buildArgs = new Map<string, string>();
  for (const a of opts.buildArgs) {
    const i = a.indexOf('=');
    const key = i < 0 ? a : a.slice(0, i);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UserError(`--build-arg "${a}": expected KEY=VALUE`);
    if (i >= 0) buildArgs.set(key, a.slice(i + 1));
    else if (process.env[key] !== undefined) buildArgs.set(key, process.env[key]!);
  }
  const network = opts.network ?? 'default';
  if (!['default', 'bridge', 'none', 'host'].includes(network)) throw new UserError(`--network "${network}": use bridge (the default), none or host`);
  return { context, dockerfile, text, tags, buildArgs };
}

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const checked = checkOptions(opts);
  const output = opts.output ?? { stdout: process.stdout, stderr: process.stderr };
  const say = (line: string) => { if (!opts.quiet) output.stdout.write(line + '\n'); };
  const df = parseDockerfile(checked.text, posix.basename(checked.dockerfile));
  const ignoreFile = join(checked.context, '.dockerignore');
  const ignore = new IgnoreRules(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  const context = new BuildContext(checked.context, ignore);
  const scratch = scratchDir('build');
  const used = new Set<string>();
  const globals = new Map<string, string | undefined>();
  const counts = { cached: 0, run: 0 };
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  sweepLeftovers();
  let state: State | undefined;
  try {
    const total = df.instructions.length;
    for (const [n, inst] of df.instructions.entries()) {
      say(`Step ${n + 1}/${total} : ${inst.text}`);
      const where = (msg: string) => new UserError(`${posix.basename(checked.dockerfile)}:${inst.line}: ${msg}`);
      if (inst.keyword === 'FROM') {
        if (state) throw where('a second FROM (a multi-stage build) is not supported: nestbox builds one image per Dockerfile');
        const lookup: Lookup = (name) => (checked.buildArgs.has(name) && globals.has(name) ? checked.buildArgs.get(name) : globals.get(name));
        const [ref, as, alias] = words(inst.args, lookup, df.escape);
        if (!ref || (as !== undefined && (as.toLowerCase() !== 'as' || !alias))) throw where('FROM takes an image, and optionally AS name');
        for (const [k] of globals) if (checked.buildArgs.has(k)) used.add(k);
        state = await withImageStore(async () => {
          const base = await resolveBase(ref, scratch);
          const config = parseConfig(base.configText);
          // As BuildKit: an image with no PATH gets the usual one, so RUN finds its programs.
          const noPath = !envMap(config.config.Env).has('PATH');
          if (noPath) config.config = { ...config.config, Env: [`PATH=${DEFAULT_PATH}`, ...(config.config.Env ?? [])] };
          const text = noPath ? serializeConfig(config) : base.configText;
          holdLayers(config.rootfs.diff_ids.map(layerIdOf));
          return { config, text, id: imageId(text), args: new Map(), cmdSet: false };
        }, 10 * 60_000);
        say(` ---> ${state.id.slice(0, 12)}`);
        continue;
      }
      if (!state) {
        if (inst.keyword !== 'ARG') throw where(`the first instruction must be FROM (ARG may come before it), not ${inst.keyword}`);
        for (const [k, v] of pairs(inst.args, (name) => globals.get(name), df.escape, false)) globals.set(k, v);
        continue;
      }
      state = await step(state, inst, { ...checked, opts, df, context, scratch, used, globals, output, say, counts, where });
      say(` ---> ${state.id.slice(0, 12)}`);
    }
    if (!state) throw new UserError(`${checked.dockerfile}: no FROM: a Dockerfile starts from an image (FROM default, FROM scratch, FROM an image of nestbox image ls)`);
    const unused = [...checked.buildArgs.keys()].filter((k) => !used.has(k));
    if (unused.length) output.stderr.write(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const final = state;
    const tags = checked.tags;
    await withImageStore(() => {
      const layers = final.config.rootfs.diff_ids.map(layerIdOf);
      const manifest = {
        layers,
        created: final.config.created ?? new Date().toISOString(),
        source: `nestbox build ${checked.context}`,
        format: 'build',
        size: layers.reduce((sum, l) => sum + treeSize(layerDirs([l])[0]), 0),
      };
      // Without -t the image has no name, as Docker's "<none>:<none>": found by its ID (unless a
      // name has it already).
      const named = listImages().filter((m) => m.id === final.id && !isDangling(m));
      if (!tags.length && !named.length) saveImage({ ...manifest, name: '<none>:<none>' }, final.text, { replace: true, dangling: true });
      for (const name of tags) saveImage({ ...manifest, name }, final.text, { replace: true });
      if (tags.length) removeDangling(final.id);
      pruneLayers();
    }, 10 * 60_000);
    say(`Successfully built ${final.id.slice(0, 12)}`);
    for (const t of tags) say(`Successfully tagged ${t}`);
    if (opts.quiet) output.stdout.write(`sha256:${final.id}\n`);
    return { id: final.id, tags, steps: df.instructions.length, ...counts };
  } finally {
    releaseLayers();
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface StepContext {
  opts: BuildOptions;
  df: { escape: string };
  context: BuildContext;
  scratch: string;
  buildArgs: Map<string, string>;
  used: Set<string>;
  globals: Map<string, string | undefined>;
  output: Output;
  say: (line: string) => void;
  counts: { cached: number; run: number };
  where: (msg: string) => UserError;
}

/** The next config: the parent's, changed by `change`, with a history line and its time. */
function next(state: State, change: (c: ImageConfigFile) => void, history: HistoryEntry): State {
  const config: ImageConfigFile = JSON.parse(state.text);
  change(config);
  const created = new Date().toISOString();
  config.created = created;
  config.history = [...(config.history ?? []), { created, ...history }];
  const text = serializeConfig(config);
  return { ...state, config, text, id: imageId(text) };
}

/** Take a cached result, keeping what only this build knows (ARGs, whether CMD was set). */
function adopt(state: State, text: string): State {
  const config = parseConfig(text);
  return { ...state, config, text, id: imageId(text) };
}

async function step(state: State, inst: Instruction, sc: StepContext): Promise<State> {
  const { df, where } = sc;
  const env = envMap(state.config.config.Env);
  // ENV wins over ARG of the same name, as in Docker.
  const lookup: Lookup = (name) => (env.has(name) ? env.get(name) : state.args.get(name));
  const ws = () => (inst.json ?? words(inst.args, lookup, df.escape));
  let createdBy: string;
  let change: (c: ImageConfigFile) => void = () => {};
  const extra: string[] = [];
  let layer: (() => Promise<{ tar: string; digest: string } | undefined>) | undefined;
  let argUpdate: [string, string | undefined][] = [];

  switch (inst.keyword) {
    case 'ENV': case 'LABEL': case 'EXPOSE': case 'VOLUME': case 'USER': case 'STOPSIGNAL': case 'MAINTAINER': case 'SHELL': case 'CMD': case 'ENTRYPOINT':
      ({ createdBy, change } = configChange(inst, state.config, lookup, df.escape, state.cmdSet, where)!);
      break;
    case 'ARG': {
      const declared = pairs(inst.args, lookup, df.escape, false);
      argUpdate = declared.map(([k, v]) => {
        if (sc.buildArgs.has(k)) sc.used.add(k);
        const value = sc.buildArgs.has(k) ? sc.buildArgs.get(k) : v !== undefined ? v : sc.globals.get(k);
        return [k, value];
      });
      createdBy = `ARG ${declared.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(' ')}`;
      break;
    }
    case 'WORKDIR': {
      ({ createdBy, change } = configChange(inst, state.config, lookup, df.escape, state.cmdSet, where)!);
      const dir = posix.resolve(state.config.config.WorkingDir || '/', word(inst.args, lookup, df.escape));
      const view = new LayerView(layerDirs(state.config.rootfs.diff_ids.map(layerIdOf)));
      if (!view.lookup(dir, true)?.st.isDirectory()) {
        layer = async () => {
          // The directories WORKDIR makes, as Docker makes them: root's, 0755; their time the parent image's.
          const t = Math.floor(Date.parse(state.config.created ?? '1970-01-01T00:00:00Z') / 1000) || 0;
          const plan = new CopyPlan({ keyword: 'COPY', context: sc.context, sources: [], dest: dir, workdir: '/', image: view, scratch: sc.scratch });
          const entries = plan.directories(dir, t);
          return writeLayer(entries, sc.scratch);
        };
      }
      break;
    }
    case 'COPY':
    case 'ADD': {
      for (const f of ['from', 'link', 'parents', 'exclude', 'checksum', 'keep-git-dir']) {
        if (inst.flags[f] !== undefined) throw where(`${inst.keyword} --${f} is not supported${f === 'from' ? ' (multi-stage builds are not)' : ''}`);
      }
      const list = ws();
      if (list.length < 2) throw where(`${inst.keyword} takes at least a source and a destination`);
      const dest = list[list.length - 1];
      const sources = list.slice(0, -1);
      if (inst.keyword === 'ADD' && sources.some((s) => /^[a-z]+:\/\//i.test(s))) throw where('ADD from a URL needs the network: nestbox builds offline (download the file and COPY it)');
      const view = new LayerView(layerDirs(state.config.rootfs.diff_ids.map(layerIdOf)));
      const owner = inst.flags.chown !== undefined ? chownIds(word(inst.flags.chown, lookup, df.escape), state, where) : undefined;
      let mode: number | undefined;
      if (inst.flags.chmod !== undefined) {
        if (!/^[0-7]{3,4}$/.test(inst.flags.chmod)) throw where(`--chmod "${inst.flags.chmod}": give an octal mode, for example 755`);
        mode = parseInt(inst.flags.chmod, 8);
      }
      const plan = await new CopyPlan({ keyword: inst.keyword, context: sc.context, sources, dest, workdir: state.config.config.WorkingDir || '/', owner, mode, image: view, scratch: sc.scratch }).plan();
      const { entries, checksum } = plan.result();
      createdBy = `${inst.keyword} ${owner ? `--chown=${owner.uid}:${owner.gid} ` : ''}${mode !== undefined ? `--chmod=${inst.flags.chmod} ` : ''}${sources.join(' ')} ${dest}`;
      extra.push(checksum);
      layer = async () => writeLayer(entries, sc.scratch);
      break;
    }
    case 'RUN': {
      if (Object.keys(inst.flags).length) throw where(`RUN --${Object.keys(inst.flags)[0]} is not supported`);
      const command = inst.json ?? [...(state.config.config.Shell ?? ['/bin/sh', '-c']), inst.args];
      if (!command.length) throw where('RUN needs a command');
      // The build args RUN sees, as Docker writes them in the history: "|2 A=1 B=2 /bin/sh -c ...".
      const args = [...state.args].filter(([k, v]) => v !== undefined && !env.has(k)) as [string, string][];
      createdBy = `RUN ${args.length ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(' ')} ` : ''}${command.join(' ')}`;
      layer = async () => {
        const tar = join(sc.scratch, `run-${Date.now().toString(36)}.tar`);
        let container = '';
        sc.counts.run++;
        const result = await runStep({
          command,
          env: [...(state.config.config.Env ?? []), ...args.map(([k, v]) => `${k}=${v}`)],
          user: state.config.config.User || undefined,
          workdir: state.config.config.WorkingDir || '/',
          layers: state.config.rootfs.diff_ids.map(layerIdOf),
          parentId: state.id,
          network: sc.opts.network ?? 'default',
          output: sc.opts.quiet ? { stdout: devNull, stderr: devNull } : sc.output,
          tar,
          started: (id) => { container = id; sc.say(` ---> Running in ${id}`); },
        });
        sc.say(`Removing intermediate container ${container}`);
        return result && { tar, digest: result.digest };
      };
      break;
    }
    default:
      throw where(`${inst.keyword} is not supported by nestbox build`);
  }

  const argsAfter = new Map([...state.args, ...argUpdate]);
  const key = cacheKey(state.id, createdBy!, ...extra);
  if (!sc.opts.noCache) {
    const hit = cacheLookup(key);
    if (hit) {
      sc.say(' ---> Using cache');
      sc.counts.cached++;
      const adopted = adopt(state, hit);
      holdLayers(adopted.config.rootfs.diff_ids.map(layerIdOf));
      return { ...adopted, args: argsAfter, cmdSet: state.cmdSet || (inst.keyword as string) === 'CMD' };
    }
  }
  const made = layer ? await layer() : undefined;
  const history: HistoryEntry = { created_by: createdBy!, ...(made ? {} : { empty_layer: true }) };
  // The layer is unpacked and the step filed in the cache in one go, with the image store held:
  // from then on the cache entry keeps the layer.
  return withImageStore(async () => {
    if (made) await unpackLayer(made.tar, `${inst.keyword} (line ${inst.line})`, diffIdOf(made.digest));
    const out = next(state, (c) => {
      change(c);
      if (made) c.rootfs = { type: 'layers', diff_ids: [...c.rootfs.diff_ids, diffIdOf(made.digest)] };
    }, history);
    cacheStore(key, out.text);
    holdLayers(out.config.rootfs.diff_ids.map(layerIdOf));
    if (made) rmSync(made.tar, { force: true });
    return { ...out, args: argsAfter, cmdSet: state.cmdSet || (inst.keyword as string) === 'CMD' };
  }, 10 * 60_000);
}

/** Pack planned entries as a layer tar in the build's scratch directory. */
function writeLayer(entries: LayerEntry[], scratch: string): { tar: string; digest: string } {
  const tar = join(scratch, `layer-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}.tar`);
  const { digest } = writeEntries(entries, tar);
  return { tar, digest };
}

/** --chown=user[:group]: numbers, or names from the image's /etc/passwd and /etc/group. */
function chownIds(text: string, state: State, where: (m: string) => UserError): { uid: number; gid: number } {
  const [user, group] = text.split(':');
  const files = userFiles(layerDirs(state.config.rootfs.diff_ids.map(layerIdOf)));
  try {
    const ids = resolveUser(group === undefined ? user : `${user}:${group}`, files);
    // A user alone: Docker gives its number as the group too.
    return { uid: ids.uid, gid: group === undefined ? ids.uid : ids.gid };
  } catch (err) {
    throw where(`--chown=${text}: ${(err as Error).message.replace(/^-u "[^"]*": /, '')}`);
  }
}

/** Where a quiet build sends RUN's output. */
const devNull = { write: () => true } as unknown as NodeJS.WritableStream;
