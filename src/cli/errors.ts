// CLI layer: errors that carry the process exit code.

/** CliError is a user-facing failure with the exit code the CLI should return. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
    this.name = 'CliError';
  }
}
