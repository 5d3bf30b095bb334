// Statements that were once in the course and are false: none may come back, in any language, in a
// lesson or a lab. Each pattern is the wrong claim itself, not the topic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const files = [
  ...readdirSync(join(root, 'lessons')).filter((f) => f.endsWith('.md')).map((f) => join('lessons', f)),
  ...readdirSync(join(root, 'lessons', 'zh')).map((f) => join('lessons', 'zh', f)),
  ...readdirSync(join(root, 'labs')).filter((f) => f.endsWith('.ts')).map((f) => join('labs', f)),
];
const text = (f: string) => readFileSync(join(root, f), 'utf8');

const WRONG: [RegExp, string][] = [
  [/private is the kernel'?s default(?! only)|the kernel'?s default for a new mount|内核给新挂载的默认|kernel makes (new )?mounts private by default|mounts? (are|is) private by default/i,
    'a new mount takes its parent\'s propagation (shared under a shared parent); private is not the default on systemd hosts'],
  [/nsenter[^.\n]*-a[^.\n]*(is|does) (exactly )?what docker exec does/i, 'docker exec also joins the cgroup and applies capabilities, seccomp, LSM, user, env'],
  [/exactly as docker stop does/i, 'docker stop signals PID 1 only; the kernel kills the rest of the PID namespace'],
  [/nsenter -f\b|nsenter [^\n`]*--fork/, 'nsenter forks by default; its option is -F/--no-fork'],
  [/gives each controller a tree of its own|each controller (has|gets) (a|its own) (tree|hierarchy)/i, 'one v1 hierarchy can carry several controllers'],
  [/net_prio[^.\n]*(sets|set) (a |the )?(traffic[- ]control )?class/i, 'only net_cls sets a class id; net_prio sets per-interface priorities'],
  [/(open_by_handle_at|bpf)[^.\n]*always[^.\n]*EPERM/i, 'Docker allows open_by_handle_at and bpf to containers holding the capabilities'],
  [/the notes (say|use|load|stop|teach)/i, '"the notes" without saying which: name them (older Docker guides, ...)'],
  // Said while nestbox had no container lifecycle beyond run and exec.
  [/no `start` and no\s+`attach`|没有 `start`，也没有 `attach`/, 'nestbox has start (-a, -i) and attach, with detach keys'],
  [/nestbox has no `--init`|nestbox 没有 `--init`/, 'nestbox run --init starts tini as PID 1'],
  [/nestbox knows no `STOPSIGNAL`|不认 `STOPSIGNAL`/, 'nestbox run has --stop-signal, and reads an image\'s STOPSIGNAL'],
  // Said while images kept only their command, environment and working directory.
  [/reads no\s+`STOPSIGNAL`|不读镜像里的 `STOPSIGNAL`/, 'an image\'s STOPSIGNAL is the container\'s stop signal unless --stop-signal'],
  [/nestbox has no `--entrypoint`|nestbox 没有 `--entrypoint`|nestbox (has no|cannot) build|nestbox 不能构建/, 'nestbox run has --entrypoint, and nestbox build builds images'],
  [/the shim's waiting, not its stdio|不管标准输入输出/, 'the monitor holds PID 1\'s streams, writes the log and serves attach'],
  [/`-d` with `-t` is refused|`-d` 和 `-t` 一起用会被拒绝/, 'run -dit works: attach joins that terminal'],
];

test('no lesson or lab repeats a statement known to be false', () => {
  for (const f of files) {
    const body = text(f);
    for (const [pattern, truth] of WRONG) {
      const m = pattern.exec(body);
      assert.not.ok(m, `${f}: "${m?.[0]}" (${truth})`);
    }
  }
});

test('lesson 12 builds its bridge by hand on a subnet nestbox never takes (not 10.213-10.219)', () => {
  for (const f of ['lessons/12-veth-bridge.md', 'lessons/zh/12-veth-bridge.md']) {
    const code = [...text(f).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
    assert.not.match(code, /\b10\.21[3-9]\.\d+\.\d+/, `${f} uses nestbox's own subnets in its commands`);
  }
});

test('lesson 15 teaches start, attach and the monitor in both languages', () => {
  for (const f of ['lessons/15-lifecycle.md', 'lessons/zh/15-lifecycle.md']) {
    for (const word of ['nestbox-monitor', 'conmon', 'containerd-shim-runc-v2', 'Ctrl-P Ctrl-Q', 'on-failure', '/var/lib/docker/volumes/NAME/_data', 'stopped-by-user']) assert.ok(text(f).includes(word), `${f} names ${word}`);
  }
});

test('runc\'s device allowlist is described with /dev/net/tun', () => {
  for (const f of ['lessons/14-run.md', 'lessons/zh/14-run.md']) assert.match(text(f), /\/dev\/net\/tun/, f);
});
test.run();
