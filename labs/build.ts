// Lab "build": a Dockerfile of two steps, built with `nestbox build`, and its image taken apart on
// disk. Each RUN ran in a real container; what that container's upper directory held became a
// layer, unpacked under /var/lib/nestbox/layers and named by the sha256 of its tar, which is the
// diff_id the image's config lists. A second image built on the same first step shares that very
// layer directory; a rebuild takes every step from the build cache and runs no container;
// `image history` reads back one line per instruction. The exercise adds a step and rebuilds, where
// the order of the steps decides what the cache can keep.
//
// The lab drives the real command line (bin/run.js, what `sudo nestbox` runs), as the learner
// would. It keeps what it makes in nestbox's own store (the learner looks at it with `nestbox
// images` and `image history`), under names of its own (lab-build-UNIQUE), and writes each image
// directory and build cache entry it adds in its ledger; its last step's cleanup removes the images
// (which removes the layers nothing else uses). RUN's containers have no network (--network none):
// the steps need none.
import type { Lab, LabContext, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { listContainers } from '../src/runtime/store.js';
import { join } from 'node:path';
import type { RunResult } from '../src/host/exec.js';
import { shellQuote } from '../src/net/exec.js';
import { cacheDir } from '../src/build/cache.js';
import { findImage, imageKey, imagesDir, layersDir, withTag } from '../src/runtime/images.js';
import { directoryTree, packToFile } from '../src/image/layer-tar.js';
import { nestboxBin } from '../src/host/paths.js';

interface BuildState {
  /** The image name without a tag (lab-build-UNIQUE), and the context directories. */
  repo: string;
  app: string;
  second: string;
  /** The first image: its ID and layers (diff ids, bottom first); the build's output. */
  id: string;
  layers: string[];
  output: string;
  /** The second image's layers, and what its build printed. */
  secondLayers: string[];
  secondOutput: string;
  /** The rebuild's output. */
  rebuild: string;
  /** Build cache entries there were before the lab's first build. */
  cacheBefore: string[];
}

const bin = nestboxBin();

const STEP1 = 'RUN mkdir -p /hello && echo "step one" > /hello/one.txt';
const STEP2 = 'RUN echo "step two" > /hello/two.txt && rm /etc/os-release';
const STEP3 = 'RUN mkdir -p /hello && echo "step three" > /hello/three.txt';
const dockerfile = (...steps: string[]) => ['FROM default', ...steps].join('\n') + '\n';

/** `nestbox ARGS`, narrated as the command the learner would type. */
async function nestbox(ctx: LabContext<BuildState>, args: string[]): Promise<RunResult> {
  ctx.say(`$ sudo nestbox ${args.map(shellQuote).join(' ')}`);
  return ctx.exec(process.execPath, [bin, ...args]);
}

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/** Build `dir` as `tag`, showing what it printed; every image and cache entry it adds goes in the ledger. */
async function build(ctx: LabContext<BuildState>, tag: string, dir: string): Promise<string> {
  const r = await nestbox(ctx, ['build', '--network', 'none', '-t', tag, dir]);
  for (const line of r.stdout.split('\n')) if (line.trim()) ctx.say(line);
  record(ctx);
  if (r.code !== 0) throw new Error(pick(`nestbox build failed (exit ${r.code}): ${lastLine(r.stderr)}`, `nestbox build 失败（退出码 ${r.code}）：${lastLine(r.stderr)}`));
  return r.stdout;
}

/** The lab's images and the cache entries made since it started, written in its ledger (undone at its end, or by nestbox cleanup). */
function record(ctx: LabContext<BuildState>): void {
  const before = new Set(ctx.state.cacheBefore ?? []);
  for (const f of cacheEntries()) if (!before.has(f)) ctx.ledger.record({ kind: 'file', path: join(cacheDir(), f) });
  if (!existsSync(imagesDir())) return;
  for (const key of readdirSync(imagesDir())) if (key.startsWith(`${ctx.state.repo}_`)) ctx.ledger.record({ kind: 'dir', path: join(imagesDir(), key) });
}

const cacheEntries = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => f.endsWith('.json') && !f.startsWith('.')) : []);

