// /etc/resolv.conf as a container gets it (Docker's rules), from fixture host files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolvConf } from '../src/runtime/mounts.js';

const stub = '# systemd-resolved stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n';
const upstream = '# real servers\nnameserver 192.168.1.1\nsearch lan\n';

test('--net host: the host\'s file as it is', () => {
  assert.is(resolvConf('host', stub, upstream), stub);
});

test('a loopback stub is replaced by systemd-resolved\'s real servers', () => {
  const out = resolvConf('bridge', stub, upstream);
  assert.match(out, /^nameserver 192\.168\.1\.1$/m);
  assert.not.match(out, /127\.0\.0\.53/);
});

test('plain servers are kept; loopback ones dropped; none left: Docker\'s fallback', () => {
  assert.is(resolvConf('none', 'nameserver 10.0.0.2\nnameserver 127.0.0.1\n', ''), 'nameserver 10.0.0.2\n');
  assert.match(resolvConf('bridge', 'nameserver 127.0.0.1\n', ''), /^nameserver 8\.8\.8\.8$/m);
  assert.match(resolvConf('bridge', '', ''), /^nameserver 8\.8\.4\.4$/m);
});

test.run();
