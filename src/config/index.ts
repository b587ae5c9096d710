// Config layer: entry points — parse a keepalived-style configuration into a validated, frozen model.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, DiagnosticSink, type Diagnostic } from './diagnostics.js';
import { nodeFs, type ConfigFs } from './fs.js';
import type { Model } from './model.js';
import { parseBlocks } from './parser.js';
import { readConfig, type ReadOptions } from './reader.js';
import { deepFreeze, ModelSchema } from './schema.js';
import { buildModel } from './semantic/index.js';

export { ConfigError, formatDiagnostic, type Diagnostic, type DiagnosticCode, type Severity } from './diagnostics.js';
export { memoryFs, nodeFs, type ConfigFs } from './fs.js';
export type * from './model.js';
export type { ReadOptions } from './reader.js';

/** ParseResult is the model when the configuration is usable (no errors), and every diagnostic found. */
export interface ParseResult {
  readonly model?: Model | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

import { DEFAULT_CONFIG_FILE } from './defaults.js';
export { DEFAULT_CONFIG_FILE };

/** parseConfig reads an entry file (and its includes) through `fs`, returning the model only when there are no errors. */
export function parseConfig(entryPath: string, fs: ConfigFs, options: ReadOptions = {}): ParseResult {
  const sink = new DiagnosticSink();
  const { lines, files } = readConfig(entryPath, fs, sink, options);
  const tree = parseBlocks(lines, sink);
  const draft = buildModel(tree, files, sink);
  const diagnostics = (): readonly Diagnostic[] => sortDiagnostics(sink.list(), files);
  if (sink.hasErrors()) return { diagnostics: diagnostics() };
  const checked = ModelSchema.safeParse(draft);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    sink.error('INTERNAL_MODEL_INVALID', { file: files[0] ?? entryPath, line: 1, column: 1 }, `lvsd built an invalid model: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`, 'please report this');
    return { diagnostics: diagnostics() };
  }
  return { model: deepFreeze(checked.data), diagnostics: diagnostics() };
}

/** sortDiagnostics orders diagnostics by file (in reading order), line and column, keeping the finding order for ties. */
export function sortDiagnostics(list: readonly Diagnostic[], files: readonly string[]): readonly Diagnostic[] {
  const rank = (f: string): number => {
    const i = files.indexOf(f);
    return i < 0 ? files.length : i;
  };
  return Object.freeze([...list].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.column - b.column));
}

/** loadConfig parses a configuration from the host filesystem (a relative path is taken from the working directory), with keepalived's config id (the host name's first label). */
export function loadConfig(path: string = DEFAULT_CONFIG_FILE, options: ReadOptions = {}): ParseResult {
  return parseConfig(resolve(path), nodeFs, {
    configId: hostname().split('.')[0],
    env: process.env,
    random: Math.random,
    ...options,
  });
}

/** requireModel returns the model of a parse, or throws a ConfigError for its first error. */
export function requireModel(result: ParseResult): Model {
  if (result.model) return result.model;
  const first = result.diagnostics.find((d) => d.severity === 'error') ?? result.diagnostics[0];
  if (!first) throw new Error('requireModel: parse produced neither a model nor a diagnostic');
  throw new ConfigError(first, result.diagnostics);
}
