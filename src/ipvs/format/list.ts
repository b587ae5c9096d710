// Format layer: `ipvsadm -L -n` (and its --stats, --rate, --thresholds, … variants) from domain objects, byte for byte.
import { addressToBytes } from '../../util/addr.js';
import { formatConnections } from '../conn.js';
import type { Connection, Destination, Info, Service, ServiceKey, SyncDaemon, Table, Timeouts } from '../types.js';
import { formatDaemons, formatTimeouts } from './config.js';
import { destListName, fwdName, hasSchedFlags, persistMask, schedFlagsText, serviceListName, tunnelInfo, versionText } from './names.js';
import { largeNum, left, right } from './printf.js';
import { sortDests, sortServices } from './sort.js';

/**
 * ListOptions are ipvsadm's list options. Flags select columns; the data-carrying ones select a mode and bring
 * what the kernel table does not hold: `timeout` (--timeout), `daemon` (--daemon), `connection` (-c, entries of
 * /proc/net/ip_vs_conn). `service` is -t/-u/--sctp-service/-f: list only that service.
 */
export interface ListOptions {
  readonly stats?: boolean;
  readonly rate?: boolean;
  readonly exact?: boolean;
  readonly thresholds?: boolean;
  readonly persistentConn?: boolean;
  readonly tunInfo?: boolean;
  /** --nosort: keep kernel order. ipvsadm 1.31 sorts by default. */
  readonly nosort?: boolean;
  /** --sort: accepted and ignored, as ipvsadm 1.31 does (sorting is already the default). */
  readonly sort?: boolean;
  readonly service?: ServiceKey;
  readonly timeout?: Timeouts;
  readonly daemon?: readonly SyncDaemon[];
  readonly connection?: readonly Connection[];
}

/** ListError is a refused list request; its message is what ipvsadm prints on stderr for the same request. */
export class ListError extends Error {
  override readonly name = 'ListError';
  constructor(
    readonly code: 'option-conflict' | 'no-such-service',
    message: string,
  ) {
    super(message);
  }
}

/** checkListOptions returns the error ipvsadm reports for a conflicting option set, or undefined when the set is valid. */
export function checkListOptions(o: ListOptions): ListError | undefined {
  const exclusive: [string, boolean][] = [
    ['connection', o.connection !== undefined],
    ['service-address', o.service !== undefined],
    ['timeout', o.timeout !== undefined],
    ['daemon', o.daemon !== undefined],
  ];
  const given = exclusive.filter(([, on]) => on).map(([name]) => name);
  if (given.length > 1) return new ListError('option-conflict', `The option '${given[1]}' conflicts with the '${given[0]}' option in the 'list' command`);
  const modal = o.connection !== undefined || o.timeout !== undefined || o.daemon !== undefined;
  if ((modal && (o.stats || o.rate || o.thresholds)) || ((o.timeout !== undefined || o.daemon !== undefined) && o.persistentConn)) {
    return new ListError('option-conflict', 'options conflicts in the list command');
  }
  return undefined;
}

/** sameServiceKey tells whether two keys name the same kernel service (addresses compared as bytes). */
export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  if (a.kind === 'fwmark' || b.kind === 'fwmark') return a.kind === 'fwmark' && b.kind === 'fwmark' && a.family === b.family && a.fwmark >>> 0 === b.fwmark >>> 0;
  return a.family === b.family && a.protocol === b.protocol && a.port === b.port && addressToBytes(a.family, a.address).equals(addressToBytes(b.family, b.address));
}

/** listHeader is the first line of a full listing: "IP Virtual Server version 1.2.1 (size=4096)". */
export function listHeader(info: Info): string {
  return `IP Virtual Server version ${versionText(info)} (size=${info.connTableSize})\n`;
}

const TITLE_LEFT = 'Prot LocalAddress:Port';

/** listTitle is the two column-title lines, chosen as ipvsadm does: stats, rate, thresholds, persistent-conn, tun-info, plain. */
export function listTitle(o: ListOptions): string {
  const sub = '  -> RemoteAddress:Port\n';
  const cols = (names: string[], fmt: (s: string) => string) => `${left(TITLE_LEFT, 33)} ${names.map(fmt).join(' ')}\n${sub}`;
  if (o.stats) return cols(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], (s) => right(s, 8));
  if (o.rate) return cols(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], (s) => right(s, 8));
  if (o.thresholds) return cols(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], (s) => left(s, 10));
  if (o.persistentConn) return `${left(TITLE_LEFT, 33)} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n${sub}`;
  if (o.tunInfo) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

