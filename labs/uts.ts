// Lab "uts": the UTS namespace gives a process its own hostname (and NIS domain name).
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import { CLONE_NEWUTS } from '../src/kernel/constants.js';
import { namespaceId } from '../src/kernel/proc.js';
import { gethostname } from '../src/kernel/syscalls.js';
import { baseEnv, waitForExit } from '../src/kernel/spawn.js';
import { readFileSync } from 'node:fs';
import { runJoined } from './kit.js';

/** Read a process's hostname from inside its UTS namespace: a short `cat` joins it (like nsenter -u). */
export async function hostnameOf(ctx: LabContext, pid: number): Promise<string> {
  return (await runJoined(ctx, pid, ['uts'], ['/bin/cat', '/proc/sys/kernel/hostname'])).out;
}

const lab: Lab = {
  id: 'uts',
  title: 'The UTS namespace: a hostname of its own',
  module: 2,
  lesson: 'uts',
  needs: ['root', 'ns-uts'],
  steps: [
    {
      id: 'host',
      title: "Look at the host's own UTS namespace",
      explain: 'Every process is in exactly one UTS namespace; `/proc/PID/ns/uts` is a link whose inode number names it. Processes with the same number share one hostname.',
      command: 'readlink /proc/self/ns/uts; hostname',
      syscall: 'readlink(2) on /proc/self/ns/uts, uname(2)',
      async perform(ctx) {
        ctx.state.hostUts = namespaceId('self', 'uts');
        ctx.state.hostHostname = gethostname();
        return `the host's UTS namespace is uts:[${ctx.state.hostUts}], hostname "${ctx.state.hostHostname}"`;
      },
      async verify(ctx) {
        return [observe('hostname from /proc/sys/kernel/hostname', ctx.state.hostHostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())];
      },
    },
    {
      id: 'unshare',
      title: 'Create a UTS namespace and give it a hostname',
      explain: 'A thread of nestbox calls `unshare(CLONE_NEWUTS)`. Namespaces belong to threads, so only that thread moves, into a fresh UTS namespace (a copy of the old one), and `sethostname()` changes the copy. The `sleep` it then starts inherits the namespace and keeps it alive. The host keeps its name.',
      command: `unshare --uts sh -c 'hostname nestbox-lab; exec sleep infinity' &`,
      syscall: 'unshare(CLONE_NEWUTS); sethostname("nestbox-lab"); posix_spawn("/bin/sleep")',
      async perform(ctx) {
        ctx.state.pid = await ctx.spawn({ argv: ['/bin/sleep', 'infinity'], env: baseEnv(), unshare: CLONE_NEWUTS, hostname: 'nestbox-lab' }, 'holds the lab UTS namespace');
        return `started PID ${ctx.state.pid} in a new UTS namespace`;
      },
      async verify(ctx) {
        const inside = namespaceId(ctx.state.pid, 'uts');
        return [
          observeThat(`/proc/${ctx.state.pid}/ns/uts`, `≠ host's uts:[${ctx.state.hostUts}]`, `uts:[${inside}]`, inside !== undefined && inside !== ctx.state.hostUts),
          observe('hostname inside (read through setns)', 'nestbox-lab', await hostnameOf(ctx, ctx.state.pid)),
          observe('hostname on the host', ctx.state.hostHostname, gethostname()),
          observe('mount namespace (not unshared)', `mnt:[${namespaceId('self', 'mnt')}]`, `mnt:[${namespaceId(ctx.state.pid, 'mnt')}]`),
        ];
      },
    },
    {
      id: 'exercise',
      title: 'Rename the namespace yourself',
      explain: 'Now you change the hostname *inside* the namespace. Whatever you do in there, the host must keep its name.',
      command: 'nsenter --target PID --uts hostname box1',
      syscall: 'setns(fd of /proc/PID/ns/uts, CLONE_NEWUTS); sethostname("box1")',
      exercise: {
        task: 'Set the hostname inside the lab namespace to **box1**. Use the shell nestbox opens inside it (`hostname box1`), or from another terminal: `nsenter --target PID --uts hostname box1`.',
        hints: [
          '`hostname` with no argument prints the name of the UTS namespace it runs in: in the lab shell it says nestbox-lab, in your own terminal the host\'s name. Change it where it says nestbox-lab.',
          'Inside the lab shell, run `hostname box1`, then `exit`.',
          'From a second terminal, `nsenter -t PID -u` joins the UTS namespace of process PID first: `nsenter -t PID -u hostname box1`.',
        ],
        shell: { pidKey: 'pid', types: ['uts'] },
        async solve(ctx) {
          const p = await ctx.spawn({ argv: ['/bin/hostname', 'box1'], env: baseEnv(), join: { pid: ctx.state.pid, types: ['uts'] } });
          await waitForExit(p);
        },
        async mistake(ctx) {
          // Changing it somewhere else: a brand-new namespace, not the lab's.
          const p = await ctx.spawn({ argv: ['/bin/hostname', 'box1'], env: baseEnv(), unshare: CLONE_NEWUTS });
          await waitForExit(p);
        },
      },
      async verify(ctx) {
        return [
          observe('hostname inside the lab namespace', 'box1', await hostnameOf(ctx, ctx.state.pid)),
          observe('hostname on the host', ctx.state.hostHostname, gethostname()),
        ];
      },
    },
  ],
};

export default lab;
