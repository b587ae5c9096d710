// Utility layer: IPv4/IPv6 text <-> bytes with glibc's exact rules (inet_pton, inet_aton, inet_ntop) and netmask <-> prefix length.

/** IpFamily is an address family: 'inet' (IPv4, 4 bytes) or 'inet6' (IPv6, 16 bytes). */
export type IpFamily = 'inet' | 'inet6';

/** AddressError is thrown by the throwing helpers when a text is not an address of the wanted family. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    readonly text: string,
    readonly family: IpFamily | undefined,
  ) {
    super(`invalid ${family === 'inet' ? 'IPv4 ' : family === 'inet6' ? 'IPv6 ' : 'IP '}address '${text}'`);
  }
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const hexValue = (c: string): number => {
  const n = c.charCodeAt(0);
  if (n >= 48 && n <= 57) return n - 48;
  if (n >= 97 && n <= 102) return n - 87;
  if (n >= 65 && n <= 70) return n - 55;
  return -1;
};

/** parseIPv4 is inet_pton(AF_INET): exactly four decimal parts 0..255, no leading zeros; undefined otherwise. */
export function parseIPv4(text: string): Buffer | undefined {
  const out = Buffer.alloc(4);
  let octets = 0;
  let sawDigit = false;
  let cur = 0;
  for (const ch of text) {
    if (isDigit(ch)) {
      if (sawDigit && cur === 0) return undefined;
      cur = cur * 10 + (ch.charCodeAt(0) - 48);
      if (cur > 255) return undefined;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
      out[octets - 1] = cur;
    } else if (ch === '.' && sawDigit) {
      if (octets === 4) return undefined;
      sawDigit = false;
      cur = 0;
    } else return undefined;
  }
  return octets < 4 ? undefined : out;
}

const isCSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** strtoulAuto reads an unsigned C integer with base prefix (0x hex, 0 octal, else decimal) from text at i; returns value and end index. */
function strtoulAuto(text: string, i: number): { value: number; end: number } {
  let base = 10;
  let j = i;
  if (text[j] === '0') {
    if ((text[j + 1] === 'x' || text[j + 1] === 'X') && hexValue(text[j + 2] ?? '') >= 0) {
      base = 16;
      j += 2;
    } else base = 8;
  }
  let value = 0;
  while (j < text.length) {
    const d = hexValue(text[j] as string);
    if (d < 0 || d >= base) break;
    value = Math.min(value * base + d, 2 ** 53); // saturate: anything above 2^32 is rejected anyway
    j++;
  }
  return { value, end: j };
}

/** parseIPv4Aton is inet_aton: 1 to 4 parts, each decimal, octal (0…) or hex (0x…); the last part fills the remaining bytes ("10.1" = 10.0.0.1). */
export function parseIPv4Aton(text: string): Buffer | undefined {
  const max = [0xffffffff, 0xffffff, 0xffff, 0xff];
  const parts: number[] = [];
  let i = 0;
  let val = 0;
  for (;;) {
    if (!isDigit(text[i])) return undefined;
    const r = strtoulAuto(text, i);
    if (r.value > 0xffffffff) return undefined;
    val = r.value;
    i = r.end;
    if (text[i] === '.') {
      if (parts.length > 2 || val > 0xff) return undefined;
      parts.push(val);
      i++;
    } else break;
  }
  const c = text[i];
  if (c !== undefined && !isCSpace(c)) return undefined;
  if (val > (max[parts.length] as number)) return undefined;
  const word = (parts.reduce((w, p, k) => w + p * 2 ** (24 - 8 * k), 0) + val) >>> 0;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(word >>> 0);
  return out;
}

