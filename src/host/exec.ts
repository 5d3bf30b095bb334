// Running host tools (ip, iptables) from the CLI's main thread, which is in the host's namespaces.
import { execFile } from 'node:child_process';
import { accessSync, statSync, constants as fsConstants } from 'node:fs';

export interface RunResult { stdout: string; stderr: string; code: number }

/** Run a program and collect its output; never throws for a non-zero exit. */
export function run(file: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 127) : 0;
      resolve({ stdout, stderr: stderr || (err && typeof (err as any).code !== 'number' ? String(err.message) : ''), code });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Run a program and return stdout; throws with its stderr on failure. */
export async function runOk(file: string, args: string[], input?: string): Promise<string> {
  const r = await run(file, args, input);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/**
 * Where a program is on PATH (like `command -v`), or undefined. A scan of PATH's directories, not a
 * shell: nestbox asks this on hot paths, where starting `sh` would cost milliseconds each time.
 */
export function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  // sbin directories too: root's tools (ip, iptables) live there even when PATH lacks them.
  for (const dir of [...dirs, '/usr/sbin', '/sbin']) {
    if (dir && isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
