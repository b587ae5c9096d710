// Format layer: /proc/net/ip_vs_conn text -> Connection[], and `ipvsadm -L -n -c` output from it.
//
// The kernel writes one header line, then per connection:
//   PROTO CADDR CPORT VADDR VPORT DADDR DPORT STATE EXPIRES[ PENAME PEDATA]
// IPv4 addresses as 8 hex digits (0A000001), IPv6 ones as 8 full groups (2001:0db8:0000:...), ports as 4 hex
// digits, EXPIRES in decimal seconds; the persistence-engine pair only when the entry carries PE data.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../util/addr.js';
import type { Connection } from './types.js';

/** ConnParseError is a line of /proc/net/ip_vs_conn that does not have the kernel's shape. */
export class ConnParseError extends Error {
  override readonly name = 'ConnParseError';
  constructor(
    readonly line: number,
    readonly text: string,
    readonly reason: string,
  ) {
    super(`/proc/net/ip_vs_conn line ${line}: ${reason}: ${JSON.stringify(text)}`);
  }
}

/** connAddress reads an address field as ipvsadm does: IPv6 text, dotted IPv4, or 8 hex digits of an IPv4 address. */
function connAddress(field: string): string | undefined {
  const v6 = parseIPv6(field);
  if (v6) return formatIPv6(v6);
  const v4 = parseIPv4(field);
  if (v4) return formatIPv4(v4);
  if (!/^[0-9A-Fa-f]{1,8}$/.test(field)) return undefined;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(parseInt(field, 16) >>> 0);
  return formatIPv4(b);
}

const hexPort = (field: string): number | undefined => (/^[0-9A-Fa-f]{1,4}$/.test(field) ? parseInt(field, 16) : undefined);

/**
 * parseConnections reads /proc/net/ip_vs_conn (plain or with PE columns, IPv4 and IPv6 entries).
 * The first line is the header and is skipped, as ipvsadm skips it; blank lines are ignored.
 * Addresses come out as inet_ntop prints them. Throws ConnParseError on a malformed entry.
 */
export function parseConnections(text: string): Connection[] {
  const lines = text.split('\n');
  const out: Connection[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    const f = raw.trim().split(/\s+/).filter((x) => x);
    if (f.length === 0) continue;
    const bad = (reason: string) => new ConnParseError(i + 1, raw, reason);
    if (f.length < 9) throw bad('expected at least 9 fields');
    const [protocol, ca, cp, va, vp, da, dp, state, exp, peName, peData] = f as [string, string, string, string, string, string, string, string, string, string?, string?];
    const fromAddress = connAddress(ca);
    const toAddress = connAddress(va);
    const destAddress = connAddress(da);
    if (!fromAddress || !toAddress || !destAddress) throw bad('bad address');
    const fromPort = hexPort(cp);
    const toPort = hexPort(vp);
    const destPort = hexPort(dp);
    if (fromPort === undefined || toPort === undefined || destPort === undefined) throw bad('bad port');
    if (!/^\d+$/.test(exp)) throw bad('bad expiry');
    const conn: Connection = { protocol, fromAddress, fromPort, toAddress, toPort, destAddress, destPort, state, expires: Number(exp) };
    out.push(peName !== undefined && peData !== undefined ? { ...conn, pe: { name: peName, data: peData } } : conn);
  }
  return out;
}

const ap = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
const two = (n: number): string => String(n).padStart(2, '0');

/** ConnListOptions are the options that change `ipvsadm -L -n -c` output. */
export interface ConnListOptions {
  /** --persistent-conn: add the "pe name" and "pe_data" columns */
  readonly persistentConn?: boolean;
}

/** connectionLine is one entry of `ipvsadm -L -n -c`; with persistentConn, entries with PE data get two more columns. */
export function connectionLine(c: Connection, o: ConnListOptions = {}): string {
  const expire = `${two(Math.floor(c.expires / 60))}:${two(c.expires % 60)}`;
  const head = `${c.protocol.padEnd(3)} ${expire.padEnd(6)} ${c.state.padEnd(11)} ${ap(c.fromAddress, c.fromPort).padEnd(18)} ${ap(c.toAddress, c.toPort).padEnd(18)}`;
  const dest = ap(c.destAddress, c.destPort);
  if (o.persistentConn && c.pe) return `${head} ${dest.padEnd(16)} ${c.pe.name.padEnd(18)} ${c.pe.data}\n`;
  return `${head} ${dest}\n`;
}

/** formatConnections is `ipvsadm -L -n -c [--persistent-conn]` for the given entries, in their /proc order. */
export function formatConnections(conns: readonly Connection[], o: ConnListOptions = {}): string {
  const title = o.persistentConn
    ? `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'pe name'.padEnd(16)} pe_data\n`
    : `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination\n`;
  return 'IPVS connection entries\n' + title + conns.map((c) => connectionLine(c, o)).join('');
}
