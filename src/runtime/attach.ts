// `nestbox attach`: join your terminal to a detached container's main process, through its
// monitor's socket (bin/nestbox-monitor). Unlike `exec`, which starts a new process in the
// container, attach connects to PID 1's own input and output: type `exit` in an attached shell and
// PID 1 ends, and with it the container. To leave it running, detach with Ctrl-P Ctrl-Q (Docker's
// keys; --detach-keys changes them).
//
// The socket speaks Docker's framing: output comes in stdcopy frames without a terminal (a byte for
// the stream, 1 stdout or 2 stderr, three zeros, a 4-byte big-endian length, the data) and as is
// with one; input goes as frames of a type byte (0 data, 1 window size, 2 end of input), a length
// and the data.
import { connect, Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { findContainer, paths, containerLedger, type Container } from './store.js';
import { readMonitorStatus } from './finish.js';
import { setTimeout as sleep } from 'node:timers/promises';

const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's --detach-keys: comma-separated keys, each a single character or ctrl-X (X a letter or one of @[\]^_). */
export function parseDetachKeys(text: string): Buffer {
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    const ctrl = /^ctrl-([a-z@[\\\]^_])$/i.exec(key);
    if (ctrl) bytes.push(ctrl[1].toUpperCase().charCodeAt(0) & 0x1f);
    else if (key.length === 1) bytes.push(key.charCodeAt(0));
    else throw new UserError(`--detach-keys "${text}": use comma-separated keys, each a character or ctrl-<letter> (for example ctrl-p,ctrl-q)`, 1);
  }
  return Buffer.from(bytes);
}

/**
 * Input from the user, scanned for the detach sequence: bytes that could be its start are held back
 * until the next key says whether it is (then nothing of it is sent) or not (then they are sent).
 */
export class DetachScanner {
  private matched = 0;
  constructor(private readonly keys: Buffer) {}

