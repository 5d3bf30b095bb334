// Images as Docker's CLI shows them: the rows of `docker images` and `docker history`, and the
// JSON of `docker image inspect`, each field computed as Docker computes it, so that --format
// templates written for Docker ({{.Repository}}, {{.CreatedBy}}, {{.Config.Cmd}}...) work here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ellipsis, humanDuration, humanSize, goTime } from '../render/docker-text.js';
import { layersDir, type StoredImage } from '../runtime/images.js';
import { layerIdOf } from './config.js';
import { isDangling, listImages, treeSize } from './store.js';

/** "app:v1" -> ["app", "v1"]; a nameless image is "<none>", "<none>". */
function repoTag(image: StoredImage): [string, string] {
  if (isDangling(image)) return ['<none>', '<none>'];
  const i = image.name.lastIndexOf(':');
  return [image.name.slice(0, i), image.name.slice(i + 1)];
}

const since = (iso: string | undefined, now: number) => (iso && Date.parse(iso) ? `${humanDuration(now - Date.parse(iso))} ago` : 'N/A');

export interface ImageRow { Repository: string; Tag: string; ID: string; CreatedSince: string; CreatedAt: string; Size: string; Digest: string; Containers: string }

/** A row of `docker images`: the ID is cut to 12 hex digits unless `noTrunc` (then "sha256:..."). */
export function imageRow(image: StoredImage, opts: { noTrunc?: boolean; now?: number } = {}): ImageRow {
  const [repo, tag] = repoTag(image);
  const created = image.configFile.created ?? image.created;
  return {
    Repository: repo,
    Tag: tag,
    ID: opts.noTrunc ? `sha256:${image.id}` : image.id.slice(0, 12),
    CreatedSince: since(created, opts.now ?? Date.now()),
    CreatedAt: created ? goTime(new Date(created)) : '',
    Size: humanSize(image.size ?? 0),
    Digest: '<none>',
    Containers: 'N/A',
  };
}

export const IMAGE_HEADERS = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Digest: 'DIGEST', Containers: 'CONTAINERS' };
export const IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export interface HistoryRow { ID: string; CreatedSince: string; CreatedAt: string; CreatedBy: string; Size: string; Comment: string }

/** Bytes of a layer, as unpacked. */
const layerSize = (id: string) => (existsSync(join(layersDir(), id)) ? treeSize(join(layersDir(), id)) : 0);

/**
 * `docker history`: one row per history entry, newest first. A row that made a layer shows that
 * layer's size (the layers are matched to the rows in order, skipping the empty_layer ones); the
 * top row shows the image's ID, the others <missing>, as Docker shows an image it did not build
 * step by step itself.
 */
export function historyRows(image: StoredImage, opts: { noTrunc?: boolean; human?: boolean; now?: number } = {}): HistoryRow[] {
  const now = opts.now ?? Date.now();
  const layers = image.configFile.rootfs.diff_ids.map(layerIdOf);
  let next = 0;
  const rows = (image.configFile.history ?? []).map((h) => {
    const bytes = h.empty_layer ? 0 : layerSize(layers[next++] ?? '');
    const createdBy = h.created_by ?? '';
    return {
      ID: '<missing>',
      CreatedSince: opts.human === false ? (h.created ?? '') : since(h.created, now),
      CreatedAt: h.created ?? '',
      CreatedBy: opts.noTrunc ? createdBy : ellipsis(createdBy.replace(/\s+/g, ' '), 45),
      Size: opts.human === false ? String(bytes) : humanSize(bytes),
      Comment: h.comment ?? '',
    };
  }).reverse();
  if (rows.length) rows[0].ID = opts.noTrunc ? `sha256:${image.id}` : image.id.slice(0, 12);
  return rows;
}

export const HISTORY_HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
export const HISTORY_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

/** `docker image inspect`: Docker's fields, filled from the config; nestbox's own under "Nestbox". */
export function inspectImage(image: StoredImage): Record<string, unknown> {
  const c = image.configFile;
  const run = c.config ?? {};
  const layers = c.rootfs.diff_ids.map(layerIdOf);
  const tags = listImages().filter((m) => m.id === image.id && !isDangling(m)).map((m) => m.name);
  return {
    Id: `sha256:${image.id}`,
    RepoTags: tags,
    RepoDigests: [],
    Parent: '',
    Comment: c.history?.[c.history.length - 1]?.comment ?? '',
    Created: c.created ?? image.created,
    DockerVersion: '',
    Author: c.author ?? '',
    Config: {
      Hostname: '', Domainname: '', User: run.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      ...(run.ExposedPorts ? { ExposedPorts: run.ExposedPorts } : {}),
      Tty: false, OpenStdin: false, StdinOnce: false,
      Env: run.Env ?? null,
      Cmd: run.Cmd ?? null,
      Image: '',
      Volumes: run.Volumes ?? null,
      WorkingDir: run.WorkingDir ?? '',
      Entrypoint: run.Entrypoint ?? null,
      OnBuild: null,
      Labels: run.Labels ?? null,
      ...(run.StopSignal ? { StopSignal: run.StopSignal } : {}),
      ...(run.Shell ? { Shell: run.Shell } : {}),
    },
    Architecture: c.architecture,
    Os: c.os,
    Size: image.size ?? 0,
    GraphDriver: { Name: 'overlay', Data: { LowerDir: [...layers].reverse().map((l) => join(layersDir(), l)).join(':') } },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: image.created },
    Nestbox: { Source: image.source, Format: image.format ?? '', LayerDirs: layers.map((l) => join(layersDir(), l)) },
  };
}
