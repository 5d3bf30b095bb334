// Go templates as `docker ps --format` and `docker inspect -f` run them (src/render/template.ts),
// checked against Docker's documented examples and Go's rules. The table lines were worked out by
// hand from text/tabwriter's algorithm with Docker's settings (cells padded to the widest cell of
// their column plus 3, at least 10 wide; the last cell of a line never padded).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderTemplate, formatTable, dockerFormatEscapes, TemplateError } from '../src/render/template.js';

/** A `docker ps` row, as the formatter's fields show it. */
const psRow = {
  ID: '4c01db0b339c',
  Image: 'ubuntu:24.04',
  Command: '"bash"',
  Names: 'web',
  Status: 'Up 2 hours',
  Ports: '0.0.0.0:8080->80/tcp',
  Labels: 'com.example.key=value',
  Label(key: string) {
    return key === 'com.example.key' ? 'value' : '';
  },
};
const psRow2 = { ID: 'd7886598dbe2', Image: 'nginx:latest', Command: '"/docker-entrypoint.…"', Names: 'db', Status: 'Exited (0) 5 minutes ago', Ports: '' };
const psHeaders = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', Names: 'NAMES', Status: 'STATUS', Ports: 'PORTS', Labels: 'LABELS' };

/** `docker inspect` output, cut down. */
const container = {
  Id: '4c01db0b339c1a9e0d2b',
  Name: '/Web',
  Path: 'nginx',
  Args: ['-g', 'daemon off;'],
  State: { Status: 'running', Running: true, OOMKilled: false, Pid: 4242, ExitCode: 0, Health: null },
  Config: {
    Image: 'nginx:latest',
    Labels: { 'com.example.key': 'value', maintainer: 'NGINX' },
    Env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27'],
  },
  NetworkSettings: {
    Networks: { bridge: { IPAddress: '172.17.0.2', MacAddress: '02:42:ac:11:00:02' } },
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
  },
};
const exited = { ...container, State: { Status: 'exited', Running: false, OOMKilled: true, Pid: 0, ExitCode: 137, Health: null } };

