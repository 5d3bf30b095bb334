// Progress through the labs, saved per user so a learner can stop and come back. Under sudo the
// file belongs to the user who ran sudo (SUDO_USER), in their XDG state directory, not root's.
import { mkdirSync, readFileSync, writeFileSync, renameSync, chownSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { homedir } from 'node:os';

export type LabStatus = 'in-progress' | 'done';

export interface LabProgress { status: LabStatus; step: number; updated: string }
export interface Progress { version: 1; labs: Record<string, LabProgress>; /** --lang, remembered (src/i18n/lang.ts) */ lang?: 'en' | 'zh' }

/** The invoking user's home and ids: SUDO_USER's when run through sudo. */
function invokingUser(): { home: string; uid?: number; gid?: number } {
  const sudoUser = process.env.SUDO_USER;
  if (sudoUser && sudoUser !== 'root' && process.getuid?.() === 0) {
    try {
      const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(sudoUser + ':'));
      if (line) {
        const f = line.split(':');
        return { home: f[5], uid: Number(f[2]), gid: Number(f[3]) };
      }
    } catch { /* fall through */ }
  }
  return { home: homedir() };
}

function progressFile(): string {
  if (process.env.NESTBOX_STATE_DIR) return join(process.env.NESTBOX_STATE_DIR, 'progress.json');
  const user = invokingUser();
  const base = process.env.SUDO_USER ? join(user.home, '.local', 'state') : process.env.XDG_STATE_HOME || join(user.home, '.local', 'state');
  return join(base, 'nestbox', 'progress.json');
}

export function loadProgress(): Progress {
  try {
    const p = JSON.parse(readFileSync(progressFile(), 'utf8'));
    if (p && p.version === 1 && typeof p.labs === 'object') return p;
  } catch { /* none yet, or unreadable: start fresh */ }
  return { version: 1, labs: {} };
}

function save(p: Progress): void {
  const file = progressFile();
  const dir = dirname(file);
  const user = invokingUser();
  const fresh = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(p, null, 2) + '\n');
  renameSync(tmp, file);
  if (user.uid !== undefined && !process.env.NESTBOX_STATE_DIR) {
    try {
      if (fresh) chownSync(dir, user.uid, user.gid!);
      chownSync(file, user.uid, user.gid!);
    } catch { /* not fatal */ }
  }
}

export function recordStep(labId: string, stepsDone: number, total: number): void {
  const p = loadProgress();
  // Going through a finished lab again does not make it unfinished.
  const done = stepsDone >= total || p.labs[labId]?.status === 'done';
  p.labs[labId] = { status: done ? 'done' : 'in-progress', step: done ? total : stepsDone, updated: new Date().toISOString() };
  save(p);
}

export function rememberLanguage(lang: 'en' | 'zh'): void {
  const p = loadProgress();
  if (p.lang === lang) return;
  p.lang = lang;
  save(p);
}

export function resetProgress(labId?: string): void {
  const p = loadProgress();
  if (labId) delete p.labs[labId];
  else p.labs = {};
  save(p);
}
