// Config layer (semantic): keyword tables and the dispatcher that checks blocks/arity and reads argument values.
import type { DiagnosticSink, Location } from '../diagnostics.js';
import { shellWords, type Token } from '../lexer.js';
import type { SourceRef, Script } from '../model.js';
import type { Statement } from '../parser.js';
import type { ValueType } from './values.js';

/** KeywordSpec says how one keyword is written and what it does to the object being built. */
export interface KeywordSpec<T> {
  /** whether the keyword takes a `{ … }` block (default: it must not) */
  readonly block?: 'required' | 'none';
  /** fewest and most arguments; more than `max` are ignored with a warning */
  readonly min?: number;
  readonly max?: number;
  /** how the keyword is written, shown when it is misused */
  readonly usage?: string;
  readonly handle: (target: T, st: Statement, sem: Sem) => void;
}

/** KeywordTable maps each keyword of a block to its spec. */
export type KeywordTable<T> = Readonly<Record<string, KeywordSpec<T>>>;

/** Context names a block for messages and lists keepalived keywords that lvsd knowingly does not implement there. */
export interface Context {
  readonly name: string;
  readonly unsupported?: ReadonlySet<string>;
  /** keywords reported as not-yet-implemented checkers */
  readonly checkers?: ReadonlySet<string>;
  /** called for a skipped checker block */
  readonly onChecker?: (st: Statement) => void;
}

/** refOf returns the source reference of a token. */
export function refOf(t: Location): SourceRef {
  return { file: t.file, line: t.line, column: t.column };
}

/** Sem carries the diagnostics of one semantic pass and the helpers keyword handlers use. */
export class Sem {
  constructor(readonly sink: DiagnosticSink) {}

  /** run applies a keyword table to the statements of a block, warning about keywords it does not know. */
  run<T>(stmts: readonly Statement[], table: KeywordTable<T>, target: T, ctx: Context): void {
    for (const st of stmts) {
      const kw = st.keyword.value;
      const spec = Object.hasOwn(table, kw) ? table[kw] : undefined;
      if (!spec) {
        this.#unknown(st, ctx);
        continue;
      }
      if (spec.block === 'required' && !st.block) {
        this.sink.error('MISSING_BLOCK', st.keyword, `'${kw}' needs a { … } block`, spec.usage);
        continue;
      }
      if (spec.block !== 'required' && st.block) {
        this.sink.error('UNEXPECTED_BLOCK', st.block.open, `'${kw}' does not take a { … } block`, spec.usage);
        continue;
      }
      const min = spec.min ?? 0;
      if (st.args.length < min) {
        const after = st.args[st.args.length - 1] ?? st.keyword;
        this.sink.error('MISSING_ARGUMENT', endOf(after), `'${kw}' is missing ${min === 1 ? 'its value' : 'values'}`, spec.usage ? `expected: ${spec.usage}` : undefined);
        continue;
      }
      if (spec.max !== undefined && st.args.length > spec.max) {
        const extra = st.args.slice(spec.max);
        const first = extra[0] ?? st.keyword;
        this.sink.warning('EXTRA_ARGUMENTS', first, `'${kw}' ignores extra argument${extra.length > 1 ? 's' : ''} '${extra.map((t) => t.value).join(' ')}'`, spec.usage ? `expected: ${spec.usage}` : 'keepalived reads one keyword per line');
      }
      spec.handle(target, st, this);
    }
  }

