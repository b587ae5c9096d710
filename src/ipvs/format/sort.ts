// Format layer: ipvsadm's default ordering of services and destinations, reproduced bit for bit.
//
// ipvsadm 1.31 sorts unless --nosort is given (--sort is a no-op). Its comparators subtract unsigned 32-bit values
// and read the difference as a signed int, so addresses or marks 2^31 or more apart compare "backwards"
// (200.0.0.1 < 10.0.0.1, fwmark 4294967295 < any address service) and the order is not even transitive. The result
// then depends on the sorting algorithm: Debian 12's glibc 2.36 qsort() is a top-down merge sort (msort), which
// mergeSort below repeats, so that the same kernel order gives the same output as ipvsadm.
import { addressUnion16 } from '../../util/addr.js';
import type { DestKey, Family, Service } from '../types.js';

/** mergeSort is glibc 2.36's msort_with_tmp: split n into n/2 (rounded down) and the rest, merge taking the left item when cmp <= 0. */
export function mergeSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  const sort = (a: T[]): T[] => {
    if (a.length <= 1) return a;
    const n1 = Math.floor(a.length / 2);
    const l = sort(a.slice(0, n1));
    const r = sort(a.slice(n1));
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < l.length && j < r.length) out.push(cmp(l[i] as T, r[j] as T) <= 0 ? (l[i++] as T) : (r[j++] as T));
    while (i < l.length) out.push(l[i++] as T);
    while (j < r.length) out.push(r[j++] as T);
    return out;
  };
  return sort([...items]);
}

/** u32diff is C's (int)(a - b) for unsigned 32-bit a and b. */
export function u32diff(a: number, b: number): number {
  return (a - b) | 0;
}

const AF: Record<Family, number> = { inet: 2, inet6: 10 };
const PROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

/** compareAddressWords compares two kernel address unions as ipvsadm does: 4 words for IPv6 (as the first argument's family says), else 1. */
function compareAddressWords(family: Family, a: Buffer, b: Buffer): number {
  const words = family === 'inet6' ? 4 : 1;
  let r = 0;
  for (let i = 0; r === 0 && i < words; i++) r = u32diff(a.readUInt32BE(4 * i), b.readUInt32BE(4 * i));
  return r;
}

interface ServiceSortKey {
  fwmark: number;
  af: number;
  protocol: number;
  family: Family;
  addr: Buffer;
  port: number;
}

const serviceSortKey = (s: Service): ServiceSortKey => {
  const k = s.key;
  if (k.kind === 'fwmark') return { fwmark: k.fwmark >>> 0, af: AF[k.family], protocol: PROTO.tcp, family: k.family, addr: Buffer.alloc(16), port: 0 };
  return { fwmark: 0, af: AF[k.family], protocol: PROTO[k.protocol], family: k.family, addr: addressUnion16(k.family, k.address), port: k.port };
};

/** compareServices is libipvs's ipvs_cmp_services: fwmark, family, protocol, address words, port; each difference as a C int. */
export function compareServices(a: Service, b: Service): number {
  return compareServiceKeys(serviceSortKey(a), serviceSortKey(b));
}

const compareServiceKeys = (x: ServiceSortKey, y: ServiceSortKey): number =>
  u32diff(x.fwmark, y.fwmark) || x.af - y.af || x.protocol - y.protocol || compareAddressWords(x.family, x.addr, y.addr) || x.port - y.port;

/** compareDests is libipvs's ipvs_cmp_dests: address words (as many as the first destination's family has), then port. */
export function compareDests(a: DestKey, b: DestKey): number {
  return compareAddressWords(a.family, addressUnion16(a.family, a.address), addressUnion16(b.family, b.address)) || a.port - b.port;
}

/** sortServices orders table entries as ipvsadm -L/-S does by default. */
export function sortServices<E extends { readonly service: Service }>(entries: readonly E[]): E[] {
  const keyed = entries.map((e) => ({ e, k: serviceSortKey(e.service) }));
  return mergeSort(keyed, (x, y) => compareServiceKeys(x.k, y.k)).map((x) => x.e);
}

/** sortDests orders a service's destinations as ipvsadm -L/-S does by default. */
export function sortDests<D extends DestKey>(dests: readonly D[]): D[] {
  const keyed = dests.map((d) => ({ d, addr: addressUnion16(d.family, d.address) }));
  return mergeSort(keyed, (x, y) => compareAddressWords(x.d.family, x.addr, y.addr) || x.d.port - y.d.port).map((x) => x.d);
}
