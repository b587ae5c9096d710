// CLI layer: `lvsd list`, `lvsd save`, `lvsd restore` — the IPVS table as ipvsadm shows and reads it.
// Only commander is loaded up front; each action imports what it needs (start-up is slow in the lab guest).
import type { Command } from 'commander';

/** ListCliOptions are the options of `lvsd list`, named as ipvsadm names them. */
export interface ListCliOptions {
  readonly stats?: boolean;
  readonly rate?: boolean;
  readonly exact?: boolean;
  readonly thresholds?: boolean;
  readonly persistentConn?: boolean;
  readonly tunInfo?: boolean;
  readonly sort?: boolean;
  readonly nosort?: boolean;
  readonly connection?: boolean;
  readonly timeout?: boolean;
  readonly daemon?: boolean;
  readonly tcpService?: string;
  readonly udpService?: string;
  readonly sctpService?: string;
  readonly fwmarkService?: string;
  readonly ipv6?: boolean;
  readonly json?: boolean;
}

/** RestoreCliOptions are the options of `lvsd restore`. */
export interface RestoreCliOptions {
  readonly verbose?: boolean;
}

/** registerIpvs adds `list` (alias `ls`), `save` and `restore` to the program. */
export function registerIpvs(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('print the IPVS table exactly as `ipvsadm -L -n` does (or as JSON)')
    .option('-n, --numeric', 'numeric output (always on; accepted for ipvsadm compatibility)')
    .option('--stats', 'show statistics')
    .option('--rate', 'show rate information')
    .option('--exact', 'expand numbers (with --stats or --rate)')
    .option('--thresholds', 'show upper and lower connection thresholds')
    .option('--persistent-conn', 'show persistent connections')
    .option('--tun-info', 'show tunnel information')
    .option('--sort', 'sort the output (the default, as in ipvsadm 1.31)')
    .option('--nosort', 'keep the kernel order')
    .option('-c, --connection', 'list the connection table (/proc/net/ip_vs_conn)')
    .option('--timeout', 'show the TCP, TCP FIN and UDP timeouts')
    .option('--daemon', 'show the connection sync daemons')
    .option('-t, --tcp-service <address:port>', 'list one TCP service')
    .option('-u, --udp-service <address:port>', 'list one UDP service')
    .option('--sctp-service <address:port>', 'list one SCTP service')
    .option('-f, --fwmark-service <mark>', 'list one firewall-mark service')
    .option('-6, --ipv6', 'the fwmark service is IPv6')
    .option('--json', 'print the table as JSON (see src/ipvs/format/json.ts for the shape)')
    .action(async (o: ListCliOptions) => (await import('./ipvs-actions.js')).runList(o));
  program
    .command('save')
    .description('print the IPVS table as `ipvsadm -S -n` does')
    .option('-n, --numeric', 'numeric output (always on)')
    .action(async () => (await import('./ipvs-actions.js')).runSave());
  program
    .command('restore [file]')
    .description('read `ipvsadm -R` input (stdin by default) and apply it in batches')
    .option('-v, --verbose', 'report operations, datagrams and time on stderr')
    .action(async (file: string | undefined, o: RestoreCliOptions) => (await import('./restore.js')).runRestore(file, o));
}
