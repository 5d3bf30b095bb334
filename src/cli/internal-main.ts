// `nestbox internal ...`: what nestbox runs for itself, never typed by a person (so without oclif,
// whose loading would slow every container start and restart).
//   internal start ID [--wait-for-client SECONDS] [--discard-on-failure]  make it, become its monitor
//   internal exited ID    the monitor's successor once PID 1 has ended (record, release, --restart)
//   internal restart ID   --restart after a foreground run ended
export async function internalMain(argv: string[]): Promise<void> {
  const [what, id, ...rest] = argv;
  if (!id || !/^[0-9a-f]{12}$/.test(id)) throw new Error(`internal ${what ?? ''}: a container id is needed`);
  const monitor = await import('../runtime/monitor.js');
  switch (what) {
    case 'start': {
      const wait = rest.indexOf('--wait-for-client');
      return monitor.startAndMonitor(id, {
        waitForClient: wait >= 0 ? Number(rest[wait + 1]) : undefined,
        discardOnFailure: rest.includes('--discard-on-failure'),
      });
    }
    case 'exited': return monitor.containerExited(id);
    case 'restart': return monitor.restartIfWanted(id);
    default: throw new Error(`internal ${what}: unknown`);
  }
}

// bin/run.js settles the threads through the same module instance as internalMain.
export { threadsSettled } from '../kernel/spawn.js';
