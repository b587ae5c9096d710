// Config layer: diagnostics as values (errors and warnings with file/line/column) and the ConfigError to throw them.

/** Severity is how bad a diagnostic is: errors make a configuration unusable, warnings do not. */
export type Severity = 'error' | 'warning';

/** DiagnosticCode is the stable, machine-readable identity of a diagnostic. */
export type DiagnosticCode =
  // reading files
  | 'FILE_UNREADABLE'
  | 'INCLUDE_NO_MATCH'
  | 'INCLUDE_UNREADABLE'
  | 'INCLUDE_CYCLE'
  | 'UNTERMINATED_QUOTE'
  | 'UNSUPPORTED_DIRECTIVE'
  // block structure
  | 'UNEXPECTED_OPEN_BRACE'
  | 'UNEXPECTED_CLOSE_BRACE'
  | 'UNCLOSED_BLOCK'
  // keywords and values
  | 'UNKNOWN_KEYWORD'
  | 'UNSUPPORTED_KEYWORD'
  | 'UNSUPPORTED_CHECKER'
  | 'DEPRECATED_KEYWORD'
  | 'MISSING_BLOCK'
  | 'UNEXPECTED_BLOCK'
  | 'MISSING_ARGUMENT'
  | 'EXTRA_ARGUMENTS'
  | 'INVALID_VALUE'
  | 'OUT_OF_RANGE'
  | 'INVALID_ADDRESS'
  // model consistency
  | 'MISSING_REQUIRED'
  | 'MISSING_PORT'
  | 'DUPLICATE'
  | 'UNDEFINED_REFERENCE'
  | 'FAMILY_MISMATCH'
  | 'RANGE_TOO_LARGE'
  | 'NO_PROTOCOL'
  | 'NO_REAL_SERVERS'
  | 'IGNORED_SETTING'
  | 'INTERNAL_MODEL_INVALID';

/** Diagnostic is one finding about a configuration, located at a 1-based line and column of a file. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** what is expected instead, or how to fix it */
  readonly hint?: string | undefined;
}

/** Location is where in the configuration something was written. */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** DiagnosticSink collects diagnostics in the order they are found; one is created per parse. */
export class DiagnosticSink {
  readonly #items: Diagnostic[] = [];

  /** error records an error at a location. */
  error(code: DiagnosticCode, at: Location, message: string, hint?: string): void {
    this.#items.push(freezeDiag({ severity: 'error', code, ...pick(at), message, hint }));
  }

  /** warning records a warning at a location. */
  warning(code: DiagnosticCode, at: Location, message: string, hint?: string): void {
    this.#items.push(freezeDiag({ severity: 'warning', code, ...pick(at), message, hint }));
  }

  /** hasErrors tells whether any error was recorded. */
  hasErrors(): boolean {
    return this.#items.some((d) => d.severity === 'error');
  }

  /** list returns the diagnostics recorded so far. */
  list(): readonly Diagnostic[] {
    return Object.freeze([...this.#items]);
  }
}

function pick(at: Location): Location {
  return { file: at.file, line: at.line, column: at.column };
}

function freezeDiag(d: Diagnostic): Diagnostic {
  return Object.freeze(d.hint === undefined ? { ...d, hint: undefined } : d);
}

/** formatDiagnostic renders a diagnostic as `file:line:column: severity: message (hint)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${hint}`;
}

/** ConfigError is a configuration error thrown by callers that prefer exceptions; it keeps the diagnostic's location and code. */
export class ConfigError extends Error {
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly hint: string | undefined;
  /** every diagnostic of the parse that failed, errors and warnings */
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostic: Diagnostic, diagnostics: readonly Diagnostic[] = [diagnostic]) {
    super(formatDiagnostic(diagnostic));
    this.name = 'ConfigError';
    this.code = diagnostic.code;
    this.file = diagnostic.file;
    this.line = diagnostic.line;
    this.column = diagnostic.column;
    this.hint = diagnostic.hint;
    this.diagnostics = diagnostics;
  }
}
