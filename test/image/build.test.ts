// nestbox build, as a learner drives it: a Dockerfile with every instruction nestbox builds, from
// `default` and from `scratch` (a static busybox COPYed in), in a temporary NESTBOX_LIB_DIR. Each
// RUN runs in a real container; its layer is checked on disk (only what the step changed, named by
// the sha256 of its tar); the image's config is checked through inspect and through `run` (USER,
// WORKDIR, ENV, ENTRYPOINT and CMD, --entrypoint); a rebuild comes from the cache with no RUN run
// and the same ID; save, then load and import, give back the same digests.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience } from '../helpers.js';
import { directoryTree, packToFile } from '../../src/image/layer-tar.js';
import { findStaticBusybox } from '../../src/doctor/checks.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const lib = tempDir('hbuild-lib-');
const work = tempDir('hbuild-work-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const nb = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, input, timeout: patience(180_000) });
const ok = (args: string[]) => {
  const r = nb(args);
  assert.is(r.status, 0, `nestbox ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const w = (...p: string[]) => join(work.path, ...p);
const layerDir = (diffId: string) => join(lib.path, 'layers', diffId.replace('sha256:', ''));
const inspect = (image: string, template: string) => ok(['image', 'inspect', '-f', template, image]).trim();
/** Every path in a layer directory, sorted, with "/" after directories. */
function layerFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(dir, r));
      out.push(st.isDirectory() ? `${r}/` : st.isCharacterDevice() ? `${r} (whiteout)` : r);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
const usedCache = (out: string) => (out.match(/^ ---> Using cache$/gm) ?? []).length;
const ran = (out: string) => (out.match(/^ ---> Running in /gm) ?? []).length;

const DOCKERFILE = `# every instruction nestbox builds
ARG BASE=default
FROM \${BASE}
LABEL org.example.title="nestbox demo" version=1
ENV GREETING="hello world" TARGET=/srv
ARG VERSION=1.0
RUN echo "$GREETING $VERSION" > /greeting.txt && \\
    mkdir -p \${TARGET}
RUN ["/bin/sh", "-c", "echo exec form > /exec.txt"]
COPY --chown=nobody:nogroup app.sh notes/ $TARGET/
ADD files.tar /opt/
COPY . /ctx/
WORKDIR app
USER nobody
RUN id -u > /tmp/built-by
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/sh", "/srv/app.sh"]
CMD ["from-cmd"]
`;

const APP = 'echo "args: $*"; echo "user: $(id -u)"; echo "pwd: $PWD"; echo "greeting: $GREETING"\n';

const test = kernelSuite('nestbox build');

test.before(() => {
  mkdirSync(w('ctx', 'notes'), { recursive: true });
  writeFileSync(w('ctx', 'Dockerfile'), DOCKERFILE);
  writeFileSync(w('ctx', 'app.sh'), APP, { mode: 0o755 });
  writeFileSync(w('ctx', 'notes', 'a.txt'), 'note a\n');
  writeFileSync(w('ctx', 'secret.txt'), 'not for the image\n');
  writeFileSync(w('ctx', 'debug.log'), 'not for the image\n');
  writeFileSync(w('ctx', '.dockerignore'), 'secret.txt\n*.log\n');
  mkdirSync(w('tarsrc', 'pkg'), { recursive: true });
  writeFileSync(w('tarsrc', 'pkg', 'lib.txt'), 'from the archive\n');
  const t = spawnSync('tar', ['-C', w('tarsrc'), '-cf', w('ctx', 'files.tar'), 'pkg']);
  assert.is(t.status, 0, String(t.stderr));
});

let first: string;
let id: string;

test('a Dockerfile with every instruction builds from default; each RUN\'s upper directory is a layer', () => {
  first = ok(['build', '-t', 'demo:v1', w('ctx')]);
  assert.match(first, /^Step 1\/18 : ARG BASE=default$/m);
  assert.match(first, /^Step 2\/18 : FROM \$\{BASE\}$/m);
  assert.is(ran(first), 3, 'three RUN steps, each in a container');
  assert.match(first, /^Removing intermediate container [0-9a-f]{12}$/m);
  id = /^Successfully built ([0-9a-f]{12})$/m.exec(first)![1];
  assert.match(first, /^Successfully tagged demo:v1$/m);
  assert.is(ok(['ps', '-aq']).trim(), '', 'no build container is left');

  const layers: string[] = JSON.parse(inspect('demo:v1', '{{json .RootFS.Layers}}'));
  // default (1), RUN, RUN, COPY, ADD, COPY ., WORKDIR (makes /app), RUN: 8 layers.
  assert.is(layers.length, 8);
  for (const d of layers) {
    // The layer's directory is named by its diff id, and packing it again gives that very tar.
    const { digest } = packToFile(directoryTree(layerDir(d)), w('repack.tar'));
    assert.is(`sha256:${digest}`, d, 'the sha256 of the layer\'s tar is its diff_id in the config');
  }
  assert.equal(layerFiles(layerDir(layers[1])), ['greeting.txt', 'srv/'], 'the first RUN\'s layer: what it wrote, and nothing of the runtime\'s');
  assert.equal(layerFiles(layerDir(layers[2])), ['exec.txt']);
  assert.equal(layerFiles(layerDir(layers[3])), ['srv/', 'srv/a.txt', 'srv/app.sh'], 'COPY: a directory source copies its contents');
  assert.equal(layerFiles(layerDir(layers[4])), ['opt/', 'opt/pkg/', 'opt/pkg/lib.txt'], 'ADD unpacks a local tar');
  const ctx = layerFiles(layerDir(layers[5]));
  assert.ok(ctx.includes('ctx/Dockerfile') && ctx.includes('ctx/notes/a.txt'), ctx.join(' '));
  assert.not.ok(ctx.includes('ctx/secret.txt') || ctx.includes('ctx/debug.log'), '.dockerignore leaves them out');
  assert.equal(layerFiles(layerDir(layers[6])), ['app/'], 'WORKDIR makes its directory');
  assert.equal(layerFiles(layerDir(layers[7])), ['tmp/', 'tmp/built-by']);
  assert.is(lstatSync(join(layerDir(layers[3]), 'srv', 'app.sh')).uid, 65534, 'COPY --chown=nobody');
  assert.is(readFileSync(join(layerDir(layers[7]), 'tmp', 'built-by'), 'utf8'), '65534\n', 'RUN after USER runs as that user');
  assert.is(readFileSync(join(layerDir(layers[1]), 'greeting.txt'), 'utf8'), 'hello world 1.0\n', 'RUN sees ENV and ARG');
});

test('the config: inspect shows every instruction\'s setting, history reads against the Dockerfile', () => {
  assert.is(inspect('demo:v1', '{{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.StopSignal}}'),
    'nobody /app ["/bin/sh","/srv/app.sh"] ["from-cmd"] SIGQUIT');
  assert.is(inspect('demo:v1', '{{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{index .Config.Labels "org.example.title"}}'),
    '{"53/udp":{},"8080/tcp":{}} {"/data":{}} nestbox demo');
  assert.match(inspect('demo:v1', '{{json .Config.Env}}'), /"GREETING=hello world","TARGET=\/srv"/);
  assert.is(inspect('demo:v1', '{{.Id}}').slice(7, 19), id);
  assert.is(ok(['inspect', '-f', '{{.Id}}', 'demo:v1']).trim(), `sha256:${inspect('demo:v1', '{{.Id}}').slice(7)}`, 'inspect finds an image where no container has the name, as Docker\'s');
  const history = ok(['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'demo:v1']).trim().split('\n').reverse();
  assert.is(history.length, 17, 'the base\'s line and one per instruction after FROM');
  assert.match(history[0], /^nestbox rootfs create/);
  assert.match(history[3], /^ARG VERSION=1\.0\|0B$/);
  assert.match(history[4], /^RUN \|1 VERSION=1\.0 \/bin\/sh -c echo "\$GREETING \$VERSION" > \/greeting\.txt && +mkdir -p \$\{TARGET\}\|\d+B$/);
  assert.match(history[6], /^COPY --chown=65534:65534 app\.sh notes\/ \/srv\/\|\d+B$/);
  assert.match(history[16], /^CMD \["from-cmd"\]\|0B$/);
});

test('run honours USER, WORKDIR, ENV, ENTRYPOINT and CMD; arguments replace CMD; --entrypoint replaces both', () => {
  const plain = ok(['run', '--rm', '--net', 'none', 'demo:v1']);
  assert.is(plain, 'args: from-cmd\nuser: 65534\npwd: /app\ngreeting: hello world\n');
  const args = ok(['run', '--rm', '--net', 'none', 'demo:v1', 'x', 'y']);
  assert.match(args, /^args: x y$/m, 'arguments replace CMD, the ENTRYPOINT stays');
  assert.is(ok(['run', '--rm', '--net', 'none', '--entrypoint', '/bin/cat', 'demo:v1', '/greeting.txt']), 'hello world 1.0\n');
  assert.match(ok(['run', '--rm', '--net', 'none', '-u', '0', '-e', 'GREETING=hi', '-w', '/srv', 'demo:v1']), /user: 0\npwd: \/srv\ngreeting: hi/);
  // The image's VOLUME is an anonymous volume, its LABELs the container's.
  ok(['create', '--name', 'labelled', '--net', 'none', 'demo:v1']);
  try {
    assert.is(ok(['ps', '-a', '--filter', 'label=version=1', '--format', '{{.Names}}']).trim(), 'labelled');
    assert.is(ok(['inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}', 'labelled']).trim(),
      'volume /data ["/bin/sh","/srv/app.sh"] ["from-cmd"]');
  } finally {
    ok(['rm', '-v', 'labelled']);
  }
  // -P publishes each EXPOSEd port on a free host port.
  ok(['run', '-d', '-P', '--name', 'published', '--entrypoint', '/bin/sleep', 'demo:v1', '30']);
  try {
    const ports = ok(['port', 'published']);
    assert.match(ports, /^8080\/tcp -> 0\.0\.0\.0:\d+$/m);
    assert.match(ports, /^53\/udp -> 0\.0\.0\.0:\d+$/m);
  } finally {
    ok(['rm', '-f', '-v', 'published']);
  }
  // `demo` is demo:latest, which does not exist.
  const none = nb(['run', '--rm', '--net', 'none', 'demo']);
  assert.is(none.status, 125);
  assert.match(none.stderr, /no image "demo"/);
});

test('a rebuild comes from the cache: no RUN runs, the same image ID; a changed build arg runs the RUNs again', () => {
  const again = ok(['build', '-t', 'demo:v1', w('ctx')]);
  assert.is(ran(again), 0, 'no container');
  assert.is(usedCache(again), 16, 'every step after FROM (16 of them) from the cache');
  assert.match(again, new RegExp(`^Successfully built ${id}$`, 'm'));
  const changed = ok(['build', '-t', 'demo:v2', '--build-arg', 'VERSION=2', w('ctx')]);
  assert.is(ran(changed), 3, 'the RUNs see another VERSION: they and every step after them run again');
  assert.is(usedCache(changed), 3, 'LABEL, ENV and ARG before the first RUN are cached');
  assert.is(ok(['run', '--rm', '--net', 'none', '--entrypoint', '/bin/cat', 'demo:v2', '/greeting.txt']), 'hello world 2\n');
  // The two images share the base and every layer before the first change.
  const v1: string[] = JSON.parse(inspect('demo:v1', '{{json .RootFS.Layers}}'));
  const v2: string[] = JSON.parse(inspect('demo:v2', '{{json .RootFS.Layers}}'));
  assert.is(v1[0], v2[0]);
  assert.is.not(v1[1], v2[1]);
  const unused = nb(['build', '--build-arg', 'NOPE=1', '-q', w('ctx')]);
  assert.match(unused.stderr, /\[Warning\] One or more build-args \[NOPE\] were not consumed/);
  assert.is(unused.stdout.trim(), `sha256:${inspect('demo:v1', '{{.Id}}').slice(7)}`, '-q prints only the ID');
});

test('FROM scratch: a static busybox COPYed in, then RUN; the runtime\'s mount stubs are not in the layer', () => {
  const busybox = findStaticBusybox();
  if (!busybox) return void console.log('  (no static busybox on this host: skipped)');
  mkdirSync(w('scratch'));
  copyFileSync(busybox, w('scratch', 'busybox'));
  writeFileSync(w('scratch', 'Dockerfile'), [
    'FROM scratch',
    'COPY --chmod=755 busybox /bin/busybox',
    'RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/sbin", "/usr/sbin"]',
    'RUN ["/bin/busybox", "--install", "-s"]',
    'RUN echo "built from scratch" > /motd',
    'ENV PS1="scratch# "',
    'CMD ["cat", "/motd"]',
  ].join('\n') + '\n');
  const out = ok(['build', '--network', 'none', '-t', 'tiny', w('scratch')]);
  assert.is(ran(out), 3);
  assert.is(ok(['run', '--rm', '--net', 'none', 'tiny']), 'built from scratch\n');
  const layers: string[] = JSON.parse(inspect('tiny', '{{json .RootFS.Layers}}'));
  assert.equal(layerFiles(layerDir(layers[0])), ['bin/', 'bin/busybox']);
  assert.equal(layerFiles(layerDir(layers[3])), ['motd'], 'no etc/hosts, proc, sys, dev or tmp stubs');
  assert.is(usedCache(ok(['build', '--network', 'none', '-t', 'tiny', w('scratch')])), 6);
});

test('image save: Docker\'s archive; load and import give back the same ID and layers, and it runs', () => {
  const archive = w('demo.tar');
  ok(['image', 'save', '-o', archive, 'demo:v1']);
  const listing = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of ['manifest.json', 'index.json', 'oci-layout']) assert.ok(listing.includes(f), f);
  const fullId = inspect('demo:v1', '{{.Id}}');
  const manifest = JSON.parse(spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout);
  assert.equal(manifest[0].RepoTags, ['demo:v1']);
  assert.is(manifest[0].Config, `blobs/sha256/${fullId.slice(7)}`, 'the config is saved as it is: the same image ID');
  const layers: string[] = JSON.parse(inspect('demo:v1', '{{json .RootFS.Layers}}'));
  assert.equal(manifest[0].Layers, layers.map((l) => `blobs/sha256/${l.slice(7)}`));
  // Each layer blob is named by its own sha256.
  const blob = spawnSync('tar', ['-xOf', archive, manifest[0].Layers[1]]);
  assert.is(createHash('sha256').update(blob.stdout).digest('hex'), layers[1].slice(7));

  ok(['rmi', 'demo:v1']);
  assert.match(ok(['image', 'load', '-i', archive]), /^Loaded image: demo:v1$/m);
  assert.is(inspect('demo:v1', '{{.Id}}'), fullId);
  assert.match(ok(['run', '--rm', '--net', 'none', 'demo:v1']), /^args: from-cmd$/m);
  // Through standard input, as `docker save | docker load`.
  const piped = spawnSync(process.execPath, [bin, 'load'], { encoding: 'utf8', env, input: readFileSync(archive) });
  assert.is(piped.status, 0, piped.stderr);
  ok(['image', 'import', archive, '--name', 'reimported']);
  assert.is(inspect('reimported', '{{.Id}}'), fullId, 'import reads the same archive to the same digests');
});

test('commit and export: a container\'s upper directory as a new layer, its filesystem as a tar', () => {
  ok(['run', '--name', 'changer', '--net', 'none', '-u', '0', '--entrypoint', '/bin/sh', 'demo:v1', '--', '-c', 'echo changed > /greeting.txt; rm /exec.txt']);
  try {
    const out = ok(['commit', '-m', 'edited', '-c', 'CMD ["/greeting.txt"]', '-c', 'ENTRYPOINT ["/bin/cat"]', 'changer', 'demo:edited']);
    assert.match(out.trim(), /^sha256:[0-9a-f]{64}$/);
    const layers: string[] = JSON.parse(inspect('demo:edited', '{{json .RootFS.Layers}}'));
    assert.is(layers.length, 9);
    // Not data/, the mount point of the image's VOLUME: the runtime's, as nestbox diff leaves it out.
    assert.equal(layerFiles(layerDir(layers[8])), ['exec.txt (whiteout)', 'greeting.txt']);
    assert.equal(ok(['diff', 'changer']).trim().split('\n'), ['D /exec.txt', 'C /greeting.txt'], 'the same changes as nestbox diff lists');
    assert.is(ok(['run', '--rm', '--net', 'none', 'demo:edited']), 'changed\n');
    assert.match(ok(['history', 'demo:edited']).split('\n')[1], /edited$/);
    ok(['export', '-o', w('changer.tar'), 'changer']);
    const files = spawnSync('tar', ['-tf', w('changer.tar')], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(files.includes('greeting.txt') && files.includes('bin/busybox'));
    assert.not.ok(files.includes('exec.txt'), 'deleted in the container: not in its filesystem');
    assert.is(spawnSync('tar', ['-xOf', w('changer.tar'), 'greeting.txt'], { encoding: 'utf8' }).stdout, 'changed\n');
  } finally {
    nb(['rm', '-v', 'changer']);
  }
});

test('bad input: one line each, nothing built', () => {
  const cases: [string, RegExp][] = [
    ['FROM default\nFROM scratch\n', /Dockerfile:2: a second FROM/],
    ['RUN true\n', /Dockerfile:1: the first instruction must be FROM/],
    ['FROM nosuchimage\n', /FROM nosuchimage: no such image here/],
    ['FROM default\nCOPY missing.txt /\n', /COPY failed: file not found in build context or excluded by \.dockerignore: missing\.txt/],
    ['FROM default\nCOPY ../x /\n', /forbidden path outside the build context/],
    ['FROM default\nRUN exit 3\n', /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/],
    ['FROM default\nHEALTHCHECK CMD true\n', /HEALTHCHECK is not supported/],
  ];
  mkdirSync(w('bad'));
  for (const [text, message] of cases) {
    writeFileSync(w('bad', 'Dockerfile'), text);
    const r = nb(['build', '--network', 'none', '-t', 'bad', w('bad')]);
    assert.is(r.status, 1, text);
    assert.match(r.stderr, message, text);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.not.ok(existsSync(join(lib.path, 'images', 'bad_latest')));
  assert.is(ok(['ps', '-aq']).trim(), '', 'the failed RUN\'s container is gone');
});

test('image rm keeps what the build cache holds; builder prune removes it', () => {
  for (const name of ['demo:v1', 'demo:v2', 'demo:edited', 'reimported', 'tiny']) nb(['rmi', name]);
  const left = ok(['images', '-q']).trim().split('\n').filter(Boolean);
  for (const i of left) ok(['rmi', i]);
  assert.ok(readdirSync(join(lib.path, 'layers')).length > 0, 'the cache still holds the layers');
  assert.match(ok(['builder', 'prune', '-f']), /^Deleted build cache entries: \d+\nTotal reclaimed space: /);
  assert.equal(readdirSync(join(lib.path, 'layers')), []);
});

test.after(() => {
  for (const c of ['labelled', 'changer', 'published']) nb(['rm', '-f', '-v', c]);
  lib.remove();
  work.remove();
});

test.run();
