// -t: the container gets a terminal of its own, as with `docker run -t`. nestbox makes a pseudo-
// terminal pair in the container's devpts (src/kernel/pty.ts); the container's first process opens
// the slave as its controlling terminal, and nestbox copies between the master and the user's
// terminal. The user's terminal is put in raw mode, so every key (Ctrl-C, Ctrl-Z, arrows) reaches
// the container's line discipline, which turns Ctrl-C into SIGINT for the container's foreground
// process group, not for nestbox.
import tty from 'node:tty';
import { chownSync } from 'node:fs';
import { openPty, setWindowSize } from '../kernel/pty.js';
import { UserError } from '../errors.js';

/** -i -t copies keys from the user's terminal: standard input must be one (as docker says too). */
export function checkTerminalInput(flags: { tty?: boolean; interactive?: boolean }): void {
  if (flags.tty && flags.interactive && !process.stdin.isTTY) {
    throw new UserError('the input device is not a terminal: use -i without -t to pipe input into the container', 125);
  }
}

export interface ContainerTerminal {
  /** The slave, as the container names it (/dev/pts/N): for its process to open. */
  path: string;
  /** Copy output (and input, when `input`) until the container's side is closed; `also` sees the output too (the log). */
  attach(input: boolean, also?: (data: Buffer) => void): void;
  /** Resolves once every process holding the slave is gone and its last output is written. */
  closed: Promise<void>;
  /** Give the user's terminal back as it was. */
  detach(): void;
}

/**
 * A new pseudo-terminal in the devpts of the container whose process is `pid`, its slave owned by
 * the container's user: the master's descriptor and the slave's path inside the container.
 */
export function openContainerPty(pid: number, user?: { uid: number; gid: number }): { master: number; path: string } {
  const root = `/proc/${pid}/root`;
  const { master, number } = openPty(`${root}/dev/pts/ptmx`);
  const path = `/dev/pts/${number}`;
  // The slave belongs to whoever opened the master (root): a container running as another user
  // could not open it.
  if (user) chownSync(`${root}${path}`, user.uid, user.gid);
  return { master, path };
}

/** A terminal in the devpts of the container whose process is `pid`, owned by its user. */
export function containerTerminal(pid: number, user?: { uid: number; gid: number }): ContainerTerminal {
  const { master, path } = openContainerPty(pid, user);
  const resize = () => { if (process.stdout.isTTY) setWindowSize(master, process.stdout.rows, process.stdout.columns); };
  resize();

  const stream = new tty.ReadStream(master);
  let raw = false;
  const fromUser = (d: Buffer) => stream.write(d);
  // When the last holder of the slave closes it, reading the master fails with EIO: the end.
  const closed = new Promise<void>((resolve) => {
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
  });
  return {
    path,
    closed,
    attach(input, also) {
      stream.on('data', (d: Buffer) => { process.stdout.write(d); also?.(d); });
      process.stdout.on('resize', resize);
      if (input && process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        raw = true;
        // Should nestbox die in raw mode, the shell it returns to must still be usable.
        process.once('exit', () => { if (raw) process.stdin.setRawMode(false); });
      }
      if (input) process.stdin.on('data', fromUser).resume();
    },
    detach() {
      process.stdout.removeListener('resize', resize);
      process.stdin.removeListener('data', fromUser).pause();
      if (raw) process.stdin.setRawMode(false);
      raw = false;
      stream.destroy();
    },
  };
}
