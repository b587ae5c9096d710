// Config layer (reader): files and includes, `@id` conditional lines and `$NAME` parameters, producing logical lines.
import { posix } from 'node:path';
import type { ConfigFs } from './fs.js';
import type { DiagnosticSink, Location } from './diagnostics.js';
import { decomment, sliceSpan, spanOf, splitBrace, tokenize, trimSpan, type LogicalLine, type Span } from './lexer.js';

/** ReadOptions are the host facts keepalived's reader uses; all optional so that parsing stays pure. */
export interface ReadOptions {
  /** config id matched by `@id` lines (keepalived: -i, default the host name's first label); unset matches none */
  readonly configId?: string | undefined;
  /** environment for ${_ENV NAME} */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** random source for ${_RANDOM}; without it the minimum is used */
  readonly random?: (() => number) | undefined;
}

/** ReadResult is the stream of logical lines of a configuration and the files it came from. */
export interface ReadResult {
  readonly lines: readonly LogicalLine[];
  readonly files: readonly string[];
}

const MAX_INCLUDE_DEPTH = 32;
const MAX_EXPANSION_DEPTH = 64;
const MAX_REPLACEMENTS = 1000;

interface Def {
  readonly lines: readonly string[];
}

/** readConfig reads an entry file and everything it includes into logical lines, reporting problems to the sink. */
export function readConfig(entry: string, fs: ConfigFs, sink: DiagnosticSink, opts: ReadOptions = {}): ReadResult {
  const reader = new Reader(fs, sink, opts);
  reader.readFile(posix.resolve('/', entry), undefined);
  return { lines: reader.lines, files: reader.files };
}

class Reader {
  readonly lines: LogicalLine[] = [];
  readonly files: string[] = [];
  readonly #defs = new Map<string, Def>();
  readonly #stack: string[] = [];
  #collecting: { name: string; parts: string[] } | undefined;

  constructor(
    readonly fs: ConfigFs,
    readonly sink: DiagnosticSink,
    readonly opts: ReadOptions,
  ) {}

  readFile(path: string, includedAt: Location | undefined): void {
    const at = includedAt ?? { file: path, line: 1, column: 1 };
    if (this.#stack.includes(path)) {
      this.sink.error('INCLUDE_CYCLE', at, `'${path}' includes itself`, 'remove the circular include');
      return;
    }
    if (this.#stack.length >= MAX_INCLUDE_DEPTH) {
      this.sink.error('INCLUDE_CYCLE', at, `includes nested more than ${MAX_INCLUDE_DEPTH} deep at '${path}'`);
      return;
    }
    let text: string;
    try {
      text = this.fs.readFile(path);
    } catch (err) {
      const reason = (err as { code?: string }).code ?? (err as Error).message;
      this.sink.error(includedAt ? 'INCLUDE_UNREADABLE' : 'FILE_UNREADABLE', at, `cannot read '${path}' (${reason})`);
      return;
    }
    this.#stack.push(path);
    if (!this.files.includes(path)) this.files.push(path);
    const raw = text.replace(/^\uFEFF/, '').split('\n');
    raw.forEach((l, i) => this.#physicalLine(l.replace(/\r+$/, ''), path, i + 1));
    this.#finishCollecting();
    this.#stack.pop();
  }

  #physicalLine(raw: string, file: string, line: number): void {
    if (raw === '') {
      this.#finishCollecting();
      return;
    }
    const { span, continued, problem } = decomment(spanOf(raw));
    if (problem) this.sink.error('UNTERMINATED_QUOTE', { file, line, column: problem.column }, problem.message, 'close the string with "');
    if (this.#collecting) {
      const body = continued ? trimSpan(sliceSpan(span, 0, span.text.length - 1)).text : span.text;
      if (body) this.#collecting.parts.push(body);
      if (!continued) this.#finishCollecting();
      return;
    }
    if (span.text) this.#line(span, file, line, 0);
  }

  #finishCollecting(): void {
    if (!this.#collecting) return;
    this.#defs.set(this.#collecting.name, { lines: this.#collecting.parts });
    this.#collecting = undefined;
  }

