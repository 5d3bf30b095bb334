// The course in two languages. Every text a learner reads in a lab is a Text: its English and its
// Chinese side by side in the same place in the code, so neither can change without the other in
// view (test/i18n.test.ts fails when one is missing). Commands, paths, kernel names and the
// kernel's own output are not translated: they stay as the learner types or sees them.
import { loadProgress, rememberLanguage } from '../lab/progress.js';

export type Lang = 'en' | 'zh';
const LANGS: readonly Lang[] = ['en', 'zh'];

/** One text in both languages. */
export interface Text { en: string; zh: string }

/** A Text, written where it is used: t('Look at the host', '看看宿主机'). */
export function t(en: string, zh: string): Text {
  return { en, zh };
}

export function isText(v: unknown): v is Text {
  return typeof v === 'object' && v !== null && typeof (v as Text).en === 'string' && typeof (v as Text).zh === 'string';
}

let chosen: Lang | undefined;

/**
 * The language of this run: `--lang` when given (and then remembered with the learner's progress),
 * else NESTBOX_LANG, else the one remembered, else the locale's (LC_ALL, then LC_MESSAGES, then
 * LANG: zh_* is Chinese).
 */
export function lang(): Lang {
  if (chosen) return chosen;
  // NESTBOX_LANG: a script's or a test's choice, for this run only.
  const forced = process.env.NESTBOX_LANG as Lang | undefined;
  if (forced && LANGS.includes(forced)) return (chosen = forced);
  const remembered = loadProgress().lang;
  chosen = remembered && LANGS.includes(remembered) ? remembered : localeLang();
  return chosen;
}

function localeLang(env: NodeJS.ProcessEnv = process.env): Lang {
  // The first of these that is set decides, as in setlocale(3) for LC_MESSAGES.
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(locale) ? 'zh' : 'en';
}

/** `--lang`: this run's language, remembered for the next ones. */
export function chooseLang(l: Lang, remember = true): void {
  chosen = l;
  if (remember) {
    try { rememberLanguage(l); } catch { /* a read-only home: the choice holds for this run */ }
  }
}

/** The text in this run's language (a plain string is shown as it is: a command, a path, a value). */
export function tr(text: Text | string): string {
  return typeof text === 'string' ? text : text[lang()];
}

/** The same choice for two strings given inline, for messages built in place. */
export function pick(en: string, zh: string): string {
  return lang() === 'zh' ? zh : en;
}
