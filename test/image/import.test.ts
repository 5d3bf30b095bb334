// nestbox image import / ls / rm, as a learner drives them: archives built here from the default
// rootfs in the three forms (docker save, OCI layout with gzip layers, docker export), imported
// into a temporary NESTBOX_LIB_DIR, and checked from inside a container and on disk. Then the
// hostile archives: each refused with a one-line message, nothing left in layers/.
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { withLock } from '../../src/host/lock.js';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('himg-lib-');
const work = tempDir('himg-work-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout: patience(120_000) });
const inside = (image: string, script: string) => nb(['run', '--rm', '--net', 'none', image, '--', '/bin/sh', '-c', script]);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const layersDir = join(lib.path, 'layers');
const layers = () => (existsSync(layersDir) ? readdirSync(layersDir).sort() : []);
const w = (name: string) => join(work.path, name);

/** `tar -C dir -cf out .` with the system's tar (GNU or busybox). */
function tarDir(dir: string, out: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '-cf', out, '.'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return readFileSync(out);
}

interface Entry { name: string; type?: '0' | '1' | '2' | '3' | '4' | '5' | '6'; data?: string; link?: string; mode?: number; dev?: [number, number] }

/**
 * A ustar archive written byte by byte: tar tools refuse to write the hostile entries below (they
 * strip "/" and ".." when creating), so the test lays the 512-byte headers out itself.
 */
function ustar(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    const put = (off: number, len: number, s: string) => h.write(s, off, len, 'latin1');
    const oct = (off: number, len: number, n: number) => put(off, len, n.toString(8).padStart(len - 1, '0') + '\0');
    put(0, 100, e.name);
    oct(100, 8, e.mode ?? (e.type === '5' ? 0o755 : 0o644));
    oct(108, 8, 0);
    oct(116, 8, 0);
    oct(124, 12, data.length);
    oct(136, 12, 1_700_000_000);
    put(156, 1, e.type ?? '0');
    put(157, 100, e.link ?? '');
    put(257, 8, 'ustar\x0000');
    oct(329, 8, e.dev?.[0] ?? 0);
    oct(337, 8, e.dev?.[1] ?? 0);
    put(148, 8, '        '); // the checksum counts its own field as spaces
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/**
 * A docker save archive: manifest.json, a config, layer tars. `modern` lays it out as Docker 25 and
 * later do (blobs/sha256/<hex>, beside an OCI index), otherwise as before (<id>/layer.tar).
 */
function dockerSave(out: string, layerTars: Buffer[], config: object, repoTags?: string[], modern = false): void {
  const dir = w(`${out}.d`);
  const ids = layerTars.map(sha256);
  const cfg = Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: ids.map((d) => `sha256:${d}`) } }));
  const place = (data: Buffer, legacy: string) => {
    const path = modern ? `blobs/sha256/${sha256(data)}` : legacy;
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), data);
    return path;
  };
  const Layers = layerTars.map((t, i) => place(t, `${ids[i]}/layer.tar`));
  const Config = place(cfg, `${sha256(cfg)}.json`);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config, RepoTags: repoTags ?? null, Layers }]));
  if (modern) {
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  }
  tarDir(dir, w(out));
}

let baseTar: Buffer, topTar: Buffer, secondTar: Buffer;
const config = { architecture: 'amd64', os: 'linux', config: { Env: ['GREETING=hello'], Cmd: ['/bin/sh', '-c', 'echo "$GREETING from the image, in $PWD"'], WorkingDir: '/etc' } };

const test = kernelSuite('nestbox image');

test.before(() => {
  const r = nb(['rootfs', 'create']);
  assert.is(r.status, 0, r.stderr);
  // The bottom layer: the default rootfs plus two things the top layer will take away.
  const root = w('base-root');
  cpSync(join(lib.path, 'rootfs', 'default'), root, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(root, 'etc', 'motd'), 'from the bottom layer\n');
  mkdirSync(join(root, 'opt'));
  writeFileSync(join(root, 'opt', 'old.txt'), 'old\n');
  baseTar = tarDir(root, w('base.tar'));
  // The top layer: deletes /etc/motd (a whiteout), makes /opt opaque, adds two files.
  topTar = ustar([
    { name: 'etc/', type: '5' },
    { name: 'etc/.wh.motd' },
    { name: 'etc/added.txt', data: 'added by the top layer\n' },
    { name: 'opt/', type: '5' },
    { name: 'opt/.wh..wh..opq' },
    { name: 'opt/new.txt', data: 'new\n' },
  ]);
});

