// Unit tests: the VRRP codec — round trips at any offset, golden bytes from keepalived 2.2.7, checksums, and hostile input that never throws.
import { describe, expect, it } from 'vitest';
import { EXPECTED, loadCaptured } from '../fixtures/vrrp/captured.js';
import { encodeIPv4Header, fromIPv4Datagram } from '../../src/vrrp/ip.js';
import {
  AuthType,
  checksumValid,
  decode,
  encode,
  length,
  passwordData,
  VrrpEncodeError,
  type Advert,
  type AdvertInput,
} from '../../src/vrrp/packet.js';
import { validate, type ValidationContext } from '../../src/vrrp/validate.js';

const captured = loadCaptured();

/** testEncoder is dns-packet's check: encode at an offset inside a larger buffer, decode it back, compare, and bytes equal length(). */
function testEncoder(input: AdvertInput, pseudo?: { source: string; destination: string }): Advert {
  const alone = encode(input, pseudo);
  expect(alone.length).toBe(length(input));
  const offset = 7;
  const big = Buffer.alloc(offset + alone.length + 5, 0xee);
  encode(input, pseudo, big, offset);
  expect(big.subarray(offset, offset + alone.length)).toEqual(alone);
  expect(big[offset - 1]).toBe(0xee); // nothing written before the offset
  expect(big[offset + alone.length]).toBe(0xee); // nor after the message
  const r = decode(big, offset, input.family);
  if (!r.ok) throw new Error(r.detail);
  expect(r.bytes).toBe(alone.length);
  const { checksum: _c, ...fields } = r.advert;
  expect(fields).toMatchObject({ ...input, type: input.type ?? 1 });
  return r.advert;
}

describe('VRRP codec round trips', () => {
  const table: [string, AdvertInput, { source: string; destination: string }?][] = [
    ['v2 IPv4 PASS with two addresses', { version: 2, vrid: 51, priority: 100, family: 'inet', addresses: ['10.0.0.1', '10.0.0.2'], authType: AuthType.PASS, advertInterval: 1, authData: passwordData('secret') }],
    ['v2 IPv4 no auth, no address', { version: 2, vrid: 1, priority: 255, family: 'inet', addresses: [], authType: AuthType.NONE, advertInterval: 255 }],
    ['v2 IPv6 (keepalived extension: no auth data)', { version: 2, vrid: 9, priority: 7, family: 'inet6', addresses: ['2001:db8::1'], authType: 0, advertInterval: 3 }, { source: 'fe80::1', destination: 'ff02::12' }],
    ['v3 IPv4 at the maximum interval', { version: 3, vrid: 255, priority: 1, family: 'inet', addresses: ['192.0.2.1'], maxAdvertInterval: 0xfff }, { source: '192.0.2.9', destination: '224.0.0.18' }],
    ['v3 IPv6 three addresses, reserved bits kept', { version: 3, vrid: 2, priority: 0, family: 'inet6', addresses: ['fe80::1', '2001:db8::2', '::ffff:1.2.3.4'], maxAdvertInterval: 10, reserved: 5 }, { source: 'fe80::9', destination: 'ff02::12' }],
  ];
  it.each(table)('%s', (_name, input, pseudo) => {
    const a = testEncoder(input, pseudo);
    const bytes = encode(input, pseudo);
    expect(checksumValid(bytes, 0, bytes.length, a.version, a.family, pseudo)).toBe(true);
  });

  it('a pseudo-header checksum is left 0 without addresses, for the kernel to fill (IPV6_CHECKSUM)', () => {
    const bytes = encode({ version: 3, vrid: 5, priority: 100, family: 'inet6', addresses: ['fd00::1'], maxAdvertInterval: 100 });
    expect(bytes.readUInt16BE(6)).toBe(0);
  });

  it('refuses to encode fields no VRRP message can carry', () => {
    const ok: AdvertInput = { version: 3, vrid: 5, priority: 100, family: 'inet', addresses: ['10.0.0.1'], maxAdvertInterval: 100 };
    expect(() => encode({ ...ok, vrid: 256 })).toThrow(VrrpEncodeError);
    expect(() => encode({ ...ok, maxAdvertInterval: 0x1000 })).toThrow(VrrpEncodeError);
    expect(() => encode({ ...ok, addresses: ['fd00::1'] })).toThrow(VrrpEncodeError);
    expect(() => encode({ ...ok, addresses: Array.from({ length: 256 }, () => '10.0.0.1') })).toThrow(VrrpEncodeError);
    expect(() => encode({ version: 2, vrid: 1, priority: 1, family: 'inet', addresses: [], authType: 1, advertInterval: 1, authData: Buffer.alloc(4) })).toThrow(VrrpEncodeError);
  });
});

