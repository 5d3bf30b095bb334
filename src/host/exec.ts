// Running host tools (ip, iptables) from the CLI's main thread, which is in the host's namespaces.
import { execFile, execFileSync } from 'node:child_process';

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

/** Is a program on PATH? */
export function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
