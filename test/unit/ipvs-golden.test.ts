import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRequestMessage, opToRequest, Query, type IpvsRequest } from '../../src/ipvs/codec.js';
import type { Destination, IpvsOp, Service, ServiceKey } from '../../src/ipvs/types.js';
import { NLMSG_HDRLEN } from '../../src/netlink/message.js';
import { encodeGetFamily } from '../../src/netlink/genl.js';
import { readCapture } from '../support/strace.js';

const dir = join(__dirname, '../fixtures/netlink/strace');
const tcp = (address: string, port: number): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'tcp', address, port });
const svc = (key: ServiceKey, scheduler: string, extra: Partial<Service> = {}): Service => ({ key, scheduler, onePacket: false, schedFlags: [], ...extra });
const dest = (address: string, port: number, extra: Partial<Destination> = {}): Destination => ({
  family: address.includes(':') ? 'inet6' : 'inet', address, port, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...extra,
});
const v6svc: ServiceKey = { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::100', port: 80 };
const fwm: ServiceKey = { kind: 'fwmark', family: 'inet', fwmark: 7 };

// Each capture holds what ipvsadm 1.31 sent for one command; the op is the same operation in lvsd's terms.
const cases: [string, IpvsOp][] = [
  ['add-service-tcp', { op: 'add-service', service: svc(tcp('10.0.0.100', 80), 'wrr') }],
  ['add-service-persist', { op: 'add-service', service: svc(tcp('10.0.0.101', 443), 'rr', { persistence: { timeout: 360, netmask: 24 } }) }],
  ['add-service-udp-ops', { op: 'add-service', service: svc({ kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.102', port: 53 }, 'rr', { onePacket: true }) }],
  ['add-service-sctp', { op: 'add-service', service: svc({ kind: 'addr', family: 'inet', protocol: 'sctp', address: '10.0.0.103', port: 9000 }, 'rr') }],
  ['add-service-fwmark', { op: 'add-service', service: svc(fwm, 'rr') }],
  ['add-service-v6', { op: 'add-service', service: svc(v6svc, 'rr', { persistence: { timeout: 60, netmask: 128 } }) }],
  ['add-service-sh-flags', { op: 'add-service', service: svc(tcp('10.0.0.104', 80), 'sh', { schedFlags: [1, 2] }) }],
  ['add-service-pe', { op: 'add-service', service: svc({ kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.105', port: 5060 }, 'rr', { persistence: { timeout: 30, netmask: 32 }, pe: 'sip' }) }],
  ['edit-service', { op: 'edit-service', service: svc(tcp('10.0.0.100', 80), 'rr') }],
  ['add-dest-route', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.2', 80, { weight: 3 }) }],
  ['add-dest-masq-thresh', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.3', 8080, { forward: 'masq', weight: 2, upperThreshold: 100, lowerThreshold: 10 }) }],
  ['add-dest-tunnel-gue', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.4', 80, { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['nocsum'] } }) }],
  ['add-dest-tunnel-gre', { op: 'add-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.5', 80, { forward: 'tunnel', tunnel: { type: 'gre', port: 0, flags: ['csum'] } }) }],
  ['add-dest-v6', { op: 'add-dest', service: v6svc, dest: dest('2001:db8::2', 80) }],
  ['add-dest-fwmark', { op: 'add-dest', service: fwm, dest: dest('10.0.0.6', 0) }],
  ['edit-dest', { op: 'edit-dest', service: tcp('10.0.0.100', 80), dest: dest('10.0.0.2', 80, { weight: 5 }) }],
  ['del-dest', { op: 'del-dest', service: tcp('10.0.0.100', 80), dest: { family: 'inet', address: '10.0.0.2', port: 80 } }],
  ['set-timeouts', { op: 'set-timeouts', timeouts: { tcp: 900, tcpFin: 120, udp: 300 } }],
  ['start-daemon', { op: 'start-daemon', daemon: { state: 'master', mcastInterface: 'dummy0', syncId: 5 } }],
  ['stop-daemon', { op: 'stop-daemon', state: 'master' }],
  ['zero', { op: 'zero' }],
  ['zero-service', { op: 'zero', service: tcp('10.0.0.100', 80) }],
  ['del-service', { op: 'del-service', key: tcp('10.0.0.100', 80) }],
  ['flush', { op: 'flush' }],
];

/** lastIpvs is the last IPVS message of a capture: the operation itself (earlier ones resolve the family and ask GET_INFO). */
function lastIpvs(name: string) {
  const msgs = readCapture(join(dir, `${name}.txt`)).messages.filter((m) => m.type === 'IPVS');
  return msgs[msgs.length - 1]!;
}

function ours(req: IpvsRequest): Buffer {
  return encodeRequestMessage(req, 0x1234, 1, true);
}

describe('IPVS requests match ipvsadm byte for byte', () => {
  it.each(cases)('%s', (name, op) => {
    const theirs = lastIpvs(name);
    const mine = ours(opToRequest(op));
    expect(mine.readUInt32LE(0)).toBe(theirs.len);
    expect(mine.subarray(NLMSG_HDRLEN, theirs.len).toString('hex')).toBe(theirs.payload.toString('hex'));
    expect(theirs.flags).toBe('NLM_F_REQUEST|NLM_F_ACK');
  });

  it('GET_INFO, GET_CONFIG and the GET_SERVICE/GET_DAEMON dumps', () => {
    const list = readCapture(join(dir, 'list.txt')).messages.filter((m) => m.type === 'IPVS');
    expect(ours(Query.info()).subarray(NLMSG_HDRLEN).toString('hex')).toBe(list[0]!.payload.toString('hex'));
    expect(ours(Query.services()).subarray(NLMSG_HDRLEN).toString('hex')).toBe(list[1]!.payload.toString('hex'));
    expect(list[1]!.flags).toBe('NLM_F_REQUEST|NLM_F_ACK|0x300');
    expect(ours(Query.services()).readUInt16LE(6)).toBe(0x305);
    expect(ours(Query.timeouts()).subarray(NLMSG_HDRLEN).toString('hex')).toBe(lastIpvs('list-timeout').payload.toString('hex'));
    expect(ours(Query.daemons()).subarray(NLMSG_HDRLEN).toString('hex')).toBe(lastIpvs('list-daemon').payload.toString('hex'));
  });

  it('GET_DEST dumps carry only the service key, for address, IPv6 and fwmark services', () => {
    const list = readCapture(join(dir, 'list.txt')).messages.filter((m) => m.type === 'IPVS').slice(2);
    const keys: ServiceKey[] = [
      tcp('10.0.0.100', 80), tcp('10.0.0.101', 443), tcp('10.0.0.104', 80),
      { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.102', port: 53 },
      { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.105', port: 5060 },
      { kind: 'addr', family: 'inet', protocol: 'sctp', address: '10.0.0.103', port: 9000 },
      v6svc, fwm,
    ];
    expect(list).toHaveLength(keys.length);
    keys.forEach((k, i) => expect(ours(Query.dests(k)).subarray(NLMSG_HDRLEN).toString('hex')).toBe(list[i]!.payload.toString('hex')));
  });

  it('the controller request resolving the IPVS family', () => {
    const ctrl = readCapture(join(dir, 'list.txt')).messages.find((m) => m.type === 'nlctrl')!;
    const mine = encodeGetFamily('IPVS', 1);
    expect(mine.readUInt32LE(0)).toBe(ctrl.len);
    expect(mine.subarray(NLMSG_HDRLEN).toString('hex')).toBe(ctrl.payload.toString('hex'));
  });
});
