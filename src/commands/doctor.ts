import { Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { courseFlags, applyCourseFlags } from '../cli/course-flags.js';

export default class Doctor extends NestboxCommand {
  static summary = 'Check this machine for everything the labs and `nestbox run` need.';
  static description = 'Each check says pass, warn or fail, and for warn or fail the exact fix. Exits 0 only when every required check passes, and lists the labs that cannot run here and why. Reads only: it creates nothing.';
  static examples = ['sudo nestbox doctor', 'sudo nestbox doctor --json'];
  static flags = {
    ...courseFlags,
    json: Flags.boolean({ description: 'print the report as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    applyCourseFlags(flags);
    const { runChecks } = await import('../doctor/checks.js');
    const report = runChecks();
    if (flags.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      const { printDoctorReport } = await import('../render/doctor.js');
      printDoctorReport(report);
    }
    if (!report.ok) process.exitCode = 1;
  }
}
