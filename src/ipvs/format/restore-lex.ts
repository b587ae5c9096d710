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

/** lexRestore splits restore input into numbered lines of words. */
export function lexRestore(text: string): RestoreLine[] {
  const raw = text.split('\n');
  const finalNewline = raw[raw.length - 1] === '';
  if (finalNewline) raw.pop();
  const out: RestoreLine[] = [];
  raw.forEach((content, i) => {
    if (content.startsWith('#')) return;
    const tokens: RestoreToken[] = [];
    for (const m of content.matchAll(/[^ \t\r]+/g)) {
      if (m[0] !== 'ipvsadm') tokens.push({ text: m[0], column: (m.index ?? 0) + 1 });
    }
    if (tokens.length === 0) return;
    const last = i === raw.length - 1 && !finalNewline;
    out.push({ line: i + 1, tokens, droppedByIpvsadm: last && /[ \t\r]{2,}$/.test(content) });
  });
  return out;
}
