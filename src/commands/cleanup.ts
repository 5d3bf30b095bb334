import { Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Cleanup extends NestboxCommand {
  static summary = 'Remove everything nestbox left on this host (after a crash, a kill -9, a power cut).';
  static description = 'Undoes, newest first, what each ledger recorded (labs\' in /run/nestbox/ledger; containers\' and the shared bridge\'s in /var/lib/nestbox/ledger, so that emptying /run does not lose them) for labs, containers and commands that are no longer running, then sweeps for objects named by nestbox\'s rules: links and network namespaces starting with "nb", cgroups under "nestbox", iptables chains and rules naming NESTBOX, mounts under nestbox\'s directories. Objects of a lab or command still running are left alone unless --force.';
  static examples = ['sudo nestbox cleanup', 'sudo nestbox cleanup --force'];
  static flags = {
    force: Flags.boolean({ description: 'also remove objects of labs and commands that are still running' }),
    json: Flags.boolean({ description: 'print what was removed as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Cleanup);
    this.requireRoot();
    const { cleanupHost } = await import('../host/cleanup.js');
    const report = await cleanupHost({ force: flags.force });
    if (flags.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const r of report.removed) console.log(`removed ${r}`);
      for (const f of report.failed) console.error(`could not remove ${f}`);
      if (!report.removed.length && !report.failed.length) console.log('nothing to clean up');
    }
    if (report.failed.length) process.exitCode = 1;
  }
}
