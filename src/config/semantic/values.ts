// Config layer (semantic): argument value types as zod schemas over the token text, with what each expects.
import { z } from 'zod';
import type { Family } from '../../ipvs/types.js';
import { addressFromBytes, netmaskToPrefix, parseAddress, parseIPv4 } from '../../util/addr.js';

/** ValueType parses one argument word: a zod schema from the word to the value, and a phrase for "expects …". */
export interface ValueType<T> {
  readonly schema: z.ZodType<T, string>;
  readonly expect: string;
  /** invalid values are reported as INVALID_ADDRESS rather than INVALID_VALUE */
  readonly address?: boolean;
}

/** canonicalIp returns an address as inet_ntop prints it (IPv6 compressed, lower case), or undefined when inet_pton rejects it. */
export function canonicalIp(text: string): string | undefined {
  const a = parseAddress(text);
  return a && addressFromBytes(a.family, a.bytes);
}

/** familyOf tells the address family of a valid address. */
export function familyOf(address: string): Family {
  return address.includes(':') ? 'inet6' : 'inet';
}

/** uint is an unsigned decimal integer within [min, max]. */
export function uint(min: number, max: number, expect = `an integer ${min}..${max}`): ValueType<number> {
  return { schema: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max)), expect };
}

/** int is a signed decimal integer within [min, max]. */
export function int(min: number, max: number, expect = `an integer ${min}..${max}`): ValueType<number> {
  return { schema: z.string().regex(/^[+-]?\d+$/).transform(Number).pipe(z.number().int().min(min).max(max)), expect };
}

/** timer is keepalived's <TIMER>: seconds with an optional fraction (microsecond resolution) within [min, max]. */
export function timer(min = 0, max = 4294967, expect = `a time in seconds ${min}..${max}`): ValueType<number> {
  return {
    schema: z
      .string()
      .regex(/^(\d+(\.\d*)?|\.\d+)$/)
      .transform((s) => Math.round(Number(s) * 1e6) / 1e6)
      .pipe(z.number().min(min).max(max)),
    expect,
  };
}

/** bool is keepalived's <BOOL>: on|off|true|false|yes|no. */
export const bool: ValueType<boolean> = {
  schema: z.enum(['on', 'off', 'true', 'false', 'yes', 'no']).transform((s) => s === 'on' || s === 'true' || s === 'yes'),
  expect: 'one of on|off|true|false|yes|no',
};

/** oneOf is one of fixed words (case-sensitive unless `caseless`). */
export function oneOf<const T extends string>(words: readonly T[], caseless = false): ValueType<T> {
  const schema = z
    .string()
    .transform((s) => (caseless ? (words.find((w) => w.toLowerCase() === s.toLowerCase()) ?? s) : s))
    .pipe(z.enum(words as unknown as [T, ...T[]]));
  return { schema, expect: `one of ${words.join('|')}` };
}

/** ip is an IPv4 or IPv6 address (inet_pton rules), canonicalized. */
export const ip: ValueType<string> = {
  schema: z
    .string()
    .refine((s) => canonicalIp(s) !== undefined)
    .transform((s) => canonicalIp(s) ?? s),
  expect: 'an IPv4 or IPv6 address',
  address: true,
};

/** port is a TCP/UDP port 1..65535. */
export const port = uint(1, 65535, 'a port number 1..65535');

/** text is any word. */
export const text: ValueType<string> = { schema: z.string().min(1), expect: 'a value' };

/** netmask4 is a dotted IPv4 netmask with contiguous bits, returned as a prefix length. */
export const netmask4: ValueType<number> = {
  schema: z
    .string()
    .transform((s) => netmaskToPrefix(s) ?? 0)
    .refine((p) => p >= 1),
  expect: 'a contiguous IPv4 netmask such as 255.255.255.0',
};

/** ipv4ToNumber converts a dotted IPv4 address to its 32-bit value. */
export function ipv4ToNumber(a: string): number {
  return parseIPv4(a)?.readUInt32BE(0) ?? 0;
}

/** numberToIpv4 converts a 32-bit value to dotted IPv4 text. */
export function numberToIpv4(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return addressFromBytes('inet', b);
}

/** ipv6ToBigInt converts an IPv6 address to its 128-bit value. */
export function ipv6ToBigInt(a: string): bigint {
  const bytes = parseAddress(a)?.bytes ?? Buffer.alloc(16);
  return BigInt(`0x${bytes.toString('hex')}`);
}

/** bigIntToIpv6 converts a 128-bit value to canonical IPv6 text. */
export function bigIntToIpv6(n: bigint): string {
  return addressFromBytes('inet6', Buffer.from(n.toString(16).padStart(32, '0'), 'hex'));
}
