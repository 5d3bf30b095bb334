import { pick } from '../i18n/lang.js';

/** Refuse early, with the fix, when not running as root. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    const err = new Error(pick(`${what} needs root: run it with sudo`, `${what} 需要 root 权限：请用 sudo 运行`)) as Error & { exitCode: number };
    err.exitCode = 1;
    throw err;
  }
}
