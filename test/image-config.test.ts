// What an image's config gives `run`, by Docker's rules (src/runtime/image-config.ts and buildSpec):
// checked without a container, on configs written as Docker writes them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec } from '../src/runtime/spec.js';
import { commandFor, publishAll } from '../src/runtime/image-config.js';
import type { RunConfig } from '../src/image/config.js';

const nginx: RunConfig = {
  Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], Env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27'],
  ExposedPorts: { '80/tcp': {} }, User: 'www', WorkingDir: '/srv', Labels: { maintainer: 'NGINX', tier: 'web' }, Volumes: { '/cache': {} }, StopSignal: 'SIGQUIT',
};

test('ENTRYPOINT + CMD; arguments replace CMD; --entrypoint replaces ENTRYPOINT and drops CMD; "" leaves none', () => {
  assert.equal(commandFor([], undefined, nginx), { command: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'], entrypoint: ['/docker-entrypoint.sh'] });
  assert.equal(commandFor(['sh'], undefined, nginx).command, ['/docker-entrypoint.sh', 'sh']);
  assert.equal(commandFor([], '/bin/cat', nginx), { command: ['/bin/cat'], entrypoint: ['/bin/cat'] });
  assert.equal(commandFor(['/etc/hosts'], '/bin/cat', nginx).command, ['/bin/cat', '/etc/hosts']);
  assert.equal(commandFor(['ls', '/'], '', nginx), { command: ['ls', '/'] });
  assert.throws(() => commandFor([], '', nginx), /no command specified/);
  assert.throws(() => commandFor([], undefined, {}), /no command specified/, 'an image with neither: Docker\'s error');
  assert.equal(commandFor([], undefined, undefined), { command: ['/bin/sh'] }, 'a root filesystem directory: a shell');
});

test('buildSpec: USER, WORKDIR, ENV under -u, -w, -e; labels under -l; VOLUME as anonymous volumes; STOPSIGNAL; -P', () => {
  const spec = buildSpec('nginx', [], { net: 'bridge', env: ['NGINX_VERSION=2'], label: ['tier=db'], 'publish-all': true, publish: ['8080:80'] }, nginx);
  assert.is(spec.user, 'www');
  assert.is(spec.workdir, '/srv');
  assert.equal(spec.env, ['PATH=/usr/bin', 'NGINX_VERSION=1.27', 'NGINX_VERSION=2'], 'the image\'s first: -e wins');
  assert.equal(spec.labels, { maintainer: 'NGINX', tier: 'db' });
  assert.equal(spec.volumes.map((v) => [v.type, v.target]), [['volume', '/cache']]);
  assert.is(spec.stopSignal, 'SIGQUIT');
  assert.equal(spec.ports.map((p) => `${p.hostPort}:${p.containerPort}/${p.proto}`), ['8080:80/tcp'], '-P leaves a port -p published alone');
  assert.equal(spec.exposedPorts, ['80/tcp']);
  const own = buildSpec('nginx', [], { net: 'bridge', user: '0', workdir: '/', 'stop-signal': 'SIGTERM', volume: ['data:/cache'] }, nginx);
  assert.equal([own.user, own.workdir, own.stopSignal], ['0', '/', 'SIGTERM']);
  assert.equal(own.volumes.map((v) => [v.type, v.source, v.target]), [['volume', 'data', '/cache']], 'a -v at the VOLUME\'s path replaces it');
  assert.equal(publishAll([], ['80/tcp', '53/udp']).map((p) => `${p.hostPort}:${p.containerPort}/${p.proto}`), ['0:80/tcp', '0:53/udp'], 'a free host port each');
  assert.equal(buildSpec('nginx', [], { net: 'none', 'publish-all': true }, nginx).ports, [], '-P needs a network to publish on');
});

test.run();
