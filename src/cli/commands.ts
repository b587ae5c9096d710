// CLI layer: registration of the configuration commands; each action loads its implementation on demand, so that
// start-up stays fast for every command (the parser, zod and the reconciler cost ~0.4 s to load in the lab guest).
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import type { ApplyDeps, ApplyOptions } from './apply.js';
import type { CheckOptions } from './check.js';
import type { RunOptions } from './run.js';

/** registerCheck adds the `check` subcommand to the program. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('test a keepalived-style configuration file: diagnostics on stderr, exit 0 when usable')
    .option('-f, --config-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the parsed model as JSON on stdout')
    .action(async (opts: CheckOptions) => (await import('./check.js')).runCheck(opts));
}

/** registerApply adds the `apply` subcommand to the program; deps let tests inject a configuration and a fake kernel. */
export function registerApply(program: Command, deps: ApplyDeps = {}): void {
  program
    .command('apply')
    .description('converge the IPVS table on a configuration once (every real server taken as healthy) and print the plan')
    .option('-f, --config-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('-n, --dry-run', 'print the plan without writing to the kernel')
    .option('--prune', 'also delete IPVS services the configuration does not name (implied by lvs_flush)')
    .action(async (opts: ApplyOptions) => {
      const { runApply } = await import('./apply.js');
      await runApply(opts, undefined, deps);
    });
}

/** registerRun adds the `run` subcommand: the director daemon. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the director: apply the configuration, run health checks, repair drift; SIGHUP reloads, SIGTERM stops')
    .option('-f, --config-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--resync-interval <seconds>', 're-read the kernel table and repair drift this often', '10')
    .option('--keep-on-exit', 'leave the IPVS entries in place when stopping (default: remove what lvsd added)')
    .option('--log-level <level>', 'pino log level: trace, debug, info, warn, error', 'info')
    .action(async (opts: RunOptions) => (await import('./run.js')).runDaemon(opts));
}
