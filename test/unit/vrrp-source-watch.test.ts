// Unit tests: the IPv6 source address watch — events of watched addresses reported, a dump after link-up catching a silent change, re-reads while a source waits for DAD.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddrEvent } from '../../src/vrrp/source-address.js';
import { SourceAddresses, type SourceChange } from '../../src/vrrp/io/source-watch.js';

/** FakeDump answers each dump with the next table of `tables` (the last one again when they run out) and counts the dumps. */
class FakeDump {
  dumps = 0;
  constructor(private readonly tables: Omit<AddrEvent, 'kind'>[][]) {}
  ipv6Addresses(): Promise<Omit<AddrEvent, 'kind'>[]> {
    const t = this.tables[Math.min(this.dumps, this.tables.length - 1)]!;
    this.dumps++;
    return Promise.resolve(t);
  }
}

const LL = (flags: number) => ({ index: 2, address: 'fe80::1', flags });
const GLOBAL = (flags: number) => ({ index: 2, address: '2001:db8::121', flags });

afterEach(() => {
  vi.useRealTimers();
});

describe('SourceAddresses', () => {
  it('reports state changes of watched addresses only, and answers a source state from the events', async () => {
    const changes: SourceChange[] = [];
    const w = new SourceAddresses(new FakeDump([[LL(0x80)]]), () => ['FE80::1'], (c) => changes.push(c), (e) => { throw e; });
    await w.load();
    expect(w.state('fe80::1', 2)).toBe('usable');
    w.event({ kind: 'del', ...LL(0x80) });
    w.event({ kind: 'new', ...LL(0xc0) });
    w.event({ kind: 'new', ...LL(0xc0) }); // same state again: no report
    w.event({ kind: 'new', index: 2, address: 'fe80::2', flags: 0xc0 }); // not a source
    expect(w.state('fe80::1', 2)).toBe('tentative');
    w.event({ kind: 'new', ...LL(0x80) });
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['usable->missing', 'missing->tentative', 'tentative->usable']);
    expect(w.state('fe80::1', 2)).toBe('usable');
    w.stop();
  });

  it('a dump after link-up finds a kept address made tentative without an event, and re-reads until DAD is over', async () => {
    vi.useFakeTimers();
    const dump = new FakeDump([[GLOBAL(0x80)], [GLOBAL(0xc0)], [GLOBAL(0xc0)], [GLOBAL(0x80)]]);
    const changes: SourceChange[] = [];
    const w = new SourceAddresses(dump, () => ['2001:db8::121'], (c) => changes.push(c), (e) => { throw e; }, { retryMs: 500, retries: 20 });
    await w.load();
    await w.resync();
    expect(w.state('2001:db8::121', 2)).toBe('tentative');
    expect(changes.map((c) => c.to)).toEqual(['tentative']);
    await vi.advanceTimersByTimeAsync(500);
    expect(dump.dumps).toBe(3);
    expect(w.state('2001:db8::121', 2)).toBe('tentative');
    await vi.advanceTimersByTimeAsync(500);
    expect(w.state('2001:db8::121', 2)).toBe('usable');
    expect(changes.map((c) => c.to)).toEqual(['tentative', 'usable']);
    await vi.advanceTimersByTimeAsync(5000); // usable: no more re-reads
    expect(dump.dumps).toBe(4);
    w.stop();
  });

  it('gives up re-reading after its retries when a source never appears, and reports a failed dump', async () => {
    vi.useFakeTimers();
    const dump = new FakeDump([[]]);
    const errors: Error[] = [];
    const w = new SourceAddresses(dump, () => ['fe80::1'], () => undefined, (e) => errors.push(e), { retryMs: 100, retries: 3 });
    await w.load();
    await w.resync();
    await vi.advanceTimersByTimeAsync(2000);
    expect(dump.dumps).toBe(1 + 3); // the load, then 3 reads
    const failing = new SourceAddresses({ ipv6Addresses: () => Promise.reject(new Error('EBUSY')) }, () => [], () => undefined, (e) => errors.push(e));
    await failing.resync();
    expect(errors.map((e) => e.message)).toEqual(['EBUSY']);
    w.stop();
    failing.stop();
  });
});
