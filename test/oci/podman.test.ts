// podman drives nestbox as its OCI runtime (`podman --runtime bin/nestbox-oci`), as it drives runc:
// conmon calls `create --bundle B --pid-file P ID`, then `start`, `state`, `kill`, `delete
// --force`, and `exec --process F --detach --pid-file P` for `podman exec`. The image is nestbox's
// default rootfs, imported with `podman import` under a tag of this test's own; the containers and
// the image are removed at the end, so nothing of the test stays in podman's storage.
// Skipped where podman is not installed.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kernelSuite, tempDir, patience, eventually } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const runtime = fileURLToPath(new URL('../../../bin/nestbox-oci', import.meta.url));
const lib = tempDir('nestbox-podman-test-');
const env = { ...process.env, NESTBOX_LIB_DIR: lib.path, NO_COLOR: '1' };
const image = `localhost/nestbox-oci-test-${process.pid}:latest`;
const names: string[] = [];
const podmanPath = ['/usr/bin/podman', '/usr/local/bin/podman'].find((p) => existsSync(p));

const podman = (args: string[], input?: string) => spawnSync(podmanPath!, ['--runtime', runtime, ...args], { encoding: 'utf8', env, input, timeout: patience(90_000) });
const name = (what: string) => { const n = `nestbox-oci-test-${process.pid}-${what}`; names.push(n); return n; };
/** The OCI state directories nestbox keeps for podman's containers (default --root). */
const states = () => (existsSync('/run/nestbox/oci') ? readdirSync('/run/nestbox/oci') : []);

const test = kernelSuite('podman with nestbox as its OCI runtime');

test.before(() => {
  if (!podmanPath) return;
  const r = spawnSync(process.execPath, [bin, 'rootfs', 'create'], { encoding: 'utf8', env });
  assert.is(r.status, 0, r.stderr);
  const tar = join(lib.path, 'rootfs.tar');
  const t = spawnSync('tar', ['-C', join(lib.path, 'rootfs', 'default'), '-cf', tar, '.']);
  assert.is(t.status, 0, String(t.stderr));
  const i = spawnSync(podmanPath, ['import', tar, image], { encoding: 'utf8' });
  assert.is(i.status, 0, i.stderr);
});

test('run --rm: the output, the exit status, nothing left', () => {
  if (!podmanPath) return console.log('SKIP: podman is not installed');
  const before = states();
  const r = podman(['run', '--rm', image, 'echo', 'hi']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'hi\n');
  const code = podman(['run', '--rm', image, 'sh', '-c', 'exit 42']);
  assert.is(code.status, 42, 'the container\'s exit status is podman\'s');
  const input = podman(['run', '--rm', '-i', image, 'cat'], 'piped in\n');
  assert.is(input.stdout, 'piped in\n', 'stdin reaches the container');
  assert.equal(states().filter((s) => !before.includes(s)), [], 'delete --force released each one');
});

test('run -d, ps, logs, exec, pause, unpause, stop, rm; limits in the container\'s cgroup', async () => {
  if (!podmanPath) return;
  const n = name('detached');
  const d = podman(['run', '-d', '--name', n, '--memory', '64m', '--pids-limit', '50', image, 'sh', '-c', 'echo started; trap "exit 0" TERM; while true; do sleep 0.2; done']);
  assert.is(d.status, 0, d.stderr);
  const id = d.stdout.trim();
  assert.ok(await eventually(() => podman(['ps', '--format', '{{.Names}} {{.Status}}']).stdout.includes(`${n} Up`), 10_000), 'podman ps shows it up');
  assert.ok(await eventually(() => podman(['logs', n]).stdout === 'started\n', 10_000), 'podman logs');
  const pid = Number(podman(['inspect', '-f', '{{.State.Pid}}', n]).stdout.trim());
  assert.ok(pid > 0);
  const e = podman(['exec', n, 'sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "; echo']);
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`^${id.slice(0, 12)}\\nsh -c echo started`), 'exec runs in its UTS and PID namespaces');
  assert.is(podman(['exec', n, 'sh', '-c', 'exit 3']).status, 3, 'exec\'s exit status');
  const inside = podman(['exec', n, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']);
  assert.is(inside.stdout.trim(), '67108864', 'its own limit at the top of its /sys/fs/cgroup, with or without a cgroup namespace');
  const cgroup = (controller: string) => /^\d+:([^:]*):(.*)$/m.exec(spawnSync('grep', [`[:,]${controller}[:,]\\|^0::`, `/proc/${pid}/cgroup`], { encoding: 'utf8' }).stdout)!;
  const mem = cgroup('memory');
  const memFile = mem[1] === '' ? join('/sys/fs/cgroup', mem[2], 'memory.max') : join('/sys/fs/cgroup/memory', mem[2], 'memory.limit_in_bytes');
  assert.is(spawnSync('cat', [memFile], { encoding: 'utf8' }).stdout.trim(), '67108864', '--memory 64m, read from the host');
  assert.is(podman(['pause', n]).status, 0);
  assert.is(podman(['inspect', '-f', '{{.State.Status}}', n]).stdout.trim(), 'paused', 'the freezer, as `state` reports it');
  assert.is(podman(['unpause', n]).status, 0);
  assert.is(podman(['inspect', '-f', '{{.State.Status}}', n]).stdout.trim(), 'running');
  const s = podman(['stop', '-t', '5', n]);
  assert.is(s.status, 0, s.stderr);
  assert.match(podman(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', n]).stdout, /^exited 0/, 'SIGTERM reached its trap');
  assert.is(podman(['rm', n]).status, 0);
  assert.ok(!existsSync(memFile), 'its cgroup is gone');
});

test('run -it: a terminal from the runtime\'s --console-socket', () => {
  if (!podmanPath) return;
  if (!existsSync('/usr/bin/script')) return console.log('SKIP: script(1) is needed for a terminal');
  const r = spawnSync('script', ['-qec', `${podmanPath} --runtime ${runtime} run -it --rm ${image} sh -c 'tty; echo in-tty'`, '/dev/null'], { encoding: 'utf8', env, timeout: patience(90_000) });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^\/dev\/pts\/0\r?\nin-tty/m);
});

test.after(() => {
  if (podmanPath) {
    for (const n of names) spawnSync(podmanPath, ['--runtime', runtime, 'rm', '-f', '-t', '0', n], { stdio: 'ignore' });
    spawnSync(podmanPath, ['rmi', '-f', image], { stdio: 'ignore' });
  }
  lib.remove();
});

test.run();