describe('VRRP codec against keepalived 2.2.7 captures', () => {
  it('the capture holds a running advert and a priority 0 advert for every configured instance', () => {
    for (const e of EXPECTED) {
      const mine = captured.filter((c) => c.vrid === e.vrid);
      expect(mine.some((c) => c.priority === e.priority), e.name).toBe(true);
      expect(mine.at(-1)?.priority, e.name).toBe(0); // sent on SIGTERM
    }
  });

  describe.each(EXPECTED)('$name (VRID $vrid)', (e) => {
    const frames = captured.filter((c) => c.vrid === e.vrid);
    it.each(frames.map((c) => [c.priority, c] as const))('priority %i decodes to the configured fields and encodes back to the same bytes', (priority, c) => {
      expect(c.packet.source).toBe(e.source);
      expect(c.packet.destination).toBe(e.destination);
      expect(c.packet.ttl).toBe(e.ttl);
      const r = decode(c.packet.data, c.packet.offset, c.packet.family, c.packet.end);
      if (!r.ok) throw new Error(r.detail);
      const a = r.advert;
      expect(r.bytes).toBe(c.vrrp.length);
      expect(a).toMatchObject({ version: e.version, type: 1, vrid: e.vrid, priority, family: e.family, addresses: e.addresses });
      if (a.version === 2) {
        expect(a.advertInterval).toBe(e.interval);
        expect(a.authType).toBe(e.password ? AuthType.PASS : AuthType.NONE);
        expect(Buffer.from(a.authData)).toEqual(e.password ? passwordData(e.password) : Buffer.alloc(8));
      } else {
        expect(a.maxAdvertInterval).toBe(e.interval);
        expect(a.reserved).toBe(0);
      }
      const input: AdvertInput =
        e.version === 2
          ? { version: 2, vrid: e.vrid, priority, family: e.family, addresses: e.addresses, authType: e.password ? 1 : 0, advertInterval: e.interval, ...(e.password ? { authData: passwordData(e.password) } : {}) }
          : { version: 3, vrid: e.vrid, priority, family: e.family, addresses: e.addresses, maxAdvertInterval: e.interval };
      // keepalived's checksum, including the IPv4/IPv6 pseudo-header for v3 (unicast: the real destination)
      expect(encode(input, { source: e.source, destination: e.destination }).toString('hex')).toBe(c.vrrp.toString('hex'));
      expect(checksumValid(c.vrrp, 0, c.vrrp.length, e.version, e.family, { source: e.source, destination: e.destination })).toBe(true);
    });
  });

  it('IPv4 headers encode as keepalived builds them (tos 0xc0, TTL 255, protocol 112, no fragmentation)', () => {
    const v4 = captured.filter((c) => c.packet.family === 'inet');
    expect(v4.length).toBeGreaterThan(0);
    for (const c of v4) {
      const e = EXPECTED.find((x) => x.vrid === c.vrid);
      const id = c.ip.readUInt16BE(4); // a per-instance counter: an input, not a result
      const header = encodeIPv4Header({ id, source: e?.source ?? '', destination: e?.destination ?? '', payloadLength: c.vrrp.length });
      expect(header.toString('hex')).toBe(c.ip.subarray(0, 20).toString('hex'));
    }
  });
});

describe('VRRP decoding of hostile input', () => {
  const v4ctx: ValidationContext = { vrid: 51, version: 2, family: 'inet', auth: { type: 'PASS', password: '1111' }, advertIntervalMs: 1000, virtualAddresses: ['192.168.56.131', '192.168.56.133'], checkAddresses: true, unicastPeers: [], checkUnicastSource: false };

  it('every truncation of every captured advert is reported as truncated, never thrown', () => {
    for (const c of captured) {
      for (let n = 0; n < c.vrrp.length; n++) {
        const r = decode(c.vrrp.subarray(0, n), 0, c.packet.family);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe('truncated');
      }
    }
  });

  it('every truncation of every captured IPv4 datagram is rejected by framing or validation, never thrown', () => {
    for (const c of captured.filter((x) => x.packet.family === 'inet')) {
      for (let n = 0; n < c.ip.length; n++) {
        const f = fromIPv4Datagram(c.ip.subarray(0, n));
        if (f.ok) expect(validate(f.packet, { ...v4ctx, vrid: c.vrid }).ok).toBe(false);
      }
    }
  });

  it('random bytes never make the decoder, framer or validator throw', () => {
    let seed = 0x5eed;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const base = captured[0]?.ip ?? Buffer.alloc(40);
    for (let i = 0; i < 3000; i++) {
      const len = rand() % 80;
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = rand();
      // half the cases start from a real datagram with a few bytes flipped, so the deeper checks are reached
      const mutated = Buffer.from(base);
      for (let k = 0; k < 3; k++) mutated[rand() % mutated.length] = rand();
      for (const b of [buf, mutated]) {
        for (const family of ['inet', 'inet6'] as const) expect(() => decode(b, rand() % 4, family)).not.toThrow();
        const f = fromIPv4Datagram(b);
        if (f.ok) expect(() => validate(f.packet, v4ctx)).not.toThrow();
      }
    }
  });

  it('decoding at an offset past the end, or negative, is a truncation', () => {
    const bytes = captured[0]?.vrrp ?? Buffer.alloc(0);
    for (const offset of [-1, bytes.length, bytes.length + 10, 1.5]) {
      const r = decode(bytes, offset);
      expect(r.ok ? 'ok' : r.reason).toBe('truncated');
    }
  });

  it('a version other than 2 or 3 is reported as such', () => {
    const bytes = Buffer.from(captured[0]?.vrrp ?? []);
    bytes[0] = 0x41;
    const r = decode(bytes);
    expect(r.ok ? 'ok' : r.reason).toBe('version');
  });
});
