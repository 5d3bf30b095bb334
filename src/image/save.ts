// `nestbox image save`: images as the archive `docker save` writes (Docker 25 and later), which
// `docker load` reads, and `nestbox image load` (or `image import`) too:
//
//   blobs/sha256/<hex>   every layer tar (uncompressed), every config, every OCI manifest, each
//                        named by the sha256 of its bytes
//   manifest.json        Docker's index: [{Config, RepoTags, Layers}], paths into blobs/
//   index.json, oci-layout   the same images as an OCI image layout (containerd reads this part)
//
// A layer is written by packing its directory again (layer-tar.ts): a layer nestbox made, or one it
// unpacked from an archive nestbox wrote, gives the very tar its diff id names, so the archive's
// config is the image's own and its ID is unchanged. A layer from someone else's archive (packed by
// another tool, in another order) gives a different tar: the config then lists the new diff ids,
// and the image in the archive has a new ID, which `save` says.
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { layersDir, type StoredImage } from '../runtime/images.js';
import { diffIdOf, imageId, parseConfig, serializeConfig } from './config.js';
import { directoryTree, packToFile, TarWriter } from './layer-tar.js';
import { isDangling, requireImage, scratchDir, withImageStore } from './store.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface Saved {
  images: { name: string; id: string; savedId: string }[];
  bytes: number;
}

/** Save `refs` to `file`, or to standard output when `file` is undefined. */
export async function saveImages(refs: string[], file: string | undefined, note: (line: string) => void = () => {}): Promise<Saved> {
  if (!refs.length) throw new UserError('image save needs at least one image');
  if (file === undefined && process.stdout.isTTY) throw new UserError('cowardly refusing to save to a terminal: use -o FILE or redirect the output (as Docker)');
  const scratch = scratchDir('save');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    // The image store is held while the layers are read: no `image rm` takes one away meanwhile.
    return await withImageStore(async () => {
      const images = refs.map((r) => ({ ref: r, image: requireImage(r) }));
      const target = file ?? join(scratch, 'out.tar');
      const fd = openSync(target, 'w', 0o644);
      let result: Saved;
      try {
        result = writeArchive(images, new TarWriter(fd), scratch, note);
      } finally {
        closeSync(fd);
      }
      if (file === undefined) {
        const stream = createReadStream(target).pipe(process.stdout, { end: false });
        await once(stream, 'unpipe');
      }
      return result;
    }, 10 * 60_000);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function writeArchive(images: { ref: string; image: StoredImage }[], out: TarWriter, scratch: string, note: (line: string) => void): Saved {
  const written = new Set<string>();
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  // Every member dated 1970: the same images give the same archive.
  const dir = (path: string) => out.entry({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
  const blob = (hex: string, data: Buffer | { file: string }) => {
    if (written.has(hex)) return;
    written.add(hex);
    const path = `blobs/sha256/${hex}`;
    if (Buffer.isBuffer(data)) return out.entry({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: data.length }, data);
    const fd = openSync(data.file, 'r');
    try {
      out.entry({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: fstatSync(fd).size }, fd);
    } finally {
      closeSync(fd);
    }
  };
  dir('blobs');
  dir('blobs/sha256');
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const index: Record<string, unknown>[] = [];
  const saved: Saved['images'] = [];
  const packed = new Map<string, { digest: string; bytes: number }>();
  for (const { image } of images) {
    const config = parseConfig(image.configText);
    const layers: { digest: string; bytes: number }[] = [];
    for (const id of image.layers) {
      let p = packed.get(id);
      if (!p) {
        const tar = join(scratch, `layer-${packed.size}.tar`);
        p = packToFile(directoryTree(join(layersDir(), id)), tar);
        blob(p.digest, { file: tar });
        rmSync(tar, { force: true });
        packed.set(id, p);
      }
      layers.push(p);
    }
    // Layers packed by another tool come out as other bytes: the config must name what is saved.
    let configText = image.configText;
    if (layers.some((l, i) => l.digest !== image.layers[i])) {
      config.rootfs = { type: 'layers', diff_ids: layers.map((l) => diffIdOf(l.digest)) };
      configText = serializeConfig(config);
      note(`${image.name}: its layers were packed by another tool; packed again by nestbox they have new digests, so the saved image has the ID ${imageId(configText).slice(0, 12)}`);
    }
    const id = imageId(configText);
    blob(id, Buffer.from(configText));
    const ociManifest = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${id}`, size: Buffer.byteLength(configText) },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffIdOf(l.digest), size: l.bytes })),
    });
    const manifestHex = createHash('sha256').update(ociManifest).digest('hex');
    blob(manifestHex, ociManifest);
    const tags = isDangling(image) ? null : [image.name];
    manifest.push({ Config: `blobs/sha256/${id}`, RepoTags: tags, Layers: layers.map((l) => `blobs/sha256/${l.digest}`) });
    index.push({
      mediaType: OCI_MANIFEST,
      digest: `sha256:${manifestHex}`,
      size: ociManifest.length,
      ...(tags ? { annotations: { 'io.containerd.image.name': `docker.io/${image.name.includes('/') ? '' : 'library/'}${image.name}`, 'org.opencontainers.image.ref.name': image.name.slice(image.name.lastIndexOf(':') + 1) } } : {}),
    });
    saved.push({ name: image.name, id: image.id, savedId: id });
  }
  const file = (path: string, data: Buffer) => out.entry({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: data.length }, data);
  file('index.json', json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index }));
  file('manifest.json', json(manifest));
  file('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  const { bytes } = out.finish();
  return { images: saved, bytes };
}

