// Format layer: ipvsadm 1.31's tables of which options each command and tunnel type takes, with its messages.

/** Cmd is an ipvsadm command, named as ipvsadm's messages name it. */
export type Cmd =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list' | 'add-server' | 'delete-server' | 'edit-server'
  | 'set' | 'start-daemon' | 'stop-daemon' | 'restore' | 'save' | 'zero';

/** OPT_NAMES are ipvsadm's option names in its OPTC order (the order its checks report problems in). */
export const OPT_NAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server', 'forwarding-method',
  'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds',
  'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group', 'mcast-port', 'mcast-ttl',
  'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum',
] as const;

/** OptName is one of ipvsadm's option names. */
export type OptName = (typeof OPT_NAMES)[number];

// One character per OPT_NAMES entry: '+' required, 'x' illegal, '1' at most one of the '1's, ' ' optional.
const X34 = 'x'.repeat(34);
const COMMAND_OPTIONS: Record<Cmd, string> = {
  'add-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'edit-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'delete-service': 'xx+' + 'x'.repeat(31),
  flush: X34,
  list: ' 11' + 'x'.repeat(9) + '11' + ' '.repeat(7) + 'x'.repeat(7) + ' ' + 'x'.repeat(5),
  'add-server': 'xx+xxx+' + '    ' + 'x'.repeat(18) + '     ',
  'delete-server': 'xx+xxx+' + 'x'.repeat(27),
  'edit-server': 'xx+xxx+' + '    ' + 'x'.repeat(18) + '     ',
  set: X34,
  'start-daemon': 'x'.repeat(11) + ' ' + 'x'.repeat(7) + ' ' + 'xxxx' + '    ' + 'x'.repeat(6),
  'stop-daemon': 'x'.repeat(19) + ' ' + 'x'.repeat(14),
  restore: X34,
  save: ' ' + 'x'.repeat(33),
  zero: 'xx ' + 'x'.repeat(31),
};

/** OptionProblem is a failed command/option check: ipvsadm's message and the option it is about. */
export interface OptionProblem {
  readonly message: string;
  readonly option: OptName;
}

/** checkCommandOptions is ipvsadm's generic_opt_check: the first missing, illegal or conflicting option in OPTC order. */
export function checkCommandOptions(cmd: Cmd, given: ReadonlySet<OptName>): OptionProblem | undefined {
  const row = COMMAND_OPTIONS[cmd];
  let first: OptName | undefined;
  for (let j = 0; j < OPT_NAMES.length; j++) {
    const name = OPT_NAMES[j] as OptName;
    const rule = row[j];
    if (!given.has(name)) {
      if (rule === '+') return { option: name, message: `You need to supply the '${name}' option for the '${cmd}' command` };
    } else {
      if (rule === 'x') return { option: name, message: `Illegal '${name}' option with the '${cmd}' command` };
      if (rule === '1') {
        if (first === undefined) first = name;
        else return { option: name, message: `The option '${name}' conflicts with the '${first}' option in the '${cmd}' command` };
      }
    }
  }
  return undefined;
}

/** TunName is a tunnel type as ipvsadm names it. */
export type TunName = 'ipip' | 'gue' | 'gre';

const TUNNEL_OPTIONS: Record<TunName, string> = { ipip: 'xxxx', gue: '+111', gre: 'x11x' };
const TUNNEL_OPT_NAMES: readonly OptName[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];

/** checkTunnelOptions is ipvsadm's tunnel_opt_check: tun-port/csum options against the tunnel type. */
export function checkTunnelOptions(type: TunName, given: ReadonlySet<OptName>): OptionProblem | undefined {
  const row = TUNNEL_OPTIONS[type];
  let first: OptName | undefined;
  for (let j = 0; j < TUNNEL_OPT_NAMES.length; j++) {
    const name = TUNNEL_OPT_NAMES[j] as OptName;
    const rule = row[j];
    if (!given.has(name)) {
      if (rule === '+') return { option: name, message: `You need to supply the '${name}' option for the '${type}' tunnel type` };
    } else {
      if (rule === 'x') return { option: name, message: `Illegal '${name}' option with the '${type}' tunnel type` };
      if (rule === '1') {
        if (first === undefined) first = name;
        else return { option: name, message: `The option '${name}' conflicts with the '${first}' option in the '${type}' tunnel type` };
      }
    }
  }
  return undefined;
}

