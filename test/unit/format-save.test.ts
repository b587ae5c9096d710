import { describe, expect, it } from 'vitest';
import { destRule, formatSave, serviceRule } from '../../src/ipvs/format/save.js';
import type { Destination, Service } from '../../src/ipvs/types.js';

const svc = (over: Partial<Service> = {}): Service => ({ key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, scheduler: 'wlc', onePacket: false, schedFlags: [], ...over });
const dst = (over: Partial<Destination> = {}): Destination => ({ family: 'inet', address: '10.0.0.2', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });

describe('ipvsadm -S -n service lines', () => {
  it('prints options in ipvsadm\'s order: -s, -p, -M, --pe, -o, -b', () => {
    const s = svc({ key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.1', port: 5060 }, scheduler: 'sh', persistence: { timeout: 30, netmask: 24 }, pe: 'sip', onePacket: true, schedFlags: [1, 2] });
    expect(serviceRule(s)).toBe('-A -u 10.0.0.1:5060 -s sh -p 30 -M 255.255.255.0 --pe sip -o -b sh-fallback,sh-port\n');
  });
  it('prints --pe even without persistence (the listing does not)', () => {
    expect(serviceRule(svc({ pe: 'sip' }))).toBe('-A -t 10.0.0.1:80 -s wlc --pe sip\n');
  });
  it('omits full-length masks and writes IPv6 masks as prefix lengths', () => {
    expect(serviceRule(svc({ persistence: { timeout: 360, netmask: 32 } }))).toBe('-A -t 10.0.0.1:80 -s wlc -p 360\n');
    const six = svc({ key: { kind: 'addr', family: 'inet6', protocol: 'sctp', address: '2001:DB8::1', port: 9 }, persistence: { timeout: 5, netmask: 48 } });
    expect(serviceRule(six)).toBe('-A --sctp-service [2001:db8::1]:9 -s wlc -p 5 -M 48\n');
  });
  it('writes marks of 2^31 and above as negative numbers, as ipvsadm 1.31 does', () => {
    expect(serviceRule(svc({ key: { kind: 'fwmark', family: 'inet6', fwmark: 4294967295 } }))).toBe('-A -f -1 -6 -s wlc\n');
  });
  it('writes an empty -b for flag 3 alone on sh and mh', () => {
    expect(serviceRule(svc({ scheduler: 'mh', schedFlags: [3] }))).toBe('-A -t 10.0.0.1:80 -s mh -b \n');
    expect(serviceRule(svc({ scheduler: 'rr', schedFlags: [3] }))).toBe('-A -t 10.0.0.1:80 -s rr -b flag-3\n');
  });
});

describe('ipvsadm -S -n destination lines', () => {
  it('drops thresholds and writes -g for local destinations', () => {
    expect(destRule(svc(), dst({ forward: 'local', upperThreshold: 9, lowerThreshold: 3, weight: 0 }))).toBe('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0\n');
  });
  it('writes each tunnel type with its options after the weight', () => {
    const tun = (tunnel: Destination['tunnel']) => destRule(svc(), dst({ forward: 'tunnel', tunnel }));
    expect(tun({ type: 'gue', port: 6080, flags: ['remcsum'] })).toBe('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum\n');
    expect(tun({ type: 'gre', port: 0, flags: [] })).toBe('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type gre --tun-nocsum\n');
    expect(tun(undefined)).toBe('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip\n');
  });
  it('prints "(null)" for a bypass destination, as glibc prints ipvsadm\'s NULL switch', () => {
    expect(destRule(svc(), dst({ forward: 'bypass' }))).toBe('-a -t 10.0.0.1:80 -r 10.0.0.2:80 (null) -w 1\n');
  });
  it('saves an empty table as nothing', () => {
    expect(formatSave({ services: [] })).toBe('');
  });
});
