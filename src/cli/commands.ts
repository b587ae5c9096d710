// CLI layer: registration of the configuration commands; each action loads its implementation on demand, so that
// start-up stays fast for every command (the parser, zod and the reconciler cost ~0.4 s to load in the lab guest).
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import type { ApplyDeps, ApplyOptions } from './apply.js';
import type { CheckOptions } from './check.js';
import type { RunOptions } from './run.js';
import { DEFAULT_CONTROL_SOCKET, DEFAULT_OVERRIDES_FILE } from '../control/defaults.js';
import type { StatusCliOptions, TargetCliOptions } from './control.js';

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
    .option('--control-socket <path>', 'unix socket for lvsd status/drain/disable/enable (root-only)', DEFAULT_CONTROL_SOCKET)
    .option('--state-file <file>', 'where drained and disabled servers are kept across restarts', DEFAULT_OVERRIDES_FILE)
    .option('--metrics-address <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics ([::1]:9469 for IPv6; off disables)', '127.0.0.1:9469')
    .option('--log-level <level>', 'pino log level: trace, debug, info, warn, error', 'info')
    .action(async (opts: RunOptions) => (await import('./run.js')).runDaemon(opts));
  registerControl(program);
}

/** registerControl adds the daemon's control commands (`status`, `drain`, `disable`, `enable`), clients of `run`'s control socket. */
export function registerControl(program: Command): void {
  const socket = ['--control-socket <path>', "the daemon's control socket", DEFAULT_CONTROL_SOCKET] as const;
  program
    .command('status')
    .description('the running daemon: IPVS table with stats, health, overrides and VRRP state')
    .option(...socket)
    .option('--json', 'print the whole status as JSON (shape documented in src/control/protocol.ts)')
    .action(async (opts: StatusCliOptions) => (await import('./control.js')).runStatus(opts));
  const target = (name: 'drain' | 'disable' | 'enable', description: string): Command =>
    program
      .command(name)
      .description(description)
      .argument('<vs>', 'the virtual server: ADDR:PORT ([V6]:PORT; -u for UDP), a fwmark number, or a virtual_server_group name')
      .argument('<rs>', 'the real server: ADDR:PORT')
      .option('-u, --udp', 'VS is a UDP service')
      .option(...socket);
  target('drain', 'set a real server to weight 0: its connections finish, new ones go elsewhere (kept across reloads and restarts)')
    .option('--wait', 'then wait until the real server has no connections (ActiveConn + InActConn = 0); exit 3 at the timeout')
    .option('--timeout <seconds>', 'longest --wait', '300')
    .action(async (vs: string, rs: string, opts: TargetCliOptions) => (await import('./control.js')).runOverride('drain', vs, rs, opts));
  target('disable', 'remove a real server from the IPVS table (kept across reloads and restarts)').action(async (vs: string, rs: string, opts: TargetCliOptions) => (await import('./control.js')).runOverride('disable', vs, rs, opts));
  target('enable', 'clear drain or disable: the real server follows configuration and health again').action(async (vs: string, rs: string, opts: TargetCliOptions) => (await import('./control.js')).runOverride('enable', vs, rs, opts));
}