  #unknown(st: Statement, ctx: Context): void {
    const kw = st.keyword.value;
    const skipped = st.block ? '; its block is skipped' : '';
    if (ctx.checkers?.has(kw)) {
      this.sink.warning('UNSUPPORTED_CHECKER', st.keyword, `${kw} is not implemented by lvsd yet${skipped}`, 'lvsd does not health-check with this block; add a TCP_CHECK');
      ctx.onChecker?.(st);
    } else if (ctx.unsupported?.has(kw)) {
      this.sink.warning('UNSUPPORTED_KEYWORD', st.keyword, `'${kw}' in ${ctx.name} is not implemented by lvsd; ignored${skipped}`);
    } else {
      this.sink.warning('UNKNOWN_KEYWORD', st.keyword, `unknown keyword '${kw}' in ${ctx.name}; ignored${skipped}`);
    }
  }

  /** value parses a token with a value type, reporting an error naming the keyword when it does not fit. */
  value<T>(tok: Token, type: ValueType<T>, what: string): T | undefined {
    const r = type.schema.safeParse(tok.value);
    if (r.success) return r.data;
    const range = r.error.issues.some((i) => i.code === 'too_big' || i.code === 'too_small');
    const code = range ? 'OUT_OF_RANGE' : type.address ? 'INVALID_ADDRESS' : 'INVALID_VALUE';
    const verb = range ? 'is out of range' : 'is not valid';
    this.sink.error(code, tok, `${what} '${tok.value}' ${verb}`, `expected ${type.expect}`);
    return undefined;
  }

  /** arg parses argument `i` of a statement (its presence was checked by `min`, or it is optional). */
  arg<T>(st: Statement, i: number, type: ValueType<T>): T | undefined {
    const tok = st.args[i];
    if (!tok) return undefined;
    return this.value(tok, type, st.keyword.value);
  }

  /** option reads `KEY VALUE` pairs after the fixed arguments; unknown keys are reported. */
  options(st: Statement, from: number, keys: Readonly<Record<string, ValueType<unknown> | null>>): Map<string, { value: unknown; tok: Token }> {
    const out = new Map<string, { value: unknown; tok: Token }>();
    for (let i = from; i < st.args.length; i++) {
      const key = st.args[i];
      if (!key) break;
      if (!Object.hasOwn(keys, key.value)) {
        this.sink.error('INVALID_VALUE', key, `'${st.keyword.value}' has no option '${key.value}'`, `options: ${Object.keys(keys).join(', ')}`);
        break;
      }
      const type = keys[key.value];
      if (type === null || type === undefined) {
        out.set(key.value, { value: true, tok: key });
        continue;
      }
      const v = st.args[i + 1];
      if (!v) {
        this.sink.error('MISSING_ARGUMENT', endOf(key), `'${st.keyword.value} … ${key.value}' is missing its value`, `expected ${type.expect}`);
        break;
      }
      const parsed = this.value(v, type, `${st.keyword.value} ${key.value}`);
      if (parsed !== undefined) out.set(key.value, { value: parsed, tok: v });
      i++;
    }
    return out;
  }

  /**
   * script reads a script keyword as keepalived does: the line is re-split with shell-like quotes, the first word is
   * the command (itself split into argv), and up to `maxUserWords` following words are user and group.
   */
  script(st: Statement, maxUserWords = 2): Script | undefined {
    const kw = st.keyword;
    const text = st.line.span.text.slice(st.line.span.text.indexOf(kw.value) + kw.value.length);
    const words = shellWords(text, false);
    const cmd = words?.[0];
    const argv = cmd !== undefined ? shellWords(cmd, true) : undefined;
    if (!words || !argv || argv.length === 0) {
      this.sink.error('INVALID_VALUE', st.args[0] ?? kw, `'${kw.value}' has no usable command`, 'quote a command with arguments: "/path/script arg"');
      return undefined;
    }
    const rest = words.slice(1);
    if (rest.length > maxUserWords) {
      const tok = st.args[st.args.length - 1] ?? kw;
      const msg = maxUserWords ? `'${kw.value}' ignores '${rest.slice(maxUserWords).join(' ')}' after the user and group` : `'${kw.value}' ignores '${rest.join(' ')}'`;
      this.sink.warning('EXTRA_ARGUMENTS', tok, msg, 'quote the command and its arguments together, as keepalived uses only the first word');
    }
    const user = maxUserWords >= 1 ? rest[0] : undefined;
    const group = maxUserWords >= 2 ? rest[1] : undefined;
    return { argv, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) };
  }

  /** children returns the statements of a statement's block. */
  children(st: Statement): readonly Statement[] {
    return st.block?.children ?? [];
  }
}

/** endOf returns the location just after a token (for "missing value" errors). */
export function endOf(t: Token): Location {
  return { file: t.file, line: t.line, column: t.column + t.value.length + (t.quoted ? 2 : 0) + 1 };
}

/** flag is a spec for a keyword without arguments that sets a boolean. */
export function flag<T>(set: (t: T) => void, usage?: string): KeywordSpec<T> {
  return { max: 0, handle: (t) => set(t), ...(usage ? { usage } : {}) };
}

/** single is a spec for a keyword with one value of a type. */
export function single<T, V>(type: ValueType<V>, set: (t: T, v: V, st: Statement) => void, usage: string): KeywordSpec<T> {
  return {
    min: 1,
    max: 1,
    usage,
    handle: (t, st, sem) => {
      const v = sem.arg(st, 0, type);
      if (v !== undefined) set(t, v, st);
    },
  };
}

/** optionalBool is a spec for `KEYWORD [<BOOL>]` (no value means true). */
export function optionalBool<T>(type: ValueType<boolean>, set: (t: T, v: boolean) => void, usage: string): KeywordSpec<T> {
  return {
    max: 1,
    usage,
    handle: (t, st, sem) => {
      const v = st.args.length ? sem.arg(st, 0, type) : true;
      if (v !== undefined) set(t, v);
    },
  };
}
