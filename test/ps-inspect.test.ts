// `ps` and `inspect` as Docker prints them, on containers made up here (no root needed): the texts
// go-units and docker/cli produce (durations, sizes, "…"), the status line, the PORTS column,
// --filter's rules, the default table, and inspect's field paths under -f. The expected strings are
// Docker's own, from go-units' and docker/cli's tests and the examples in Docker's documentation.
process.env.TZ = 'UTC';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { humanDuration, ellipsis, humanSize, goTime } from '../src/render/docker-text.js';
import { statusText, displayablePorts, commandText, psRow } from '../src/runtime/ps-view.js';
import { parseFilters, selectContainers } from '../src/runtime/ps-filter.js';
import { inspect } from '../src/runtime/inspect.js';
import { buildSpec, type RunFlags, type PortSpec } from '../src/runtime/spec.js';
import type { Container, ContainerState } from '../src/runtime/store.js';
import { formatTable, renderTemplate } from '../src/render/template.js';
import { UserError } from '../src/errors.js';

const NOW = Date.parse('2024-03-10T14:02:07Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

/** A container as the store would load it: a spec from buildSpec (as `run` makes it), a state. */
function box(name: string, state: Partial<ContainerState>, flags: RunFlags = {}, command = ['sleep', '300'], image = 'ubuntu'): Container {
  const spec = buildSpec(image, command, { name, net: 'none', ...flags });
  return { id: spec.id, spec, state: { Status: 'running', Pid: 4242, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ago(5 * S), FinishedAt: '', Cgroup: [], Created: ago(6 * S), ...state } };
}

test('humanDuration: go-units HumanDuration, case for case', () => {
  const cases: [number, string][] = [
    [450, 'Less than a second'], [1 * S, '1 second'], [45 * S, '45 seconds'], [59 * S, '59 seconds'],
    [60 * S, 'About a minute'], [3 * M, '3 minutes'], [35 * M + 40 * S, '35 minutes'], [59 * M, '59 minutes'],
    [1 * H, 'About an hour'], [1 * H + 29 * M, 'About an hour'], [1 * H + 31 * M, '2 hours'], [3 * H + 59 * M, '4 hours'],
    [24 * H, '24 hours'], [D + 12 * H, '36 hours'], [2 * D, '2 days'], [13 * D + 5 * H, '13 days'], [14 * D, '2 weeks'],
    [30 * D, '4 weeks'], [44 * D, '6 weeks'], [60 * D, '2 months'], [23 * 30 * D, '23 months'], [24 * 30 * D, '24 months'],
    [24 * 30 * D + 14 * D, '2 years'], [3 * 365 * D + 60 * D, '3 years'],
  ];
  for (const [ms, text] of cases) assert.is(humanDuration(ms), text, `${ms} ms`);
});

test('ellipsis, humanSize, goTime: as the CLI cuts, sizes and dates', () => {
  assert.is(ellipsis('/bin/sh -c \'while :; do sleep 1; done\'', 20), '/bin/sh -c \'while :…');
  assert.is(ellipsis('sleep 300', 20), 'sleep 300');
  assert.is(ellipsis('this-is-a-long-volume-name-and-will-be-truncated-if-trunc-is-set', 15), 'this-is-a-long…');
  assert.is(ellipsis('你好世界你好', 5), '你好…', 'a wide character takes two columns');
  assert.is(humanSize(0), '0B');
  assert.is(humanSize(10), '10B');
  assert.is(humanSize(1048576), '1.05MB');
  assert.is(humanSize(7750000), '7.75MB');
  assert.is(goTime(new Date('2024-03-10T14:02:07.532Z')), '2024-03-10 14:02:07 +0000 UTC');
});

test('status: the daemon\'s words for each state', () => {
  const state = (s: Partial<ContainerState>) => box('x', s).state;
  assert.is(statusText(state({ StartedAt: ago(5 * S) }), NOW), 'Up 5 seconds');
  assert.is(statusText(state({ StartedAt: ago(70 * S) }), NOW), 'Up About a minute');
  assert.is(statusText(state({ Status: 'paused', StartedAt: ago(2 * M) }), NOW), 'Up 2 minutes (Paused)');
  assert.is(statusText(state({ Status: 'exited', ExitCode: 0, StartedAt: ago(10 * M), FinishedAt: ago(3 * M) }), NOW), 'Exited (0) 3 minutes ago');
  assert.is(statusText(state({ Status: 'exited', ExitCode: 137, StartedAt: ago(3 * D), FinishedAt: ago(25 * H) }), NOW), 'Exited (137) 25 hours ago');
  assert.is(statusText(state({ Status: 'created', Pid: 0, StartedAt: '' }), NOW), 'Created');
  // A container between two runs of its --restart policy.
  assert.is(statusText(state({ Status: 'restarting' as ContainerState['Status'], ExitCode: 1, FinishedAt: ago(2 * S) }), NOW), 'Restarting (1) 2 seconds ago');
});

test('COMMAND and PORTS: the daemon\'s command line, the CLI\'s port ranges', () => {
  assert.is(commandText(['sh', '-c', 'ls -la']), "sh -c 'ls -la'");
  assert.is(commandText(['bash']), 'bash');
  const p = (hostIp: string, hostPort: number, containerPort: number, proto: 'tcp' | 'udp' = 'tcp'): PortSpec => ({ hostIp, hostPort, containerPort, proto });
  // docker/cli's TestDisplayablePorts, the cases with a host address.
  assert.is(displayablePorts([p('4.3.2.1', 8899, 9988)]), '4.3.2.1:8899->9988/tcp');
  assert.is(displayablePorts([p('4.3.2.1', 9988, 9988)]), '4.3.2.1:9988->9988/tcp');
  assert.is(displayablePorts([p('1.2.3.4', 9998, 9998, 'udp'), p('1.2.3.4', 9999, 9999, 'udp')]), '1.2.3.4:9998-9999->9998-9999/udp');
  assert.is(displayablePorts([p('1.2.3.4', 8887, 9998, 'udp'), p('1.2.3.4', 8888, 9999, 'udp')]), '1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp');
  assert.is(displayablePorts([p('1.2.3.4', 8899, 9988, 'udp'), p('1.2.3.4', 8899, 9988, 'tcp'), p('4.3.2.1', 3322, 2233, 'tcp')]),
    '4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, 1.2.3.4:8899->9988/udp');
  assert.is(displayablePorts([p('0.0.0.0', 8080, 80)]), '0.0.0.0:8080->80/tcp');
  assert.is(displayablePorts([]), '');
});

const HEADERS = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS' };
const DEFAULT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

test('the default table: Docker\'s columns, the command quoted and cut to 20 with …, ports only while running', () => {
  const web = box('webapp', { Created: ago(17 * S), StartedAt: ago(16 * S) }, { net: 'bridge', publish: ['8080:80'] }, ['/bin/sh', '-c', 'while :; do sleep 1; done']);
  web.id = '4c01db0b339c';
  const old = box('db', { Status: 'exited', ExitCode: 0, Created: ago(2 * H), StartedAt: ago(2 * H), FinishedAt: ago(3 * M) }, { net: 'bridge', publish: ['5432:5432'] }, ['postgres']);
  old.id = 'd7886598dbe2';
  const rows = [web, old].map((c) => psRow(c, { trunc: true, now: NOW }));
  assert.equal(formatTable(DEFAULT, rows, HEADERS), [
    'CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS                     PORTS                  NAMES',
    '4c01db0b339c   ubuntu    "/bin/sh -c \'while :…"   17 seconds ago   Up 16 seconds              0.0.0.0:8080->80/tcp   webapp',
    'd7886598dbe2   ubuntu    "postgres"               2 hours ago      Exited (0) 3 minutes ago                          db',
  ]);
  // --no-trunc: the whole command.
  assert.is(psRow(web, { trunc: false, now: NOW }).Command, '"/bin/sh -c \'while :; do sleep 1; done\'"');
  // -q is {{.ID}}; -s adds SIZE, "virtual" with the image.
  assert.equal(formatTable('{{.ID}}', rows, HEADERS), ['4c01db0b339c', 'd7886598dbe2']);
  assert.is(psRow(web, { trunc: true, now: NOW, size: { rw: 2, rootfs: 7750002 } }).Size, '2B (virtual 7.75MB)');
});

test('--format fields: {{.Label "k"}}, {{.Labels}}, {{.State}}, {{.Networks}}, {{.Mounts}}, {{json .}}', () => {
  const c = box('lab', { Created: ago(65 * S), StartedAt: ago(65 * S) }, { volume: ['/tmp:/data:ro'] }, ['bash']);
  Object.assign(c.spec, { labels: { 'com.docker.swarm.node': 'ubuntu', 'com.docker.swarm.storage': 'ssd' } });
  c.id = 'a87ecb4f327c';
  const row = psRow(c, { trunc: true, now: NOW });
  assert.equal(formatTable('table {{.ID}}\t{{.Labels}}', [row], HEADERS), [
    'CONTAINER ID   LABELS',
    'a87ecb4f327c   com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd',
  ]);
  assert.is(renderTemplate('{{.Label "com.docker.swarm.node"}}|{{.Label "nope"}}|{{.State}}|{{.Networks}}|{{.Mounts}}|{{.RunningFor}}', row), 'ubuntu||running|none|/tmp|About a minute ago');
  // One JSON object per line, keys as Docker's (sorted), .Label left out.
  assert.is(formatTable('json', [row], HEADERS)[0], JSON.stringify({
    Command: '"bash"', CreatedAt: '2024-03-10 14:01:02 +0000 UTC', ID: 'a87ecb4f327c', Image: 'ubuntu',
    Labels: 'com.docker.swarm.node=ubuntu,com.docker.swarm.storage=ssd', LocalVolumes: '0', Mounts: '/tmp', Names: 'lab',
    Networks: 'none', Ports: '', RunningFor: 'About a minute ago', Size: '0B', State: 'running', Status: 'Up About a minute',
  }));
});

test('--filter: one key\'s values are alternatives, keys must all hold, labels all hold; -a, -n, before/since', () => {
  const mk = (name: string, minutesAgo: number, state: Partial<ContainerState>, flags: RunFlags = {}, labels: Record<string, string> = {}, image = 'ubuntu') => {
    const c = box(name, { Created: ago(minutesAgo * M), StartedAt: ago(minutesAgo * M), ...state }, flags, ['sleep', '300'], image);
    Object.assign(c.spec, { labels });
    return c;
  };
  const list = [
    mk('nostalgic_stallman', 9, {}, {}, { color: 'blue' }),
    mk('nostalgic_morse', 8, { Status: 'exited', ExitCode: 0, FinishedAt: ago(M) }, {}, { color: 'red' }, 'busybox'),
    mk('tender_torvalds', 7, { Status: 'exited', ExitCode: 137, FinishedAt: ago(M) }, {}, { color: 'blue', urgent: '' }),
    mk('sharp_bell', 6, { Status: 'paused' }, {}, {}, 'ubuntu:latest'),
    mk('fresh', 5, { Status: 'created', Pid: 0, StartedAt: '' }),
  ];
  const find = (ref: string) => {
    const c = list.find((x) => x.spec.name === ref || x.id === ref);
    if (!c) throw new UserError(`no such container: ${ref}`);
    return c;
  };
  const names = (filters: string[], opts: { all?: boolean; last?: number } = {}) =>
    selectContainers(list, find, { ...opts, filters: parseFilters(filters) }).map((c) => c.spec.name);
  assert.equal(names([]), ['sharp_bell', 'nostalgic_stallman'], 'running (and paused) only, newest first');
  assert.equal(names([], { all: true }), ['fresh', 'sharp_bell', 'tender_torvalds', 'nostalgic_morse', 'nostalgic_stallman']);
  assert.equal(names([], { last: 2 }), ['fresh', 'sharp_bell'], '-n: the newest, in any state');
  assert.equal(names(['name=nostalgic'], { all: true }), ['nostalgic_morse', 'nostalgic_stallman'], 'a part of the name matches');
  assert.equal(names(['name=^nostalgic_stallman$'], { all: true }), ['nostalgic_stallman']);
  assert.equal(names(['name=^/sharp'], { all: true }), ['sharp_bell'], 'as Docker\'s names, with their leading slash');
  assert.equal(names(['status=exited']), ['tender_torvalds', 'nostalgic_morse'], 'a status implies -a');
  assert.equal(names(['status=exited', 'status=created']), ['fresh', 'tender_torvalds', 'nostalgic_morse']);
  assert.equal(names(['status=paused']), ['sharp_bell']);
  assert.equal(names(['exited=0']), [], 'exited= does not imply -a (docker ps -a --filter exited=0)');
  assert.equal(names(['exited=0'], { all: true }), ['nostalgic_morse']);
  assert.equal(names(['exited=0', 'exited=137'], { all: true }), ['tender_torvalds', 'nostalgic_morse']);
  assert.equal(names(['label=color'], { all: true }), ['tender_torvalds', 'nostalgic_morse', 'nostalgic_stallman']);
  assert.equal(names(['label=color=blue', 'label=urgent'], { all: true }), ['tender_torvalds'], 'every label filter must hold');
  assert.equal(names(['label=color=blue', 'status=running']), ['nostalgic_stallman'], 'different keys must all hold');
  assert.equal(names(['ancestor=ubuntu'], { all: true }), ['fresh', 'sharp_bell', 'tender_torvalds', 'nostalgic_stallman'], 'ubuntu is ubuntu:latest');
  assert.equal(names(['ancestor=busybox'], { all: true }), ['nostalgic_morse']);
  assert.equal(names([`id=${list[2].id.slice(0, 6)}`], { all: true }), ['tender_torvalds']);
  assert.equal(names(['before=tender_torvalds']), ['nostalgic_stallman'], 'before: the older ones (running, without -a)');
  assert.equal(names(['before=tender_torvalds'], { all: true }), ['nostalgic_morse', 'nostalgic_stallman']);
  assert.equal(names(['since=tender_torvalds'], { all: true }), ['fresh', 'sharp_bell']);
  assert.equal(names(['network=none'], { all: true }).length, 5);
  // Mistakes: a malformed filter is a usage error (125), an unknown key or value Docker's 1.
  const code = (f: string[]) => { try { parseFilters(f); } catch (e) { assert.not.match((e as Error).message, /\n/); return (e as UserError).exitCode; } return 0; };
  assert.is(code(['status']), 125);
  assert.is(code(['colour=red']), 1);
  assert.is(code(['status=sleeping']), 1);
  assert.is(code(['exited=zero']), 1);
});

test('inspect: Docker\'s field paths work under -f, as in Docker\'s examples; nestbox\'s own keys under Nestbox', () => {
  const c = box('web', { IPAddress: '10.213.0.2', Cgroup: ['/sys/fs/cgroup/nestbox/abc'], StartedAt: '2024-03-10T14:00:00.000Z', Created: '2024-03-10T13:59:59.000Z' },
    { net: 'bridge', publish: ['8080:80'], volume: ['/tmp:/data:ro'], memory: '64m', 'pids-limit': '64', 'cap-add': ['NET_ADMIN'] }, ['nginx', '-g', 'daemon off;']);
  Object.assign(c.spec, { labels: { 'com.example.vendor': 'ACME' } });
  const info = inspect(c);
  const f = (template: string) => renderTemplate(template, info);
  assert.is(f('{{.State.ExitCode}}'), '0');
  assert.is(f('{{.Name}}'), '/web');
  assert.is(f('{{.Path}} {{json .Args}}'), 'nginx ["-g","daemon off;"]');
  assert.is(f('{{json .State}}'), '{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":4242,"ExitCode":0,"Error":"","StartedAt":"2024-03-10T14:00:00.000Z","FinishedAt":"0001-01-01T00:00:00Z"}');
  assert.is(f('{{index .Config.Labels "com.example.vendor"}}'), 'ACME');
  assert.is(f('{{range .Mounts}}{{.Type}} {{.Source}}:{{.Destination}} {{.RW}}{{end}}'), 'bind /tmp:/data false');
  assert.is(f('{{if .State.Running}}running{{else}}stopped{{end}}'), 'running');
  // docs.docker.com, docker inspect: an instance's IP address, its port bindings, its log path.
  assert.is(f('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'), '10.213.0.2');
  assert.is(f('{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}'), ' 80/tcp -> 8080 ');
  assert.is(f('{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.CapAdd}} {{json .HostConfig.RestartPolicy}}'), '67108864 64 [NET_ADMIN] {"Name":"no","MaximumRetryCount":0}');
  assert.is(f('{{.Created}} {{.RestartCount}} {{.Config.Image}} {{.Config.Cmd}}'), '2024-03-10T13:59:59.000Z 0 ubuntu [nginx -g daemon off;]');
  assert.is(f('{{json .Nestbox.CgroupPaths}}'), '["/sys/fs/cgroup/nestbox/abc"]');
  assert.not.ok('CgroupPaths' in info, 'nestbox\'s own keys are not mixed into Docker\'s');
  // Ended: no PID, no address, no published ports; its restart policy and count as recorded.
  const ended = inspect({ ...c, spec: { ...c.spec, restart: { name: 'on-failure', maximumRetryCount: 3 } } as typeof c.spec, state: { ...c.state, Status: 'exited', ExitCode: 2, FinishedAt: '2024-03-10T14:01:00.000Z', RestartCount: 2 } as ContainerState });
  assert.is(renderTemplate('{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}} [{{.NetworkSettings.IPAddress}}] {{json .NetworkSettings.Ports}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}}', ended),
    'exited false 0 2 [] {} on-failure:3 2');
});

test.run();
