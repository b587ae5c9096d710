// Unit tests: receive-side advert checks (RFC 3768/5798 §7.1) in keepalived 2.2.7's manner, on captured and crafted packets.
import { describe, expect, it } from 'vitest';
import { EXPECTED, loadCaptured, type Expected } from '../fixtures/vrrp/captured.js';
import { encodeIPv4Header, fromIPv4Datagram, fromIPv6Payload, IPPROTO_AH, type InboundPacket } from '../../src/vrrp/ip.js';
import { encode, passwordData, type AdvertInput } from '../../src/vrrp/packet.js';
import { validate, validationContext, type RejectReason, type ValidationContext } from '../../src/vrrp/validate.js';

const captured = loadCaptured();

function contextFor(e: Expected): ValidationContext {
  const unicast = e.destination !== '224.0.0.18' && e.destination !== 'ff02::12';
  return {
    vrid: e.vrid,
    version: e.version,
    family: e.family,
    auth: e.password ? { type: 'PASS', password: e.password } : undefined,
    advertIntervalMs: e.version === 2 ? e.interval * 1000 : e.interval * 10,
    virtualAddresses: e.addresses,
    checkAddresses: true,
    unicastPeers: unicast ? [{ address: e.source, minTtl: 0, maxTtl: 255 }] : [],
    checkUnicastSource: unicast,
  };
}

const expectedFor = (vrid: number): Expected => {
  const e = EXPECTED.find((x) => x.vrid === vrid);
  if (!e) throw new Error(`no expectation for VRID ${vrid}`);
  return e;
};

/** datagram builds an IPv4 VRRP datagram as keepalived sends it; `checksumDestination` overrides the pseudo-header's destination. */
function datagram(advert: AdvertInput, o: { source: string; destination: string; ttl?: number; checksumDestination?: string }): InboundPacket {
  const vrrp = encode(advert, { source: o.source, destination: o.checksumDestination ?? o.destination });
  const ip = encodeIPv4Header({ id: 1, source: o.source, destination: o.destination, ttl: o.ttl ?? 255, payloadLength: vrrp.length });
  const r = fromIPv4Datagram(Buffer.concat([ip, vrrp]));
  if (!r.ok) throw new Error(r.detail);
  return r.packet;
}

/** mutate copies a captured packet and changes bytes of its VRRP message (index from the message start) or its IP header. */
function mutate(vrid: number, change: (vrrp: Buffer, ip: Buffer) => void): InboundPacket {
  const c = captured.find((x) => x.vrid === vrid && x.priority !== 0);
  if (!c) throw new Error(`no capture for VRID ${vrid}`);
  if (c.packet.family === 'inet6') {
    const copy = Buffer.from(c.vrrp);
    change(copy, Buffer.alloc(0));
    return { ...c.packet, data: copy, offset: 0, end: copy.length };
  }
  const ip = Buffer.from(c.ip);
  change(ip.subarray(c.packet.offset), ip);
  const r = fromIPv4Datagram(ip);
  if (!r.ok) throw new Error(r.detail);
  return r.packet;
}

