// Metrics layer (edge): IPVS series — each service's and real server's kernel counters, rates and connection counts, read at
// scrape time. They are written as exposition text here rather than through prom-client's registry: a table of 20,000 real
// servers makes ~300,000 samples, which prom-client's per-sample label handling turns into seconds of blocked event loop.
import type { Destination, ServiceKey, Stats, Table } from '../ipvs/types.js';
import type { IpvsTablePort } from './ports.js';

/** IpvsSnapshot holds the table read for the current scrape, or the error that read ended with. */
export class IpvsSnapshot {
  table: Table | undefined;
  error: Error | undefined;

  constructor(private readonly port: IpvsTablePort) {}

  /** refresh reads the kernel's table once; a failure is kept (the scrape reports lvsd_ipvs_up 0), never thrown. */
  async refresh(): Promise<void> {
    try {
      this.table = await this.port.table();
      this.error = undefined;
    } catch (err) {
      this.table = undefined;
      this.error = err as Error;
    }
  }
}

/** serviceLabels are a service's `service` (VIP:port, [v6]:port, fwmark N) and `protocol` (tcp, udp, sctp, fwmark) labels. */
export function serviceLabels(key: ServiceKey): { service: string; protocol: string } {
  if (key.kind === 'fwmark') return { service: `fwmark ${key.fwmark}${key.family === 'inet6' ? ' inet6' : ''}`, protocol: 'fwmark' };
  return { service: endpoint(key.family, key.address, key.port), protocol: key.protocol };
}

/** endpoint renders address:port, IPv6 in brackets. */
export function endpoint(family: string, address: string, port: number): string {
  return family === 'inet6' || address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

type StatName = keyof Stats;
const COUNTERS: readonly [string, StatName, string][] = [
  ['connections_total', 'conns', 'connections scheduled'],
  ['packets_in_total', 'inPkts', 'packets received from clients'],
  ['packets_out_total', 'outPkts', 'packets sent back (NAT; zero with direct routing)'],
  ['bytes_in_total', 'inBytes', 'bytes received from clients'],
  ['bytes_out_total', 'outBytes', 'bytes sent back (NAT; zero with direct routing)'],
];
const RATES: readonly [string, StatName, string][] = [
  ['connections_per_second', 'cps', 'connections per second, as the kernel estimates it'],
  ['packets_in_per_second', 'inPps', 'incoming packets per second, as the kernel estimates it'],
  ['packets_out_per_second', 'outPps', 'outgoing packets per second, as the kernel estimates it'],
  ['bytes_in_per_second', 'inBps', 'incoming bytes per second, as the kernel estimates it'],
  ['bytes_out_per_second', 'outBps', 'outgoing bytes per second, as the kernel estimates it'],
];
const DEST_GAUGES: readonly [string, string, (d: Destination) => number | undefined][] = [
  ['active_connections', 'active connections (ipvsadm ActiveConn)', (d) => d.activeConns],
  ['inactive_connections', 'inactive connections (ipvsadm InActConn)', (d) => d.inactiveConns],
  ['weight', 'weight in the kernel table (0 = quiesced)', (d) => d.weight],
];

interface Row {
  /** `{service="…",protocol="…"}` written once per scrape and shared by every family */
  readonly labels: string;
  readonly stats: Stats | undefined;
  readonly dest?: Destination;
}

const SPECIAL = /[\\"\n]/;
// addresses never need escaping: the test is cheaper than three replaces for each of 20,000 rows
const escape = (v: string): string => (SPECIAL.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);
const serviceText = (s: { service: string; protocol: string }): string => `service="${escape(s.service)}",protocol="${s.protocol}"`;
/** ROWS_PER_TURN bounds the rows prepared between two pauses. */
const ROWS_PER_TURN = 4000;
const header = (name: string, help: string, type: string): string => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;

/** IPVS_FAMILY_NAMES are the names of every family renderIpvs writes (for tests and documentation). */
export const IPVS_FAMILY_NAMES: readonly string[] = [
  'lvsd_ipvs_up',
  ...['service', 'real_server'].flatMap((s) => [...COUNTERS, ...RATES].map(([suffix]) => `lvsd_ipvs_${s}_${suffix}`)),
  ...DEST_GAUGES.map(([suffix]) => `lvsd_ipvs_real_server_${suffix}`),
];

/**
 * renderIpvs writes the IPVS families for one snapshot as exposition text, one family per chunk; `pause` runs between
 * families so that a large table never holds the event loop (VRRP adverts, health checks) for long.
 */
export async function renderIpvs(snapshot: IpvsSnapshot, pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<string> {
  const services = snapshot.table?.services ?? [];
  const byService: Row[] = [];
  const byDest: Row[] = [];
  for (const { service, dests } of services) {
    const s = serviceText(serviceLabels(service.key));
    byService.push({ labels: `{${s}}`, stats: service.stats });
    for (const d of dests) byDest.push({ labels: `{${s},real_server="${escape(endpoint(d.family, d.address, d.port))}"}`, stats: d.stats, dest: d });
    if (byDest.length - (byDest.length % ROWS_PER_TURN) > byDest.length - dests.length) await pause();
  }
  const chunks = [`${header('lvsd_ipvs_up', 'whether the last scrape read the IPVS table from the kernel (1) or failed (0)', 'gauge')}lvsd_ipvs_up ${snapshot.table ? 1 : 0}\n`];
  const family = async (name: string, help: string, type: string, rows: readonly Row[], value: (r: Row) => bigint | number | undefined): Promise<void> => {
    await pause();
    let text = header(name, help, type);
    for (const r of rows) {
      const v = value(r);
      if (v !== undefined) text += `${name}${r.labels} ${v}\n`;
    }
    chunks.push(text);
  };
  for (const [scope, rows] of [['service', byService], ['real_server', byDest]] as const) {
    const what = `IPVS ${scope.replace('_', ' ')}`;
    for (const [suffix, stat, help] of COUNTERS) await family(`lvsd_ipvs_${scope}_${suffix}`, `${what}: ${help}`, 'counter', rows, (r) => r.stats?.[stat]);
    for (const [suffix, stat, help] of RATES) await family(`lvsd_ipvs_${scope}_${suffix}`, `${what}: ${help}`, 'gauge', rows, (r) => r.stats?.[stat]);
  }
  for (const [suffix, help, get] of DEST_GAUGES) await family(`lvsd_ipvs_real_server_${suffix}`, `IPVS real server: ${help}`, 'gauge', byDest, (r) => (r.dest ? get(r.dest) : undefined));
  return chunks.join('\n');
}
