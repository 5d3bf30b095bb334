// -u as Docker (runc's GetExecUser) reads it: `user`, `user:group`, `uid`, `uid:gid`, names or
// numbers, looked up in the container's own /etc/passwd and /etc/group. Not the host's: the kernel
// knows only numbers, and the same name may stand for another number in another root filesystem.
import { UserError } from '../errors.js';

export interface UserIds {
  uid: number;
  gid: number;
  /** Supplementary groups: those of /etc/group that list the user by name. */
  groups: number[];
  /** HOME for the process: the passwd entry's, or / when there is none (as runc). */
  home: string;
}

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** What the container's root holds; a file it lacks is undefined. */
export interface UserFiles { passwd?: string; group?: string }

const MAX_ID = 4294967294; // (uid_t)-1 means "unchanged" to setresuid, so it cannot be an id
const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

function bad(message: string): UserError {
  return new UserError(message, 125);
}

function isId(text: string): boolean {
  return /^\d+$/.test(text);
}

/** Syntax only, before anything exists to look names up in. */
export function checkUserSyntax(text: string): void {
  const parts = text.split(':');
  if (parts.length > 2 || parts.some((p) => !p || !(isId(p) || NAME.test(p)))) {
    throw bad(`-u "${text}": give user[:group], each a name or a number, for example 1000:1000 or nobody`);
  }
  for (const p of parts) if (isId(p) && Number(p) > MAX_ID) throw bad(`-u "${text}": ids go up to ${MAX_ID}`);
}

/** /etc/passwd: name:password:uid:gid:gecos:home:shell. Lines that do not parse are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !isId(f[2]) || !isId(f[3])) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' });
  }
  return out;
}

/** /etc/group: name:password:gid:member,member. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || !isId(f[2])) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: f[3].split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

/**
 * The ids a process started with `-u text` gets. A number needs no entry (uid 1000 with no passwd
 * line runs as 1000, group 0, HOME=/, as with Docker); a name must exist. An explicit group replaces
 * the primary group and brings no supplementary ones; otherwise the user's memberships in
 * /etc/group become its supplementary groups.
 */
export function resolveUser(text: string, files: UserFiles): UserIds {
  checkUserSyntax(text);
  const [userPart, groupPart] = text.split(':');
  const users = parsePasswd(files.passwd ?? '');
  const groups = parseGroup(files.group ?? '');
  const entry = isId(userPart) ? users.find((u) => u.uid === Number(userPart)) : users.find((u) => u.name === userPart);
  if (!entry && !isId(userPart)) {
    throw bad(`-u "${text}": no user "${userPart}" in the container's /etc/passwd${files.passwd === undefined ? ' (it has none)' : ''}: give a uid instead`);
  }
  const ids: UserIds = { uid: entry?.uid ?? Number(userPart), gid: entry?.gid ?? 0, groups: [], home: entry?.home ?? '/' };
  if (groupPart !== undefined) {
    if (isId(groupPart)) ids.gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw bad(`-u "${text}": no group "${groupPart}" in the container's /etc/group: give a gid instead`);
      ids.gid = g.gid;
    }
  } else if (entry) {
    ids.groups = [...new Set(groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid))];
  }
  return ids;
}

// --group-add GROUP ----------------------------------------------------------------------------

/** A group for --group-add: a name or a number, checked before anything exists to look it up in. */
export function checkGroupSyntax(text: string): void {
  if (!(isId(text) || (NAME.test(text) && !text.endsWith('$')))) throw bad(`--group-add "${text}": give a group name or a number, for example audio or 29`);
  if (isId(text) && Number(text) > MAX_ID) throw bad(`--group-add "${text}": ids go up to ${MAX_ID}`);
}

/**
 * The ids with --group-add's groups added to the supplementary ones (after those from -u, without
 * repeats), as runc adds a container's AdditionalGids. Names are looked up in the container's
 * own /etc/group; numbers need no entry.
 */
export function addGroups(ids: UserIds, extra: readonly string[], files: UserFiles): UserIds {
  const groups = parseGroup(files.group ?? '');
  const gids = extra.map((g) => {
    if (isId(g)) return Number(g);
    const entry = groups.find((x) => x.name === g);
    if (!entry) throw bad(`--group-add "${g}": no group "${g}" in the container's /etc/group${files.group === undefined ? ' (it has none)' : ''}: give a gid instead`);
    return entry.gid;
  });
  return { ...ids, groups: [...new Set([...ids.groups, ...gids])] };
}
