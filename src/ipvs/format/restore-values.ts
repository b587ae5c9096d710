// Format layer: ipvsadm's readers of option values (C strtol/atoi numbers, host[:port] addresses), quirks included.
import { parseIPv4Aton, parseIPv6 } from '../../util/addr.js';
import type { Protocol } from '../types.js';

const isCSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

/** cStrtol is C strtol(s, &end, 10): leading blanks, a sign, digits; end is where reading stopped (0 when nothing was read). */
export function cStrtol(s: string): { value: bigint; end: number } {
  let i = 0;
  while (isCSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const start = i;
  while (i < s.length && (s[i] as string) >= '0' && (s[i] as string) <= '9') i++;
  if (i === start) return { value: 0n, end: 0 };
  const v = BigInt(s.slice(start, i));
  return { value: neg ? -v : v, end: i };
}

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/** stringToNumber is ipvsadm's string_to_number: the whole text a decimal number within [min, max], else undefined. */
export function stringToNumber(s: string, min: number, max: number): number | undefined {
  const { value, end } = cStrtol(s);
  if (end === 0 || end !== s.length || value > LONG_MAX || value < LONG_MIN) return undefined;
  return value >= BigInt(min) && value <= BigInt(max) ? Number(value) : undefined;
}

/** parseFwmark is ipvsadm's parse_fwmark: a whole decimal number 1..4294967295, else undefined. */
export function parseFwmark(s: string): number | undefined {
  const { value, end } = cStrtol(s);
  if (end === 0 || end !== s.length || value > LONG_MAX || value <= 0n || value > 0xffffffffn) return undefined;
  return Number(value);
}

/** cAtoi is C atoi: the leading decimal number of the text (0 when there is none), as a 32-bit int. */
export function cAtoi(s: string): number {
  const { value } = cStrtol(s);
  return Number(BigInt.asIntN(32, value));
}

/** Resolvers are optional name lookups; without them host and service names are not understood (ipvsadm uses DNS and /etc/services). */
export interface Resolvers {
  /** an IPv4 address (dotted) for a host name, as gethostbyname would give; undefined if unknown */
  readonly resolveHost?: (name: string) => string | undefined;
  /** a port for a service name and protocol, as getservbyname would give; undefined if unknown */
  readonly resolvePort?: (name: string, protocol: Protocol) => number | undefined;
}

/** ServiceArg is what ipvsadm's parse_service made of a host[:port] value. */
export interface ServiceArg {
  readonly family: 'inet' | 'inet6';
  /** 16 bytes: the kernel union, IPv4 in the first four */
  readonly addr: Buffer;
  /** undefined when no port was given */
  readonly port: number | undefined;
  /** the text was a host name the resolver answered for (or a port a service name) */
  readonly resolved: boolean;
}

/** ServiceArgFailure says why parse_service gave up: the address or the port part, and whether it looked like a name. */
export interface ServiceArgFailure {
  readonly failed: 'address' | 'port';
  readonly name?: string;
}

/**
 * parseServiceArg is ipvsadm's parse_service for -t/-u/--sctp-service/-r values:
 * all digits -> rejected; "[v6]:port" (a port is then required); an IPv6 text without brackets has no port
 * ("2001:db8::1:80" is an address); otherwise the last ":" separates the port and the address is read by inet_aton
 * ("10.1" = 10.0.0.1, "012.0.0.3" = 10.0.0.3). Inside brackets an IPv4 text loses its port ("[10.0.0.1]:80" is port 0 —
 * ipvsadm's own quirk). Ports are decimal 0..65535 (strtol: "+81" is 81) or, with a resolver, service names.
 */
export function parseServiceArg(text: string, protocol: Protocol | undefined, r: Resolvers = {}): ServiceArg | ServiceArgFailure {
  // without resolvers the answer depends on the text alone; restore input repeats each service on every one of its
  // destination lines and real servers across services, so numeric answers are remembered (results are frozen)
  if (r.resolveHost || r.resolvePort) return parseServiceText(text, protocol, r);
  let v = numericServices.get(text);
  if (!v) {
    v = Object.freeze(parseServiceText(text, protocol, r));
    if (numericServices.size >= 1 << 16) numericServices.clear();
    numericServices.set(text, v);
  }
  return v;
}

const numericServices = new Map<string, ServiceArg | ServiceArgFailure>();

function parseServiceText(text: string, protocol: Protocol | undefined, r: Resolvers): ServiceArg | ServiceArgFailure {
  if (/^\d*$/.test(text)) return { failed: 'address' };
  let buf = text;
  let portText: string | undefined;
  if (buf.startsWith('[')) {
    buf = buf.slice(1);
    const close = buf.indexOf(']');
    if (close < 0 || buf[close + 1] !== ':') return { failed: 'address' };
    portText = buf.slice(close + 2);
    buf = buf.slice(0, close);
  }
  let family: 'inet' | 'inet6';
  let addr: Buffer = Buffer.alloc(16);
  let resolved = false;
  const v6 = parseIPv6(buf);
  if (v6) {
    family = 'inet6';
    addr = v6;
  } else {
    const colon = buf.lastIndexOf(':');
    portText = colon >= 0 ? buf.slice(colon + 1) : undefined;
    if (colon >= 0) buf = buf.slice(0, colon);
    family = 'inet';
    let v4 = parseIPv4Aton(buf);
    if (!v4) {
      const host = r.resolveHost?.(buf);
      v4 = host !== undefined ? parseIPv4Aton(host) : undefined;
      if (!v4) return { failed: 'address', name: buf };
      resolved = true;
    }
    v4.copy(addr, 0);
  }
  if (portText === undefined) return { family, addr, port: undefined, resolved };
  const n = stringToNumber(portText, 0, 65535);
  if (n !== undefined) return { family, addr, port: n, resolved };
  const named = protocol !== undefined ? r.resolvePort?.(portText, protocol) : undefined;
  if (named === undefined || named < 0 || named > 65535) return { failed: 'port', name: portText };
  return { family, addr, port: named, resolved: true };
}

/** parseMaskArg is ipvsadm's parse_netmask for IPv4 -M: inet_aton, else a resolved host name; 4 bytes or undefined. */
export function parseMaskArg(text: string, r: Resolvers = {}): Buffer | undefined {
  const m = parseIPv4Aton(text);
  if (m) return m;
  const host = r.resolveHost?.(text);
  return host !== undefined ? parseIPv4Aton(host) : undefined;
}

/**
 * parseSchedFlags is ipvsadm's parse_sched_flags for -b: comma-separated flag-1..flag-3, sh-fallback/sh-port (sh only),
 * mh-fallback/mh-port (mh only); empty items are skipped. Returns the flags as bits 1<<1..1<<3 (flag N = 1<<N),
 * or ipvsadm's message for the first bad flag, or `empty` when no flag is named (ipvsadm then crashes).
 */
export function parseSchedFlags(scheduler: string, text: string): number | { readonly message: string; readonly empty: boolean } {
  const names = text.split(',').filter((f) => f);
  if (names.length === 0) return { message: '', empty: true };
  let bits = 0;
  for (const f of names) {
    const generic = /^flag-([123])$/.exec(f);
    const specific = /^(sh|mh)-(fallback|port)$/.exec(f);
    if (generic) bits |= 1 << Number(generic[1]);
    else if (specific) {
      bits |= specific[2] === 'fallback' ? 2 : 4;
      if (scheduler !== specific[1]) return { message: `incompatible scheduler flag \`${f}'`, empty: false };
    } else return { message: `invalid scheduler flag \`${f}'`, empty: false };
  }
  return bits;
}
