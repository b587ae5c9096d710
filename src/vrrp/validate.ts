// VRRP layer (pure): receive-side checks of an advert (RFC 3768 §7.1, RFC 5798 §7.1) in keepalived 2.2.7's order (vrrp.c vrrp_check_packet); never throws.
import type { VrrpInstance } from '../config/model.js';
import { isIPv4Multicast, isIPv6Multicast, parseAddress, type IpFamily } from '../util/addr.js';
import { VRRP_MCAST_GROUP4, VRRP_TTL, type InboundPacket } from './ip.js';
import { AuthType, checksumValid, decode, messageLength, passwordData, VRRP_TYPE_ADVERTISEMENT, type Advert } from './packet.js';

/** RejectReason is why an advert is not processed; every rejection is also logged with its detail. */
export type RejectReason =
  | 'truncated' // shorter than its header or address count announce
  | 'length' // longer than announced, or the IPv4 total length disagrees with what arrived
  | 'version' // not VRRP version 2/3, or not the configured one
  | 'vrid' // not this instance's virtual router
  | 'ttl' // TTL / hop limit not 255 (multicast), or outside a unicast peer's min_ttl..max_ttl
  | 'auth' // VRRPv2 auth type unknown or not the configured one, or wrong password
  | 'unsupported' // IPsec AH authentication, which lvsd does not implement
  | 'interval' // VRRPv2 interval differs from ours; VRRPv3 interval of 0
  | 'type' // not an ADVERTISEMENT
  | 'addr-count' // address count differs from our virtual_ipaddress count
  | 'addr-list' // one of our virtual addresses is missing from the advert
  | 'checksum'
  | 'destination' // multicast received by a unicast instance or the reverse
  | 'source'; // unicast source is not one of our unicast peers

/** ValidationResult is the accepted advert, or why it is rejected (with the advert when it could be decoded). */
export type ValidationResult =
  | {
      readonly ok: true;
      readonly advert: Advert;
      /** a VRRPv3 unicast IPv4 advert whose checksum used the multicast group as destination (keepalived before 2.0.11); keepalived then sends that way too */
      readonly legacyUnicastChecksum?: boolean | undefined;
    }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string; readonly advert?: Advert | undefined };

/** UnicastPeerCheck is a unicast peer with the TTL range its adverts must arrive with. */
export interface UnicastPeerCheck {
  readonly address: string;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/** ValidationContext is what the checks compare an advert with: one instance's settings. */
export interface ValidationContext {
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly family: IpFamily;
  readonly auth?: { readonly type: 'PASS' | 'AH'; readonly password: string } | undefined;
  readonly advertIntervalMs: number;
  /** the instance's virtual_ipaddress list (not the excluded ones) */
  readonly virtualAddresses: readonly string[];
  /**
   * whether to check the address count and list: keepalived always does in Master, and in Backup unless
   * skip_check_adv_addr is set and the advert comes from the master already heard (vrrp_state_backup's check_addr)
   */
  readonly checkAddresses: boolean;
  /** non-empty for a unicast instance */
  readonly unicastPeers: readonly UnicastPeerCheck[];
  readonly checkUnicastSource: boolean;
}

/** validationContext builds the checks' context from a configured instance; `checkAddresses` is decided per packet by the caller (default true). */
export function validationContext(instance: VrrpInstance, checkAddresses = true): ValidationContext {
  return {
    vrid: instance.virtualRouterId,
    version: instance.version,
    family: instance.family,
    auth: instance.authentication,
    advertIntervalMs: Math.round(instance.advertInt * 1000),
    virtualAddresses: instance.virtualIpAddresses.map((v) => v.address),
    checkAddresses,
    unicastPeers: instance.unicastPeers.map((p) => ({ address: p.address, minTtl: p.minTtl, maxTtl: p.maxTtl })),
    checkUnicastSource: instance.checkUnicastSrc,
  };
}

const sameAddress = (a: string, b: string): boolean => {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.bytes.equals(y.bytes);
};

const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
};

const reject = (reason: RejectReason, detail: string, advert?: Advert): ValidationResult => ({ ok: false, reason, detail, advert });

/**
 * validate applies the receive checks to one packet. Choices, all keepalived 2.2.7's (vrrp.c vrrp_check_packet):
 * address count or list mismatch drops the packet (RFC: "MAY"), but only when `checkAddresses`; a VRRPv2 interval
 * mismatch drops it (RFC 3768 §7.1 "MUST ... discard"); the VRRPv3 interval is not compared (the Backup learns it);
 * multicast TTL must be 255 and unicast TTL is checked against the peer's range only with check_unicast_src. One
 * addition: a VRRPv3 interval of 0 is rejected, since it would make the Master_Down_Interval a bare skew time.
 */
