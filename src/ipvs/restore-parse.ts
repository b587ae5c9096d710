// Format layer: reads `ipvsadm -R` input (what `ipvsadm -S` writes, plus anything ipvsadm's option parser accepts) into IPVS operations.
//
// Each line is read exactly as ipvsadm 1.31 (Debian 12) reads it: same words, same popt option rules, same defaults
// (scheduler wlc, persistence 360 s when -p has no value, weight 1, direct routing, netmask /32 or /128, sync
// interface eth0), the same checks in the same order and, for a rejected line, the same message on the same problem.
// Unlike ipvsadm, which stops at the first fatal line (after applying the lines before it), every line is parsed and
// every problem reported; a line with an error yields no operation. Lines starting with "#" are comments, as the
// ipvsadm-restore script treats them (ipvsadm -R itself rejects them).
import { forEachRestoreLine, MAX_TOKEN, type RestoreLine } from './format/restore-lex.js';
import { fastRestoreLine } from './format/restore-fast.js';
import { parseRestoreWords } from './format/restore-line.js';
import type { Resolvers } from './format/restore-values.js';
import type { IpvsOp } from './types.js';

/** RestoreOp is one operation and the 1-based input line it came from. */
export interface RestoreOp {
  readonly line: number;
  readonly op: IpvsOp;
}

/**
 * RestoreIpvsadmEffect is what ipvsadm -R does with the line: stops the whole restore ('aborts': exit, earlier lines
 * stay applied), reports it and goes on ('skips-line': popt errors), crashes, applies it although lvsd refuses it
 * ('accepts': a limit of lvsd's domain model), silently ignores it although lvsd applies it ('ignores'), does
 * something else with it ('differs'), or does just what lvsd does ('same', for warnings).
 */
export type RestoreIpvsadmEffect = 'aborts' | 'skips-line' | 'crashes' | 'accepts' | 'ignores' | 'differs' | 'same';

/** RestoreDiagnostic is a problem with one input line: where, what is wrong, and what to do about it. */
export interface RestoreDiagnostic {
  readonly line: number;
  /** 1-based column of the word at fault, when one is */
  readonly column?: number | undefined;
  readonly severity: 'error' | 'warning';
  /** stable identifier of the kind of problem */
  readonly code: string;
  /** what is wrong; where ipvsadm reports the same problem, exactly ipvsadm's stderr text */
  readonly message: string;
  /** what to do about it */
  readonly hint: string;
  readonly ipvsadm: RestoreIpvsadmEffect;
}

/** RestoreParseResult is every operation of the valid lines, in input order, and every diagnostic. */
export interface RestoreParseResult {
  readonly ops: readonly RestoreOp[];
  readonly diagnostics: readonly RestoreDiagnostic[];
}

/** RestoreParseOptions are optional host and service-name resolvers (without them only numeric values are read). */
export type RestoreParseOptions = Resolvers;

/** parseRestore reads restore input into operations and diagnostics; it never throws on bad input. */
export function parseRestore(text: string, options: RestoreParseOptions = {}): RestoreParseResult {
  const ops: RestoreOp[] = [];
  const diagnostics: RestoreDiagnostic[] = [];
  forEachRestoreLine(text, (l: RestoreLine) => {
    const long = l.words.findIndex((w) => w.length > MAX_TOKEN);
    if (long >= 0) {
      diagnostics.push({
        line: l.line,
        column: l.columns[long],
        severity: 'error',
        code: 'word-too-long',
        message: `word longer than ${MAX_TOKEN} characters`,
        hint: 'ipvsadm splits such words unpredictably; shorten the value',
        ipvsadm: 'differs',
      });
      return;
    }
    const words = l.words;
    // the common shapes need no ipvsadm emulation; name resolvers and lines ipvsadm drops take the full path
    const fast = options.resolveHost || options.resolvePort || l.droppedByIpvsadm ? undefined : fastRestoreLine(words);
    if (fast) {
      ops.push({ line: l.line, op: fast });
      return;
    }
    const r = parseRestoreWords(words, options);
    for (const p of r.problems) diagnostics.push({ line: l.line, column: p.word !== undefined ? l.columns[p.word] : undefined, severity: p.severity, code: p.code, message: p.message, hint: p.hint, ipvsadm: p.ipvsadm });
    if (r.op && l.droppedByIpvsadm) {
      diagnostics.push({
        line: l.line,
        severity: 'warning',
        code: 'dropped-by-ipvsadm',
        message: 'last line has no newline and ends in two or more blanks',
        hint: 'ipvsadm -R silently ignores such a line; lvsd applies it. End the file with a newline',
        ipvsadm: 'ignores',
      });
    }
    if (r.op) ops.push({ line: l.line, op: r.op });
  });
  return { ops, diagnostics };
}
