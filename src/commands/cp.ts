import { Args, Flags } from '../cli/oclif.js';
import { NestboxCommand } from '../cli/base.js';

export default class Cp extends NestboxCommand {
  static summary = 'Copy files and directories between a container and the host, either way, running or stopped.';
  static description = `One of the two paths is CONTAINER:PATH (a path in the container, from its /). As docker cp: a directory is copied with everything in it, modes and times kept; SRC ending in /. copies what is in it rather than the directory itself; a DEST that is a directory receives SRC inside it; a link given as SRC is copied as a link unless -L. Files copied in belong to root unless -a. Every path inside the container is resolved inside its root (openat2 with RESOLVE_IN_ROOT, Linux 5.6 or later): a symbolic link planted in the container never leads the copy out to the host's files. A stopped container's root is mounted for the copy in a mount namespace of its own, seen by no process, and gone when the copy ends. Unlike Docker: no tar streams ("-"), and devices, fifos and sockets are left out.`;
  static usage = ['cp [FLAGS] CONTAINER:SRC DEST', 'cp [FLAGS] SRC CONTAINER:DEST'];
  static examples = [
    'sudo nestbox cp web:/etc/hostname .',
    'sudo nestbox cp ./site/. web:/var/www',
    'sudo nestbox cp -a web:/data /tmp/backup',
  ];
  static args = {
    src: Args.string({ description: 'what to copy: CONTAINER:PATH or a host path', required: true }),
    dest: Args.string({ description: 'where to: a host path or CONTAINER:PATH', required: true }),
  };
  static flags = {
    archive: Flags.boolean({ char: 'a', description: 'keep owners (uid and gid) as in the source' }),
    'follow-link': Flags.boolean({ char: 'L', description: 'follow a link given as SRC' }),
    quiet: Flags.boolean({ char: 'q', description: 'no "Successfully copied" line (none either without a terminal)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cp);
    this.requireRoot();
    const { copyPaths } = await import('../runtime/cp.js');
    const { humanSize } = await import('../runtime/volumes.js');
    const done = await copyPaths(args.src, args.dest, { archive: flags.archive, followLink: flags['follow-link'] });
    for (const s of done.skipped) process.stderr.write(`nestbox: left out ${s}: not a file, directory or link\n`);
    if (process.stderr.isTTY && !flags.quiet) process.stderr.write(`Successfully copied ${humanSize(done.bytes)} to ${done.dest}\n`);
  }
}
