// CLI layer: `lvsd check` — test a configuration file as `keepalived -t` does.
import { formatDiagnostic, loadConfig, type ParseResult } from '../config/index.js';
import { CliError } from './errors.js';

/** CheckOptions are the options of `lvsd check`. */
export interface CheckOptions {
  readonly configFile: string;
  readonly json?: boolean;
}

/** CheckIo is where `lvsd check` writes (the process streams by default). */
export interface CheckIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** processIo writes to the process's stdout and stderr. */
export const processIo: CheckIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** runCheck parses a configuration, prints diagnostics (and the model with --json), and throws CliError when it is unusable. */
export function runCheck(opts: CheckOptions, io: CheckIo = processIo, load: (path: string) => ParseResult = (p) => loadConfig(p)): void {
  const result = load(opts.configFile);
  for (const d of result.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
  if (!result.model) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new CliError(`${opts.configFile}: configuration is not usable (${errors} error${errors === 1 ? '' : 's'})`, 1);
  }
  if (opts.json) io.out(`${JSON.stringify(result.model, null, 2)}\n`);
}
