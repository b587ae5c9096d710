// Unit tests: destination commands written straight into the datagram equal the table-driven encoder and ipvsadm.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';
import { destOpLength, encodeDestOp, type DestOp } from '../../src/ipvs/codec-dest.js';
import { encodeRequest, opToRequest, requestLength } from '../../src/ipvs/codec.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { Destination, IpvsOp, ServiceKey, TunnelFlag, TunnelType } from '../../src/ipvs/types.js';
import { NLMSG_HDRLEN, splitMessages } from '../../src/netlink/message.js';
import { readCapture } from '../support/strace.js';

const tcp = (address: string, port: number): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'tcp', address, port });
const dest = (address: string, port: number, extra: Partial<Destination> = {}): Destination => ({
  family: address.includes(':') ? 'inet6' : 'inet', address, port, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...extra,
});
const v6svc: ServiceKey = { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::100', port: 80 };
const fwm: ServiceKey = { kind: 'fwmark', family: 'inet', fwmark: 7 };

/** reference is the table-driven encoding of an op (the path the golden tests hold to ipvsadm). */
function reference(op: IpvsOp, family: number, seq: number, ack: boolean): Buffer {
  const req = opToRequest(op);
  const buf = Buffer.alloc(requestLength(req));
  encodeRequest(req, family, seq, ack, buf, 0);
  return buf;
}

/** direct writes an op with encodeDestOp at a non-zero offset of a buffer full of garbage, and returns its bytes. */
function direct(op: DestOp, family: number, seq: number, ack: boolean, offset = 13): Buffer {
  const buf = Buffer.alloc(offset + destOpLength(op) + 9, 0xa5);
  const end = encodeDestOp(op, family, seq, ack, buf, offset);
  expect(end - offset).toBe(destOpLength(op));
  expect(buf[end]).toBe(0xa5);
  return buf.subarray(offset, end);
}

describe('destination commands written straight into the datagram', () => {
  const captured: [string, DestOp][] = [
    ['add-dest-route', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.2', 80, { weight: 3 }) }],
    ['add-dest-masq-thresh', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.3', 8080, { forward: 'masq', weight: 2, upperThreshold: 100, lowerThreshold: 10 }) }],
    ['add-dest-tunnel-gue', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.4', 80, { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['nocsum'] } }) }],
    ['add-dest-tunnel-gre', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.5', 80, { forward: 'tunnel', tunnel: { type: 'gre', port: 0, flags: ['csum'] } }) }],
    ['add-dest-v6', { op: 'add-dest', service: v6svc, dest: dest('2001:db8::2', 80) }],
    ['add-dest-fwmark', { op: 'add-dest', service: fwm, dest: dest('10.0.0.6', 0) }],
    ['edit-dest', { op: 'edit-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.2', 80, { weight: 5 }) }],
    ['del-dest', { op: 'del-dest', service: tcp('10.0.0.100', 80), dest: { family: 'inet', address: '10.0.0.2', port: 80 } }],
  ];

  it.each(captured)('%s equals what ipvsadm sent', (name, op) => {
    const msgs = readCapture(join(__dirname, '../fixtures/netlink/strace', `${name}.txt`)).messages.filter((m) => m.type === 'IPVS');
    const theirs = msgs[msgs.length - 1]!;
    const mine = direct(op, 0x1234, 1, true);
    expect(mine.readUInt32LE(0)).toBe(theirs.len);
    expect(mine.subarray(NLMSG_HDRLEN, theirs.len).toString('hex')).toBe(theirs.payload.toString('hex'));
  });

  it('equals the table-driven encoder for every forwarding method, tunnel, family, threshold and flag', () => {
    const services: ServiceKey[] = [tcp('192.168.56.131', 80), { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.1.2.3', port: 53 }, { kind: 'addr', family: 'inet', protocol: 'sctp', address: '10.9.9.9', port: 9 }, v6svc, fwm, { kind: 'fwmark', family: 'inet6', fwmark: 0xffffffff }];
    const tunnels: (Destination['tunnel'])[] = [undefined, ...(['ipip', 'gue', 'gre'] as TunnelType[]).flatMap((type) => (['nocsum', 'csum', 'remcsum'] as TunnelFlag[]).map((f) => ({ type, port: type === 'gue' ? 6080 : 0, flags: [f] })))];
    let n = 0;
    for (const service of services) {
      const v6 = service.family === 'inet6';
      for (const forward of ['route', 'masq', 'tunnel', 'local', 'bypass'] as const) {
        for (const tunnel of forward === 'tunnel' ? tunnels : [undefined]) {
          for (const [weight, upper, lower] of [[0, 0, 0], [1, 100, 10], [65535, 0xffffffff, 7]] as const) {
            const d = dest(v6 ? '2001:db8::7' : '10.2.3.4', forward === 'masq' ? 8080 : 65535, { forward, tunnel, weight, upperThreshold: upper, lowerThreshold: lower });
            for (const op of [{ op: 'add-dest', service, dest: d }, { op: 'edit-dest', service, dest: d }, { op: 'del-dest', service, dest: { family: d.family, address: d.address, port: d.port } }] as DestOp[]) {
              for (const ack of [true, false]) {
                expect(direct(op, 0x21, 0xfffffffe, ack).toString('hex')).toBe(reference(op, 0x21, 0xfffffffe, ack).toString('hex'));
                n++;
              }
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(500);
  });

  it('a batch of mixed commands sends the same datagrams as encoding each request on its own', async () => {
    const ops: IpvsOp[] = [];
    for (let s = 0; s < 400; s++) {
      const service = tcp(`10.1.${s >> 8}.${s & 255}`, 80);
      ops.push({ op: 'add-service', service: { key: service, scheduler: 'wrr', onePacket: false, schedFlags: [] } });
      for (let d = 0; d < 5; d++) ops.push({ op: 'add-dest', service, dest: dest(`10.2.${d}.${(s % 250) + 1}`, 80, { weight: d + 1 }) });
    }
    const kernel = new FakeIpvsKernel();
    const client = await IpvsClient.open(kernel);
    const before = kernel.datagrams.length;
    expect(await client.apply(ops)).toEqual([]);
    const sent = kernel.datagrams.slice(before);
    expect(sent.length).toBeGreaterThan(1);
    const messages = sent.flatMap((b) => splitMessages(b).map((m) => ({ buf: b, m })));
    expect(messages).toHaveLength(ops.length);
    messages.forEach(({ buf, m }, i) => {
      const mine = buf.subarray(m.payload - NLMSG_HDRLEN, m.end);
      expect(mine.toString('hex')).toBe(reference(ops[i]!, client.familyId, m.seq, (m.flags & 4) !== 0).toString('hex'));
    });
    // only the last message of each datagram asks for an ACK
    for (const b of sent) expect(splitMessages(b).map((m) => (m.flags & 4) !== 0)).toEqual(splitMessages(b).map((_, i, a) => i === a.length - 1));
    expect(kernel.snapshot().flatMap((e) => e.dests)).toHaveLength(2000);
  });
});