  /** What to send of `data`, and whether the sequence is now complete. */
  feed(data: Buffer): { send: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of data) {
      if (byte === this.keys[this.matched]) {
        if (++this.matched === this.keys.length) return { send: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: what was held back goes first, then this byte is looked at afresh.
      out.push(...this.keys.subarray(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { send: Buffer.from(out), detach: false };
  }
}

/** Splits Docker's stdcopy frames as they arrive (a frame may be cut anywhere). */
export class FrameReader {
  private buffered = Buffer.alloc(0);
  constructor(private readonly onFrame: (stream: number, data: Buffer) => void) {}

  feed(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const length = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + length) return;
      this.onFrame(this.buffered[0], this.buffered.subarray(8, 8 + length));
      this.buffered = this.buffered.subarray(8 + length);
    }
  }
}

/** A frame to the monitor: type, length, data. */
export function inputFrame(type: 0 | 1 | 2, data: Buffer | string = ''): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

export interface AttachOptions {
  /** Send your input to the container (attach: unless --no-stdin; start -a: with -i). */
  stdin: boolean;
  detachKeys?: string;
  /** Pass Ctrl-C (SIGINT) and SIGTERM on to PID 1 when there is no terminal (Docker's --sig-proxy). */
  sigProxy?: boolean;
  /** When your input ends, close the container's (start -ai: Docker's StdinOnce). */
  closeStdinAtEnd?: boolean;
}

/**
 * Attach until the container ends (resolves to its exit code, once its end is recorded) or you
 * detach (resolves to undefined).
 */
export async function attachContainer(ref: string, opts: AttachOptions): Promise<number | undefined> {
  const keys = parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
  const c = findContainer(ref);
  if (c.state.Status !== 'running' && c.state.Status !== 'paused') {
    throw new UserError(`container ${c.spec.name} is not running (${c.state.Status}): you cannot attach to a stopped container, start it first (nestbox start -a ${c.spec.name})`, 1);
  }
  const socketPath = paths(c.id).socket;
  if (!c.state.MonitorPid) {
    throw new UserError(`container ${c.spec.name} runs in the foreground of a \`nestbox run\`, joined to that terminal: attach reaches containers started with -d or nestbox start (use nestbox exec to open a shell in it)`, 1);
  }
  const socket = await connectWhenReady(socketPath, c);
  const tty = c.spec.tty;
  const input = opts.stdin && c.spec.interactive;
  return new Promise((resolve, reject) => {
    let detached = false;
    const cleanups: (() => void)[] = [];
    const finish = (how: 'detached' | 'ended') => {
      for (const undo of cleanups.splice(0)) undo();
      if (how === 'detached') {
        detached = true;
        socket.destroy();
        resolve(undefined);
      } else {
        exitCodeOnceRecorded(c).then(resolve, reject);
      }
    };
    socket.on('close', () => { if (!detached) finish('ended'); });
    socket.on('error', () => undefined);

    // Output.
    if (tty) {
      socket.on('data', (d: Buffer) => process.stdout.write(d));
    } else {
      const frames = new FrameReader((stream, data) => (stream === 2 ? process.stderr : process.stdout).write(data));
      socket.on('data', (d: Buffer) => frames.feed(d));
    }

    // The window size follows yours.
    if (tty && process.stdout.isTTY) {
      const resize = () => socket.write(inputFrame(1, `${process.stdout.rows} ${process.stdout.columns}`));
      resize();
      process.stdout.on('resize', resize);
      cleanups.push(() => process.stdout.removeListener('resize', resize));
    }

    // Input, with the detach keys taken out.
    if (input) {
      const scanner = new DetachScanner(keys);
      if (tty && process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        // Should nestbox die in raw mode, the shell it returns to must still be usable.
        const restore = () => process.stdin.setRawMode(false);
        process.once('exit', restore);
        cleanups.push(() => { restore(); process.removeListener('exit', restore); });
      }
      const onData = (d: Buffer) => {
        const { send, detach } = scanner.feed(d);
        if (send.length) socket.write(inputFrame(0, send));
        if (detach) {
          process.stderr.write(tty ? '\r\nread escape sequence\r\n' : 'read escape sequence\n');
          finish('detached');
        }
      };
      const onEnd = () => { if (opts.closeStdinAtEnd) socket.write(inputFrame(2)); };
      process.stdin.on('data', onData).on('end', onEnd).resume();
      // Done with the input: let it go, or an open pipe would keep nestbox waiting on it.
      cleanups.push(() => { process.stdin.removeListener('data', onData).removeListener('end', onEnd).destroy(); });
    }

    // Without a terminal, Ctrl-C is a signal to nestbox: pass it on, as `docker attach` does.
    if (!tty && opts.sigProxy !== false) {
      const handlers = (['SIGINT', 'SIGTERM'] as NodeJS.Signals[]).map((sig) => {
        const h = () => { try { process.kill(findContainer(c.id).state.Pid, sig); } catch { /* gone */ } };
        process.on(sig, h);
        return [sig, h] as const;
      });
      cleanups.push(() => { for (const [sig, h] of handlers) process.removeListener(sig, h); });
    }
  });
}

/** The monitor's socket exists a moment after the monitor has started: retry briefly. */
async function connectWhenReady(path: string, c: Container): Promise<Socket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline || !existsSync(paths(c.id).dir)) {
        throw new UserError(`could not reach the monitor of ${c.spec.name} (${(err as Error).message}): is it still running? (nestbox ps -a)`, 1);
      }
      await sleep(20);
    }
  }
}

/**
 * The container's exit code, once its end has been handled: the monitor writes the exit status
 * before it lets its clients go, then hands over to `internal exited`, which releases what the
 * container held (and, for --rm, removes it). Waiting for that too means that when `start -a`
 * returns, nothing of the container's run is left on the host.
 */
async function exitCodeOnceRecorded(c: Container): Promise<number> {
  const exit = readMonitorStatus(c.id);
  const ledger = containerLedger(c.id);
  const deadline = Date.now() + 300_000;
  for (;;) {
    let now: Container | undefined;
    try { now = findContainer(c.id); } catch { now = undefined; } // removed as it ended (--rm)
    const restarted = now && (now.state.Status === 'restarting' || now.state.StartedAt !== c.state.StartedAt);
    if (!ledger.exists() || !now || restarted || Date.now() > deadline) return exit?.code ?? now?.state.ExitCode ?? 0;
    await sleep(20);
  }
}
