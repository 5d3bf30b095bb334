// `nestbox commit`: a container's upper directory, everything it changed since it started from its
// image, packed as one more layer on top of the image's, with the container's own settings as the
// new image's config (its command, environment, working directory, user, labels, ports), then
// `--change` instructions over them. A running container is frozen (the cgroup freezer, as
// `pause`) while its layer is packed, so no file changes half-way, as Docker pauses it.
//
// `nestbox export`: a container's whole filesystem, as it sees it (its image's layers with its
// upper directory over them, merged by overlayfs's rules: union.ts), as one plain tar. Its volumes
// are not part of it, as in Docker.
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { findContainer, paths, type Container } from '../runtime/store.js';
import { containerLayers, layerDirs } from '../runtime/images.js';
import { pauseContainer } from '../runtime/lifecycle.js';
import { bareConfig, diffIdOf, imageId, layerIdOf, parseConfig, serializeConfig, type ImageConfigFile } from './config.js';
import { directoryTree, packToFile, TarWriter, packTree } from './layer-tar.js';
import { LayerView } from './union.js';
import { unpackLayer } from './unpack.js';
import { checkImageName, isDangling, listImages, removeDangling, saveImage, scratchDir, treeSize, withImageStore } from './store.js';
import { upperExclusions } from '../build/stubs.js';
import { parseDockerfile } from '../build/dockerfile.js';
import { configChange, envMap } from '../build/instructions.js';

export interface CommitOptions { author?: string; message?: string; changes?: string[]; pause?: boolean }

/** The instructions --change accepts, as Docker's commit does. */
const CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL']);

/** The image config the container started from (and its layers, bottom first). */
async function baseOf(c: Container, scratch: string): Promise<{ config: ImageConfigFile; layers: string[] }> {
  if (c.spec.layers) {
    const image = c.spec.imageId ? listImages().find((m) => m.id === c.spec.imageId) : undefined;
    const config = image ? parseConfig(image.configText) : bareConfig(c.spec.layers.map(diffIdOf), new Date(0).toISOString(), '');
    return { config, layers: c.spec.layers };
  }
  // A container of the default rootfs: its base is the image `FROM default` builds on.
  if (c.spec.image === 'default') {
    const { resolveBase } = await import('../build/from.js');
    const config = parseConfig((await resolveBase('default', scratch)).configText);
    return { config, layers: config.rootfs.diff_ids.map(layerIdOf) };
  }
  // Of another root filesystem directory: the directory becomes the bottom layer.
  const [dir] = await containerLayers(c.spec);
  const tar = join(scratch, 'base.tar');
  const { digest } = packToFile(directoryTree(dir), tar, { exclude: (rel) => rel === '.nestbox-rootfs.json' });
  if (!existsSync(layerDirs([digest])[0])) await unpackLayer(tar, c.spec.image, diffIdOf(digest));
  return { config: bareConfig([diffIdOf(digest)], new Date(0).toISOString(), `nestbox rootfs ${c.spec.image}`), layers: [digest] };
}