test('docker save, two layers: the top layer\'s whiteout and opaque directory hide the bottom\'s files', () => {
  dockerSave('demo.tar', [baseTar, topTar], config, ['registry.example.com/team/demo:v1']);
  const r = nb(['image', 'import', w('demo.tar')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^imported demo:v1 from a docker save archive: 2 layers, 0 reused/m);
  assert.equal(layers(), [sha256(baseTar), sha256(topTar)].sort(), 'one directory per layer, named by its sha256');
  // On disk, in overlayfs's own form: the deleted file is a character device 0/0.
  const wh = lstatSync(join(layersDir, sha256(topTar), 'etc', 'motd'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'the whiteout is a 0/0 character device');

  const c = inside('demo:v1', 'cat /etc/added.txt; test -e /etc/motd && echo motd-present || echo motd-deleted; echo opt: $(ls /opt); cat /etc/os-release');
  assert.is(c.status, 0, c.stderr);
  assert.match(c.stdout, /^added by the top layer$/m);
  assert.match(c.stdout, /^motd-deleted$/m);
  assert.match(c.stdout, /^opt: new.txt$/m, 'the opaque /opt hides old.txt');
  assert.match(c.stdout, /^ID=nestbox$/m, 'the bottom layer shows through');

  // With no command, the image's Cmd runs, with its Env and WorkingDir; -e overrides its Env.
  const d = nb(['run', '--rm', '--net', 'none', 'demo:v1']);
  assert.is(d.status, 0, d.stderr);
  assert.is(d.stdout.trim(), 'hello from the image, in /etc');
  const e = nb(['run', '--rm', '--net', 'none', '-e', 'GREETING=hi', 'demo:v1']);
  assert.is(e.stdout.trim(), 'hi from the image, in /etc');
});

test('a second image on the same base (docker save, Docker 25 layout) reuses its layer directory', () => {
  const baseDir = join(layersDir, sha256(baseTar));
  const inode = lstatSync(baseDir).ino;
  const second = secondTar = ustar([{ name: 'etc/second.txt', data: 'second image\n' }]);
  dockerSave('second.tar', [baseTar, second], {}, undefined, true);
  const r = nb(['image', 'import', w('second.tar'), '--name', 'second:v1']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^layer 1\/2 .*reused/m);
  assert.match(r.stdout, /^layer 2\/2 .*unpacked$/m);
  assert.match(r.stdout, /2 layers, 1 reused/);
  assert.is(layers().length, 3);
  assert.is(lstatSync(baseDir).ino, inode, 'the same directory, not a copy');
  const c = inside('second:v1', 'cat /etc/second.txt /etc/motd; ls /opt');
  assert.is(c.status, 0, c.stderr);
  assert.is(c.stdout, 'second image\nfrom the bottom layer\nold.txt\n', 'the other image\'s deletions do not show here');
  const ls = JSON.parse(nb(['image', 'ls', '--json']).stdout);
  assert.equal(ls.map((m: any) => m.name), ['demo:v1', 'second:v1']);
  assert.equal(ls[1].layers, [sha256(baseTar), sha256(second)]);
  assert.match(nb(['image', 'ls']).stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\ndemo\s+v1\s+[0-9a-f]{12}\s/m, 'docker images\'s columns');
});

test('docker export: a plain root filesystem tar (here gzip-compressed) is an image of one layer', () => {
  const plain = tarDir(join(lib.path, 'rootfs', 'default'), w('export.tar'));
  writeFileSync(w('web-export.tar.gz'), gzipSync(plain));
  const r = nb(['image', 'import', w('web-export.tar.gz')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^imported web-export:latest from a root filesystem tar: 1 layer/m, 'named after the file, with Docker\'s default tag');
  assert.ok(layers().includes(sha256(plain)), 'named by the sha256 of the uncompressed tar');
  const c = inside('web-export', 'cat /etc/os-release; id -u');
  assert.is(c.status, 0, c.stderr);
  assert.match(c.stdout, /^ID=nestbox\n0$/m);
});

test('OCI layout with gzip layers, as a tar and as a directory: same diff ids, so the layers are reused', () => {
  const dir = w('oci');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer) => {
    writeFileSync(join(dir, 'blobs', 'sha256', sha256(data)), data);
    return { digest: `sha256:${sha256(data)}`, size: data.length };
  };
  const gz = [baseTar, topTar].map((t) => gzipSync(t));
  const cfg = put(Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: [baseTar, topTar].map((t) => `sha256:${sha256(t)}`) } })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
    layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(g) })),
  })));
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'ocidemo:v2' } }],
  }));
  tarDir(dir, w('oci.tar'));
  const before = layers();
  const r = nb(['image', 'import', w('oci.tar')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^imported ocidemo:v2 from an OCI layout: 2 layers, 2 reused/m);
  assert.equal(layers(), before, 'no new layer directory');
  const c = inside('ocidemo:v2', 'cat /etc/added.txt; ls /opt; test -e /etc/motd || echo motd-deleted');
  assert.is(c.stdout, 'added by the top layer\nnew.txt\nmotd-deleted\n', c.stderr);

  const d = nb(['image', 'import', dir, '--name', 'ocidir']);
  assert.is(d.status, 0, d.stderr);
  assert.match(d.stdout, /2 layers, 2 reused/);
  // A name already taken is refused.
  const again = nb(['image', 'import', dir, '--name', 'ocidir']);
  assert.is(again.status, 1);
  assert.match(again.stderr, /already exists/);
});

