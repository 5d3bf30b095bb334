import { NestboxCommand } from '../cli/base.js';

// Listed here for `nestbox --help`; bin/run.js answers `nestbox oci ...` itself, without oclif
// (src/oci/cli.ts), since podman calls it several times for every container.
export default class Oci extends NestboxCommand {
  static summary = 'nestbox as an OCI runtime: runc\'s commands (create, start, state, kill, delete, exec...), for podman --runtime and the OCI validation suite.';
  static strict = false;
  static usage = 'oci [--root DIR] [--log FILE] [--trace[=FILE]] COMMAND [FLAGS] ID';
  static examples = ['sudo nestbox oci spec --bundle ./box', 'sudo nestbox oci run --bundle ./box demo', 'sudo podman --runtime $(which nestbox-oci) run --rm IMAGE echo hi'];

  async run(): Promise<void> {
    const { ociMain } = await import('../oci/cli.js');
    process.exitCode = await ociMain(this.argv);
  }
}
