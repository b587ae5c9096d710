// Format layer: splits `ipvsadm -R` input into lines of tokens the way ipvsadm's config_stream reader does.
//
// ipvsadm reads each line as words separated by spaces, tabs and carriage returns (not other white space), drops
// every word that is exactly "ipvsadm", and skips lines without words. It has no comment syntax: the
// ipvsadm-restore script removes lines starting with "#" before feeding ipvsadm -R, and lvsd does the same.

/** RestoreToken is one word of a restore line and its 1-based column. */
export interface RestoreToken {
  readonly text: string;
  readonly column: number;
}

/** RestoreLine is one input line holding at least one word (comments and blank lines are not returned). */
export interface RestoreLine {
  readonly line: number;
  readonly tokens: readonly RestoreToken[];
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
  const n = text.length;
  let start = 0;
  for (let line = 1; start < n; line++) {
    let end = text.indexOf('\n', start);
    const finalWithoutNewline = end < 0;
    if (finalWithoutNewline) end = n;
    if (text.charCodeAt(start) !== 35 /* # */) {
      const tokens: RestoreToken[] = [];
      let i = start;
      while (i < end) {
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i >= end) break;
        const w = i;
        while (i < end && !isBlank(text.charCodeAt(i))) i++;
        const word = text.slice(w, i);
        if (word !== 'ipvsadm') tokens.push({ text: word, column: w - start + 1 });
      }
      if (tokens.length > 0) {
        const dropped = finalWithoutNewline && end - start >= 2 && isBlank(text.charCodeAt(end - 1)) && isBlank(text.charCodeAt(end - 2));
        out.push({ line, tokens, droppedByIpvsadm: dropped });
      }
    }
    start = end + 1;
  }
  return out;
}
