// `nestbox lab strat uts`: a command that does not exist. oclif's own answer names it by its
// internal id ("command lab:strat:uts not found"); nestbox says what was typed, the nearest
// command when one is a slip of the keyboard away, and where the list is, in one line, with the
// exit status of any other usage error (2). An oclif hook (package.json: oclif.hooks).
import { reportError } from './report-error.js';
import { pick } from '../i18n/lang.js';

interface NotFound {
  /** What was typed, joined by oclif: "lab:strat:uts". */
  id: string;
  config: { commands: { id: string; hidden?: boolean; aliases?: string[] }[]; topics: { name: string }[] };
}

export default async function commandNotFound({ id, config }: NotFound): Promise<never> {
  const words = id.split(':');
  // The longest run of words that names a topic ("lab"): the next word was meant as a command in it.
  const topics = new Set(config.topics.map((t) => t.name));
  let depth = 0;
  while (depth < words.length - 1 && topics.has(words.slice(0, depth + 1).join(':'))) depth++;
  const topic = words.slice(0, depth);
  const typed = words[depth];
  // Commands (with their aliases) and topics at the same place as the word typed.
  const siblings = [...config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...(c.aliases ?? [])]), ...topics]
    .map((name) => name.split(':'))
    .filter((name) => name.length === depth + 1 && name.slice(0, depth).join(':') === topic.join(':'))
    .map((name) => name[depth]);
  const nearest = siblings.map((name) => ({ name, distance: editDistance(typed, name) }))
    .filter((s) => s.distance <= Math.max(1, Math.floor(typed.length / 3)))
    // Closest first; between two as close, the one that starts like the word typed ("stat": stats).
    .sort((a, b) => a.distance - b.distance || commonPrefix(typed, b.name) - commonPrefix(typed, a.name))[0];
  const within = topic.length ? `${topic.join(' ')} ` : '';
  const guess = nearest ? `${within}${nearest.name}` : undefined;
  const message = pick(`no command "${within}${typed}"${guess ? ` (did you mean "${guess}"?)` : ''}: see nestbox ${within}--help`,
    `没有 "${within}${typed}" 这个命令${guess ? `（你想输入的是不是 "${guess}"？）` : ''}：可用的命令见 nestbox ${within}--help`);
  reportError(new Error(message), 2);
  // Said already: oclif only ends the process, with the status above.
  throw Object.assign(new Error(message), { skipOclifErrorHandling: true, oclif: { exit: 2 } });
}

/**
 * The fewest letters to insert, delete or replace, or neighbours to swap, to turn a into b (the
 * "optimal string alignment" distance: "strat" is one swap from "start").
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return n;
}
