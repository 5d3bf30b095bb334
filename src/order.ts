// Sorting names, ids and ISO times: by their characters' code points.
//
// String.prototype.localeCompare builds ICU's collator the first time it is called, 6-10 ms on a
// 2-CPU VM: more than `nestbox --help` spends on everything else it does. The text nestbox sorts
// (command and image names, hexadecimal ids, ISO 8601 times) is lowercase ASCII, digits and
// punctuation, which code-point order puts in the same order as the collator.
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