/** parseIPv6 is inet_pton(AF_INET6): hex groups, one "::", optional trailing dotted IPv4; undefined otherwise. */
export function parseIPv6(text: string): Buffer | undefined {
  const tmp = Buffer.alloc(16);
  let tp = 0;
  let colonp = -1;
  let src = 0;
  const end = text.length;
  if (src === end) return undefined;
  if (text[src] === ':') {
    src++;
    if (src === end || text[src] !== ':') return undefined;
  }
  let curtok = src;
  let xdigits = 0;
  let val = 0;
  while (src < end) {
    const ch = text[src++] as string;
    const digit = hexValue(ch);
    if (digit >= 0) {
      if (xdigits === 4) return undefined;
      val = (val << 4) | digit;
      xdigits++;
      continue;
    }
    if (ch === ':') {
      curtok = src;
      if (xdigits === 0) {
        if (colonp >= 0) return undefined;
        colonp = tp;
        continue;
      } else if (src === end) return undefined;
      if (tp + 2 > 16) return undefined;
      tmp[tp++] = (val >> 8) & 0xff;
      tmp[tp++] = val & 0xff;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch === '.' && tp + 4 <= 16) {
      const v4 = parseIPv4(text.slice(curtok));
      if (!v4) return undefined;
      v4.copy(tmp, tp);
      tp += 4;
      xdigits = 0;
      break;
    }
    return undefined;
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return undefined;
    tmp[tp++] = (val >> 8) & 0xff;
    tmp[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (tp === 16) return undefined;
    const n = tp - colonp;
    const moved = Buffer.from(tmp.subarray(colonp, tp));
    tmp.fill(0, colonp, 16);
    moved.copy(tmp, 16 - n);
    tp = 16;
  }
  return tp === 16 ? tmp : undefined;
}

/** formatIPv4 is inet_ntop(AF_INET): dotted decimal of the first four bytes. */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
}

/**
 * formatIPv6 is glibc's inet_ntop(AF_INET6): lowercase hex without leading zeros, the longest run of two or more
 * zero groups (the first on ties) as "::", and "::a.b.c.d" / "::ffff:a.b.c.d" when the first 6 groups are zero
 * or the first 5 are zero and the sixth is ffff (but "::" and "::1"-like forms when the run is longer).
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      return out + formatIPv4(bytes.subarray(12, 16));
    }
    out += (words[i] as number).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/** ParsedAddress is an address with its family and bytes (4 for IPv4, 16 for IPv6). */
export interface ParsedAddress {
  readonly family: IpFamily;
  readonly bytes: Buffer;
}

/** parseAddress reads a strict IPv4 (inet_pton) or IPv6 text; IPv6 is tried when the text has a colon. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.includes(':')) {
    const b = parseIPv6(text);
    return b && { family: 'inet6', bytes: b };
  }
  const b = parseIPv4(text);
  return b && { family: 'inet', bytes: b };
}

/** addressToBytes parses text of the given family into 4 or 16 bytes; throws AddressError when it is not one. */
export function addressToBytes(family: IpFamily, text: string): Buffer {
  const b = family === 'inet' ? parseIPv4(text) : parseIPv6(text);
  if (!b) throw new AddressError(text, family);
  return b;
}

/** addressFromBytes formats 4 (or more, IPv4 uses the first four) or 16 bytes as glibc's inet_ntop does. */
export function addressFromBytes(family: IpFamily, bytes: Uint8Array): string {
  return family === 'inet' ? formatIPv4(bytes) : formatIPv6(bytes);
}

/** canonicalAddress re-formats an address text the way inet_ntop prints it; throws AddressError when invalid. */
export function canonicalAddress(family: IpFamily, text: string): string {
  return addressFromBytes(family, addressToBytes(family, text));
}

/** addressUnion16 returns the 16-byte kernel union nf_inet_addr of an address: IPv4 in the first 4 bytes, zeros after. */
export function addressUnion16(family: IpFamily, text: string): Buffer {
  const b = addressToBytes(family, text);
  if (b.length === 16) return b;
  const u = Buffer.alloc(16);
  b.copy(u, 0);
  return u;
}

/** prefixToNetmask returns the dotted IPv4 mask of a prefix length 0..32 (24 -> "255.255.255.0"). */
export function prefixToNetmask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`IPv4 prefix length out of range: ${prefix}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  return formatIPv4(b);
}

/** netmaskToPrefix returns the prefix length of a contiguous IPv4 mask (text or 4 bytes); undefined if not contiguous. */
export function netmaskToPrefix(mask: string | Uint8Array): number | undefined {
  const b = typeof mask === 'string' ? parseIPv4(mask) : Buffer.from(mask);
  if (!b || b.length < 4) return undefined;
  const v = b.readUInt32BE(0);
  let n = 0;
  while (n < 32 && v & (0x80000000 >>> n)) n++;
  const rest = n === 32 ? 0 : (v << n) >>> 0;
  return rest === 0 ? n : undefined;
}

/** isIPv4Multicast tells whether 4 bytes are in 224.0.0.0/4 (glibc IN_MULTICAST). */
export function isIPv4Multicast(bytes: Uint8Array): boolean {
  return ((bytes[0] ?? 0) & 0xf0) === 0xe0;
}

/** isIPv6Multicast tells whether 16 bytes are in ff00::/8 (IN6_IS_ADDR_MULTICAST). */
export function isIPv6Multicast(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff;
}