describe('advert validation', () => {
  it.each(captured.map((c) => [c.vrid, c.priority, c] as const))('keepalived advert VRID %i priority %i passes every check', (vrid, _p, c) => {
    const r = validate(c.packet, contextFor(expectedFor(vrid)));
    expect(r).toMatchObject({ ok: true, advert: { vrid } });
  });

  const v2 = contextFor(expectedFor(51));
  const v3u = contextFor(expectedFor(54));
  const v6u = contextFor(expectedFor(56));
  const rejections: [string, InboundPacket, ValidationContext, RejectReason][] = [
    ['multicast TTL below 255', mutate(51, (_v, ip) => (ip[8] = 254)), v2, 'ttl'],
    ['another virtual router', mutate(51, () => {}), { ...v2, vrid: 52 }, 'vrid'],
    ['a VRRPv2 advert for a VRRPv3 instance', mutate(51, () => {}), { ...v2, version: 3 }, 'version'],
    ['a wrong password', mutate(51, () => {}), { ...v2, auth: { type: 'PASS', password: '1112' } }, 'auth'],
    ['PASS received, no authentication configured', mutate(51, () => {}), { ...v2, auth: undefined }, 'auth'],
    ['an unknown auth type', mutate(51, (v) => (v[4] = 7)), v2, 'auth'],
    ['a VRRPv2 interval other than ours', mutate(51, () => {}), { ...v2, advertIntervalMs: 2000 }, 'interval'],
    ['a VRRPv3 interval of 0', mutate(54, (v) => v.writeUInt16BE(0, 4)), v3u, 'interval'],
    ['a message type other than advertisement', mutate(51, (v) => (v[0] = 0x22)), v2, 'type'],
    ['fewer addresses than our virtual addresses', mutate(51, () => {}), { ...v2, virtualAddresses: ['192.168.56.131'] }, 'addr-count'],
    ['one of our addresses missing', mutate(51, () => {}), { ...v2, virtualAddresses: ['192.168.56.131', '192.168.56.199'] }, 'addr-list'],
    ['a corrupted VRRPv2 checksum', mutate(51, (v) => (v[7] = (v[7] as number) ^ 1)), v2, 'checksum'],
    ['a corrupted VRRPv3 checksum', mutate(54, (v) => (v[6] = (v[6] as number) ^ 0x80)), v3u, 'checksum'],
    ['a corrupted VRRPv3 IPv6 checksum', mutate(56, (v) => (v[6] = (v[6] as number) ^ 0x80)), v6u, 'checksum'],
    ['more addresses announced than sent', mutate(51, (v) => (v[3] = 3)), v2, 'truncated'],
    ['fewer addresses announced than sent', mutate(51, (v) => (v[3] = 1)), v2, 'length'],
    ['an IPv4 total length that disagrees', mutate(51, (_v, ip) => ip.writeUInt16BE(ip.readUInt16BE(2) + 4, 2)), v2, 'length'],
    ['multicast on a unicast instance', mutate(53, () => {}), { ...contextFor(expectedFor(53)), unicastPeers: [{ address: '192.168.56.121', minTtl: 0, maxTtl: 255 }] }, 'destination'],
    ['unicast on a multicast instance', mutate(54, () => {}), { ...v3u, unicastPeers: [] }, 'destination'],
    ['a unicast source that is no peer', mutate(54, () => {}), { ...v3u, unicastPeers: [{ address: '192.168.56.123', minTtl: 0, maxTtl: 255 }] }, 'source'],
    ['a unicast TTL outside the peer range', mutate(56, () => {}), { ...v6u, unicastPeers: [{ address: 'fd56::121', minTtl: 100, maxTtl: 255 }] }, 'ttl'],
  ];
  it.each(rejections)('rejects %s', (_name, packet, ctx, reason) => {
    const r = validate(packet, ctx);
    expect(r.ok ? 'accepted' : r.reason).toBe(reason);
    if (!r.ok) expect(r.detail.length).toBeGreaterThan(0);
  });

  it('a VRRPv3 interval other than ours is accepted: the Backup learns it', () => {
    expect(validate(mutate(54, () => {}), { ...v3u, advertIntervalMs: 3000 }).ok).toBe(true);
  });

  it('unicast adverts need not arrive with TTL 255 (keepalived)', () => {
    const c = captured.find((x) => x.vrid === 56);
    expect(c?.packet.ttl).toBe(64);
    expect(validate(mutate(56, () => {}), v6u).ok).toBe(true);
  });

  it('address checks are skipped when the caller says so (skip_check_adv_addr with the same master)', () => {
    const ctx = { ...v2, virtualAddresses: ['192.168.56.131'], checkAddresses: false };
    expect(validate(mutate(51, () => {}), ctx).ok).toBe(true);
    expect(validate(mutate(51, () => {}), { ...ctx, checkAddresses: true }).ok).toBe(false);
  });

  it('the unicast source is only checked with check_unicast_src', () => {
    const ctx = { ...v3u, unicastPeers: [{ address: '192.168.56.123', minTtl: 0, maxTtl: 255 }] };
    expect(validate(mutate(54, () => {}), { ...ctx, checkUnicastSource: false }).ok).toBe(true);
  });

  it('accepts a unicast VRRPv3 checksum over the multicast group, as keepalived before 2.0.11 sent, and says so', () => {
    const advert: AdvertInput = { version: 3, vrid: 54, priority: 120, family: 'inet', addresses: ['192.168.56.135'], maxAdvertInterval: 100 };
    const legacy = datagram(advert, { source: '192.168.56.121', destination: '192.168.56.122', checksumDestination: '224.0.0.18' });
    expect(validate(legacy, v3u)).toMatchObject({ ok: true, legacyUnicastChecksum: true });
    const current = datagram(advert, { source: '192.168.56.121', destination: '192.168.56.122' });
    const r = validate(current, v3u);
    expect(r.ok).toBe(true);
    expect(r.ok && r.legacyUnicastChecksum === true).toBe(false);
    // a multicast instance has no such excuse
    const wrong = datagram({ ...advert, vrid: 53 }, { source: '192.168.56.121', destination: '224.0.0.18', checksumDestination: '192.168.56.122' });
    expect(validate(wrong, { ...v3u, vrid: 53, unicastPeers: [] })).toMatchObject({ ok: false, reason: 'checksum' });
  });

  it('IPsec AH adverts are decoded but rejected as unsupported', () => {
    const advert = encode({ version: 2, vrid: 51, priority: 100, family: 'inet', addresses: ['192.168.56.131', '192.168.56.133'], authType: 2, advertInterval: 1 });
    const ah = Buffer.alloc(24);
    ah[0] = 112; // next header VRRP
    ah[1] = 24 / 4 - 2;
    const ip = encodeIPv4Header({ id: 1, source: '192.168.56.121', destination: '224.0.0.18', protocol: IPPROTO_AH, payloadLength: ah.length + advert.length });
    const f = fromIPv4Datagram(Buffer.concat([ip, ah, advert]));
    if (!f.ok) throw new Error(f.detail);
    expect(f.packet.authenticationHeader).toBe(true);
    expect(validate(f.packet, v2)).toMatchObject({ ok: false, reason: 'unsupported', advert: { vrid: 51, authType: 2 } });
  });

  it('builds its context from a configured instance', () => {
    const ctx = validationContext({
      virtualRouterId: 51,
      version: 2,
      family: 'inet',
      authentication: { type: 'PASS', password: '1111' },
      advertInt: 1,
      virtualIpAddresses: [{ address: '192.168.56.131' }, { address: '192.168.56.133' }],
      unicastPeers: [],
      checkUnicastSrc: false,
    } as unknown as Parameters<typeof validationContext>[0]);
    expect(ctx).toEqual({ ...v2, auth: { type: 'PASS', password: '1111' } });
    expect(validate(mutate(51, () => {}), ctx).ok).toBe(true);
  });

  it('IPv6 payloads framed from recvmsg data validate like captured ones', () => {
    const c = captured.find((x) => x.vrid === 55 && x.priority !== 0);
    if (!c) throw new Error('no capture');
    const p = fromIPv6Payload(c.vrrp, { source: 'fe80::121', destination: 'ff02::12', hopLimit: 255 });
    expect(validate(p, contextFor(expectedFor(55))).ok).toBe(true);
    expect(validate({ ...p, ttl: 1 }, contextFor(expectedFor(55)))).toMatchObject({ ok: false, reason: 'ttl' });
  });

  it('password data is the first 8 bytes zero padded, as keepalived stores auth_pass', () => {
    expect(passwordData('1111').toString('hex')).toBe('3131313100000000');
    expect(passwordData('123456789').toString()).toBe('12345678');
  });
});
