import { describe, expect, it } from 'vitest';
import { compareDests, compareServices, mergeSort, sortDests, sortServices, u32diff } from '../../src/ipvs/format/sort.js';
import type { DestKey, Service } from '../../src/ipvs/types.js';

const tcp = (address: string, port = 80): Service => ({ key: { kind: 'addr', family: 'inet', protocol: 'tcp', address, port }, scheduler: 'rr', onePacket: false, schedFlags: [] });
const fwm = (fwmark: number, family: 'inet' | 'inet6' = 'inet'): Service => ({ key: { kind: 'fwmark', family, fwmark }, scheduler: 'rr', onePacket: false, schedFlags: [] });
const v4 = (address: string, port = 80): DestKey => ({ family: 'inet', address, port });
const name = (s: Service) => (s.key.kind === 'fwmark' ? `f${s.key.fwmark}` : `${s.key.address}:${s.key.port}`);

describe('ipvsadm comparators', () => {
  it('subtract unsigned 32-bit values and read the result as a signed int', () => {
    expect(u32diff(10, 200)).toBeLessThan(0);
    expect(u32diff(0x0a000001, 0xc8000001)).toBeGreaterThan(0); // 10.0.0.1 - 200.0.0.1 wraps past 2^31
    expect(u32diff(0, 0xffffffff)).toBe(1);
  });
  it('put 200.0.0.1 before 10.0.0.1 but 10.0.0.1 before 130.0.0.1 and 130.0.0.1 before 200.0.0.1', () => {
    expect(compareServices(tcp('200.0.0.1'), tcp('10.0.0.1'))).toBeLessThan(0);
    expect(compareServices(tcp('10.0.0.1'), tcp('130.0.0.1'))).toBeLessThan(0);
    expect(compareServices(tcp('130.0.0.1'), tcp('200.0.0.1'))).toBeLessThan(0);
  });
  it('order address services before marks, except marks of 2^31 + 1 and above', () => {
    expect(compareServices(tcp('10.0.0.1'), fwm(7))).toBeLessThan(0);
    expect(compareServices(fwm(4294967295), tcp('10.0.0.1'))).toBeLessThan(0);
  });
  it('order IPv4 before IPv6 and TCP before UDP before SCTP', () => {
    const six: Service = { ...tcp('::1'), key: { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '::1', port: 80 } };
    const udp: Service = { ...tcp('10.0.0.1'), key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.1', port: 1 } };
    expect(compareServices(tcp('255.0.0.1'), six)).toBeLessThan(0);
    expect(compareServices(tcp('10.0.0.1', 9999), udp)).toBeLessThan(0);
  });
  it('compare destinations by as many address words as the first one\'s family has', () => {
    const six: DestKey = { family: 'inet6', address: '::a00:1', port: 80 };
    expect(compareDests(v4('0.0.0.0', 80), six)).toBe(0);
    expect(compareDests(six, v4('0.0.0.0', 80))).toBeGreaterThan(0);
  });
});

describe('glibc 2.36 merge sort', () => {
  it('is stable', () => {
    const items = [3, 1, 2, 1, 3, 2].map((k, i) => ({ k, i }));
    expect(mergeSort(items, (a, b) => a.k - b.k).map((x) => x.i)).toEqual([1, 3, 2, 5, 0, 4]);
  });
  it('gives the order a non-transitive comparison leads to from a given start', () => {
    const services = ['200.0.0.1', '10.0.0.100', '130.0.0.1'].map((a) => ({ service: tcp(a) }));
    expect(sortServices(services).map((e) => name(e.service))).toEqual(['200.0.0.1:80', '10.0.0.100:80', '130.0.0.1:80']);
    const rotated = ['130.0.0.1', '200.0.0.1', '10.0.0.100'].map((a) => ({ service: tcp(a) }));
    expect(sortServices(rotated).map((e) => name(e.service))).toEqual(['130.0.0.1:80', '200.0.0.1:80', '10.0.0.100:80']);
  });
  it('sorts destinations by address then port', () => {
    expect(sortDests([v4('10.0.0.30', 8080), v4('10.0.0.30', 81), v4('10.0.0.2')]).map((d) => `${d.address}:${d.port}`)).toEqual(['10.0.0.2:80', '10.0.0.30:81', '10.0.0.30:8080']);
  });
  it('does not modify its input', () => {
    const a = [3, 2, 1];
    mergeSort(a, (x, y) => x - y);
    expect(a).toEqual([3, 2, 1]);
  });
});
