// VRRP layer (pure): the VRRP message codec — version 2 (RFC 3768 §5) and version 3 (RFC 5798/9568 §5), IPv4 and IPv6; decoding never throws.
import { addressFromBytes, parseAddress, type IpFamily } from '../util/addr.js';
import { foldChecksum, pseudoHeaderSum, sumWords, type PseudoHeader } from './checksum.js';

/** VRRP_TYPE_ADVERTISEMENT is the only VRRP message type (RFC 3768 §5.3.2, RFC 5798 §5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** VRRP_HEADER_LENGTH is the fixed part of a VRRP message, before the addresses. */
export const VRRP_HEADER_LENGTH = 8;
/** VRRP_AUTH_DATA_LENGTH is the size of VRRPv2's authentication data (RFC 3768 §5.3.10); only VRRPv2 over IPv4 carries it. */
export const VRRP_AUTH_DATA_LENGTH = 8;
/** VRRP_MAX_ADDRESSES is the most addresses the 8-bit Count IPvX Addr field can announce. */
export const VRRP_MAX_ADDRESSES = 255;
/** VRRP_MAX_ADVERT_INTERVAL_CS is the largest VRRPv3 Max Adver Int (12 bits of centiseconds). */
export const VRRP_MAX_ADVERT_INTERVAL_CS = 0xfff;

/** AuthType is VRRPv2's Auth Type field (RFC 3768 §5.3.6; keepalived's VRRP_AUTH_*). */
export const AuthType = Object.freeze({ NONE: 0, PASS: 1, AH: 2 } as const);

/** AdvertV2 is a VRRPv2 advertisement (RFC 3768 §5.1). `advertInterval` is in seconds. */
export interface AdvertV2 {
  readonly version: 2;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  readonly family: IpFamily;
  readonly addresses: readonly string[];
  readonly authType: number;
  readonly advertInterval: number;
  readonly checksum: number;
  /** the 8 bytes of authentication data (IPv4 only; empty for IPv6, which has none) */
  readonly authData: Uint8Array;
}

/** AdvertV3 is a VRRPv3 advertisement (RFC 5798 §5.1). `maxAdvertInterval` is in centiseconds; `reserved` is the 4 bits before it. */
export interface AdvertV3 {
  readonly version: 3;
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  readonly family: IpFamily;
  readonly addresses: readonly string[];
  readonly maxAdvertInterval: number;
  readonly reserved: number;
  readonly checksum: number;
}

/** Advert is a decoded VRRP message of either version. */
export type Advert = AdvertV2 | AdvertV3;

/** AdvertInput is what `encode` needs: an Advert whose type (default 1), checksum (computed), reserved bits (0) and auth data (zeros) may be left out. */
export type AdvertInput =
  | (Omit<AdvertV2, 'type' | 'checksum' | 'authData'> & { readonly type?: number; readonly authData?: Uint8Array })
  | (Omit<AdvertV3, 'type' | 'checksum' | 'reserved'> & { readonly type?: number; readonly reserved?: number });

/** DecodeFailure says why bytes are not a VRRP message: too short for what the header announces, or a version other than 2 and 3. */
export interface DecodeFailure {
  readonly ok: false;
  readonly reason: 'truncated' | 'version';
  readonly detail: string;
}

/** DecodeResult is a decoded advert and the bytes it took, or why it could not be decoded. */
export type DecodeResult = { readonly ok: true; readonly advert: Advert; readonly bytes: number } | DecodeFailure;

/** VrrpEncodeError is thrown by `encode` for fields no VRRP message can carry (a programming error, not bad input from the wire). */
export class VrrpEncodeError extends Error {
  override readonly name = 'VrrpEncodeError';
}

const addressLength = (family: IpFamily): number => (family === 'inet' ? 4 : 16);

/** hasAuthData tells whether a message carries VRRPv2's 8 bytes of authentication data: version 2 over IPv4 (keepalived's vrrp_pkt_len). */
export function hasAuthData(version: 2 | 3, family: IpFamily): boolean {
  return version === 2 && family === 'inet';
}

