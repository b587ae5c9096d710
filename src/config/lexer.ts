// Config layer (lexer): keepalived's line rules — comments, brace splitting, words and quoted strings — with source columns.

/** TokenKind distinguishes words from the block braces. */
export type TokenKind = 'word' | 'open' | 'close';

/** Token is one word or brace with its 1-based position in its file. */
export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  readonly quoted: boolean;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Span is a piece of line text with, for each character, its 1-based column in the source line. */
export interface Span {
  readonly text: string;
  readonly cols: readonly number[];
}

/** LogicalLine is what keepalived's reader hands its parser: one brace alone, or brace-free text split into tokens. */
export interface LogicalLine {
  readonly file: string;
  readonly line: number;
  readonly span: Span;
  readonly tokens: readonly Token[];
}

/** LexProblem is a lexical problem found in a line, at a column. */
export interface LexProblem {
  readonly column: number;
  readonly message: string;
}

const BLANK = /[ \t]/;
const WHITE = /[ \t\f\v\r\n]/;

/** spanOf makes a span of a whole source line, columns starting at 1. */
export function spanOf(text: string): Span {
  return { text, cols: Array.from(text, (_, i) => i + 1) };
}

/** sliceSpan returns the characters of a span between two indexes. */
export function sliceSpan(s: Span, start: number, end = s.text.length): Span {
  return { text: s.text.slice(start, end), cols: s.cols.slice(start, end) };
}

/** trimSpan removes leading and trailing blanks (spaces and tabs) from a span. */
export function trimSpan(s: Span): Span {
  let a = 0;
  let b = s.text.length;
  while (a < b && BLANK.test(s.text[a] ?? '')) a++;
  while (b > a && BLANK.test(s.text[b - 1] ?? '')) b--;
  return sliceSpan(s, a, b);
}

/**
 * decomment strips a comment (`!` or `#` outside double quotes) and surrounding blanks, and turns `\#`, `\!` into
 * literal characters, as keepalived does; `continued` tells the line ended with a backslash (kept in the text).
 */
export function decomment(line: Span): { span: Span; continued: boolean; problem?: LexProblem } {
  const text: string[] = [];
  const cols: number[] = [];
  let quote = false;
  let continued = false;
  let quoteCol = 0;
  const src = line.text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    const col = line.cols[i] ?? i + 1;
    if (c === '"') {
      quote = !quote;
      quoteCol = col;
    } else if (c === '\\') {
      if (i + 1 >= src.length) {
        continued = true;
        text.push(c);
        cols.push(col);
        break;
      }
      const next = src[i + 1] ?? '';
      if (!quote && (next === '#' || next === '!')) {
        text.push(next);
        cols.push(line.cols[i + 1] ?? col + 1);
      } else {
        text.push(c, next);
        cols.push(col, line.cols[i + 1] ?? col + 1);
      }
      i++;
      continue;
    } else if (!quote && (c === '!' || c === '#')) break;
    text.push(c);
    cols.push(col);
  }
  const span = trimSpan({ text: text.join(''), cols });
  if (continued && span.text.endsWith('\\')) {
    // keepalived removes blanks before a terminating backslash
    const body = trimSpan(sliceSpan(span, 0, span.text.length - 1));
    const bs = span.cols[span.cols.length - 1] ?? 1;
    const joined = { text: `${body.text}\\`, cols: [...body.cols, bs] };
    return quote ? { span: joined, continued, problem: unterminated(quoteCol) } : { span: joined, continued };
  }
  return quote ? { span, continued, problem: unterminated(quoteCol) } : { span, continued };
}

function unterminated(column: number): LexProblem {
  return { column, message: 'unterminated quoted string' };
}

/**
 * splitBrace cuts a line at its first `{` or `}` outside double quotes: a leading brace stands alone and the rest
 * follows; text before a brace is a line of its own. Returns the first piece and the residue to read next.
 */
export function splitBrace(s: Span): { head: Span; residue?: Span } {
  const t = s.text;
  let p = -1;
  if (t[0] === '{' || t[0] === '}') p = 0;
  else {
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      if (c === '"') {
        const close = t.indexOf('"', i + 1);
        if (close < 0) break;
        i = close;
      } else if (c === '{' || c === '}') {
        p = i;
        break;
      }
    }
  }
  if (p < 0) return { head: s };
  if (p === 0) {
    const residue = trimSpan(sliceSpan(s, 1));
    return residue.text ? { head: sliceSpan(s, 0, 1), residue } : { head: sliceSpan(s, 0, 1) };
  }
  return { head: trimSpan(sliceSpan(s, 0, p)), residue: sliceSpan(s, p) };
}

/** tokenize splits brace-free text (or a lone brace) into words; a word starting with `"` runs to the next `"`. */
export function tokenize(s: Span, file: string, line: number): { tokens: Token[]; problem?: LexProblem } {
  const t = s.text;
  const colAt = (i: number): number => s.cols[i] ?? (s.cols[s.cols.length - 1] ?? 0) + 1;
  if (t === '{' || t === '}') {
    return { tokens: [{ kind: t === '{' ? 'open' : 'close', value: t, quoted: false, file, line, column: colAt(0) }] };
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < t.length) {
    while (i < t.length && WHITE.test(t[i] ?? '')) i++;
    if (i >= t.length) break;
    const start = i;
    if (t[i] === '"') {
      const close = t.indexOf('"', i + 1);
      if (close < 0) return { tokens, problem: { column: colAt(i), message: 'unmatched quote' } };
      tokens.push({ kind: 'word', value: t.slice(i + 1, close), quoted: true, file, line, column: colAt(start) });
      i = close + 1;
      continue;
    }
    while (i < t.length && !WHITE.test(t[i] ?? '') && t[i] !== '"') i++;
    tokens.push({ kind: 'word', value: t.slice(start, i), quoted: false, file, line, column: colAt(start) });
  }
  return { tokens };
}

const ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * shellWords splits text the way keepalived re-reads script lines: blanks separate words, `"` and `'` quote
 * (quotes removed, blanks kept), and with `escapes` the shell-like escapes (\n, \t, \xXX, \nnn, \cC, \C) apply;
 * without `escapes` a backslash and the character after it are kept verbatim. Undefined when a quote is unterminated.
 */
export function shellWords(text: string, escapes: boolean): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && WHITE.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    let word = '';
    let quote = '';
    while (i < text.length) {
      const c = text[i] ?? '';
      if (c === '\\') {
        if (i + 1 >= text.length) return undefined;
        if (!escapes) {
          word += c + (text[i + 1] ?? '');
          i += 2;
          continue;
        }
        const [ch, used] = readEscape(text, i + 1);
        word += ch;
        i += 1 + used;
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (WHITE.test(c)) break;
      word += c;
      i++;
    }
    if (quote) return undefined;
    words.push(word);
  }
  return words;
}

function readEscape(text: string, i: number): [string, number] {
  const c = text[i] ?? '';
  if (c === 'x' && /[0-9a-fA-F]/.test(text[i + 1] ?? '')) {
    const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1)) ?? [''];
    return [String.fromCharCode(parseInt(m[0], 16)), 1 + m[0].length];
  }
  if (c === 'c' && i + 1 < text.length) return [String.fromCharCode((text.charCodeAt(i + 1) ?? 0) & 0x1f), 2];
  if (c >= '0' && c <= '7') {
    const m = /^[0-7]{1,3}/.exec(text.slice(i)) ?? ['0'];
    return [String.fromCharCode(parseInt(m[0], 8) & 0xff), m[0].length];
  }
  return [ESCAPES[c] ?? c, 1];
}
