import { Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

/** docker ps's default columns (docker/cli formatter/container.go). */
const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** The header of each field in a `table` format, as Docker prints them. */
const HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS',
};

export default class Ps extends NestboxCommand {
  static summary = 'List containers (running ones; -a for all), as docker ps does.';
  static description = [
    'The columns, filters and --format fields are Docker\'s. --filter KEY=VALUE, repeatable: name, id (regular expressions), label=KEY or label=KEY=VALUE, status (created, restarting, running, paused, exited), exited=CODE, ancestor=IMAGE, before/since=CONTAINER, network, volume. Values of one key are alternatives; different keys (and every label) must all match.',
    '--format takes a Go template: {{.ID}} {{.Image}} {{.Command}} {{.CreatedAt}} {{.RunningFor}} {{.Ports}} {{.State}} {{.Status}} {{.Size}} {{.Names}} {{.Labels}} {{.Label "KEY"}} {{.Mounts}} {{.Networks}}, "table ..." for columns with headers, "json" for one JSON object per line. --json prints what inspect prints, for each container listed.',
  ].join('\n\n');
  static examples = [
    'sudo nestbox ps',
    'sudo nestbox ps -aq',
    'sudo nestbox ps -a --filter status=exited --filter exited=0',
    'sudo nestbox ps --format "table {{.Names}}\\t{{.Status}}"',
    'sudo nestbox rm -f $(sudo nestbox ps -aq)',
  ];
  static flags = {
    all: Flags.boolean({ char: 'a', description: 'also show containers that are not running' }),
    quiet: Flags.boolean({ char: 'q', description: 'only the container ids' }),
    last: Flags.integer({ char: 'n', description: 'the N most recently created containers, in any state', default: -1 }),
    latest: Flags.boolean({ char: 'l', description: 'the most recently created container, in any state' }),
    'no-trunc': Flags.boolean({ description: 'do not cut the command (20 columns) and mounts' }),
    size: Flags.boolean({ char: 's', description: 'the size of what each container wrote (and "virtual": with its image)' }),
    filter: Flags.string({ char: 'f', description: 'KEY=VALUE, for example status=exited or name=web (repeatable)', multiple: true }),
    format: Flags.string({ description: 'a Go template, "table TEMPLATE", or "json"' }),
    json: Flags.boolean({ description: 'print what inspect prints for each container listed' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    this.requireRoot();
    const { listContainers, findContainer } = await import('../runtime/store.js');
    const { parseFilters, selectContainers } = await import('../runtime/ps-filter.js');
    const filters = parseFilters(flags.filter ?? []);
    const list = selectContainers(listContainers(), findContainer, { all: flags.all, last: flags.latest ? 1 : flags.last, filters });
    if (flags.json) {
      const { inspect } = await import('../runtime/inspect.js');
      return void console.log(JSON.stringify(list.map(inspect), null, 4));
    }
    // -q wins over --format, as in Docker; "table" alone is the default columns.
    const format = flags.quiet ? '{{.ID}}'
      : !flags.format || flags.format.trim() === 'table' ? DEFAULT_FORMAT + (flags.size ? '\t{{.Size}}' : '')
      : flags.format;
    const { psRow, containerSize } = await import('../runtime/ps-view.js');
    // A format that shows the size computes it, as Docker's does.
    const sized = flags.size || /\.Size\b/.test(format);
    const rows = [];
    for (const c of list) rows.push(psRow(c, { trunc: !flags['no-trunc'], size: sized ? await containerSize(c) : undefined }));
    const { formatTable } = await import('../render/template.js');
    for (const line of formatTable(format, rows, HEADERS)) console.log(line);
  }
}
