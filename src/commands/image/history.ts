import { Args, Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class ImageHistory extends NestboxCommand {
  static summary = 'Show how an image was made: one line per build step, newest first, as docker history does.';
  static description = 'Read from the image\'s config (its "history"): a step that made a layer (RUN, COPY, ADD, a WORKDIR that made its directory) shows that layer\'s size; a step that only changed the config (ENV, CMD, EXPOSE...) shows 0B. The top line shows the image\'s ID, the others <missing>, as Docker shows images it did not build itself. --format fields: {{.ID}} {{.CreatedSince}} {{.CreatedAt}} {{.CreatedBy}} {{.Size}} {{.Comment}}.';
  static aliases = ['history'];
  static examples = ['sudo nestbox image history app', 'sudo nestbox history --no-trunc app:v1', 'sudo nestbox image history --format "{{.Size}}\\t{{.CreatedBy}}" app'];
  static args = { image: Args.string({ description: 'an image name or ID', required: true }) };
  static flags = {
    'no-trunc': Flags.boolean({ description: 'do not cut CREATED BY (45 columns), full IDs' }),
    human: Flags.boolean({ char: 'H', description: 'sizes and times for people (default); --no-human for bytes and RFC 3339 times', default: true, allowNo: true }),
    quiet: Flags.boolean({ char: 'q', description: 'only the IDs' }),
    format: Flags.string({ description: 'a Go template, "table TEMPLATE", or "json"' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageHistory);
    this.requireRoot();
    const { requireImage } = await import('../../image/store.js');
    const { historyRows, HISTORY_HEADERS, HISTORY_FORMAT } = await import('../../image/image-view.js');
    const { formatTable } = await import('../../render/template.js');
    const rows = historyRows(requireImage(args.image), { noTrunc: flags['no-trunc'], human: flags.human });
    const format = flags.quiet ? '{{.ID}}' : !flags.format || flags.format.trim() === 'table' ? HISTORY_FORMAT : flags.format;
    for (const line of formatTable(format, rows, HISTORY_HEADERS)) console.log(line);
  }
}
