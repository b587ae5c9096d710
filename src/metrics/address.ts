// Metrics layer (pure): the `--metrics-address` value — HOST:PORT, [IPv6]:PORT or off — and the metrics errors' stable codes.
import { isIP } from 'node:net';

/** DEFAULT_METRICS_ADDRESS is where `lvsd run` serves /metrics unless told otherwise: loopback only. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9469';

/** MetricsErrorCode is the stable code of a metrics failure. */
export type MetricsErrorCode = 'METRICS_BAD_ADDRESS' | 'METRICS_LISTEN';

/** MetricsError is a failure of the metrics endpoint; the message says what to do. */
export class MetricsError extends Error {
  override readonly name = 'MetricsError';
  constructor(readonly code: MetricsErrorCode, message: string) {
    super(message);
  }
}

/** ListenAddress is where the metrics endpoint listens; `host` is a literal address or `localhost`. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** formatListenAddress renders an address as it is given on the command line ([::1]:9469 for IPv6). */
export function formatListenAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** parseMetricsAddress reads `--metrics-address`: undefined for `off`, else the address; MetricsError METRICS_BAD_ADDRESS otherwise. */
export function parseMetricsAddress(text: string): ListenAddress | undefined {
  const value = text.trim();
  if (value.toLowerCase() === 'off') return undefined;
  const bad = (what: string): MetricsError =>
    new MetricsError('METRICS_BAD_ADDRESS', `--metrics-address ${JSON.stringify(text)}: ${what}; give HOST:PORT (e.g. ${DEFAULT_METRICS_ADDRESS} or [::1]:9469), or off to disable metrics`);
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(value);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) throw bad(`${host || 'an empty host'} is not an IPv6 address`);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) throw bad('no port');
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address must be in brackets');
    if (host === '') throw bad('no host (use 0.0.0.0 for every IPv4 address)');
    if (host !== 'localhost' && isIP(host) !== 4) throw bad(`${host} is not an IPv4 address, a bracketed IPv6 address or localhost`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(portText === '' ? 'no port' : `port ${portText} is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range 1-65535`);
  return { host, port };
}
