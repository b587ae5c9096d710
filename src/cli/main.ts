// CLI layer: the `lvsd` program; each subcommand lives in its own module and registers itself here.
import { Command, CommanderError } from 'commander';
import { registerApply, registerCheck, registerRun } from './commands.js';
import { CliError } from './errors.js';
import { registerIpvs } from './ipvs.js';
import { registerRealserver } from './realserver.js';
import { packageVersion } from './version.js';

type Register = (program: Command) => void;

/** REGISTRARS are the groups of subcommands, in help order, each with the names (and aliases) it registers. */
const REGISTRARS: readonly (readonly [Register, readonly string[]])[] = [
  [registerCheck, ['check']],
  [registerIpvs, ['list', 'ls', 'save', 'restore']],
  [registerRealserver, ['realserver', 'rs']],
  [registerApply, ['apply']],
  // `run` registers the control commands too
  [registerRun, ['run', 'status', 'drain', 'disable', 'enable']],
];

/**
 * buildProgram returns the commander program. A command line whose first word names a subcommand gets only that
 * subcommand's group: building every command with its options was ~0.1 s of each start in the lab's guest. Any other
 * (none, --help, --version, help, an unknown word) gets every subcommand, for the full help and commander's messages.
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('lvsd')
    .description('LVS/IPVS director: keepalived-compatible configuration, IPVS over generic netlink')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const first = argv[0];
  const named = REGISTRARS.find(([, names]) => first !== undefined && names.includes(first));
  for (const [register] of named ? [named] : REGISTRARS) register(program);
  return program;
}

/** main runs the CLI with argv and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram(argv);
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