export function validate(packet: InboundPacket, ctx: ValidationContext): ValidationResult {
  const decoded = decode(packet.data, packet.offset, packet.family, packet.end);
  if (!decoded.ok) return reject(decoded.reason, decoded.detail);
  const a = decoded.advert;
  const unicast = ctx.unicastPeers.length > 0;
  if (a.vrid !== ctx.vrid) return reject('vrid', `VRID ${a.vrid} is not ours (${ctx.vrid})`, a);
  if (packet.authenticationHeader || ctx.auth?.type === 'AH') return reject('unsupported', 'IPsec AH authentication is not supported', a);
  const expected = messageLength(a.version, packet.family, a.addresses.length);
  const received = packet.end - packet.offset;
  if (received !== expected) return reject(received < expected ? 'truncated' : 'length', `VRRP message is ${received} bytes, ${expected} expected`, a);
  // RFC 5798 §7.1: MUST verify that the IPv4 TTL / IPv6 Hop Limit is 255 (keepalived: not for unicast)
  if (!unicast && packet.ttl !== undefined && packet.ttl !== VRRP_TTL) return reject('ttl', `TTL/hop limit ${packet.ttl}, ${VRRP_TTL} expected`, a);
  // RFC 5798 §7.1: MUST verify the VRRP version
  if (a.version !== ctx.version) return reject('version', `VRRP version ${a.version}, ${ctx.version} configured`, a);
  if (a.version === 2) {
    // RFC 3768 §7.1: MUST perform authentication specified by Auth Type
    if (a.authType !== AuthType.NONE && a.authType !== AuthType.PASS && a.authType !== AuthType.AH) return reject('auth', `invalid auth type ${a.authType}`, a);
    const mine = ctx.auth?.type === 'PASS' ? AuthType.PASS : AuthType.NONE;
    if (a.authType !== mine) return reject('auth', `auth type ${a.authType} received, ${mine} configured`, a);
    if (mine === AuthType.PASS && packet.family === 'inet' && !constantTimeEqual(a.authData, passwordData(ctx.auth?.password ?? ''))) {
      return reject('auth', 'invalid password', a);
    }
    // RFC 3768 §7.1: MUST verify that the Adver Interval in the packet is the same as the locally configured one
    if (a.advertInterval * 1000 !== ctx.advertIntervalMs) return reject('interval', `advert interval ${a.advertInterval} s, ${ctx.advertIntervalMs / 1000} s configured`, a);
  } else if (a.maxAdvertInterval === 0) return reject('interval', 'max advert interval 0', a);
  if (a.type !== VRRP_TYPE_ADVERTISEMENT) return reject('type', `packet type ${a.type} is not an advertisement`, a);
  if (ctx.checkAddresses && a.addresses.length !== ctx.virtualAddresses.length) {
    return reject('addr-count', `${a.addresses.length} addresses received, ${ctx.virtualAddresses.length} configured`, a);
  }
  if (packet.family === 'inet' && packet.ipTotalLength !== undefined && packet.receivedLength !== undefined && packet.ipTotalLength !== packet.receivedLength) {
    return reject('length', `IP total length ${packet.ipTotalLength}, ${packet.receivedLength} received`, a);
  }
  // RFC 5798 §7.1: MUST verify the VRRP checksum
  const pseudo = { source: packet.source, destination: packet.destination };
  let legacyUnicastChecksum = false;
  if (!checksumValid(packet.data, packet.offset, expected, a.version, packet.family, pseudo)) {
    // keepalived (_WITH_UNICAST_CHKSUM_COMPAT_): older releases summed unicast VRRPv3 over the multicast group address
    const legacy = unicast && a.version === 3 && packet.family === 'inet' && checksumValid(packet.data, packet.offset, expected, 3, 'inet', { source: packet.source, destination: VRRP_MCAST_GROUP4 });
    if (!legacy) return reject('checksum', `invalid VRRPv${a.version} checksum 0x${a.checksum.toString(16).padStart(4, '0')}`, a);
    legacyUnicastChecksum = true;
  }
  const dst = parseAddress(packet.destination);
  const multicast = dst !== undefined && (dst.family === 'inet' ? isIPv4Multicast(dst.bytes) : isIPv6Multicast(dst.bytes));
  if (multicast === unicast) return reject('destination', `expected ${unicast ? 'unicast' : 'multicast'} but received ${multicast ? 'multicast' : 'unicast'}`, a);
  if (ctx.checkAddresses) {
    // RFC 5798 §7.1: MAY verify that the IP address(es) associated with the VRID are valid (keepalived: drop)
    const missing = ctx.virtualAddresses.find((v) => !a.addresses.some((x) => sameAddress(v, x)));
    if (missing !== undefined) return reject('addr-list', `virtual address ${missing} is not in the advert`, a);
    if (unicast && ctx.checkUnicastSource) {
      const peer = ctx.unicastPeers.find((p) => sameAddress(p.address, packet.source));
      if (!peer) return reject('source', `unicast source ${packet.source} is not a unicast peer`, a);
      if (packet.ttl !== undefined && (packet.ttl < peer.minTtl || packet.ttl > peer.maxTtl)) {
        return reject('ttl', `TTL/hop limit ${packet.ttl} not in ${peer.minTtl}..${peer.maxTtl}`, a);
      }
    }
  }
  return legacyUnicastChecksum ? { ok: true, advert: a, legacyUnicastChecksum } : { ok: true, advert: a };
}