const render = (template: string, data: unknown = container) => renderTemplate(template, data);
/** The message of what `fn` throws (failing when it throws nothing, or not a TemplateError). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TemplateError);
    return (e as Error).message;
  }
  assert.unreachable('no error');
  return '';
}

test('ps: {{.ID}}: {{.Command}}, one line per row and no header', () => {
  assert.is(renderTemplate('{{.ID}}: {{.Command}}', psRow), '4c01db0b339c: "bash"');
  assert.equal(formatTable('{{.ID}}: {{.Command}}', [psRow, psRow2], psHeaders), [
    '4c01db0b339c: "bash"',
    'd7886598dbe2: "/docker-entrypoint.…"',
  ]);
  assert.equal(formatTable('{{.ID}}', [], psHeaders), []);
});

test('ps: table {{.ID}}\\t{{.Image}} has the header aligned with the rows', () => {
  // As typed in a shell: a backslash and a t. Every cell of column 1 is 12 wide: 12 + 3.
  assert.equal(formatTable('table {{.ID}}\\t{{.Image}}', [psRow, psRow2], psHeaders), [
    'CONTAINER ID   IMAGE',
    '4c01db0b339c   ubuntu:24.04',
    'd7886598dbe2   nginx:latest',
  ]);
  // No rows: the header alone.
  assert.equal(formatTable('table {{.ID}}\\t{{.Image}}', [], psHeaders), ['CONTAINER ID   IMAGE']);
});

test('table: a column is at least 10 wide, and an empty last column leaves its padding', () => {
  // NAMES/web/db: 5 + 3 < 10, so 10. STATUS: "Exited (0) 5 minutes ago" is 24, so 27. The
  // status cell is ended by a tab, so it is padded even where the ports after it are empty.
  assert.equal(formatTable('table {{.Names}}\\t{{.Status}}\\t{{.Ports}}', [psRow, psRow2], psHeaders), [
    'NAMES     STATUS                     PORTS',
    'web       Up 2 hours                 0.0.0.0:8080->80/tcp',
    'db        Exited (0) 5 minutes ago   ',
  ]);
});

test('table: Chinese takes two columns', () => {
  const rows = [{ Names: '网站', Status: 'Up 1 hour' }, { Names: 'db', Status: 'Exited (0)' }];
  assert.equal(formatTable('table {{.Names}}\t{{.Status}}', rows, psHeaders), [
    'NAMES     STATUS',
    '网站      Up 1 hour',
    'db        Exited (0)',
  ]);
});

test('table: a line without the tab splits the column, as tabwriter does', () => {
  const rows = [{ Names: 'a-very-long-name', Ports: '80/tcp' }, { Names: 'b', Ports: '' }, { Names: 'c', Ports: '443/tcp' }];
  // "b" has no tab: the block above it is 16 + 3 wide, the one below it on its own (10).
  assert.equal(formatTable('table {{.Names}}{{if .Ports}}\\t{{.Ports}}{{end}}', rows, psHeaders), [
    'NAMES              PORTS',
    'a-very-long-name   80/tcp',
    'b',
    'c         443/tcp',
  ]);
});

test('table: the header runs Docker\'s header functions; an error there leaves it short', () => {
  const rows = [{ Names: 'web', Labels: { a: 'b' } }];
  assert.equal(formatTable('table {{upper .Names}}\\t{{json .Labels}}', rows, psHeaders), [
    'NAMES     LABELS',
    'WEB       {"a":"b"}',
  ]);
  // {{json .}} on the header map fails (Docker's header json takes a string): Docker prints what
  // came before the error, here nothing.
  assert.equal(formatTable('table {{json .}}', [{ ID: 'x' }], psHeaders), ['', '{"ID":"x"}']);
  // A method such as .Label is not in the header map: its header cell stays empty, the row has it.
  assert.equal(formatTable('table {{.ID}}\\t{{.Label "com.example.key"}}', [psRow], psHeaders), [
    'CONTAINER ID   ',
    '4c01db0b339c   value',
  ]);
});

test('table: Docker trims spaces and checks only for a leading "table"', () => {
  assert.equal(formatTable('table   {{.ID}}  ', [psRow], psHeaders), ['CONTAINER ID', '4c01db0b339c']);
  assert.equal(formatTable('  {{.ID}}', [psRow], psHeaders), ['4c01db0b339c']);
  assert.equal(formatTable('{{.ID}}\\n{{.Image}}', [psRow], psHeaders), ['4c01db0b339c', 'ubuntu:24.04']);
  // --format json is {{json .}}, one object a line.
  assert.equal(formatTable('json', [{ ID: 'a' }, { ID: 'b' }], psHeaders), ['{"ID":"a"}', '{"ID":"b"}']);
});

test('\\t and \\n: Docker turns them into a tab and a newline; Go templates do not', () => {
  assert.is(dockerFormatEscapes('{{.ID}}\\t{{.Image}}\\n'), '{{.ID}}\t{{.Image}}\n');
  assert.is(dockerFormatEscapes('a\\\\tb'), 'a\\\tb'); // Docker's Replacer knows no escaped backslash
  assert.is(dockerFormatEscapes('C:\\x'), 'C:\\x');
  assert.is(renderTemplate('{{.ID}}\\t{{.Image}}', psRow), '4c01db0b339c\\tubuntu:24.04');
  assert.is(renderTemplate('{{.ID}}{{"\\t"}}{{.Image}}', psRow), '4c01db0b339c\tubuntu:24.04'); // in quotes Go knows \t
});

test('{{json .}}: compact, keys in the object\'s order, no HTML escaping', () => {
  const row = { ID: '4c01db0b339c', Names: 'web', Mounts: [] as string[], Size: 0, Cmd: 'a<b>&c' };
  assert.is(render('{{json .}}', row), '{"ID":"4c01db0b339c","Names":"web","Mounts":[],"Size":0,"Cmd":"a<b>&c"}');
  assert.is(render('{{json .Config.Labels}}'), '{"com.example.key":"value","maintainer":"NGINX"}');
  assert.is(render('{{.Config.Labels | json}}'), '{"com.example.key":"value","maintainer":"NGINX"}');
  assert.is(render('{{json .State.Health}} {{json .Missing}}'), 'null null');
});

test('inspect: fields, numbers and booleans', () => {
  assert.is(render('{{.State.ExitCode}}'), '0');
  assert.is(render('{{.State.ExitCode}}', exited), '137');
  assert.is(render('{{.State.Running}}'), 'true');
  assert.is(render('{{.State.Running}} {{.State.OOMKilled}}', exited), 'false true');
  assert.is(render('{{.Config.Image}} {{.State.Pid}}'), 'nginx:latest 4242');
  assert.is(render('{{.}} {{$}}', 'x'), 'x x');
  assert.is(errorOf(() => render('{{$.Name}}', 'x')), 'template: :1:2: executing "" at <$.Name>: can\'t evaluate field Name in type string');
});

test('inspect: index, range and the documented examples', () => {
  assert.is(render('{{index .Config.Labels "com.example.key"}}'), 'value');
  // A missing key gives the zero value of a map[string]string: nothing.
  assert.is(render('[{{index .Config.Labels "nope"}}]'), '[]');
  assert.is(render('{{index .Args 1}}'), 'daemon off;');
  assert.is(render('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'), '172.17.0.2');
  assert.is(render('{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}'), '02:42:ac:11:00:02');
  assert.is(render('{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}'), '172.17.0.2\n');
  assert.is(
    render('{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}'),
    ' 80/tcp -> 8080 ',
  );
  // Over an object, range visits the values in key order (Go sorts the keys).
  const nets = { Networks: { zeta: { IPAddress: '10.0.0.3' }, alpha: { IPAddress: '10.0.0.2' } } };
  assert.is(render('{{range .Networks}}{{.IPAddress}} {{end}}', nets), '10.0.0.2 10.0.0.3 ');
  assert.is(render('{{range $k, $v := .Networks}}{{$k}}={{$v.IPAddress}},{{end}}', nets), 'alpha=10.0.0.2,zeta=10.0.0.3,');
  assert.is(render('{{range $i, $e := .Args}}{{$i}}:{{$e}} {{end}}'), '0:-g 1:daemon off; ');
  assert.is(render('{{range .Args}}{{$.Path}} {{.}}|{{end}}'), 'nginx -g|nginx daemon off;|');
  assert.is(render('{{range .Missing}}x{{else}}none{{end}} [{{range .Args}}{{else}}none{{end}}]'), 'none []');
  assert.is(render('{{range .Config.Missing}}x{{else}}none{{end}}'), 'none');
});

test('Docker\'s functions: join, split, lower, upper, title', () => {
  assert.is(render('{{join .Args " "}}'), '-g daemon off;');
  assert.is(render('{{join .Args " , "}}'), '-g , daemon off;');
  assert.is(render('{{lower .Name}} {{upper .Name}}'), '/web /WEB');
  assert.is(render('{{title "hello docker-world foo_bar"}}'), 'Hello Docker-World Foo_bar');
  assert.is(render('{{split .Config.Image ":"}}'), '[nginx latest]');
  assert.is(render('{{index (split .Config.Image ":") 1}}'), 'latest');
  assert.is(render('{{.Name | upper}} {{.Name | lower | printf "<%s>"}}'), '/WEB </web>');
});

test('if, else if, with: Go\'s truth', () => {
  assert.is(render('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
  assert.is(render('{{if .State.Running}}up{{else}}down{{end}}', exited), 'down');
  for (const v of [false, 0, '', null, [], {}, undefined]) assert.is(render('{{if .V}}t{{else}}f{{end}}', { V: v }), 'f', JSON.stringify(v));
  for (const v of [true, 1, -1, 0.5, 'x', [0], { a: 0 }]) assert.is(render('{{if .V}}t{{else}}f{{end}}', { V: v }), 't', JSON.stringify(v));
  const status = '{{if eq .State.Status "running"}}R{{else if .State.OOMKilled}}OOM{{else}}?{{end}}';
  assert.is(render(status), 'R');
  assert.is(render(status, exited), 'OOM');
  assert.is(render('{{with .State.Health}}{{.Status}}{{else}}no health check{{end}}'), 'no health check');
  assert.is(render('{{with .Config}}{{.Image}}{{end}}'), 'nginx:latest');
  assert.is(render('{{if and .State.Running (not .State.OOMKilled)}}ok{{end}} {{or .Missing "default"}}'), 'ok default');
  assert.is(render('{{if ne .State.ExitCode 0}}failed{{end}}|{{if gt .State.Pid 1}}pid{{end}}'), '|pid');
});

test('missing values, nil and Go\'s %v', () => {
  assert.is(render('{{.Missing}}'), '<no value>');
  assert.is(render('{{.Missing.Deeper}} {{.Config.Labels.nope}}'), '<no value> <no value>');
  assert.is(render('{{.State.Health}}'), '<nil>');
  assert.is(render('{{.Args}}'), '[-g daemon off;]');
  assert.is(render('{{.Config.Labels}}'), 'map[com.example.key:value maintainer:NGINX]');
  assert.is(render('{{.}}', { b: [1, null, true], a: { z: 'x' } }), 'map[a:map[z:x] b:[1 <nil> true]]');
  assert.is(render('{{.A}} {{.B}} {{.C}} {{.D}}', { A: 1.5, B: 1234567.5, C: 0.00001, D: -3 }), '1.5 1.2345675e+06 1e-05 -3');
  assert.is(render('{{len .Args}} {{len .Config.Labels}} {{len "héllo"}}'), '2 2 6'); // Go's len of a string counts bytes
  assert.is(render('{{print "a" 1 2 "b"}}|{{println "a" 1}}'), 'a1 2b|a 1\n');
});

test('printf: the basic verbs, and Go\'s way of saying a verb does not fit', () => {
  assert.is(render('{{printf "%s %d %v %q" .Name .State.Pid .Args .Path}}'), '/Web 4242 [-g daemon off;] "nginx"');
  assert.is(render('{{printf "%-8s|%5d|%05d|%.2f|%x|%t|%%" "ab" 42 -42 3.14159 255 true}}'), 'ab      |   42|-0042|3.14|ff|true|%');
  assert.is(render('{{printf "%q" "tab\\there"}}'), '"tab\\there"');
  assert.is(render('{{printf "%d" "x"}} {{printf "%s"}} {{printf "x" 1}}'), '%!d(string=x) %!s(MISSING) x%!(EXTRA int=1)');
  assert.is(render('{{.State.Pid | printf "pid %d"}}'), 'pid 4242');
});

test('trim markers take the white space next to them, newlines included', () => {
  assert.is(render('a  {{- .Path -}}  b'), 'anginxb');
  assert.is(render('a {{-3}}'), 'a -3'); // no space after the dash: a number
  assert.is(render('{{- range .Config.Env }}\n  {{ . }}\n{{- end }}'), '\n  PATH=/usr/bin\n  NGINX_VERSION=1.27');
  assert.is(render('x {{/* a comment */}} y {{- /* trimmed */ -}} z'), 'x  yz');
  assert.is(render('{{\n  .Path\n  | upper\n}}'), 'NGINX'); // an action may span lines (Go 1.16)
});