test('hostile archives are refused, each with a one-line message, leaving nothing behind', () => {
  const before = layers();
  const cases: [string, Entry[], RegExp][] = [
    ['dotdot.tar', [{ name: '../evil', data: 'x' }], /refused entry "\.\.\/evil": its path has a "\.\." component/],
    ['absolute.tar', [{ name: '/etc/evil', data: 'x' }], /refused entry "\/etc\/evil": its path is absolute/],
    ['symlink-out.tar', [{ name: 'x', type: '2', link: '../../../etc' }, { name: 'x/passwd', data: 'root::0:0::/:/bin/sh\n' }],
      /refused entry "x": the symbolic link's target "\.\.\/\.\.\/\.\.\/etc" points outside the layer/],
    ['through-link.tar', [{ name: 'x', type: '2', link: '/etc' }, { name: 'x/passwd', data: 'root::0:0::/:/bin/sh\n' }],
      /refused entry "x\/passwd": it lies below the symbolic link "x"/],
    ['hardlink.tar', [{ name: 'y', type: '1', link: '/etc/shadow' }], /refused entry "y": the hard link's target is absolute/],
    ['hardlink-rel.tar', [{ name: 'y', type: '1', link: 'etc/shadow' }], /refused entry "y": the hard link's target "etc\/shadow" is not an earlier file/],
    ['device.tar', [{ name: 'null', type: '3', mode: 0o666, dev: [1, 3] }], /refused entry "null": a device node \(c 1:3\)/],
    ['blockdev.tar', [{ name: 'disk', type: '4', mode: 0o660, dev: [8, 0] }], /refused entry "disk": a device node \(b 8:0\)/],
  ];
  for (const [file, entries, message] of cases) {
    writeFileSync(w(file), ustar(entries));
    const r = nb(['image', 'import', w(file)]);
    assert.is(r.status, 1, `${file}: ${r.stdout}`);
    assert.match(r.stderr, message, file);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(layers(), before, `${file}: nothing added to layers/`);
    assert.not.ok(existsSync(join(lib.path, 'images', file.replace('.tar', ''))), `${file}: no image`);
  }
  assert.not.ok(existsSync('/etc/evil'));
  assert.not.ok(existsSync(join(lib.path, 'evil')) || existsSync(join(lib.path, 'layers', 'evil')));

  // A good new layer followed by a hostile one: the good one, already unpacked, is removed again.
  dockerSave('half.tar', [ustar([{ name: 'fresh.txt', data: 'fresh\n' }]), ustar([{ name: '../evil', data: 'x' }])], {});
  const h = nb(['image', 'import', w('half.tar')]);
  assert.is(h.status, 1);
  assert.match(h.stderr, /half\.tar \(layer 2 of 2\): refused entry "\.\.\/evil"/);
  assert.equal(layers(), before, 'the first layer is gone again');
  assert.equal(existsSync(join(lib.path, 'tmp')) ? readdirSync(join(lib.path, 'tmp')) : [], [], 'no scratch files');

  // A layer whose content does not match the config's diff id could pose as another image's layer.
  dockerSave('forged.tar', [baseTar], {});
  const forged = w('forged.tar.d');
  writeFileSync(join(forged, sha256(baseTar), 'layer.tar'), topTar);
  tarDir(forged, w('forged.tar'));
  const f = nb(['image', 'import', w('forged.tar')]);
  assert.is(f.status, 1);
  assert.match(f.stderr, /does not match|config says/);
  assert.equal(layers(), before);
});

test('a docker save archive whose members are not named by digests is imported as an image, not as a root filesystem', () => {
  // As podman and skopeo write them (<digest>.tar beside manifest.json), and as one made by hand.
  const dir = w('named.d');
  mkdirSync(join(dir, 'layer1'), { recursive: true });
  writeFileSync(join(dir, 'layer1', 'layer.tar'), baseTar);
  writeFileSync(join(dir, `${sha256(topTar)}.tar`), topTar);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: [baseTar, topTar].map((t) => `sha256:${sha256(t)}`) } }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['named:v1'], Layers: ['layer1/layer.tar', `${sha256(topTar)}.tar`] }]));
  tarDir(dir, w('named.tar'));
  const r = nb(['image', 'import', w('named.tar')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^imported named:v1 from a docker save archive: 2 layers/m);
  const c = inside('named:v1', 'cat /etc/added.txt');
  assert.is(c.stdout, 'added by the top layer\n', c.stderr);
  assert.is(nb(['image', 'rm', 'named:v1']).status, 0);
});

