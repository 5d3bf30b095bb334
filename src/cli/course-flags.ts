// --lang and --ascii, on every command that prints course text (lessons, labs, the tutorial,
// doctor, the live views). Set before anything is printed; --lang is remembered for next time.
import { Flags } from './oclif.js';
import { chooseLang, type Lang } from '../i18n/lang.js';
import { useAscii } from '../render/glyphs.js';

export const courseFlags = {
  lang: Flags.string({ description: 'the course language: zh (中文) or en; remembered for next time (default: from LC_ALL/LC_MESSAGES/LANG)', options: ['zh', 'en'] }),
  ascii: Flags.boolean({ description: 'draw with ASCII only, for terminals that show box lines and ticks two columns wide (default where the locale is not UTF-8)' }),
};

export function applyCourseFlags(flags: { lang?: string; ascii?: boolean }): void {
  if (flags.lang) chooseLang(flags.lang as Lang);
  if (flags.ascii) useAscii(true);
}