  #line(input: Span, file: string, line: number, depth: number): void {
    const at = (column: number): Location => ({ file, line, column });
    if (depth > MAX_EXPANSION_DEPTH) {
      this.sink.error('INVALID_VALUE', at(input.cols[0] ?? 1), 'parameter expansion nested too deeply', 'check for a parameter that refers to itself');
      return;
    }
    let s = input;
    if (s.text.startsWith('@')) {
      const reverse = s.text[1] === '^';
      const start = reverse ? 2 : 1;
      const blank = s.text.slice(start).search(/[ \t]/);
      if (blank < 0) return;
      const id = s.text.slice(start, start + blank);
      const matches = this.opts.configId !== undefined && id === this.opts.configId;
      if (matches === reverse) return;
      s = trimSpan(sliceSpan(s, start + blank));
      if (!s.text) return;
    }
    const def = /^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*(.*)$/.exec(s.text);
    if (def) {
      const name = def[1] ?? '';
      const value = def[2] ?? '';
      if (value.endsWith('\\')) {
        const first = value.slice(0, -1).trim();
        this.#collecting = { name, parts: first ? [first] : [] };
      } else this.#defs.set(name, { lines: [value] });
      return;
    }
    if (/^~(SEQ|LST)/.test(s.text)) {
      this.sink.warning('UNSUPPORTED_DIRECTIVE', at(s.cols[0] ?? 1), `${s.text.slice(0, 4)} blocks are not supported by lvsd; line ignored`, 'write the lines out');
      return;
    }
    if (s.text.includes('$')) {
      const expanded = this.#substitute(s, file);
      if (expanded) {
        for (const piece of expanded) if (piece.text) this.#line(piece, file, line, depth + 1);
        return;
      }
    }
    const include = /^include([rmwba]?)[ \t]+(.*)$/.exec(s.text);
    if (include) {
      this.#include(include[2]?.trim() ?? '', include[1] !== '', file, at(s.cols[0] ?? 1));
      return;
    }
    const { head, residue } = splitBrace(s);
    this.#emit(head, file, line);
    if (residue) this.#line(residue, file, line, depth);
  }

  #emit(span: Span, file: string, line: number): void {
    const { tokens, problem } = tokenize(span, file, line);
    if (problem) this.sink.error('UNTERMINATED_QUOTE', { file, line, column: problem.column }, problem.message, 'close the string with "');
    if (tokens.length) this.lines.push({ file, line, span, tokens });
  }

  #include(pattern: string, strict: boolean, file: string, at: Location): void {
    if (!pattern) {
      this.sink.error('MISSING_ARGUMENT', at, 'include needs a file name or pattern', 'include FILE|GLOB');
      return;
    }
    const abs = pattern.startsWith('/') ? pattern : `${posix.dirname(file)}/${pattern}`;
    const matches = this.fs.glob(abs);
    if (!matches.length) {
      const msg = `no configuration file matches '${pattern}'`;
      if (strict) this.sink.error('INCLUDE_NO_MATCH', at, msg, `looked for ${abs}`);
      else this.sink.warning('INCLUDE_NO_MATCH', at, msg, `looked for ${abs}`);
      return;
    }
    for (const m of matches) this.readFile(m, at);
  }

  /** Replaces $NAME / ${NAME} (rescanning replacements); multi-line values add lines after the first. */
  #substitute(s: Span, file: string): Span[] | undefined {
    let text = s.text;
    let cols = [...s.cols];
    const extra: Span[] = [];
    let replaced = 0;
    let pos = text.indexOf('$');
    while (pos >= 0 && pos < text.length - 1) {
      const hit = this.#lookup(text.slice(pos), file);
      if (!hit) {
        pos = text.indexOf('$', pos + 1);
        continue;
      }
      if (++replaced > MAX_REPLACEMENTS) return undefined;
      const [first = '', ...rest] = hit.lines;
      const col = cols[pos] ?? 1;
      text = text.slice(0, pos) + first + text.slice(pos + hit.length);
      cols = [...cols.slice(0, pos), ...Array.from(first, () => col), ...cols.slice(pos + hit.length)];
      for (const l of rest) extra.push({ text: l, cols: Array.from(l, () => col) });
      pos = text.indexOf('$', pos);
    }
    if (!replaced) return undefined;
    return [trimSpan({ text, cols }), ...extra];
  }

  #lookup(at: string, file: string): { lines: readonly string[]; length: number } | undefined {
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)((?:[ \t]+[A-Za-z0-9_]+)*)\}/.exec(at);
    const plain = braced ? undefined : /^\$([A-Za-z_][A-Za-z0-9_]*)(?=[ \t,)]|$)/.exec(at);
    const m = braced ?? plain;
    if (!m) return undefined;
    const name = m[1] ?? '';
    const params = (m[2] ?? '').trim().split(/[ \t]+/).filter(Boolean);
    const atEnd = m[0].length === at.length;
    const builtin = this.#builtin(name, params, file);
    const lines = builtin !== undefined ? [builtin] : this.#defs.get(name)?.lines;
    if (!lines || (lines.length > 1 && !atEnd) || (params.length && builtin === undefined)) return undefined;
    return { lines, length: m[0].length };
  }

  #builtin(name: string, params: string[], file: string): string | undefined {
    if (this.#defs.has(name)) return undefined;
    switch (name) {
      case '_PWD':
        return posix.dirname(file);
      case '_INSTANCE':
        return this.opts.configId ?? '';
      case '_HASH':
        return '#';
      case '_BANG':
        return '!';
      case '_ENV':
        return params[0] ? (this.opts.env?.[params[0]] ?? '') : undefined;
      case '_RANDOM': {
        const min = Number(params[0] ?? 0);
        const max = Number(params[1] ?? 32767);
        const r = this.opts.random ? this.opts.random() : 0;
        return String(min + Math.floor(r * (max - min + 1)));
      }
      default:
        return undefined;
    }
  }
}
