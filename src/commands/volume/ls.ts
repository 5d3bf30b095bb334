import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class VolumeLs extends NestboxCommand {
  static summary = 'List volumes.';
  static examples = ['sudo nestbox volume ls', 'sudo nestbox volume ls -q', 'sudo nestbox volume ls --filter dangling=true'];
  static hiddenAliases = ['volume:list'];
  static flags = {
    quiet: Flags.boolean({ char: 'q', description: 'only the names' }),
    format: Flags.string({ description: 'a Go template, as docker volume ls --format: {{.Name}}, {{.Driver}}, {{.Mountpoint}}, {{.Labels}}, {{json .}}, table ...' }),
    filter: Flags.string({ char: 'f', multiple: true, multipleNonGreedy: true, description: 'dangling=true|false (used by no container, or by one), name=TEXT (names containing it)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(VolumeLs);
    this.requireRoot();
    const { listVolumes, volumeUsers } = await import('../../runtime/volumes.js');
    const { allConfigs } = await import('../../runtime/store.js');
    const { UserError } = await import('../../errors.js');
    const configs = allConfigs();
    let volumes = listVolumes();
    for (const f of flags.filter ?? []) {
      const [key, value = ''] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (key === 'dangling' && ['true', 'false', '1', '0'].includes(value)) {
        const dangling = value === 'true' || value === '1';
        volumes = volumes.filter((v) => (volumeUsers(v.Name, configs).length === 0) === dangling);
      } else if (key === 'name') {
        volumes = volumes.filter((v) => v.Name.includes(value));
      } else {
        throw new UserError(`--filter "${f}": nestbox knows dangling=true|false and name=TEXT`, 1);
      }
    }
    if (flags.quiet) return void volumes.forEach((v) => console.log(v.Name));
    // Docker's own table: its template and its tabwriter (columns at least 10 wide, 3 apart).
    const { formatTable } = await import('../../render/template.js');
    const rows = volumes.map((v) => ({ ...v, Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(',') }));
    const lines = formatTable(flags.format ?? 'table {{.Driver}}\t{{.Name}}', rows, { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Scope: 'SCOPE' });
    for (const line of lines) console.log(line);
  }
}