/** OPTION_OF maps an option's popt id to the ipvsadm option name its use counts as (-t/-u/--sctp-service/-f share one). */
export const OPTION_OF: Readonly<Record<string, OptName>> = {
  n: 'numeric', c: 'connection', t: 'service-address', u: 'service-address', 'sctp-service': 'service-address',
  f: 'service-address', s: 'scheduler', p: 'persistent', M: 'netmask', r: 'real-server', i: 'forwarding-method',
  g: 'forwarding-method', m: 'forwarding-method', w: 'weight', x: 'u-threshold', y: 'l-threshold',
  'mcast-interface': 'mcast-interface', syncid: 'syncid', timeout: 'timeout', daemon: 'daemon', stats: 'stats',
  rate: 'rate', thresholds: 'thresholds', 'persistent-conn': 'persistent-conn', nosort: 'nosort', X: 'exact',
  o: 'ops', pe: 'pe', b: 'sched-flags', 'mcast-group': 'mcast-group', 'mcast-port': 'mcast-port',
  'mcast-ttl': 'mcast-ttl', 'sync-maxlen': 'sync-maxlen', 'tun-info': 'tun-info', 'tun-type': 'tun-type',
  'tun-port': 'tun-port', 'tun-nocsum': 'tun-nocsum', 'tun-csum': 'tun-csum', 'tun-remcsum': 'tun-remcsum',
};

/** COMMAND_OF maps the popt id of a command option to its command (h and v are handled apart). */
export const COMMAND_OF: Readonly<Record<string, Cmd>> = {
  A: 'add-service', E: 'edit-service', D: 'delete-service', a: 'add-server', e: 'edit-server', d: 'delete-server',
  C: 'flush', L: 'list', l: 'list', Z: 'zero', set: 'set', R: 'restore', S: 'save', 'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
};

/** TRY_HELP is ipvsadm's reply to a line that does not start with a command. */
export const TRY_HELP = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";
/** COMMANDS_HINT says which words may start a line. */
export const COMMANDS_HINT = 'start the line with a command: -A, -E, -D, -a, -e, -d, -C, -Z, --set, --start-daemon or --stop-daemon';
/** NUMERIC_HINT explains that names are not resolved. */
export const NUMERIC_HINT = 'lvsd resolves no host or service names here; write numeric addresses and ports (ipvsadm -S -n does)';

/** VALUE_HINTS say, per option id, what a valid value looks like. */
export const VALUE_HINTS: Record<string, string> = {
  f: 'give a firewall mark from 1 to 4294967295',
  p: 'give a timeout in seconds from 1 to 2678400, or no value for 360',
  M: 'give a dotted IPv4 mask such as 255.255.255.0 (for IPv6 services a prefix length 1..128, after the service)',
  w: 'give a weight from 0 to 2147483647',
  x: 'give a connection count from 0 to 2147483647',
  y: 'give a connection count from 0 to 2147483647',
  syncid: 'give a sync id from 0 to 255',
  'mcast-group': 'give a multicast group: IPv4 224.0.0.0/4 or IPv6 ff00::/8',
  'mcast-port': 'give a UDP port from 1 to 65535',
  'mcast-ttl': 'give a TTL from 1 to 255',
  'sync-maxlen': 'give a message length from 1 to 65507',
  'tun-type': 'use --tun-type ipip, gue or gre',
  'tun-port': 'give a UDP port from 1 to 65535',
  set: 'give three timeouts in seconds (tcp tcpfin udp), each 0 to 2678400; 0 leaves one unchanged',
  'start-daemon': 'use --start-daemon master or --start-daemon backup',
  'stop-daemon': 'use --stop-daemon master or --stop-daemon backup',
  b: 'use sh-fallback, sh-port (scheduler sh), mh-fallback, mh-port (scheduler mh) or flag-1, flag-2, flag-3, comma-separated',
};
