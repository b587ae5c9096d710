// Format layer: splits `ipvsadm -R` input into lines of tokens the way ipvsadm's config_stream reader does.
//
// ipvsadm reads each line as words separated by spaces, tabs and carriage returns (not other white space), drops
// every word that is exactly "ipvsadm", and skips lines without words. It has no comment syntax: the
// ipvsadm-restore script removes lines starting with "#" before feeding ipvsadm -R, and lvsd does the same.

/**
 * RestoreLine is one input line holding at least one word (comments and blank lines are not returned): its words
 * and each word's 1-based column, as two arrays (an object per word was a measurable part of lexing a large dump).
 */
export interface RestoreLine {
  readonly line: number;
  readonly words: readonly string[];
  readonly columns: readonly number[];
  /** set on a final line without a newline that ends in two or more blanks: ipvsadm -R silently drops such a line */
  readonly droppedByIpvsadm: boolean;
}

/** MAX_TOKEN is config_stream's word buffer size; longer words are split by ipvsadm in ways not worth repeating. */
export const MAX_TOKEN = 4096;

const isBlank = (c: number): boolean => c === 32 /* space */ || c === 9 /* tab */ || c === 13; /* carriage return */

/**
 * lexRestore splits restore input into numbered lines of words. It scans characters by hand: a regular expression
 * per line allocated a match object per word, which made lexing a 22,000-line dump the slowest step of a restore.
 */
export function lexRestore(text: string): RestoreLine[] {
  const out: RestoreLine[] = [];
  forEachRestoreLine(text, (l) => out.push(l));
  return out;
}

/**
 * forEachRestoreLine hands each line of words to `fn` as it is read: a caller that keeps only what it makes of a
 * line lets the words die young (holding every line of a 22,000-line dump at once doubled the collector's work).
 */
export function forEachRestoreLine(text: string, fn: (line: RestoreLine) => void): void {
  const n = text.length;
  let start = 0;
  for (let line = 1; start < n; line++) {
    let end = text.indexOf('\n', start);
    const finalWithoutNewline = end < 0;
    if (finalWithoutNewline) end = n;
    if (text.charCodeAt(start) !== 35 /* # */) {
      const words: string[] = [];
      const columns: number[] = [];
      let i = start;
      while (i < end) {
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i >= end) break;
        const w = i;
        while (i < end && !isBlank(text.charCodeAt(i))) i++;
        const word = text.slice(w, i);
        if (word !== 'ipvsadm') {
          words.push(word);
          columns.push(w - start + 1);
        }
      }
      if (words.length > 0) {
        const dropped = finalWithoutNewline && end - start >= 2 && isBlank(text.charCodeAt(end - 1)) && isBlank(text.charCodeAt(end - 2));
        fn({ line, words, columns, droppedByIpvsadm: dropped });
      }
    }
    start = end + 1;
  }
}
