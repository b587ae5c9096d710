// Codec layer: IP addresses as the bytes IPVS carries (union nf_inet_addr) and back.
import { isIPv4, isIPv6 } from 'node:net';
import type { Family } from './types.js';

/** AddressError reports an address that is not valid for its family. */
export class AddressError extends Error {
  readonly code = 'BAD_ADDRESS';
  constructor(readonly address: string, family: Family) {
    super(`'${address}' is not a valid ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
    this.name = 'AddressError';
  }
}

function v4Bytes(s: string, out: Buffer, at: number): void {
  const parts = s.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

const cache = new Map<string, Buffer>();
const CACHE_MAX = 1 << 16;

/**
 * addressToBytes encodes an address into size bytes (4 or 16), IPv4 in the first four. The result is shared
 * (tables of thousands of entries repeat the same addresses): callers must not modify it.
 */
export function addressToBytes(family: Family, address: string, size: 4 | 16): Buffer {
  const k = `${size}${address}`;
  let b = cache.get(k);
  if (!b) {
    b = parseAddress(family, address, size);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(k, b);
  }
  return b;
}

function parseAddress(family: Family, address: string, size: 4 | 16): Buffer {
  const out = Buffer.alloc(size);
  if (family === 'inet') {
    if (!isIPv4(address)) throw new AddressError(address, family);
    v4Bytes(address, out, 0);
    return out;
  }
  if (!isIPv6(address) || size !== 16) throw new AddressError(address, family);
  let s = address;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const words: number[] = [];
  const tailV4 = s.lastIndexOf('.') >= 0 ? s.slice(s.lastIndexOf(':') + 1) : '';
  if (tailV4) s = s.slice(0, s.length - tailV4.length) + '0:0';
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  for (const w of h) words.push(parseInt(w, 16));
  for (let i = 0; i < fill; i++) words.push(0);
  for (const w of t) words.push(parseInt(w, 16));
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  if (tailV4) v4Bytes(tailV4, out, 12);
  return out;
}

/** addressFromBytes formats the address in b as inet_ntop does (RFC 5952 compression for IPv6). */
export function addressFromBytes(family: Family, b: Buffer): string {
  if (family === 'inet') return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(i * 2));
  // glibc prints IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, not ::/::1) with a dotted tail
  const zeros5 = w.slice(0, 5).every((x) => x === 0);
  if (zeros5 && (w[5] === 0xffff || (w[5] === 0 && (w[6] !== 0 || (w[7] ?? 0) > 1)))) {
    const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    return w[5] === 0xffff ? `::ffff:${v4}` : `::${v4}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
