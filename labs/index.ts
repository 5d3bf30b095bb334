// Every lab, in syllabus order. `nestbox tutorial` walks this list from the top.
import type { Lab } from '../src/lab/types.js';

/** id -> loader; labs are imported only when listed or run. */
export const LAB_LOADERS: Record<string, () => Promise<{ default: Lab }>> = {
  uts: () => import('./uts.js'),
};

/** Syllabus order. */
export const LAB_ORDER: string[] = Object.keys(LAB_LOADERS);

export async function loadLab(id: string): Promise<Lab | undefined> {
  const loader = LAB_LOADERS[id];
  return loader ? (await loader()).default : undefined;
}

export async function loadAllLabs(): Promise<Lab[]> {
  const labs = await Promise.all(LAB_ORDER.map((id) => loadLab(id)));
  return (labs.filter(Boolean) as Lab[]).sort((a, b) => a.module - b.module || LAB_ORDER.indexOf(a.id) - LAB_ORDER.indexOf(b.id));
}
