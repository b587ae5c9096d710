// CLI layer: the `lvsd` program; each subcommand lives in its own module and registers itself here.
import { Command, CommanderError } from 'commander';
import { registerApply, registerCheck, registerRun } from './commands.js';
import { CliError } from './errors.js';
import { registerIpvs } from './ipvs.js';
import { registerRealserver } from './realserver.js';
import { packageVersion } from './version.js';

/** buildProgram returns the commander program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('lvsd')
    .description('LVS/IPVS director: keepalived-compatible configuration, IPVS over generic netlink')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCheck(program);
  registerIpvs(program);
  registerRealserver(program);
  registerApply(program);
  registerRun(program);
  return program;
}

/** main runs the CLI with argv and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`lvsd: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error & { code?: string };
    process.stderr.write(`lvsd: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    return 1;
  }
}
