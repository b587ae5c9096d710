// VRRP layer (pure): the IP around a VRRP message — IPv4 header codec (a raw IPPROTO_VRRP socket sends and receives it), IPv6 header decoding, received-packet framing.
import { addressFromBytes, parseIPv4, type IpFamily } from '../util/addr.js';
import { internetChecksum, IPPROTO_VRRP } from './checksum.js';

/** IPPROTO_AH is the IPsec Authentication Header protocol, which keepalived's VRRPv2 `auth_type AH` wraps adverts in. */
export const IPPROTO_AH = 51;
/** VRRP_TTL is the TTL / hop limit every multicast VRRP packet is sent with and must arrive with (RFC 5798 §5.1.1.3). */
export const VRRP_TTL = 255;
/** VRRP_MCAST_GROUP4 is the IPv4 VRRP multicast group (RFC 5798 §5.1.1.2). */
export const VRRP_MCAST_GROUP4 = '224.0.0.18';
/** VRRP_MCAST_GROUP6 is the IPv6 VRRP multicast group (RFC 5798 §5.1.2.2). */
export const VRRP_MCAST_GROUP6 = 'ff02::12';
/** IPV4_HEADER_LENGTH is the length of an IPv4 header without options (what keepalived sends). */
export const IPV4_HEADER_LENGTH = 20;
/** IPV6_HEADER_LENGTH is the length of the fixed IPv6 header. */
export const IPV6_HEADER_LENGTH = 40;

/** IPv4Header is a decoded IPv4 header; `headerLength` is IHL in bytes, `flags` the top 3 bits of the fragment word. */
export interface IPv4Header {
  readonly headerLength: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly id: number;
  readonly flags: number;
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly source: string;
  readonly destination: string;
}

/** IPv6Header is a decoded fixed IPv6 header. */
export interface IPv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly source: string;
  readonly destination: string;
}

/** IpFailure says why bytes are not the IP packet expected. */
export interface IpFailure {
  readonly ok: false;
  readonly reason: 'truncated' | 'ip-header' | 'protocol';
  readonly detail: string;
}

