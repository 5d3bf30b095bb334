// What a lab is. A lab is data plus code: ordered steps, each explaining an idea, doing it for real
// through src/kernel (`perform`), and reading the kernel's state back (`verify`). Exercise steps ask
// the learner to do it themselves; `verify` is then the check, and `solve` the reference answer.
import type { Ledger } from '../host/ledger.js';
import type { SpawnRequest } from '../kernel/spawn.js';
import type { RunResult } from '../host/exec.js';
import type { Text } from '../i18n/lang.js';
import type { CheckId } from '../doctor/checks.js';

export type { Text };
export { t } from '../i18n/lang.js';

/**
 * What a learner reads: a Text in both languages. A plain string is for what is not translated:
 * a path, a command, a value as the kernel prints it (test/i18n.test.ts finds prose left in one).
 */
export type Shown = Text | string;

/** One thing read back from the kernel, with what the lab expected to see. */
export interface Observation {
  /** What was read, e.g. "hostname inside (/proc/sys/kernel/hostname via setns)". */
  what: Shown;
  expected: Shown;
  observed: Shown;
  ok: boolean;
}

/** A value as shown: a Text stays one, anything else becomes its string. */
const shown = (v: unknown): Shown => (typeof v === 'object' && v !== null && 'en' in v && 'zh' in v ? (v as Text) : String(v));
/** The value to compare: a Text by its English (both languages say the same thing). */
const plain = (v: Shown): string => (typeof v === 'string' ? v : v.en);

/** Shorthand for an observation: ok when observed equals expected. */
export function observe(what: Shown, expected: unknown, observed: unknown): Observation {
  const [e, o] = [shown(expected), shown(observed)];
  return { what, expected: e, observed: o, ok: plain(e) === plain(o) };
}

/** An observation whose test is a predicate (expected is a description, e.g. "≠ host's 4026531838"). */
export function observeThat(what: Shown, expected: Shown, observed: unknown, ok: boolean): Observation {
  return { what, expected, observed: shown(observed), ok };
}

/**
 * What the labs' kits keep in every lab's state (the helpers they started, the lab's bridge), besides
 * what each lab declares for itself.
 */
export interface KitState {
  /** Helpers startSleeper started: stopped and collected by reapHelpers. */
  sleepers?: number[];
  /** The network kit's bridge, its subnet and gateway, and whether it turned ip_forward on. */
  bridge?: string;
  subnet?: string;
  gateway?: string;
  usesForward?: boolean;
}

/**
 * What a step is given. S is the lab's own state: the values its steps pass to later steps (PIDs,
 * names, paths), declared by each lab, so a misspelt key does not compile.
 */
export interface LabContext<S extends object = KitState> {
  /** The lab's id ("uts"). */
  readonly labId: string;
  /** Short unique token for names of objects this run creates (e.g. "k3x9"): interfaces are nb<purpose><unique>. */
  readonly unique: string;
  /** Values steps pass to later steps (PIDs, names, paths): empty at the start, filled as steps run. */
  readonly state: S & KitState;
  /** Every kernel object the lab creates is recorded here as it is created; cleanup undoes them. */
  readonly ledger: Ledger;
  /** A directory of this run's own, under /var/lib/nestbox/labs (recorded, removed at the end). */
  readonly workDir: string;
  /** The default root filesystem, built on first use. */
  rootfs(): string;
  /** spawnInNamespaces + a ledger record, so the process is killed at cleanup. Resolves to the host PID. */
  spawn(req: SpawnRequest, note?: string): Promise<number>;
  /** Run a host tool (ip, iptables) in the host's namespaces; its output is returned, never thrown. */
  exec(file: string, args: string[], input?: string): Promise<RunResult>;
  /** Like exec, but throws when the tool fails. */
  execOk(file: string, args: string[], input?: string): Promise<string>;
  /** Narrate what was done (shown under the step). */
  say(line: Shown): void;
}

export interface Exercise<S extends object = any> {
  /** What the learner is asked to do (markdown). */
  task: Text;
  /** Shown one at a time when the check fails. */
  hints: Text[];
  /**
   * Where the learner works: a shell nestbox opens inside a namespace (join the namespaces of the
   * process in state[pidKey]), or their own second terminal on the host.
   */
  shell?: { pidKey: keyof S & string; types: import('../kernel/constants.js').NamespaceType[] } | 'host';
  /** The reference answer, done for real (used by --yes and the tests). */
  solve(ctx: LabContext<S>): Promise<void>;
  /** A typical wrong attempt, done for real: the tests run it and expect the check to fail. */
  mistake?(ctx: LabContext<S>): Promise<void>;
}

export interface Step<S extends object = any> {
  id: string;
  title: Text;
  /** The idea, in markdown. */
  explain: Text;
  /**
   * The shell command a learner would type for the same effect. A Text when a comment in it says
   * something in words; the command itself is the same in both languages.
   */
  command?: Shown;
  /**
   * The system call(s) it stands for. A plain string when it is only calls, flags and paths; a Text
   * when it also says something in words (the calls and flags are the same in both languages).
   */
  syscall?: Shown;
  /** Do it for real; may return a one-line summary of what was done. */
  perform?(ctx: LabContext<S>): Promise<Shown | void>;
  /** Read the kernel's state back. For an exercise this is the check. */
  verify(ctx: LabContext<S>): Promise<Observation[]>;
  exercise?: Exercise<S>;
  /** Undo what perform did that the ledger does not cover (rare: the ledger covers most). */
  cleanup?(ctx: LabContext<S>): Promise<void>;
}

/** What a lab needs from the machine: ids of `nestbox doctor` checks that must pass. */
export type Requirement = CheckId;

export interface Lab<S extends object = any> {
  id: string;
  title: Text;
  /** Syllabus module number (0-15). */
  module: number;
  /** The lesson this lab belongs to (lessons/NN-<lesson>.md). */
  lesson: string;
  /** doctor check ids, e.g. ['root', 'ns-uts']; the lab is unavailable when one does not pass. */
  needs: Requirement[];
  steps: Step<S>[];
}
