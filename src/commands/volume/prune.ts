import { Flags } from '../../cli/oclif.js';
import { NestboxCommand } from '../../cli/base.js';

export default class VolumePrune extends NestboxCommand {
  static summary = 'Remove the volumes no container uses: anonymous ones, or all with -a.';
  static description = 'As Docker 23 and later: without --all only anonymous volumes (those run -v /path made) are removed; named volumes stay until --all. A volume mounted by any container, running or stopped, is kept. Asks first unless --force.';
  static examples = ['sudo nestbox volume prune -f', 'sudo nestbox volume prune -a -f'];
  static flags = {
    all: Flags.boolean({ char: 'a', description: 'named volumes too, not only anonymous ones' }),
    force: Flags.boolean({ char: 'f', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(VolumePrune);
    this.requireRoot();
    if (!flags.force) {
      process.stdout.write(`WARNING! This will remove ${flags.all ? 'all' : 'anonymous'} local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] `);
      const answer = await readLine();
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const { pruneVolumes, humanSize } = await import('../../runtime/volumes.js');
    const { removed, bytes } = pruneVolumes(flags.all);
    if (removed.length) console.log(['Deleted Volumes:', ...removed, ''].join('\n'));
    console.log(`Total reclaimed space: ${humanSize(bytes)}`);
  }
}

/** One line from standard input ('' at its end). */
function readLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => { process.stdin.pause(); process.stdin.removeAllListeners('data'); resolve(text.split('\n')[0]); };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => { text += d; if (text.includes('\n')) done(); });
    process.stdin.once('end', done);
  });
}
