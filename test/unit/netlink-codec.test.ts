import { describe, expect, it } from 'vitest';
import { opToRequest, requestLength, encodeRequest } from '../../src/ipvs/codec.js';
import { destFromWire, serviceFromWire } from '../../src/ipvs/convert.js';
import type { Destination, Service } from '../../src/ipvs/types.js';
import { cmdTable } from '../../src/ipvs/wire.js';
import { decodeError, genlAttrsStart, MessageFramingError, NLMSG_HDRLEN, splitMessages } from '../../src/netlink/message.js';
import { AttrDecodeError, attrsLength, decodeAttrs, defineTable, encodeAttrs, type AttrValues } from '../../src/netlink/nla.js';

const table = defineTable('t', [
  { name: 'a8', id: 1, kind: 'u8' },
  { name: 'a16', id: 2, kind: 'u16' },
  { name: 'port', id: 3, kind: 'be16' },
  { name: 'a32', id: 4, kind: 'u32' },
  { name: 'a64', id: 5, kind: 'u64' },
  { name: 'name', id: 6, kind: 'string' },
  { name: 'raw', id: 7, kind: 'binary' },
  { name: 'flags', id: 8, kind: 'flags' },
  { name: 'inner', id: 9, kind: 'nested', table: defineTable('inner', [{ name: 'x', id: 1, kind: 'u32' }]) },
]);
const sample: AttrValues = { a8: 7, a16: 0xbeef, port: 8080, a32: 0xfffffffe, a64: 2n ** 63n + 5n, name: 'wrr', raw: Buffer.from([1, 2, 3]), flags: { flags: 0x18, mask: 0xffffffff }, inner: { x: 42 } };

describe('netlink attributes', () => {
  it('round-trip every kind, padded to four bytes', () => {
    const len = attrsLength(table, sample);
    expect(len % 4).toBe(0);
    const buf = Buffer.alloc(len);
    expect(encodeAttrs(table, sample, buf, 0)).toBe(len);
    expect(decodeAttrs(table, buf, 0, len)).toEqual(sample);
  });

  it('decode at a non-zero offset inside a larger buffer', () => {
    const len = attrsLength(table, sample);
    const buf = Buffer.alloc(len + 37, 0xaa);
    encodeAttrs(table, sample, buf, 29);
    expect(decodeAttrs(table, buf, 29, 29 + len)).toEqual(sample);
  });

  it('mark nested attributes with NLA_F_NESTED and skip unknown ids when decoding', () => {
    const buf = Buffer.alloc(attrsLength(table, { inner: { x: 1 } }) + 8);
    const end = encodeAttrs(table, { inner: { x: 1 } }, buf, 0);
    expect(buf.readUInt16LE(2)).toBe(9 | 0x8000);
    buf.writeUInt16LE(8, end);
    buf.writeUInt16LE(99, end + 2);
    expect(decodeAttrs(table, buf, 0, end + 8)).toEqual({ inner: { x: 1 } });
  });

  it('reject an attribute whose length runs past the end', () => {
    const buf = Buffer.alloc(8);
    buf.writeUInt16LE(12, 0);
    buf.writeUInt16LE(4, 2);
    expect(() => decodeAttrs(table, buf, 0, 8)).toThrow(AttrDecodeError);
  });

  it('reject a scalar attribute too short for its kind', () => {
    const buf = Buffer.alloc(8);
    buf.writeUInt16LE(6, 0);
    buf.writeUInt16LE(4, 2);
    expect(() => decodeAttrs(table, buf, 0, 8)).toThrow(/a32 needs 4 bytes/);
  });
});

describe('netlink messages', () => {
  it('split a datagram of several messages and reject a truncated one', () => {
    const op = opToRequest({ op: 'flush' });
    const n = requestLength(op);
    const buf = Buffer.alloc(n * 3);
    let off = 0;
    for (let i = 0; i < 3; i++) off = encodeRequest(op, 30, 100 + i, i === 2, buf, off);
    const msgs = splitMessages(buf);
    expect(msgs.map((m) => m.seq)).toEqual([100, 101, 102]);
    expect(msgs.map((m) => m.flags & 4)).toEqual([0, 0, 4]);
    expect(() => splitMessages(buf.subarray(0, n * 3 - 2))).toThrow(MessageFramingError);
  });

  it('decode an error message back to the errno and sequence it answers', () => {
    const b = Buffer.alloc(NLMSG_HDRLEN + 4 + NLMSG_HDRLEN + 4);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt16LE(2, 4);
    b.writeInt32LE(-17, 16);
    b.writeUInt32LE(24, 20);
    b.writeUInt32LE(555, 28);
    b.writeUInt8(1, 36);
    const [m] = splitMessages(b);
    expect(decodeError(b, m!)).toEqual({ errno: 17, origSeq: 555, origCmd: 1 });
  });
});

describe('IPVS converters', () => {
  const services: Service[] = [
    { key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 }, scheduler: 'wrr', persistence: { timeout: 5, netmask: 24 }, onePacket: false, schedFlags: [] },
    { key: { kind: 'addr', family: 'inet6', protocol: 'udp', address: '2001:db8::1:0:0:1', port: 53 }, scheduler: 'sh', onePacket: true, schedFlags: [1, 2] },
    { key: { kind: 'fwmark', family: 'inet', fwmark: 4242 }, scheduler: 'rr', persistence: { timeout: 300, netmask: 32 }, onePacket: false, schedFlags: [], pe: 'sip' },
  ];
  it.each(services.map((s) => [s.key.kind === 'fwmark' ? `fwmark ${s.key.fwmark}` : s.key.address, s] as const))('service %s survives encode and decode', (_, svc) => {
    const req = opToRequest({ op: 'add-service', service: svc });
    const buf = Buffer.alloc(requestLength(req) + 12);
    encodeRequest(req, 30, 1, true, buf, 12);
    const [m] = splitMessages(buf, 12);
    const a = decodeAttrs(cmdTable, buf, genlAttrsStart(m!), m!.end);
    expect(serviceFromWire(a.service as AttrValues)).toEqual({ ...svc, pe: svc.pe, stats: undefined, persistence: svc.persistence });
  });

  const dests: Destination[] = [
    { family: 'inet', address: '192.168.56.101', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
    { family: 'inet6', address: 'fe80::1', port: 8080, forward: 'masq', weight: 0, upperThreshold: 1000, lowerThreshold: 10 },
    { family: 'inet', address: '10.0.0.4', port: 80, forward: 'tunnel', weight: 3, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, flags: ['remcsum'] } },
  ];
  it.each(dests.map((d) => [d.address, d] as const))('destination %s survives encode and decode', (_, dest) => {
    const req = opToRequest({ op: 'add-dest', service: { kind: 'fwmark', family: dest.family, fwmark: 1 }, dest });
    const buf = Buffer.alloc(requestLength(req));
    encodeRequest(req, 30, 1, true, buf, 0);
    const [m] = splitMessages(buf);
    const a = decodeAttrs(cmdTable, buf, genlAttrsStart(m!), m!.end);
    expect(destFromWire(a.dest as AttrValues, dest.family)).toMatchObject(dest);
  });
});