export async function commitContainer(ref: string, target: string | undefined, opts: CommitOptions = {}): Promise<{ id: string; name?: string }> {
  const c = findContainer(ref);
  const name = target !== undefined ? checkImageName(target, 'the image name') : undefined;
  const changes = (opts.changes ?? []).map((text) => {
    const [inst] = parseDockerfile(text, '--change').instructions;
    if (!CHANGES.has(inst.keyword)) throw new UserError(`--change "${text}": ${inst.keyword} cannot be changed by commit (${[...CHANGES].join(', ')} can)`);
    return inst;
  });
  const scratch = scratchDir('commit');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const frozen = opts.pause !== false && c.state.Status === 'running';
  try {
    return await withImageStore(async () => {
      const base = await baseOf(c, scratch);
      const tar = join(scratch, 'layer.tar');
      if (frozen) pauseContainer(c.id, true);
      let digest: string;
      try {
        const upper = paths(c.id).upper;
        if (!existsSync(upper)) mkdirSync(upper, { recursive: true }); // created, never started: no changes
        const exclude = upperExclusions(upper, new LayerView(layerDirs(base.layers)), c.spec.volumes.map((v) => v.target));
        ({ digest } = packToFile(directoryTree(upper), tar, { exclude: (rel) => exclude.has(rel) }));
      } finally {
        if (frozen) pauseContainer(c.id, false);
      }
      await unpackLayer(tar, `the changes of ${c.spec.name}`, diffIdOf(digest));
      const config = containerConfig(base.config, c);
      const created = new Date().toISOString();
      config.created = created;
      if (opts.author) config.author = opts.author;
      config.rootfs = { type: 'layers', diff_ids: [...base.layers.map(diffIdOf), diffIdOf(digest)] };
      const lookup = (k: string) => envMap(config.config.Env).get(k);
      for (const inst of changes) configChange(inst, config, lookup, '\\', true, (m) => new UserError(`--change: ${m}`))!.change(config);
      config.history = [...(config.history ?? []), { created, created_by: c.spec.command.join(' '), ...(opts.author ? { author: opts.author } : {}), ...(opts.message ? { comment: opts.message } : {}) }];
      const text = serializeConfig(config);
      const layers = config.rootfs.diff_ids.map(layerIdOf);
      const manifest = { layers, created, source: `nestbox commit ${c.spec.name}`, format: 'commit', size: layers.reduce((s, l) => s + treeSize(layerDirs([l])[0]), 0) };
      const id = imageId(text);
      if (name) {
        saveImage({ ...manifest, name }, text, { replace: true });
        removeDangling(id);
      } else if (!listImages().some((m) => m.id === id && !isDangling(m))) {
        saveImage({ ...manifest, name: '<none>:<none>' }, text, { replace: true, dangling: true });
      }
      return { id, name };
    }, 10 * 60_000);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The container's own settings over its image's config, as Docker's commit takes them. */
function containerConfig(base: ImageConfigFile, c: Container): ImageConfigFile {
  const config: ImageConfigFile = JSON.parse(JSON.stringify(base));
  const { spec } = c;
  const run = config.config ?? {};
  const entry = spec.entrypoint ?? [];
  run.Entrypoint = entry.length ? entry : run.Entrypoint ?? null;
  run.Cmd = spec.command.slice(entry.length);
  if (spec.env.length) run.Env = [...envMap(spec.env)].map(([k, v]) => `${k}=${v}`);
  if (spec.workdir && spec.workdir !== '/') run.WorkingDir = spec.workdir;
  if (spec.user) run.User = spec.user;
  if (Object.keys(spec.labels ?? {}).length) run.Labels = spec.labels;
  if (spec.exposedPorts?.length || spec.ports.length) {
    run.ExposedPorts = { ...run.ExposedPorts, ...Object.fromEntries([...(spec.exposedPorts ?? []), ...spec.ports.map((p) => `${p.containerPort}/${p.proto}`)].map((p) => [p, {}])) };
  }
  config.config = run;
  return config;
}

/** Write the container's filesystem as a tar to `file` (or to standard output). */
export async function exportContainer(ref: string, file: string | undefined): Promise<void> {
  const c = findContainer(ref);
  if (file === undefined && process.stdout.isTTY) throw new UserError('cowardly refusing to save to a terminal: use -o FILE or redirect the output (as Docker)');
  const upper = paths(c.id).upper;
  const lower = await containerLayers(c.spec);
  const view = new LayerView(existsSync(upper) ? [upper, ...lower] : lower);
  const scratch = scratchDir('save');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const target = file ?? join(scratch, 'export.tar');
  try {
    const fd = openSync(target, 'w', 0o644);
    try {
      const out = new TarWriter(fd);
      packTree(view, out);
      out.finish();
    } finally {
      closeSync(fd);
    }
    if (file === undefined) {
      await once(createReadStream(target).pipe(process.stdout, { end: false }), 'unpipe');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