const ZERO = 0n;
const stat = (s: Service['stats'], k: keyof NonNullable<Service['stats']>): bigint => s?.[k] ?? ZERO;

/** serviceLine is the listing line of one virtual service (without destinations). */
export function serviceLine(svc: Service, o: ListOptions): string {
  const name = serviceListName(svc);
  const ex = o.exact === true;
  if (o.stats) return left(name, 33) + (['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const).map((k) => largeNum(stat(svc.stats, k), ex)).join('') + '\n';
  if (o.rate) return left(name, 33) + (['cps', 'inPps', 'outPps', 'inBps', 'outBps'] as const).map((k) => largeNum(stat(svc.stats, k), ex)).join('') + '\n';
  let line = `${name} ${svc.scheduler}`;
  if (hasSchedFlags(svc)) line += ` (${schedFlagsText(svc.scheduler, svc.schedFlags)})`;
  if (svc.persistence) {
    line += ` persistent ${svc.persistence.timeout}`;
    const mask = persistMask(svc.key.family, svc.persistence.netmask);
    if (mask !== undefined) line += ` mask ${mask}`;
    if (svc.pe) line += ` pe ${svc.pe}`;
  }
  if (svc.onePacket) line += ' ops';
  return line + '\n';
}

/** destLine is the listing line of one destination ("  -> ..."), in the columns the options select. */
export function destLine(d: Destination, o: ListOptions): string {
  const name = destListName(d);
  const ex = o.exact === true;
  const n = (v: number | undefined) => v ?? 0;
  if (o.stats) return `  -> ${left(name, 28)}` + (['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const).map((k) => largeNum(stat(d.stats, k), ex)).join('') + '\n';
  if (o.rate) {
    const pps = (['cps', 'inPps', 'outPps'] as const).map((k) => ' ' + right(stat(d.stats, k), 8)).join('');
    return `  -> ${left(name, 28)}${pps}${largeNum(stat(d.stats, 'inBps'), ex)}${largeNum(stat(d.stats, 'outBps'), ex)}\n`;
  }
  if (o.thresholds) return `  -> ${left(name, 28)} ${left(d.upperThreshold, 10)} ${left(d.lowerThreshold, 10)} ${left(n(d.activeConns), 10)} ${left(n(d.inactiveConns), 10)}\n`;
  if (o.persistentConn) return `  -> ${left(name, 28)} ${left(d.weight, 9)} ${left(n(d.persistConns), 11)} ${left(n(d.activeConns), 10)} ${left(n(d.inactiveConns), 10)}\n`;
  const fwd = left(fwdName(d.forward), 7);
  const tail = `${left(d.weight, 6)} ${left(n(d.activeConns), 10)} ${left(n(d.inactiveConns), 10)}\n`;
  if (o.tunInfo) return `  -> ${left(name, 28)} ${fwd} ${left(tunnelInfo(d) ?? 'n/a', 13)} ${tail}`;
  return `  -> ${left(name, 28)} ${fwd} ${tail}`;
}

/** serviceEntry is a service line followed by its destination lines (sorted unless nosort). */
export function serviceEntry(entry: Table['services'][number], o: ListOptions): string {
  const dests = o.nosort ? entry.dests : sortDests(entry.dests);
  return serviceLine(entry.service, o) + dests.map((d) => destLine(d, o)).join('');
}

/**
 * formatList renders what `ipvsadm -L -n [options]` prints for this kernel state, byte for byte.
 * Throws ListError for option sets ipvsadm refuses and for a `service` that is not in the table
 * (message "No such service", as ipvsadm prints it).
 */
export function formatList(table: Table, info: Info, options: ListOptions = {}): string {
  const bad = checkListOptions(options);
  if (bad) throw bad;
  if (options.connection !== undefined) return formatConnections(options.connection, { persistentConn: options.persistentConn === true });
  if (options.service !== undefined) {
    const key = options.service;
    const entry = table.services.find((e) => sameServiceKey(e.service.key, key));
    if (!entry) throw new ListError('no-such-service', 'No such service');
    return listTitle(options) + serviceEntry(entry, options);
  }
  if (options.timeout !== undefined) return formatTimeouts(options.timeout);
  if (options.daemon !== undefined) return formatDaemons(options.daemon);
  const services = options.nosort ? table.services : sortServices(table.services);
  return listHeader(info) + listTitle(options) + services.map((e) => serviceEntry(e, options)).join('');
}
