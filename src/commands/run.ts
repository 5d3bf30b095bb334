import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';
import { RUN_OPTIONS } from '../cli/run-options.js';
import { runMain } from '../cli/run-main.js';

export default class Run extends NestboxCommand {
  static summary = 'Run a command in a new container, built from the same kernel steps as the labs.';
  static description = `The container gets new mount, UTS, IPC, PID, network and cgroup namespaces, an overlay root (the image or directory read-only, its own writable layer on top), a fresh /proc, a minimal /dev, /sys read-only, its own cgroup read-only on /sys/fs/cgroup, Docker's masked /proc paths, Docker's 14 default capabilities, a seccomp filter refusing the system calls Docker's default profile refuses, and no_new_privs (which Docker sets only with --security-opt no-new-privileges); the command is PID 1. ROOTFS is a directory (default: the built-in root, made on first use), or an image (\`nestbox build\`, \`image load\`, \`image import\`; NAME means NAME:latest, an ID or its prefix works too), whose config applies as in Docker: its ENTRYPOINT and CMD (a command given replaces CMD; --entrypoint replaces both), ENV (under -e), WORKDIR (unless -w), USER (unless -u), LABELs, VOLUMEs (anonymous volumes), STOPSIGNAL, and with -P its EXPOSEd ports. The exit status is the command's; 125 means nestbox itself failed, 126 the command is not executable, 127 it was not found, 137 it was killed (OOM or SIGKILL).`;
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
  static flags = Object.fromEntries(Object.entries(RUN_OPTIONS).map(([name, o]) => [name, o.type === 'boolean'
    ? Flags.boolean({ char: o.char as 'd', description: o.description, aliases: o.aliases })
    : Flags.string({ char: o.char as 'd', description: o.description, aliases: o.aliases, multiple: o.multiple as true, multipleNonGreedy: o.multiple })]));

  // bin/run.js calls runMain itself, without loading oclif; this is for any other way in.
  async run(): Promise<void> {
    await runMain(this.argv);
  }
}