/** messageLength is the size of a VRRP message of this version and family with `count` addresses. */
export function messageLength(version: 2 | 3, family: IpFamily, count: number): number {
  return VRRP_HEADER_LENGTH + count * addressLength(family) + (hasAuthData(version, family) ? VRRP_AUTH_DATA_LENGTH : 0);
}

/** length is the encoded size of an advert. */
export function length(advert: AdvertInput): number {
  return messageLength(advert.version, advert.family, advert.addresses.length);
}

/**
 * usesPseudoHeader tells whether the checksum covers an IP pseudo-header: always for VRRPv3 (RFC 5798 §5.2.8), and for
 * IPv6 whatever the version (the kernel computes it with IPV6_CHECKSUM, as keepalived sets up); VRRPv2 over IPv4 sums the message alone.
 */
export function usesPseudoHeader(version: 2 | 3, family: IpFamily): boolean {
  return version === 3 || family === 'inet6';
}

/** passwordData is the 8 bytes of VRRPv2 PASS authentication data for a password: its first 8 bytes, zero padded (keepalived's auth_data). */
export function passwordData(password: string): Buffer {
  const out = Buffer.alloc(VRRP_AUTH_DATA_LENGTH);
  Buffer.from(password, 'utf8').copy(out, 0, 0, VRRP_AUTH_DATA_LENGTH);
  return out;
}

/** advertIntervalMs is the advertisement interval an advert announces, in milliseconds (v2 seconds, v3 centiseconds). */
export function advertIntervalMs(advert: Advert): number {
  return advert.version === 2 ? advert.advertInterval * 1000 : advert.maxAdvertInterval * 10;
}

function checkByte(name: string, value: number, max = 255): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new VrrpEncodeError(`VRRP ${name} out of range: ${value}`);
}

/**
 * encode writes an advert at `offset` of `buf` (allocated when absent) and returns the buffer. The checksum is always
 * computed for VRRPv2 over IPv4; for the pseudo-header kinds it is computed when `pseudo` (source and destination) is
 * given, and left 0 otherwise — what a raw IPv6 socket with IPV6_CHECKSUM expects. Throws VrrpEncodeError for fields
 * out of range.
 */