test('a device node archived by GNU tar is refused with its own numbers (b 8:0, not 0:0)', () => {
  // GNU tar's header magic is "ustar  \0", not POSIX's "ustar\0" "00"; the numbers sit in the same fields.
  const root = w('gnu-dev');
  mkdirSync(root);
  const mk = spawnSync('mknod', [join(root, 'disk'), 'b', '8', '0']);
  assert.is(mk.status, 0, String(mk.stderr));
  const tar = tarDir(root, w('gnu-dev.tar'));
  assert.is(tar.subarray(512 + 257, 512 + 265).toString('latin1'), 'ustar  \0', 'a GNU-format header');
  const before = layers();
  const r = nb(['image', 'import', w('gnu-dev.tar')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /refused entry "\.\/disk": a device node \(b 8:0\)/);
  assert.equal(layers(), before);
});

test('image rm: refused while a container exists, then removes only the layers no other image uses', () => {
  const c = nb(['run', '--name', 'keeper', '--net', 'none', 'second:v1', '--', 'true']);
  assert.is(c.status, 0, c.stderr);
  try {
    const refused = nb(['image', 'rm', 'second:v1']);
    assert.is(refused.status, 1);
    assert.match(refused.stderr, /used by container keeper/);
    assert.ok(existsSync(join(lib.path, 'images', 'second_v1', 'manifest.json')));
  } finally {
    assert.is(nb(['rm', 'keeper']).status, 0);
  }
  const r = nb(['image', 'rm', 'second:v1']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Untagged: second:v1\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:${sha256(secondTar)}\n$`), 'its own top layer goes, the shared base stays');
  assert.ok(existsSync(join(layersDir, sha256(baseTar))));

  const all = nb(['image', 'rm', 'demo:v1', 'ocidemo:v2', 'ocidir', 'web-export']);
  assert.is(all.status, 0, all.stderr);
  assert.equal(layers(), [], 'the last image took its layers with it');
  assert.is(nb(['image', 'ls']).stdout.trim().split('\n').length, 1, 'only the header');
  assert.match(nb(['image', 'rm', 'demo:v1']).stderr, /no image "demo:v1"/);
});

test('import and rm take turns: each waits while the other holds the image store', async () => {
  const start = (args: string[]) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    return { child, output: () => out, done: new Promise<number | null>((r) => child.on('exit', r)) };
  };
  const exited = (p: Promise<number | null>, ms: number) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);
  await withLock('images', async () => {
    const imp = start(['image', 'import', w('export.tar'), '--name', 'turns']);
    assert.is(await exited(imp.done, 1500), false, 'the import waits');
    assert.not.ok(existsSync(join(lib.path, 'images', 'turns_latest')));
    // Let it go by leaving the lock; it finishes after.
    return imp;
  }).then(async (imp) => {
    assert.is(await imp.done, 0, imp.output());
  });
  await withLock('images', async () => {
    const rm = start(['image', 'rm', 'turns']);
    assert.is(await exited(rm.done, 1500), false, 'the removal waits');
    assert.ok(existsSync(join(lib.path, 'images', 'turns_latest', 'manifest.json')), 'and the image is still whole');
    return rm;
  }).then(async (rm) => {
    assert.is(await rm.done, 0, rm.output());
  });
  assert.not.ok(existsSync(join(lib.path, 'images', 'turns_latest')));
});

test.after(() => {
  nb(['rm', '-f', 'keeper']);
  lib.remove();
  work.remove();
});

test.run();