/** decodeIPv4Header reads the IPv4 header at `offset`; never throws. */
export function decodeIPv4Header(buf: Uint8Array, offset = 0, end = buf.length): { ok: true; header: IPv4Header } | IpFailure {
  const limit = Math.min(end, buf.length);
  if (offset < 0 || offset + IPV4_HEADER_LENGTH > limit) return { ok: false, reason: 'truncated', detail: `an IPv4 header needs ${IPV4_HEADER_LENGTH} bytes` };
  const b = (i: number): number => buf[offset + i] as number;
  if (b(0) >> 4 !== 4) return { ok: false, reason: 'ip-header', detail: `IP version ${b(0) >> 4} in an IPv4 packet` };
  const headerLength = (b(0) & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return { ok: false, reason: 'ip-header', detail: `IPv4 header length ${headerLength} is below 20` };
  if (offset + headerLength > limit) return { ok: false, reason: 'truncated', detail: `the IPv4 header announces ${headerLength} bytes` };
  const frag = (b(6) << 8) | b(7);
  return {
    ok: true,
    header: {
      headerLength,
      tos: b(1),
      totalLength: (b(2) << 8) | b(3),
      id: (b(4) << 8) | b(5),
      flags: frag >> 13,
      fragmentOffset: frag & 0x1fff,
      ttl: b(8),
      protocol: b(9),
      checksum: (b(10) << 8) | b(11),
      source: addressFromBytes('inet', buf.subarray(offset + 12, offset + 16)),
      destination: addressFromBytes('inet', buf.subarray(offset + 16, offset + 20)),
    },
  };
}

/** IPv4HeaderInput is what `encodeIPv4Header` writes; keepalived's vrrp_build_ip4 uses tos 0xc0, id from a counter, no fragmentation, TTL 255. */
export interface IPv4HeaderInput {
  readonly tos?: number;
  readonly id: number;
  readonly ttl?: number;
  readonly protocol?: number;
  readonly source: string;
  readonly destination: string;
  /** bytes after the header */
  readonly payloadLength: number;
}

/**
 * encodeIPv4Header writes a 20-byte IPv4 header with its checksum at `offset` (IP_HDRINCL style) and returns the buffer.
 * Throws RangeError for an address that is not IPv4 (a programming error).
 */
export function encodeIPv4Header(h: IPv4HeaderInput, buf?: Buffer, offset = 0): Buffer {
  const src = parseIPv4(h.source);
  const dst = parseIPv4(h.destination);
  if (!src || !dst) throw new RangeError(`not IPv4 addresses: ${h.source} > ${h.destination}`);
  const out = buf ?? Buffer.alloc(offset + IPV4_HEADER_LENGTH);
  out[offset] = 0x45;
  out[offset + 1] = h.tos ?? 0xc0;
  out.writeUInt16BE(IPV4_HEADER_LENGTH + h.payloadLength, offset + 2);
  out.writeUInt16BE(h.id & 0xffff, offset + 4);
  out.writeUInt16BE(0, offset + 6);
  out[offset + 8] = h.ttl ?? VRRP_TTL;
  out[offset + 9] = h.protocol ?? IPPROTO_VRRP;
  out.writeUInt16BE(0, offset + 10);
  src.copy(out, offset + 12);
  dst.copy(out, offset + 16);
  out.writeUInt16BE(internetChecksum(out, offset, offset + IPV4_HEADER_LENGTH), offset + 10);
  return out;
}

/** decodeIPv6Header reads the fixed IPv6 header at `offset`; never throws. */
export function decodeIPv6Header(buf: Uint8Array, offset = 0, end = buf.length): { ok: true; header: IPv6Header } | IpFailure {
  const limit = Math.min(end, buf.length);
  if (offset < 0 || offset + IPV6_HEADER_LENGTH > limit) return { ok: false, reason: 'truncated', detail: `an IPv6 header needs ${IPV6_HEADER_LENGTH} bytes` };
  const b = (i: number): number => buf[offset + i] as number;
  if (b(0) >> 4 !== 6) return { ok: false, reason: 'ip-header', detail: `IP version ${b(0) >> 4} in an IPv6 packet` };
  return {
    ok: true,
    header: {
      trafficClass: ((b(0) & 0x0f) << 4) | (b(1) >> 4),
      flowLabel: ((b(1) & 0x0f) << 16) | (b(2) << 8) | b(3),
      payloadLength: (b(4) << 8) | b(5),
      nextHeader: b(6),
      hopLimit: b(7),
      source: addressFromBytes('inet6', buf.subarray(offset + 8, offset + 24)),
      destination: addressFromBytes('inet6', buf.subarray(offset + 24, offset + 40)),
    },
  };
}

/**
 * InboundPacket is a received VRRP message with what the IP layer says about it — the validator's input. For IPv4 it
 * comes from the whole datagram a raw socket returns; for IPv6 from the payload plus recvmsg's ancillary data.
 */
export interface InboundPacket {
  readonly family: IpFamily;
  readonly source: string;
  readonly destination: string;
  /** IPv4 TTL or IPv6 hop limit; undefined when the socket did not report it (keepalived's rx_ttl_hop_limit -1) */
  readonly ttl: number | undefined;
  /** the buffer and the bounds of the VRRP message in it (everything after the IP and AH headers) */
  readonly data: Uint8Array;
  readonly offset: number;
  readonly end: number;
  /** IPv4 only: the IP header's total length and the datagram length as received, which must agree */
  readonly ipTotalLength?: number | undefined;
  readonly receivedLength?: number | undefined;
  /** IPv4 only: the datagram carried an IPsec AH header (keepalived's `auth_type AH`) */
  readonly authenticationHeader?: boolean | undefined;
}

/**
 * fromIPv4Datagram frames a whole IPv4 datagram (as a raw IPPROTO_VRRP socket returns it, bytes [offset, end)) as an
 * InboundPacket, skipping an AH header when there is one; never throws.
 */
export function fromIPv4Datagram(buf: Uint8Array, offset = 0, end = buf.length): { ok: true; packet: InboundPacket } | IpFailure {
  const limit = Math.min(end, buf.length);
  const ip = decodeIPv4Header(buf, offset, limit);
  if (!ip.ok) return ip;
  const h = ip.header;
  let start = offset + h.headerLength;
  let authenticationHeader = false;
  if (h.protocol === IPPROTO_AH) {
    // RFC 4302 §2: next header, payload length in 32-bit words minus 2, reserved, SPI, sequence number, ICV
    if (start + 12 > limit) return { ok: false, reason: 'truncated', detail: 'the AH header is cut short' };
    const next = buf[start] as number;
    const ahLength = ((buf[start + 1] as number) + 2) * 4;
    if (next !== IPPROTO_VRRP) return { ok: false, reason: 'protocol', detail: `AH carries protocol ${next}, not VRRP` };
    if (start + ahLength > limit) return { ok: false, reason: 'truncated', detail: 'the AH header is cut short' };
    start += ahLength;
    authenticationHeader = true;
  } else if (h.protocol !== IPPROTO_VRRP) return { ok: false, reason: 'protocol', detail: `IP protocol ${h.protocol} is not VRRP` };
  return {
    ok: true,
    packet: {
      family: 'inet',
      source: h.source,
      destination: h.destination,
      ttl: h.ttl,
      data: buf,
      offset: start,
      end: limit,
      ipTotalLength: h.totalLength,
      receivedLength: limit - offset,
      authenticationHeader,
    },
  };
}

/** fromIPv6Payload frames a VRRP message received on a raw IPv6 socket (the kernel strips the header) with recvmsg's addresses and hop limit. */
export function fromIPv6Payload(payload: Uint8Array, meta: { readonly source: string; readonly destination: string; readonly hopLimit?: number | undefined }): InboundPacket {
  return { family: 'inet6', source: meta.source, destination: meta.destination, ttl: meta.hopLimit, data: payload, offset: 0, end: payload.length };
}