export function encode(advert: AdvertInput, pseudo?: PseudoHeader, buf?: Buffer, offset = 0): Buffer {
  const { version, family, addresses } = advert;
  if (version !== 2 && version !== 3) throw new VrrpEncodeError(`VRRP version must be 2 or 3, not ${String(version)}`);
  checkByte('type', advert.type ?? VRRP_TYPE_ADVERTISEMENT, 15);
  checkByte('VRID', advert.vrid);
  checkByte('priority', advert.priority);
  if (addresses.length > VRRP_MAX_ADDRESSES) throw new VrrpEncodeError(`a VRRP message carries at most ${VRRP_MAX_ADDRESSES} addresses`);
  const size = length(advert);
  const out = buf ?? Buffer.alloc(offset + size);
  if (out.length < offset + size) throw new VrrpEncodeError(`buffer too small: ${size} bytes needed at offset ${offset}`);
  out[offset] = (version << 4) | (advert.type ?? VRRP_TYPE_ADVERTISEMENT);
  out[offset + 1] = advert.vrid;
  out[offset + 2] = advert.priority;
  out[offset + 3] = addresses.length;
  if (advert.version === 2) {
    checkByte('auth type', advert.authType);
    checkByte('advertisement interval', advert.advertInterval);
    out[offset + 4] = advert.authType;
    out[offset + 5] = advert.advertInterval;
  } else {
    checkByte('max advertisement interval', advert.maxAdvertInterval, VRRP_MAX_ADVERT_INTERVAL_CS);
    checkByte('reserved bits', advert.reserved ?? 0, 15);
    out.writeUInt16BE(((advert.reserved ?? 0) << 12) | advert.maxAdvertInterval, offset + 4);
  }
  out.writeUInt16BE(0, offset + 6);
  let at = offset + VRRP_HEADER_LENGTH;
  for (const text of addresses) {
    const parsed = parseAddress(text);
    if (!parsed || parsed.family !== family) throw new VrrpEncodeError(`'${text}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
    parsed.bytes.copy(out, at);
    at += parsed.bytes.length;
  }
  if (hasAuthData(version, family)) {
    const data = advert.version === 2 ? advert.authData : undefined;
    if (data && data.length !== VRRP_AUTH_DATA_LENGTH) throw new VrrpEncodeError(`VRRPv2 authentication data is ${VRRP_AUTH_DATA_LENGTH} bytes, not ${data.length}`);
    out.fill(0, at, at + VRRP_AUTH_DATA_LENGTH);
    if (data) out.set(data, at);
  }
  out.writeUInt16BE(computeChecksum(out, offset, size, version, family, pseudo) ?? 0, offset + 6);
  return out;
}

/**
 * computeChecksum is the checksum of the `size`-byte message at `offset` as if its checksum field were zero: over the
 * message alone (VRRPv2, IPv4) or over the pseudo-header too. Undefined when a pseudo-header is needed and missing or invalid.
 */
export function computeChecksum(buf: Uint8Array, offset: number, size: number, version: 2 | 3, family: IpFamily, pseudo?: PseudoHeader): number | undefined {
  let initial = 0;
  if (usesPseudoHeader(version, family)) {
    const sum = pseudo && pseudoHeaderSum(family, pseudo, size);
    if (sum === undefined) return undefined;
    initial = sum;
  }
  // the stored checksum word is at offset+6: sum around it
  return foldChecksum(sumWords(buf, offset + 8, offset + size, sumWords(buf, offset, offset + 6, initial)));
}

/** checksumValid tells whether the message at `offset` carries the right checksum (false when a needed pseudo-header is missing). */
export function checksumValid(buf: Uint8Array, offset: number, size: number, version: 2 | 3, family: IpFamily, pseudo?: PseudoHeader): boolean {
  if (offset < 0 || offset + size > buf.length || size < VRRP_HEADER_LENGTH) return false;
  const expected = computeChecksum(buf, offset, size, version, family, pseudo);
  return expected !== undefined && expected === (((buf[offset + 6] as number) << 8) | (buf[offset + 7] as number));
}

/**
 * decode reads the VRRP message at `offset` of `buf` (of family `family`, which the IP layer tells), up to `end`. It
 * never throws: a message shorter than its address count announces is 'truncated', a version other than 2 or 3 is
 * 'version'. Bytes after the message are left alone (`bytes` says how many were used). The checksum is not verified here.
 */
export function decode(buf: Uint8Array, offset = 0, family: IpFamily = 'inet', end = buf.length): DecodeResult {
  const limit = Math.min(end, buf.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + VRRP_HEADER_LENGTH > limit) {
    return { ok: false, reason: 'truncated', detail: `a VRRP header needs ${VRRP_HEADER_LENGTH} bytes, ${Math.max(0, limit - Math.max(0, offset))} received` };
  }
  const first = buf[offset] as number;
  const version = first >> 4;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'version', detail: `VRRP version ${version} is neither 2 nor 3` };
  const count = buf[offset + 3] as number;
  const size = messageLength(version, family, count);
  if (offset + size > limit) return { ok: false, reason: 'truncated', detail: `${count} addresses need ${size} bytes, ${limit - offset} received` };
  const step = addressLength(family);
  const addresses: string[] = [];
  for (let i = 0, at = offset + VRRP_HEADER_LENGTH; i < count; i++, at += step) addresses.push(addressFromBytes(family, buf.subarray(at, at + step)));
  const common = {
    type: first & 0x0f,
    vrid: buf[offset + 1] as number,
    priority: buf[offset + 2] as number,
    family,
    addresses,
    checksum: ((buf[offset + 6] as number) << 8) | (buf[offset + 7] as number),
  };
  const word = ((buf[offset + 4] as number) << 8) | (buf[offset + 5] as number);
  let advert: Advert;
  if (version === 2) {
    const authAt = offset + VRRP_HEADER_LENGTH + count * step;
    const authData = hasAuthData(2, family) ? Buffer.from(buf.subarray(authAt, authAt + VRRP_AUTH_DATA_LENGTH)) : Buffer.alloc(0);
    advert = { version: 2, ...common, authType: word >> 8, advertInterval: word & 0xff, authData };
  } else {
    advert = { version: 3, ...common, maxAdvertInterval: word & 0x0fff, reserved: word >> 12 };
  }
  return { ok: true, advert, bytes: size };
}