test('variables and methods', () => {
  assert.is(render('{{$n := .Path}}{{range .Args}}{{$n}} {{end}}'), 'nginx nginx ');
  assert.is(render('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}'), '2');
  // A property that is a function is called like a Go method, as .Label on a ps row.
  assert.is(renderTemplate('{{.Label "com.example.key"}}|{{.Label "other"}}', psRow), 'value|');
});

test('parse errors say what and where (line:column, bytes from 0, as Go counts)', () => {
  assert.is(errorOf(() => render('{{.ID}}: {{.Command')), 'template: :1:9: unclosed action');
  assert.is(errorOf(() => render('{{foo .Name}}')), 'template: :1:2: function "foo" not defined');
  assert.is(errorOf(() => render('line one\n  {{.Name | nope}}')), 'template: :2:12: function "nope" not defined');
  assert.is(errorOf(() => render('{{if .X}}yes')), 'template: :1:0: unexpected EOF: {{if}} has no {{end}}');
  assert.is(errorOf(() => render('a{{end}}')), 'template: :1:1: unexpected {{end}}');
  assert.is(errorOf(() => render('{{(.Name}}')), 'template: :1:8: unclosed left paren');
  assert.is(errorOf(() => render('{{"abc}}')), 'template: :1:2: unterminated quoted string');
  assert.is(errorOf(() => render('{{$x}}')), 'template: :1:2: undefined variable "$x"');
  assert.is(errorOf(() => render('{{}}')), 'template: :1:2: missing value for command');
  assert.is(errorOf(() => render('{{.Name | "x"}}')), 'template: :1:10: non executable command in pipeline stage 2');
  assert.is(errorOf(() => render('{{truncate .Name 3}}')), 'template: :1:2: function "truncate" is not supported by nestbox\'s templates');
  // Errors in the row template are thrown by formatTable too, before any row runs.
  assert.is(errorOf(() => formatTable('table {{.ID', [psRow], psHeaders)), 'template: :1:0: unclosed action');
});

test('errors while running say where and on what, as Docker prints them', () => {
  assert.is(errorOf(() => render('{{.State.Health.Status}}')),
    'template: :1:2: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status');
  assert.is(errorOf(() => render('{{.Name.First}}')), 'template: :1:2: executing "" at <.Name.First>: can\'t evaluate field First in type string');
  assert.is(errorOf(() => render('{{index .Args 5}}')), 'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5');
  assert.is(errorOf(() => render('{{lower .State.Pid}}')), 'template: :1:2: executing "" at <lower .State.Pid>: wrong type for value; expected string; got int');
  assert.is(errorOf(() => render('{{join .Name ","}}')), 'template: :1:2: executing "" at <join .Name ",">: wrong type for value; expected []string; got string');
  assert.is(errorOf(() => render('{{len}}')), 'template: :1:2: executing "" at <len>: wrong number of args for len: want 1 got 0');
  assert.is(errorOf(() => render('{{eq .Name 1}}')), 'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison');
  assert.is(errorOf(() => render('{{range .Name}}{{end}}')), 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /Web');
  assert.is(errorOf(() => render('{{.Path "x"}}')), 'template: :1:2: executing "" at <.Path>: Path is not a method but has arguments');
});

test.run();