/** An image's layers (diff ids, bottom first), or [] when there is no such image. */
const layersOf = (name: string) => findImage(name)?.configFile.rootfs.diff_ids ?? [];
const layerDir = (diffId: string) => join(layersDir(), diffId.replace(/^sha256:/, ''));
const short = (diffId: string | undefined) => (diffId ? diffId.slice(0, 19) : t('(none)', '（没有）'));

/** Every path in a layer directory, "/" after directories, "(0:0)" after a whiteout. */
function layerFiles(dir: string): string {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(dir, r));
      out.push(st.isDirectory() ? `${r}/` : st.isCharacterDevice() && st.rdev === 0 ? `${r} (0:0)` : r);
      if (st.isDirectory()) walk(r);
    }
  };
  if (existsSync(dir)) walk('');
  return out.join(' ') || pick('(empty)', '（空）');
}

/** The sha256 of a layer directory packed as a tar, the way nestbox packed it when RUN ended. */
function tarDigest(ctx: LabContext<BuildState>, dir: string): string {
  if (!existsSync(dir)) return '(no such layer)';
  const tar = join(ctx.workDir, 'layer.tar');
  const { digest } = packToFile(directoryTree(dir), tar);
  rmSync(tar, { force: true });
  return `sha256:${digest}`;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const CACHED = /^ ---> Using cache$/gm;
const RAN = /^ ---> Running in /gm;

const lab: Lab<BuildState> = {
  id: 'build',
  title: t('Building an image: each RUN becomes a layer', '构建镜像：每条 RUN 变成一层'),
  module: 9,
  lesson: 'overlay',
  needs: ['root', 'ns-mnt', 'ns-pid', 'overlayfs'],
  steps: [
    {
      id: 'build',
      title: t('A Dockerfile of two steps, built', '一个两步的 Dockerfile，构建出来'),
      explain: t([
        'A **Dockerfile** lists the steps that make an image. `FROM default` starts from nestbox\'s own root filesystem; each `RUN` runs a shell command on the image so far. nestbox writes this one in `app/`, in the lab\'s work directory:',
        '',
        '```dockerfile',
        dockerfile(STEP1, STEP2).trimEnd(),
        '```',
        '',
        '`nestbox build` runs each `RUN` in a **real container** (the same code as `nestbox run`: namespaces, a cgroup, an overlay root) whose lower layers are the image so far and whose upper directory starts empty. When the command ends, that upper directory holds exactly what it changed; nestbox packs it as a tar, the new **layer**, and removes the container. Watch the output: `Running in ...` is the container, and each step ends with the ID of the image it made.',
      ].join('\n'), [
        '**Dockerfile** 列出制作一个镜像的各个步骤。`FROM default` 从 nestbox 自己的根文件系统开始；每条 `RUN` 在到目前为止的镜像上运行一条 shell 命令。nestbox 把下面这个 Dockerfile 写在实验工作目录下的 `app/` 里：',
        '',
        '```dockerfile',
        dockerfile(STEP1, STEP2).trimEnd(),
        '```',
        '',
        '`nestbox build` 让每条 `RUN` 都在一个**真正的容器**里运行（和 `nestbox run` 用的是同一套代码：命名空间、控制组、overlay 根目录）。这个容器的下层（lower layer）就是到目前为止的镜像，上层目录（upper directory）一开始是空的。命令结束时，上层目录里装的正好是这条命令改动的东西；nestbox 把它打成一个 tar 包，这就是新的**层**（layer），然后删掉这个容器。注意看输出：`Running in ...` 就是那个容器，每一步最后都会打印它做出来的镜像的 ID。',
      ].join('\n')),
      command: t('sudo nestbox build --network none -t lab-build-<unique>:v1 <work dir>/app',
        'sudo nestbox build --network none -t lab-build-<unique>:v1 <工作目录>/app'),
      syscall: t('per RUN: clone(CLONE_NEWNS|CLONE_NEWPID|...); mount("overlay", lowerdir=<layers>, upperdir=<empty>); execve("/bin/sh", "-c", ...); then the upper directory packed as a tar',
        '每条 RUN：clone(CLONE_NEWNS|CLONE_NEWPID|...)；mount("overlay", lowerdir=<各层>, upperdir=<空目录>)；execve("/bin/sh", "-c", ...)；最后把上层目录打成一个 tar 包'),
      async perform(ctx) {
        ctx.state.repo = `lab-build-${ctx.unique}`;
        ctx.state.cacheBefore = cacheEntries();
        ctx.state.app = join(ctx.workDir, 'app');
        ctx.state.second = join(ctx.workDir, 'second');
        mkdirSync(ctx.state.app, { recursive: true });
        writeFileSync(join(ctx.state.app, 'Dockerfile'), dockerfile(STEP1, STEP2));
        ctx.state.output = await build(ctx, `${ctx.state.repo}:v1`, ctx.state.app);
        const image = findImage(`${ctx.state.repo}:v1`);
        ctx.state.id = image?.id ?? '';
        ctx.state.layers = layersOf(`${ctx.state.repo}:v1`);
        return t(`built ${ctx.state.repo}:v1, image ID ${ctx.state.id.slice(0, 12)}`, `构建好了 ${ctx.state.repo}:v1，镜像 ID 是 ${ctx.state.id.slice(0, 12)}`);
      },
      async verify(ctx) {
        const out = ctx.state.output ?? '';
        return [
          observe(t('RUN steps run in a container ("Running in")', '在容器里运行的 RUN 步骤（"Running in"）'), 2, count(out, RAN)),
          observe(t('build containers left (nestbox ps -a)', '留下来的构建容器（nestbox ps -a）'), 0, listContainers().filter((c) => c.spec.labels?.['nestbox.build'] !== undefined).length),
          observe(t('layers in the image\'s config (rootfs.diff_ids): the base, then one per RUN', '镜像配置里的层（rootfs.diff_ids）：基础层，然后每条 RUN 一层'), 3, ctx.state.layers.length),
        ];
      },
    },
    {
      id: 'layers',
      title: t('Each RUN\'s upper directory is a layer', '每条 RUN 的上层目录就是一层'),
      explain: t(
        'Open the layers on disk. The first `RUN`\'s layer holds `hello/` and `hello/one.txt`, nothing else: not the busybox files it ran, which stay in the base layer. The second holds `two.txt` and, for the deleted `/etc/os-release`, a **whiteout**: the 0:0 character device overlayfs leaves in an upper directory (in the tar it travels as an empty `.wh.os-release`). Each layer directory is named by the **sha256 of its tar**: pack the directory again and you get the same bytes, and that digest is the **diff_id** the image\'s config lists in `rootfs.diff_ids`.',
        '到磁盘上打开这些层看看。第一条 `RUN` 的层里只有 `hello/` 和 `hello/one.txt`，别的什么都没有：它运行时用到的 busybox 文件不在这里，它们还留在基础层里。第二层里有 `two.txt`，还有一个代表被删掉的 `/etc/os-release` 的 **whiteout 文件**：也就是 overlayfs 留在上层目录里的 0:0 字符设备（在 tar 包里，它以一个空文件 `.wh.os-release` 的形式出现）。每个层目录都以**它的 tar 包的 sha256** 命名：把这个目录重新打包，得到的字节一模一样，这个摘要（digest）就是镜像配置在 `rootfs.diff_ids` 里列出的 **diff_id**。',
      ),
      command: 'sudo nestbox image inspect -f \'{{json .RootFS.Layers}}\' {repo}:v1; ls -R /var/lib/nestbox/layers/<diff_id>',
      syscall: t('lstat(2) on each layer directory; read(2) of its files, packed as tar and hashed (sha256)',
        '对每个层目录 lstat(2)；read(2) 读出其中的文件，打成 tar 包，再算哈希（sha256）'),
      async verify(ctx) {
        const [, one, two] = ctx.state.layers;
        return [
          observe(t('files in the first RUN\'s layer', '第一条 RUN 那一层里的文件'), 'hello/ hello/one.txt', layerFiles(layerDir(one ?? ''))),
          observe(t('files in the second RUN\'s layer', '第二条 RUN 那一层里的文件'), 'etc/ etc/os-release (0:0) hello/ hello/two.txt', layerFiles(layerDir(two ?? ''))),
          observe(t('sha256 of the first RUN\'s layer, packed as a tar', '第一条 RUN 那一层打成 tar 包后的 sha256'), short(one), short(tarDigest(ctx, layerDir(one ?? '')))),
          observe(t('sha256 of the second RUN\'s layer, packed as a tar', '第二条 RUN 那一层打成 tar 包后的 sha256'), short(two), short(tarDigest(ctx, layerDir(two ?? '')))),
        ];
      },
    },
    {
      id: 'shared',
      title: t('A second image shares the first step\'s layer', '第二个镜像共用第一步的层'),
      explain: t(
        'A second Dockerfile starts with the same `FROM` and the same first `RUN`, then does something else. The build cache finds the first step already made from the same image with the same instruction: `Using cache`, no container. Its layer is not made again, or copied: both images list the same diff_id, and overlayfs mounts the same directory under containers of either.',
        '第二个 Dockerfile 以同样的 `FROM` 和同样的第一条 `RUN` 开头，后面做别的事。构建缓存（build cache）发现第一步已经做过：同样的镜像、同样的指令，于是打印 `Using cache`，不启动容器。这一层不会再做一遍，也不会复制一份：两个镜像列出的是同一个 diff_id，不管哪个镜像的容器，overlayfs 挂载的都是同一个目录。',
      ),
      command: 'sudo nestbox build --network none -t {repo}:other {second}',
      syscall: t('stat(2): the same layer directory (same inode) in both images\' lowerdir',
        'stat(2)：两个镜像的 lowerdir 里是同一个层目录（inode 相同）'),
      async perform(ctx) {
        mkdirSync(ctx.state.second, { recursive: true });
        writeFileSync(join(ctx.state.second, 'Dockerfile'), dockerfile(STEP1, 'RUN echo "another image" > /hello/other.txt'));
        ctx.state.secondOutput = await build(ctx, `${ctx.state.repo}:other`, ctx.state.second);
        ctx.state.secondLayers = layersOf(`${ctx.state.repo}:other`);
        return t(`built ${ctx.state.repo}:other`, `构建好了 ${ctx.state.repo}:other`);
      },
      async verify(ctx) {
        const [a, b] = [ctx.state.layers[1], ctx.state.secondLayers[1]];
        const inode = (d: string | undefined) => (d && existsSync(layerDir(d)) ? statSync(layerDir(d)).ino : 0);
        return [
          observe(t('steps taken from the cache ("Using cache")', '取自缓存的步骤（"Using cache"）'), 1, count(ctx.state.secondOutput ?? '', CACHED)),
          observe(t('its first RUN layer, against the first image\'s', '它第一条 RUN 的层，和第一个镜像的相比'), short(a), short(b)),
          observeThat(t('that layer directory\'s inode, in both images', '两个镜像里这个层目录的 inode'), t('the same directory', '同一个目录'), `${inode(a)} / ${inode(b)}`, inode(a) !== 0 && inode(a) === inode(b)),
          observeThat(t('its second RUN layer', '它第二条 RUN 的层'), t('a layer of its own', '它自己的一层'), short(ctx.state.secondLayers[2]), !!ctx.state.secondLayers[2] && ctx.state.secondLayers[2] !== ctx.state.layers[2]),
        ];
      },
    },
    {
      id: 'cache',
      title: t('A rebuild comes from the cache', '重新构建：全部来自缓存'),
      explain: t(
        'Build the first Dockerfile again. Each step is looked up by its key: the ID of the image it starts from, and the instruction (for `COPY`, also the files\' contents). Both are found, so no `RUN` runs; the image\'s config comes back byte for byte, and with it the **same image ID**. A `RUN` is matched by its text, not by what it would do today: `RUN apt-get update` goes stale this way, and `--no-cache` runs everything again.',
        '再构建一次第一个 Dockerfile。每一步都按它的键（key）查找：它所基于的镜像的 ID，加上这条指令本身（对 `COPY` 来说还包括文件的内容）。两样都找到了，所以一条 `RUN` 也不运行；镜像的配置原样一个字节不差地拿回来，于是得到**同一个镜像 ID**。`RUN` 是按它的文字匹配的，而不是按它今天运行会得到什么：`RUN apt-get update` 就是这样变旧的，`--no-cache` 会把所有步骤重新跑一遍。',
      ),
      command: 'sudo nestbox build --network none -t {repo}:v1 {app}',
      syscall: t('no clone(2), no mount(2): each step\'s config read from /var/lib/nestbox/build-cache/<key>.json',
        '没有 clone(2)，也没有 mount(2)：每一步的配置都从 /var/lib/nestbox/build-cache/<key>.json 里读出来'),
      async perform(ctx) {
        ctx.state.rebuild = await build(ctx, `${ctx.state.repo}:v1`, ctx.state.app);
        return t('rebuilt', '重新构建完了');
      },
      async verify(ctx) {
        const out = ctx.state.rebuild ?? '';
        const id = /^Successfully built ([0-9a-f]{12})$/m.exec(out)?.[1];
        return [
          observe(t('steps from the cache, of the two after FROM', 'FROM 之后的两步里，取自缓存的'), '2/2', `${count(out, CACHED)}/2`),
          observe(t('containers run ("Running in")', '运行过的容器（"Running in"）'), 0, count(out, RAN)),
          observe(t('the image ID', '镜像 ID'), ctx.state.id.slice(0, 12), id ?? t('(none)', '（没有）')),
        ];
      },
    },
    {
      id: 'history',
      title: t('image history, read against the Dockerfile', '对照 Dockerfile 读 image history'),
      explain: t(
        '`nestbox image history` prints the config\'s history, newest first: one line per instruction, with the size of the layer it made. Read it from the bottom up and you read the Dockerfile: the base\'s own line, then each `RUN`. An instruction that only changes the config (`ENV`, `CMD`, `EXPOSE`) would show `0B`: it adds a line, not a layer.',
        '`nestbox image history` 打印配置里的历史记录（history），最新的在最上面：每条指令一行，附上它做出的那一层的大小。从下往上读，读到的就是 Dockerfile：先是基础镜像自己的那一行，然后是每条 `RUN`。只改配置的指令（`ENV`、`CMD`、`EXPOSE`）会显示 `0B`：它只多了一行记录，没有多出一层。',
      ),
      command: 'sudo nestbox image history --no-trunc {repo}:v1',
      syscall: t('read(2) of the image\'s config.json; lstat(2) of each layer directory for its size',
        'read(2) 读镜像的 config.json；对每个层目录 lstat(2)，算出它的大小'),
      async verify(ctx) {
        const r = await nestbox(ctx, ['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}', `${ctx.state.repo}:v1`]);
        for (const line of r.stdout.split('\n')) if (line.trim()) ctx.say(line);
        const lines = r.stdout.trim().split('\n').reverse();
        const asRun = (step: string) => step.replace(/^RUN /, 'RUN /bin/sh -c ');
        return [
          observe(t('history lines (bottom up: base, then each RUN)', '历史记录的行数（从下往上：基础层，然后每条 RUN）'), 3, lines.length),
          observe(t('the second line from the bottom', '倒数第二行'), asRun(STEP1), lines[1] ?? ''),
          observe(t('the top line', '最上面一行'), asRun(STEP2), lines[2] ?? ''),
        ];
      },
    },
    {
      id: 'exercise',
      title: t('Add a third step, and keep the cache', '加第三步，并且保住缓存'),
      explain: t(
        'The cache works from the top: from the first step that misses, that step and every one after it run again, on a new parent. Where you put a new step decides how much is rebuilt. That is why Dockerfiles copy the list of packages and install them before copying the code that changes every day.',
        '缓存是从上往下起作用的：从第一个没命中的步骤开始，这一步以及它后面的每一步都要在新的父镜像上重新运行。新步骤放在哪里，决定了要重新构建多少。所以 Dockerfile 都是先复制依赖包的清单并安装，再复制每天都在改的代码。',
      ),
      command: `echo '${STEP3}' >> {app}/Dockerfile && sudo nestbox build --network none -t {repo}:v2 {app}`,
      syscall: t('the first two steps from the build cache; one new container for the new RUN', '前两步直接取自构建缓存；只为新加的那条 RUN 起一个新容器'),
      exercise: {
        task: t(
          'Add a third step to `{app}/Dockerfile` that writes a file **/hello/three.txt**, and build it as **{repo}:v2**, so that the two steps already built come from the cache: `sudo nestbox build --network none -t {repo}:v2 {app}`.',
          '在 `{app}/Dockerfile` 里加第三步，写一个文件 **/hello/three.txt**，然后把它构建成 **{repo}:v2**，要让已经构建过的两步都取自缓存：`sudo nestbox build --network none -t {repo}:v2 {app}`。',
        ),
        hints: [
          t('A step placed before the others changes the parent of every step after it: none of them can come from the cache. Put the new `RUN` at the end.',
            '放在其他步骤前面的步骤，会改变它后面每一步的父镜像：那些步骤就都没法取自缓存了。把新的 `RUN` 放在最后。'),
          t(`From a second terminal: \`echo '${STEP3}' >> {app}/Dockerfile\`, then \`sudo nestbox build --network none -t {repo}:v2 {app}\`. The output should say \`Using cache\` twice and \`Running in\` once.`,
            `在第二个终端里：\`echo '${STEP3}' >> {app}/Dockerfile\`，然后 \`sudo nestbox build --network none -t {repo}:v2 {app}\`。输出里应该有两次 \`Using cache\`，一次 \`Running in\`。`),
          t('Put it first, or changed a step that was there? Write the Dockerfile back as it was (the two RUN lines of the first step), add the new line at the end, and build {repo}:v2 again.',
            '把它放在了最前面，或者改了原来的某一步？把 Dockerfile 改回原样（第一步里那两行 RUN），把新的一行加在最后，再构建一次 {repo}:v2。'),
        ],
        shell: 'host',
        async solve(ctx) {
          writeFileSync(join(ctx.state.app, 'Dockerfile'), dockerfile(STEP1, STEP2, STEP3));
          await build(ctx, `${ctx.state.repo}:v2`, ctx.state.app);
        },
        async mistake(ctx) {
          // The new step first: every step after it has a new parent, so nothing is reused.
          writeFileSync(join(ctx.state.app, 'Dockerfile'), dockerfile(STEP3, STEP1, STEP2));
          await build(ctx, `${ctx.state.repo}:v2`, ctx.state.app);
        },
      },
      async verify(ctx) {
        record(ctx); // what the learner's own build added
        const v2 = layersOf(`${ctx.state.repo}:v2`);
        const v1 = ctx.state.layers;
        const top = v2.length ? layerFiles(layerDir(v2[v2.length - 1])) : '';
        const reused = v1.filter((l, i) => v2[i] === l).length;
        const none: Text = t('(no such image)', '（没有这个镜像）');
        return [
          observeThat(t(`the image ${ctx.state.repo}:v2`, `镜像 ${ctx.state.repo}:v2`), t('4 layers', '4 层'), v2.length ? t(`${v2.length} layers`, `${v2.length} 层`) : none, v2.length === 4),
          observe(t(`its first three layers, against ${ctx.state.repo}:v1's`, `它的前三层，和 ${ctx.state.repo}:v1 的相比`), t('the same 3', '同样的 3 层'), reused === 3 ? t('the same 3', '同样的 3 层') : t(`${reused} the same`, `${reused} 层相同`)),
          observeThat(t('its new top layer', '它新的最上面一层'), t('has hello/three.txt', '里面有 hello/three.txt'), top || none, / hello\/three\.txt/.test(` ${top}`)),
        ];
      },
      async cleanup(ctx) {
        // The lab's images (and, once the cache entries are gone too, the layers only they used).
        if (!ctx.state.repo) return;
        record(ctx);
        const before = new Set(ctx.state.cacheBefore ?? []);
        for (const f of cacheEntries()) if (!before.has(f)) rmSync(join(cacheDir(), f), { force: true });
        const names = existsSync(imagesDir()) ? readdirSync(imagesDir()).filter((k) => k.startsWith(`${ctx.state.repo}_`)) : [];
        const refs = names.map((k) => withTag(k.replace(/_([^_]*)$/, ':$1'))).filter((n) => existsSync(join(imagesDir(), imageKey(n))));
        if (refs.length) await ctx.exec(process.execPath, [bin, 'image', 'rm', '-f', ...refs]);
      },
    },
  ],
};

export default lab;
