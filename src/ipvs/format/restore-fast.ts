// Format layer: a fast path for the two line shapes `ipvsadm -S -n` writes for nearly every line of a table:
//   -A -t|-u ADDR:PORT -s SCHED [-p TIMEOUT]        and        -a -t|-u ADDR:PORT -r ADDR:PORT -g|-m|-i -w WEIGHT
// with plain dotted-quad IPv4 addresses and decimal numbers. It answers only when it is sure to give what the full
// ipvsadm emulation (restore-line.ts) gives — a differential test holds it to that — and leaves every other line,
// or any value outside its narrow forms, to the full parser. Parsing a 22,000-line dump was the largest part of
// `lvsd restore` in the lab guest.
import type { Destination, ForwardMethod, IpvsOp, Protocol, ServiceKey } from '../types.js';

const PROTOCOLS: Readonly<Record<string, Protocol>> = { '-t': 'tcp', '-u': 'udp' };
const FORWARDS: Readonly<Record<string, ForwardMethod>> = { '-g': 'route', '-m': 'masq', '-i': 'tunnel' };
const DECIMAL = /^(0|[1-9]\d{0,9})$/;
const ENDPOINT = /^((?:(?:0|[1-9]\d{0,2})\.){3}(?:0|[1-9]\d{0,2})):([1-9]\d{0,4})$/;
const SCHEDULER = /^[a-z]{1,15}$/;
/** the persistence timeouts and weights the fast path takes (ipvsadm's own limits are wider: the full parser takes the rest) */
const MAX_TIMEOUT = 86_400 * 31;
const MAX_WEIGHT = 65_535;

type Endpoint = { readonly address: string; readonly port: number };
const endpoints = new Map<string, Endpoint | null>();

/** endpoint reads ADDR:PORT; a table repeats its addresses (each service on every one of its lines), so answers are kept. */
function endpoint(text: string | undefined): Endpoint | undefined {
  if (text === undefined) return undefined;
  let e = endpoints.get(text);
  if (e === undefined) {
    e = readEndpoint(text) ?? null;
    if (endpoints.size >= 1 << 16) endpoints.clear();
    endpoints.set(text, e);
  }
  return e ?? undefined;
}

function readEndpoint(text: string): Endpoint | undefined {
  const m = ENDPOINT.exec(text);
  if (!m) return undefined;
  const address = m[1]!;
  for (const part of address.split('.')) if (Number(part) > 255) return undefined;
  const port = Number(m[2]);
  return port <= 65_535 ? { address, port } : undefined;
}

function number(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

const keys = new Map<string, ServiceKey>();

/** serviceKey is the key of a service line's VIP; the lines of one service share one key object (fewer objects live). */
function serviceKey(protocolWord: string, protocol: Protocol, vip: Endpoint): ServiceKey {
  const id = protocolWord + vip.address + ':' + vip.port;
  let key = keys.get(id);
  if (!key) {
    key = { kind: 'addr', family: 'inet', protocol, address: vip.address, port: vip.port };
    if (keys.size >= 1 << 16) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/** fastRestoreLine returns the operation of a line in one of the two common shapes, or undefined to use the full parser. */
export function fastRestoreLine(words: readonly string[]): IpvsOp | undefined {
  const protocol = PROTOCOLS[words[1] ?? ''];
  const vip = endpoint(words[2]);
  if (!protocol || !vip) return undefined;
  const key = serviceKey(words[1]!, protocol, vip);
  if (words[0] === '-A' && words[3] === '-s' && SCHEDULER.test(words[4] ?? '')) {
    let persistence: { timeout: number; netmask: number } | undefined;
    if (words.length === 7 && words[5] === '-p') {
      const timeout = number(words[6], 1, MAX_TIMEOUT);
      if (timeout === undefined) return undefined;
      persistence = { timeout, netmask: 32 };
    } else if (words.length !== 5) return undefined;
    return { op: 'add-service', service: { key, scheduler: words[4]!, persistence, onePacket: false, schedFlags: [], pe: undefined } };
  }
  if (words[0] === '-a' && words.length === 8 && words[3] === '-r' && words[6] === '-w') {
    const rs = endpoint(words[4]);
    const forward = FORWARDS[words[5] ?? ''];
    const weight = number(words[7], 0, MAX_WEIGHT);
    // direct routing and tunnelling keep the service's port: leave any other port to the full parser
    if (!rs || !forward || weight === undefined || (forward !== 'masq' && rs.port !== vip.port)) return undefined;
    const dest: Destination = {
      family: 'inet',
      address: rs.address,
      port: rs.port,
      forward,
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
      tunnel: forward === 'tunnel' ? { type: 'ipip', port: 0, flags: [] } : undefined,
    };
    return { op: 'add-dest', service: key, dest };
  }
  return undefined;
}
