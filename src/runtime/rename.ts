// docker rename: a container's name is a symbolic link in /var/lib/nestbox/names pointing at its id
// (store.ts). Renaming claims the new link first (symlink(2) is atomic: of two containers asking
// for one name, one gets it), then writes the config, then lets the old name go. Nothing about the
// running container changes: its hostname and processes stay as they are, as in Docker.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { checkName } from './spec.js';
import { claimName, findContainer, nameOwner, paths, releaseName, writeJson } from './store.js';

export function renameContainer(ref: string, newName: string): { id: string; from: string; to: string } {
  const c = findContainer(ref);
  try {
    checkName(newName);
  } catch (err) {
    throw new UserError((err as Error).message, 1);
  }
  if (newName === c.spec.name) throw new UserError(`Renaming a container with the same name as its current name (${newName})`, 1);
  try {
    claimName(newName, c.id);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    throw new UserError(`Conflict. The container name "/${newName}" is already in use by container "${nameOwner(newName)}". You have to remove (or rename) that container to be able to reuse that name.`, 1);
  }
  try {
    // The config as saved, with only the name changed.
    const config = JSON.parse(readFileSync(paths(c.id).config, 'utf8'));
    writeJson(paths(c.id).config, { ...config, name: newName });
  } catch (err) {
    releaseName(newName, c.id);
    throw err;
  }
  releaseName(c.spec.name, c.id);
  return { id: c.id, from: c.spec.name, to: newName };
}
