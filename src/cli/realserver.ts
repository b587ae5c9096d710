// CLI layer: `lvsd realserver up | down | status` (alias `rs`) — a DR real server's VIPs on lo and its ARP settings.
// Only commander is loaded up front; each action imports the real-server code on demand.
import type { Command } from 'commander';
import { DEFAULT_STATE_FILE } from '../realserver/model.js';
import type { RealserverDeps } from '../realserver/run.js';
import { CliError } from './errors.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** RealserverCliOptions are the options the three subcommands share (each takes the ones it needs). */
export interface RealserverCliOptions {
  readonly configFile?: string;
  readonly vip: string[];
  readonly interface: string[];
  readonly label?: boolean;
  readonly stateFile: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

// a RealserverError keeps its stable code in the message and its exit status (2: status found the host not ready)
async function run(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    if (e.name === 'RealserverError') throw new CliError(`[${e.code}] ${e.message}`, e.exitCode ?? 1);
    throw err;
  }
}

/** registerRealserver adds `realserver` (alias `rs`) with `up`, `down` and `status`; deps let tests inject a fake host. */
export function registerRealserver(program: Command, deps: RealserverDeps = {}): void {
  const rs = program
    .command('realserver')
    .alias('rs')
    .description('set up a DR real server: VIPs on lo, no ARP for them, undone exactly by down');
  const vipOptions = (c: Command): Command =>
    c
      .option('-f, --config-file <file>', "take the VIPs of every DR virtual_server whose real_server list holds one of this host's addresses")
      .option('--vip <address>', 'a VIP (IPv4 or IPv6; repeatable)', collect, [])
      .option('--interface <name>', 'an interface that faces the directors (repeatable; default every interface that is up, but lo)', collect, [])
      .option('--state-file <path>', 'where up records what it changed and down reads it', DEFAULT_STATE_FILE);
  vipOptions(rs.command('up'))
    .description('add the VIPs to lo (/32, /128) and set arp_ignore=1, arp_announce=2 on all and the facing interfaces; idempotent')
    .option('--label', 'label the IPv4 VIPs lo:1, lo:2, … (the first numbers free)')
    .option('-n, --dry-run', 'print the plan without changing anything')
    .action(async (o: RealserverCliOptions) => run(async () => (await import('../realserver/run.js')).runUp(o, deps)));
  rs.command('down')
    .description('put back exactly what up changed (addresses it added, settings it changed), from the state file')
    .option('--state-file <path>', 'the state file up wrote', DEFAULT_STATE_FILE)
    .option('-n, --dry-run', 'print the plan without changing anything')
    .action(async (o: RealserverCliOptions) => run(async () => (await import('../realserver/run.js')).runDown(o, deps)));
  vipOptions(rs.command('status'))
    .description('report each VIP and setting and the dangers seen; exit 2 when the host cannot serve DR traffic')
    .option('--json', 'print the report as JSON')
    .action(async (o: RealserverCliOptions) => run(async () => (await import('../realserver/run.js')).runStatus(o, deps)));
}
