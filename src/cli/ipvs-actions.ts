// CLI layer: the actions behind `lvsd list`, `save` and `restore` (loaded on demand by src/cli/ipvs.ts).
import { readFileSync } from 'node:fs';
import { IpvsClient } from '../ipvs/client.js';
import { addressFromBytes } from '../util/addr.js';
import { parseConnections } from '../ipvs/conn.js';
import { formatJson } from '../ipvs/format/json.js';
import { formatList, ListError, type ListOptions } from '../ipvs/format/list.js';
import { parseServiceArg } from '../ipvs/format/restore-values.js';
import { formatSave } from '../ipvs/format/save.js';
import { compiledLines, compiledSource, compileRestore } from '../ipvs/codec-restore.js';
import { NetlinkError } from '../ipvs/errors.js';
import type { SessionCounters } from '../netlink/session.js';
import { parseRestore } from '../ipvs/restore-parse.js';
import type { Protocol, ServiceKey, Table } from '../ipvs/types.js';
import { CliError } from './errors.js';
import type { ListCliOptions, RestoreCliOptions } from './ipvs.js';

const CONN_FILE = '/proc/net/ip_vs_conn';

async function withClient<T>(fn: (c: IpvsClient) => Promise<T>): Promise<T> {
  const client = await IpvsClient.open();
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

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
  await withClient(async (client) => {
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
  await withClient(async (client) => process.stdout.write(formatSave(await client.table())));
}

/**
 * runRestore reads `ipvsadm -R` input, refuses it whole when a line does not parse, and otherwise applies every
 * operation in batches, reporting each one the kernel refused with its input line. Input made only of the lines
 * `ipvsadm -S -n` writes is compiled straight into netlink messages (codec-restore.ts); any other goes through the
 * full parser, which reports every problem.
 */
export async function runRestore(file: string | undefined, o: RestoreCliOptions): Promise<void> {
  const source = file ?? 'stdin';
  let input: Buffer;
  try {
    input = readFileSync(file ?? 0);
  } catch (err) {
    throw new CliError(`cannot read ${source}: ${(err as Error).message}`, 1);
  }
  const t0 = nowMs();
  const compiled = compileRestore(input);
  if (compiled) {
    const t1 = nowMs();
    await withClient(async (client) => {
      const failures = await client.batch((family) => compiledSource(compiled, family));
      failures.sort((a, b) => a.index - b.index);
      const lines = compiledLines(compiled, failures.map((f) => f.index));
      failures.forEach((f, k) => {
        const op = parseRestore(lineText(input, compiled.starts[f.index]!)).ops[0]!.op;
        process.stderr.write(`lvsd restore: ${source} line ${lines[k]}: ${new NetlinkError(f.errno, op.op, op).message}\n`);
      });
      if (o.verbose) report(client.counters, compiled.count, t1 - t0, nowMs() - t1);
      if (failures.length > 0) throw new CliError(`restore: ${failures.length} of ${compiled.count} operations failed`, 1);
    });
    return;
  }
  const text = input.toString('utf8');
  const parsed = parseRestore(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  for (const d of parsed.diagnostics) {
    process.stderr.write(`lvsd restore: ${source} line ${d.line}${d.column ? `:${d.column}` : ''}: ${d.severity}: ${d.message} (${d.hint})\n`);
  }
  if (errors.length > 0) throw new CliError(`restore: nothing applied: ${errors.length} line${errors.length === 1 ? '' : 's'} of ${source} did not parse`, 1);
  const t1 = nowMs();
  await withClient(async (client) => {
    const failures = await client.apply(parsed.ops.map((r) => r.op));
    for (const f of failures) process.stderr.write(`lvsd restore: ${source} line ${parsed.ops[f.index]!.line}: ${f.error.message}\n`);
    if (o.verbose) report(client.counters, parsed.ops.length, t1 - t0, nowMs() - t1);
    if (failures.length > 0) throw new CliError(`restore: ${failures.length} of ${parsed.ops.length} operations failed`, 1);
  });
}

function report(c: Readonly<SessionCounters>, operations: number, parseMs: number, applyMs: number): void {
  process.stderr.write(`lvsd restore: ${operations} operations in ${c.datagramsSent - 1} datagrams; parse ${parseMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms (${c.sendMs.toFixed(0)} ms of it in sendmsg, where the kernel handles them)\n`);
}

/** lineText is the text of the input line that starts at a byte offset (to name an operation the kernel refused). */
function lineText(input: Buffer, start: number): string {
  const end = input.indexOf(10, start);
  return input.toString('utf8', start, end < 0 ? input.length : end);
}

/** nowMs is a monotonic clock in milliseconds; the global performance would load perf_hooks' ten modules (~0.1 s in the lab guest) on first use. */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
