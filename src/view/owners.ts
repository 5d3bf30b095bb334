// Who a namespace belongs to, for the live views: a container (by name) or a lab (by id). Read from
// nestbox's own records: a container's state names its PID 1, a lab's ledger the processes and
// named network namespaces it made. A process started inside a container or a lab (a shell, a
// server) is found through the namespace it shares with one of those.
import { Ledger } from '../host/ledger.js';
import { listContainers } from '../runtime/store.js';
import { t, type Text } from '../i18n/lang.js';

export interface Owners {
  /** PID -> owner, for the processes nestbox recorded. */
  byPid: Map<number, Text>;
  /** Named network namespace -> owner. */
  byNetns: Map<string, Text>;
}

export function readOwners(): Owners {
  const byPid = new Map<number, Text>();
  const byNetns = new Map<string, Text>();
  try {
    for (const c of listContainers()) {
      if (c.state.Pid && c.state.Status !== 'exited') byPid.set(c.state.Pid, t(`container ${c.spec.name}`, `容器 ${c.spec.name}`));
    }
  } catch { /* no store yet */ }
  for (const owner of Ledger.owners()) {
    const lab = /^lab-(.+)-[a-z0-9]+$/.exec(owner)?.[1];
    if (!lab) continue;
    const label = t(`lab ${lab}`, `实验 ${lab}`);
    for (const e of new Ledger(owner).entries()) {
      if (e.kind === 'process') byPid.set(e.pid, label);
      if (e.kind === 'netns') byNetns.set(e.name, label);
    }
  }
  return { byPid, byNetns };
}
