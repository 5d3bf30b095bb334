import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { NestboxCommand, requireRoot } from '../cli/base.js';
import { splitAtCommand } from '../cli/command-args.js';

export default class Run extends NestboxCommand {
  static summary = 'Run a command in a new container, built from the same kernel steps as the labs.';
  static description = `The container gets new mount, UTS, IPC, PID, network and cgroup namespaces, an overlay root (the image or directory read-only, its own writable layer on top), a fresh /proc, a minimal /dev, /sys read-only, Docker's masked /proc paths, Docker's 14 default capabilities, a seccomp filter refusing the system calls Docker's default profile refuses, and no_new_privs (which Docker sets only with --security-opt no-new-privileges); the command is PID 1. ROOTFS is a directory (default: the built-in root, made on first use), or an image from \`nestbox image import\`. The exit status is the command's; 125 means nestbox itself failed, 126 the command is not executable, 127 it was not found, 137 it was killed (OOM or SIGKILL).`;
  static usage = 'run [FLAGS] ROOTFS|IMAGE [-- COMMAND [ARG...]]';
  static examples = [
    'sudo nestbox run --rm default -- /bin/sh -c "hostname; ps"',
    'sudo nestbox run -it --rm default',
    'sudo nestbox run -d --name web -p 8080:80 default -- httpd -f -p 80 -h /etc',
    'sudo nestbox run -it --rm --memory 32m --cpus 0.5 --pids-limit 64 default',
    'sudo nestbox run --trace --rm --net none default -- /bin/true',
  ];
  static strict = true;
  static args = {
    rootfs: Args.string({ description: 'a root filesystem directory, an imported image, or "default"', required: true }),
  };
  static flags = {
    name: Flags.string({ description: 'a name for the container (letters, digits, _ . -)' }),
    detach: Flags.boolean({ char: 'd', description: 'run in the background and print the container id' }),
    interactive: Flags.boolean({ char: 'i', description: 'keep standard input connected' }),
    tty: Flags.boolean({ char: 't', description: 'give it a terminal of its own, joined to yours (with -i for a shell)' }),
    rm: Flags.boolean({ description: 'remove the container when it exits' }),
    hostname: Flags.string({ char: 'h', description: 'the container\'s hostname (default: its id)' }),
    env: Flags.string({ char: 'e', description: 'set an environment variable KEY=VALUE', multiple: true, multipleNonGreedy: true }),
    'env-file': Flags.string({ description: 'read KEY=VALUE lines from a file', multiple: true, multipleNonGreedy: true }),
    workdir: Flags.string({ char: 'w', description: 'working directory inside the container' }),
    user: Flags.string({ char: 'u', description: 'run as uid[:gid]' }),
    volume: Flags.string({ char: 'v', description: 'bind a host directory: /host/path:/container/path[:ro]', multiple: true, multipleNonGreedy: true }),
    publish: Flags.string({ char: 'p', description: 'publish a port: [ip:]hostPort:containerPort[/tcp|udp]', multiple: true, multipleNonGreedy: true }),
    memory: Flags.string({ char: 'm', description: 'memory limit (e.g. 64m, 1g; at least 6m)' }),
    cpus: Flags.string({ description: 'CPU limit in CPUs (e.g. 0.5)' }),
    'pids-limit': Flags.string({ description: 'most processes at once (-1: no limit)' }),
    'cpuset-cpus': Flags.string({ description: 'CPUs it may run on (e.g. 0 or 0-1)' }),
    net: Flags.string({ description: 'network: bridge (default), host, none or container:<name>', aliases: ['network'] }),
    'read-only': Flags.boolean({ description: 'mount the container\'s root read-only' }),
    'cap-add': Flags.string({ description: 'add a capability (e.g. NET_ADMIN)', multiple: true, multipleNonGreedy: true }),
    'cap-drop': Flags.string({ description: 'drop a capability (or ALL)', multiple: true, multipleNonGreedy: true }),
    privileged: Flags.boolean({ description: 'every capability nestbox holds, no no_new_privs, no seccomp filter: the container can take over the host' }),
    'security-opt': Flags.string({ description: 'seccomp=unconfined: no seccomp filter (no-new-privileges is always on)', multiple: true, multipleNonGreedy: true }),
    trace: Flags.boolean({ description: 'print each step of building the container, with its cost' }),
  };

  async run(): Promise<void> {
    const { own, command, afterDashes } = splitAtCommand(this.argv, Run.flags);
    if (!afterDashes && command[0]?.startsWith('-')) {
      const { UserError } = await import('../kernel/errors.js');
      throw new UserError(`${command[0]}: nestbox's options go before the rootfs or image, the command after it: nestbox run [FLAGS] ROOTFS -- COMMAND`, 125);
    }
    const { args, flags } = await this.parse(Run, own);
    requireRoot('nestbox run');
    if (flags.trace) process.env.NESTBOX_TRACE = '1';
    const { buildSpec } = await import('../runtime/spec.js');
    const { imageConfig } = await import('../image/store.js');
    const spec = buildSpec(args.rootfs, command, flags, imageConfig(args.rootfs));
    (await import('../runtime/terminal.js')).checkTerminalInput(spec);
    // The two threads a container needs are usually booting already (bin/run.js); make sure.
    if (!spec.detach || process.env.NESTBOX_DETACHED_CREATOR) (await import('../kernel/spawn.js')).warmThreads(2);
    if (spec.privileged && !process.env.NESTBOX_DETACHED_CREATOR) {
      // Unlike Docker's, nestbox's --privileged leaves /dev, /sys and the masks as they are; the
      // capabilities alone (CAP_SYS_MODULE, CAP_SYS_ADMIN) are enough to take the host over.
      process.stderr.write('nestbox: warning: --privileged gives the container every capability and no seccomp filter: root in it can load kernel modules and take over the host\n');
      if (flags['cap-add'] || flags['cap-drop']) process.stderr.write('nestbox: warning: --cap-add and --cap-drop are ignored with --privileged (as in Docker)\n');
    }
    const run = await import('../runtime/run.js');
    try {
      if (process.env.NESTBOX_DETACHED_CREATOR) await run.createDetachedAndMonitor(spec);
      else if (spec.detach) process.exitCode = await run.runDetached();
      else process.exitCode = await run.runForeground(spec);
    } finally {
      // A run that fails early must not exit while a warmed thread still loads libc.
      await (await import('../kernel/spawn.js')).threadsSettled();
    }
  }
}
