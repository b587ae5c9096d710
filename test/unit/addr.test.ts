import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  addressFromBytes,
  addressToBytes,
  addressUnion16,
  canonicalAddress,
  formatIPv6,
  netmaskToPrefix,
  parseAddress,
  parseIPv4,
  parseIPv4Aton,
  parseIPv6,
  prefixToNetmask,
} from '../../src/util/addr.js';

// golden.txt holds what this host's glibc answered (see test/fixtures/ipvsadm/addr/golden.sh).
const golden = readFileSync(new URL('../fixtures/ipvsadm/addr/golden.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l)
  .map((l) => l.split('\t') as [string, string, string]);
const rows = (kind: string) => golden.filter((r) => r[0] === kind).map(([, a, b]) => [a, b] as const);
const hex = (b: Buffer | undefined) => (b ? b.toString('hex') : '-');

describe('address parsing agrees with glibc', () => {
  it.each(rows('pton4'))('inet_pton(AF_INET, %j) = %s', (text, want) => {
    expect(hex(parseIPv4(text))).toBe(want);
  });
  it.each(rows('pton6'))('inet_pton(AF_INET6, %j) = %s', (text, want) => {
    expect(hex(parseIPv6(text))).toBe(want);
  });
  it.each(rows('aton'))('inet_aton(%j) = %s', (text, want) => {
    expect(hex(parseIPv4Aton(text))).toBe(want);
  });
});

describe('IPv6 formatting agrees with glibc inet_ntop', () => {
  const cases = rows('ntop6');
  it('covers every zero-group pattern', () => expect(cases.length).toBe(512));
  it.each(cases)('inet_ntop(%s) = %s', (bytes, want) => {
    expect(formatIPv6(Buffer.from(bytes, 'hex'))).toBe(want);
  });
  it('round-trips every formatted address through the parser', () => {
    for (const [bytes, text] of cases) expect(hex(parseIPv6(text))).toBe(bytes);
  });
});

describe('address helpers', () => {
  it('canonicalises IPv6 texts to the compressed lowercase form', () => {
    expect(canonicalAddress('inet6', '2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('inet6', '::FFFF:10.0.0.1')).toBe('::ffff:10.0.0.1');
  });
  it('throws a typed AddressError for a text of the wrong family', () => {
    expect(() => addressToBytes('inet', '::1')).toThrow(AddressError);
    expect(() => addressToBytes('inet6', '10.0.0.1')).toThrow(/invalid IPv6 address '10.0.0.1'/);
  });
  it('detects the family from the text', () => {
    expect(parseAddress('10.0.0.1')?.family).toBe('inet');
    expect(parseAddress('fe80::1')?.family).toBe('inet6');
    expect(parseAddress('10.0.0')).toBeUndefined();
  });
  it('places IPv4 addresses in the first four bytes of the kernel union', () => {
    expect(addressUnion16('inet', '10.0.0.1').toString('hex')).toBe('0a000001' + '0'.repeat(24));
    expect(addressFromBytes('inet', addressUnion16('inet', '192.168.1.2'))).toBe('192.168.1.2');
  });
});

describe('netmask and prefix length', () => {
  it('round-trips every IPv4 prefix length', () => {
    for (let p = 0; p <= 32; p++) expect(netmaskToPrefix(prefixToNetmask(p))).toBe(p);
  });
  it('formats well-known masks', () => {
    expect(prefixToNetmask(24)).toBe('255.255.255.0');
    expect(prefixToNetmask(0)).toBe('0.0.0.0');
    expect(prefixToNetmask(32)).toBe('255.255.255.255');
  });
  it('rejects non-contiguous masks and out-of-range prefixes', () => {
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(netmaskToPrefix('0.0.0.24')).toBeUndefined();
    expect(() => prefixToNetmask(33)).toThrow(RangeError);
  });
  it('accepts masks given as bytes', () => {
    expect(netmaskToPrefix(Buffer.from([255, 255, 240, 0]))).toBe(20);
  });
});
