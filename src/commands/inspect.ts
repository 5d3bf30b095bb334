import * as Args from '@oclif/core/args';
import { NestboxCommand } from '../cli/base.js';

export default class Inspect extends NestboxCommand {
  static summary = 'Everything about a container as JSON: state, PID, exit code, OOM kill, config, cgroup, address, ports.';
  static examples = ['sudo nestbox inspect web'];
  static strict = false;
  static args = { container: Args.string({ description: 'name or id', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Inspect);
    this.requireRoot();
    const { findContainer } = await import('../runtime/store.js');
    const { inspect } = await import('../runtime/lifecycle.js');
    console.log(JSON.stringify((argv as string[]).map((r) => inspect(findContainer(r))), null, 2));
  }
}
