// `nestbox`, `nestbox --help` and `nestbox --version`, without loading oclif: the list of topics and
// commands is read from oclif.manifest.json (which the build writes) and package.json, and laid out
// as oclif lays out its root help. Loading oclif and its template engine to print this list would
// cost more than twice what Node itself takes to start.
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { wrapText } from '../render/text-width.js';
import { byCodePoint } from '../order.js';

interface Manifest { commands: Record<string, { id: string; summary?: string; description?: string; hidden?: boolean; aliases?: string[] }> }
interface Package { name: string; version: string; description: string; oclif: { topics: Record<string, { description: string }> } }

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')) as T;

export function versionLine(): string {
  const pkg = read<Package>('package.json');
  return `${pkg.name}/${pkg.version} ${platform()}-${arch()} node-${process.version}`;
}

/** Two columns: the names, then each text wrapped to the terminal, continued under itself. */
function list(rows: [string, string][], width: number): string[] {
  const nameWidth = Math.max(...rows.map(([n]) => n.length));
  const textWidth = Math.max(20, width - nameWidth - 4);
  return rows.flatMap(([name, text]) => wrapText(text, textWidth).map((line, i) => `  ${(i ? '' : name).padEnd(nameWidth)}  ${line}`));
}

export function rootHelp(width = Number(process.env.COLUMNS) || process.stdout.columns || 80): string {
  const pkg = read<Package>('package.json');
  const commands = Object.values(read<Manifest>('oclif.manifest.json').commands).filter((c) => !c.hidden);
  const topics = Object.entries(pkg.oclif.topics).sort(([a], [b]) => byCodePoint(a, b)).map(([name, t]): [string, string] => [name, t.description]);
  // A command's top-level aliases (image ls is also `images`, as in Docker) are listed as commands too, as oclif lists them.
  const named = commands.flatMap((c) => [c, ...(c.aliases ?? []).filter((a) => !a.includes(':')).map((id) => ({ ...c, id }))]);
  const top = named.filter((c) => !c.id.includes(':')).sort((a, b) => byCodePoint(a.id, b.id))
    .map((c): [string, string] => [c.id, c.summary ?? c.description?.split('\n')[0] ?? '']);
  return [
    pkg.description,
    '',
    'VERSION',
    `  ${versionLine()}`,
    '',
    'USAGE',
    '  $ nestbox [COMMAND]',
    '',
    'TOPICS',
    ...list(topics, width),
    '',
    'COMMANDS',
    ...list(top, width),
    '',
    '',
  ].join('\n');
}
