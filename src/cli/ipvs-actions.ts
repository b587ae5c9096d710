// CLI layer: the actions behind `lvsd list` and `save` (loaded on demand by src/cli/ipvs.ts; restore is restore.ts).
import { readFileSync } from 'node:fs';
import { withIpvsClient } from '../ipvs/client.js';
import { addressFromBytes } from '../util/addr.js';
import { parseConnections } from '../ipvs/conn.js';
import { formatJson } from '../ipvs/format/json.js';
import { formatList, ListError, type ListOptions } from '../ipvs/format/list.js';
import { parseServiceArg } from '../ipvs/format/restore-values.js';
import { formatSave } from '../ipvs/format/save.js';
import type { Protocol, ServiceKey, Table } from '../ipvs/types.js';
import { CliError } from './errors.js';
import type { ListCliOptions } from './ipvs.js';

const CONN_FILE = '/proc/net/ip_vs_conn';

/** serviceOption turns -t/-u/--sctp-service/-f values into a service key, with ipvsadm's parsing rules. */
export function serviceOption(o: ListCliOptions): ServiceKey | undefined {
  if (o.fwmarkService !== undefined) {
    const mark = Number(o.fwmarkService);
    if (!/^\d+$/.test(o.fwmarkService) || mark < 1 || mark > 0xffffffff) throw new CliError(`illegal fwmark '${o.fwmarkService}': give a number from 1 to 4294967295`, 2);
    return { kind: 'fwmark', family: o.ipv6 ? 'inet6' : 'inet', fwmark: mark };
  }
  const given: [Protocol, string | undefined][] = [['tcp', o.tcpService], ['udp', o.udpService], ['sctp', o.sctpService]];
  const [protocol, text] = given.find(([, t]) => t !== undefined) ?? [];
  if (!protocol || text === undefined) return undefined;
  const r = parseServiceArg(text, protocol);
  if ('failed' in r) throw new CliError(`illegal virtual server address[:port] '${text}': write ADDRESS:PORT or [IPv6]:PORT`, 2);
  return { kind: 'addr', family: r.family, protocol, address: addressFromBytes(r.family, r.addr), port: r.port ?? 0 };
}

/** runList prints the table (or timeouts, daemons, connections) as `ipvsadm -L -n` would. */
export async function runList(o: ListCliOptions): Promise<void> {
  const service = serviceOption(o);
  const options: ListOptions = {
    stats: o.stats, rate: o.rate, exact: o.exact, thresholds: o.thresholds, persistentConn: o.persistentConn,
    tunInfo: o.tunInfo, sort: o.sort, nosort: o.nosort, service,
  };
  await withIpvsClient(async (client) => {
    const info = await client.info();
    const extra: Partial<ListOptions> = {};
    if (o.timeout) Object.assign(extra, { timeout: await client.timeouts() });
    if (o.daemon) Object.assign(extra, { daemon: await client.daemons() });
    if (o.connection) {
      let text: string;
      try {
        text = readFileSync(CONN_FILE, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${CONN_FILE}: ${(err as Error).message}`, 1);
      }
      Object.assign(extra, { connection: parseConnections(text) });
    }
    const needsTable = !o.timeout && !o.daemon && !o.connection;
    const table: Table = needsTable ? await client.table() : { services: [] };
    const all = { ...options, ...extra };
    try {
      process.stdout.write(o.json ? formatJson(table, info, all) : formatList(table, info, all));
    } catch (err) {
      if (err instanceof ListError) throw new CliError(err.message, 1);
      throw err;
    }
  });
}

/** runSave prints the table as `ipvsadm -S -n` would. */
export async function runSave(): Promise<void> {
  await withIpvsClient(async (client) => process.stdout.write(formatSave(await client.table())));
}
