// VRRP layer (pure): the Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers VRRPv3 sums over (RFC 5798 §5.2.8).
import { parseAddress, type IpFamily } from '../util/addr.js';

/** IPPROTO_VRRP is VRRP's IP protocol number (RFC 5798 §5.1.1.4). */
export const IPPROTO_VRRP = 112;

/** PseudoHeader is the part of the IP header a VRRPv3 (or IPv6) checksum covers: the source and destination addresses. */
export interface PseudoHeader {
  readonly source: string;
  readonly destination: string;
}

/** sumWords adds bytes [start, end) as big-endian 16-bit words (an odd last byte padded with zero) to acc, without folding. */
export function sumWords(buf: Uint8Array, start: number, end: number, acc = 0): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] as number) << 8) | (buf[i + 1] as number);
  if (i < end) sum += (buf[i] as number) << 8;
  // fold early enough that the sum never leaves the exact integer range
  return sum > 0xffffffff ? (sum & 0xffff) + Math.floor(sum / 0x10000) : sum;
}

/** foldChecksum folds a 32-bit-or-wider sum to 16 bits and returns its ones' complement (the value stored in a header). */
export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * pseudoHeaderSum is the unfolded sum of the pseudo-header for an upper-layer message of `length` bytes: IPv4 (RFC 768
 * layout: source, destination, zero, protocol, 16-bit length) or IPv6 (RFC 8200 §8.1: source, destination, 32-bit length,
 * zeros, next header). Undefined when an address is not of the family.
 */
export function pseudoHeaderSum(family: IpFamily, pseudo: PseudoHeader, length: number): number | undefined {
  const src = parseAddress(pseudo.source);
  const dst = parseAddress(pseudo.destination);
  if (!src || !dst || src.family !== family || dst.family !== family) return undefined;
  let sum = sumWords(src.bytes, 0, src.bytes.length);
  sum = sumWords(dst.bytes, 0, dst.bytes.length, sum);
  if (family === 'inet') return sum + IPPROTO_VRRP + (length & 0xffff);
  return sum + Math.floor(length / 0x10000) + (length & 0xffff) + IPPROTO_VRRP;
}

/** internetChecksum is the checksum of bytes [start, end) after an optional unfolded pseudo-header sum. */
export function internetChecksum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  return foldChecksum(sumWords(buf, start, end, initial));
}
