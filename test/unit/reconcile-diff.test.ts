// Unit tests: the pure diff — minimal operations, edits instead of delete+add, fair normalisation, ownership and order.
import { describe, expect, it } from 'vitest';
import type { Destination, IpvsOp, Service, ServiceKey, Stats, Table } from '../../src/ipvs/types.js';
import { destChanges, diff, InvalidDesiredStateError, type DesiredState, type DiffOptions, type ObservedState } from '../../src/reconcile/index.js';

const svcKey = (address: string, port = 80): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'tcp', address, port });
const A = svcKey('10.0.0.1');
const B = svcKey('10.0.0.2');
const FOREIGN = svcKey('192.0.2.50', 443);
const svc = (key: ServiceKey, over: Partial<Service> = {}): Service => ({ key, scheduler: 'wlc', onePacket: false, schedFlags: [], ...over });
const rs = (n: number, over: Partial<Destination> = {}): Destination => ({ family: 'inet', address: `10.0.1.${n}`, port: 80, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });
const table = (...entries: [Service, Destination[]][]): Table => ({ services: entries.map(([service, dests]) => ({ service, dests })) });
const stats: Stats = { conns: 5n, inPkts: 9n, outPkts: 9n, inBytes: 100n, outBytes: 100n, cps: 1n, inPps: 1n, outPps: 1n, inBps: 1n, outBps: 1n };
/** asKernel dresses a table the way the kernel reports it: counters, stats, empty pe, dests newest first. */
const asKernel = (t: Table): Table => ({
  services: t.services.map((e) => ({
    service: { ...e.service, pe: e.service.pe ?? '', stats },
    dests: [...e.dests].reverse().map((d) => ({ ...d, activeConns: 3, inactiveConns: 7, persistConns: 1, stats })),
  })),
});

const base = table([svc(A), [rs(1), rs(2)]]);
const summary = (ops: IpvsOp[]): string[] =>
  ops.map((o) => {
    if (o.op === 'add-service' || o.op === 'edit-service') return `${o.op} ${o.service.key.kind === 'addr' ? o.service.key.address : ''}`;
    if (o.op === 'del-service') return `del-service ${o.key.kind === 'addr' ? o.key.address : ''}`;
    if (o.op === 'add-dest' || o.op === 'edit-dest' || o.op === 'del-dest') return `${o.op} ${o.service.kind === 'addr' ? o.service.address : ''} ${o.dest.address}`;
    return o.op;
  });

interface Case {
  readonly name: string;
  readonly desired: DesiredState;
  readonly observed: ObservedState;
  readonly options?: DiffOptions;
  readonly expected: string[];
}

const cases: Case[] = [
  { name: 'the same state gives no operations, whatever counters the kernel reports', desired: { table: base }, observed: { table: asKernel(base) }, expected: [] },
  { name: 'changing one weight gives exactly one edit-dest', desired: { table: table([svc(A), [rs(1), rs(2, { weight: 5 })]]) }, observed: { table: asKernel(base) }, expected: ['edit-dest 10.0.0.1 10.0.1.2'] },
  { name: 'a scheduler change is an edit, not delete+add', desired: { table: table([svc(A, { scheduler: 'rr' }), [rs(1), rs(2)]]) }, observed: { table: asKernel(base) }, expected: ['edit-service 10.0.0.1'] },
  {
    name: 'a persistence timeout change is an edit-service',
    desired: { table: table([svc(A, { persistence: { timeout: 600, netmask: 32 } }), [rs(1), rs(2)]]) },
    observed: { table: asKernel(table([svc(A, { persistence: { timeout: 300, netmask: 32 } }), [rs(1), rs(2)]])) },
    expected: ['edit-service 10.0.0.1'],
  },
  {
    name: 'a persistence netmask change is an edit-service',
    desired: { table: table([svc(A, { persistence: { timeout: 300, netmask: 24 } }), [rs(1), rs(2)]]) },
    observed: { table: asKernel(table([svc(A, { persistence: { timeout: 300, netmask: 32 } }), [rs(1), rs(2)]])) },
    expected: ['edit-service 10.0.0.1'],
  },
  { name: 'turning on one-packet scheduling is an edit-service', desired: { table: table([svc(A, { onePacket: true }), [rs(1), rs(2)]]) }, observed: { table: asKernel(base) }, expected: ['edit-service 10.0.0.1'] },
  { name: 'a persistence engine change is an edit-service', desired: { table: table([svc(A, { pe: 'sip' }), [rs(1), rs(2)]]) }, observed: { table: asKernel(base) }, expected: ['edit-service 10.0.0.1'] },
  {
    name: 'scheduler flags compare as a set',
    desired: { table: table([svc(A, { scheduler: 'sh', schedFlags: [1, 2] }), [rs(1)]]) },
    observed: { table: table([svc(A, { scheduler: 'sh', schedFlags: [2, 1] }), [rs(1)]]) },
    expected: [],
  },
  { name: 'a threshold change is an edit-dest', desired: { table: table([svc(A), [rs(1, { upperThreshold: 100, lowerThreshold: 10 }), rs(2)]]) }, observed: { table: asKernel(base) }, expected: ['edit-dest 10.0.0.1 10.0.1.1'] },
  { name: 'a forwarding method change is an edit-dest (the kernel updates it in place)', desired: { table: table([svc(A), [rs(1, { forward: 'route' }), rs(2)]]) }, observed: { table: asKernel(base) }, expected: ['edit-dest 10.0.0.1 10.0.1.1'] },
  {
    name: 'a tunnel checksum change is an edit-dest',
    desired: { table: table([svc(A), [rs(1, { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['csum'] } })]]) },
    observed: { table: table([svc(A), [rs(1, { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['nocsum'] } })]]) },
    expected: ['edit-dest 10.0.0.1 10.0.1.1'],
  },
  {
    name: 'an ipip tunnel compares equal whether or not its checksum flag is listed',
    desired: { table: table([svc(A), [rs(1, { forward: 'tunnel', tunnel: { type: 'ipip', port: 0, flags: ['nocsum'] } })]]) },
    observed: { table: table([svc(A), [rs(1, { forward: 'tunnel', tunnel: { type: 'ipip', port: 0, flags: [] } })]]) },
    expected: [],
  },
  {
    name: 'IPv6 addresses compare in canonical form',
    desired: { table: table([svc({ kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:DB8:0:0::1', port: 80 }), [rs(1, { family: 'inet6', address: '2001:db8:0::0:2' })]]) },
    observed: { table: table([svc({ kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 80 }), [rs(1, { family: 'inet6', address: '2001:db8::2' })]]) },
    expected: [],
  },
  { name: 'a real server removed from config is deleted', desired: { table: table([svc(A), [rs(1)]]) }, observed: { table: asKernel(base) }, expected: ['del-dest 10.0.0.1 10.0.1.2'] },
  { name: 'a real server added to config is added', desired: { table: table([svc(A), [rs(1), rs(2), rs(3)]]) }, observed: { table: asKernel(base) }, expected: ['add-dest 10.0.0.1 10.0.1.3'] },
  {
    name: 'a service removed behind our back is re-added with its destinations',
    desired: { table: table([svc(A), [rs(1), rs(2)]], [svc(B), [rs(3), rs(4)]]) },
    observed: { table: asKernel(base) },
    expected: ['add-service 10.0.0.2', 'add-dest 10.0.0.2 10.0.1.3', 'add-dest 10.0.0.2 10.0.1.4'],
  },
  { name: 'unmanaged services are left alone without --prune', desired: { table: base }, observed: { table: asKernel(table([svc(A), [rs(1), rs(2)]], [svc(FOREIGN), [rs(9)]])) }, expected: [] },
  {
    name: '--prune deletes services the config does not name',
    desired: { table: base },
    observed: { table: asKernel(table([svc(A), [rs(1), rs(2)]], [svc(FOREIGN), [rs(9)]])) },
    options: { prune: true },
    expected: ['del-service 192.0.2.50'],
  },
  {
    name: 'a managed service the config no longer names is deleted, a foreign one is not',
    desired: { table: base },
    observed: { table: asKernel(table([svc(A), [rs(1), rs(2)]], [svc(B), [rs(3)]], [svc(FOREIGN), [rs(9)]])) },
    options: { managed: [B] },
    expected: ['del-service 10.0.0.2'],
  },
  {
    name: 'plans in a fixed order: adds with their dests, service edits, dest writes, dest deletes, service deletes',
    desired: { table: table([svc(A, { scheduler: 'rr' }), [rs(2, { weight: 3 }), rs(5)]], [svc(B), [rs(3)]]) },
    observed: { table: asKernel(table([svc(FOREIGN), []], [svc(A), [rs(1), rs(2)]])) },
    options: { prune: true },
    expected: ['add-service 10.0.0.2', 'add-dest 10.0.0.2 10.0.1.3', 'edit-service 10.0.0.1', 'edit-dest 10.0.0.1 10.0.1.2', 'add-dest 10.0.0.1 10.0.1.5', 'del-dest 10.0.0.1 10.0.1.1', 'del-service 192.0.2.50'],
  },
];

describe('reconcile diff', () => {
  it.each(cases)('$name', ({ desired, observed, options, expected }) => {
    expect(summary(diff(desired, observed, options))).toEqual(expected);
  });

  it('writes the wanted values in full in an edit, and never the kernel-only fields', () => {
    const [op] = diff({ table: table([svc(A), [rs(1, { weight: 7, upperThreshold: 9, lowerThreshold: 2 })]]) }, { table: asKernel(table([svc(A), [rs(1)]])) });
    expect(op).toEqual({ op: 'edit-dest', service: A, dest: { family: 'inet', address: '10.0.1.1', port: 80, forward: 'masq', weight: 7, upperThreshold: 9, lowerThreshold: 2, tunnel: undefined } });
    const added = diff({ table: asKernel(base) }, { table: { services: [] } });
    const text = JSON.stringify(added, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(added.map((o) => o.op)).toEqual(['add-service', 'add-dest', 'add-dest']);
    expect(text).not.toMatch(/stats|activeConns|inactiveConns|persistConns/);
  });

  it('ignores the persistence netmask of a service that is not persistent', () => {
    expect(diff({ table: table([svc(A), [rs(1)]]) }, { table: table([svc(A, { persistence: undefined }), [rs(1)]]) })).toEqual([]);
    expect(summary(diff({ table: table([svc(A), [rs(1)]]) }, { table: table([svc(A, { persistence: { timeout: 300, netmask: 32 } }), [rs(1)]]) }))).toEqual(['edit-service 10.0.0.1']);
  });

  it.each([
    { name: 'sets lvs_timeouts that differ, leaving unconfigured ones unchanged (0)', want: { tcp: 7200, udp: 60 }, have: { tcp: 900, tcpFin: 120, udp: 300 }, expected: [{ op: 'set-timeouts', timeouts: { tcp: 7200, tcpFin: 0, udp: 60 } }] },
    { name: 'sets nothing when the configured timeouts already hold', want: { tcp: 900 }, have: { tcp: 900, tcpFin: 120, udp: 300 }, expected: [] },
    { name: 'sets configured timeouts when the kernel was not asked', want: { tcpFin: 30 }, have: undefined, expected: [{ op: 'set-timeouts', timeouts: { tcp: 0, tcpFin: 30, udp: 0 } }] },
    { name: 'sets nothing without lvs_timeouts', want: undefined, have: { tcp: 900, tcpFin: 120, udp: 300 }, expected: [] },
  ])('$name', ({ want, have, expected }) => {
    expect(diff({ table: base, timeouts: want }, { table: base, timeouts: have })).toEqual(expected);
  });

  it('puts set-timeouts first', () => {
    expect(diff({ table: base, timeouts: { udp: 10 } }, { table: { services: [] }, timeouts: { tcp: 900, tcpFin: 120, udp: 300 } })[0]?.op).toBe('set-timeouts');
  });

  it('rejects a desired table that names a service or a destination twice', () => {
    expect(() => diff({ table: table([svc(A), [rs(1)]], [svc(A), [rs(2)]]) }, { table: base })).toThrow(InvalidDesiredStateError);
    expect(() => diff({ table: table([svc(A), [rs(1), rs(1, { weight: 2 })]]) }, { table: base })).toThrow(/wanted twice/);
  });

  it('is deterministic: the same inputs give the same plan', () => {
    const desired = { table: table([svc(A, { scheduler: 'rr' }), [rs(3)]], [svc(B), [rs(4)]]) };
    const observed = { table: asKernel(table([svc(FOREIGN), []], [svc(A), [rs(1), rs(2)]])) };
    expect(diff(desired, observed, { prune: true })).toEqual(diff(desired, observed, { prune: true }));
  });

  it('edits a destination exactly when destChanges lists a field, tunnels included', () => {
    const variants: Partial<Destination>[] = [
      {},
      { weight: 0 },
      { forward: 'route' },
      { upperThreshold: 5 },
      { lowerThreshold: 2 },
      { forward: 'tunnel', tunnel: { type: 'ipip', port: 0, flags: [] } },
      { forward: 'tunnel', tunnel: { type: 'ipip', port: 0, flags: ['csum'] } },
      { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['csum'] } },
      { forward: 'tunnel', tunnel: { type: 'gue', port: 6081, flags: ['csum'] } },
      { forward: 'tunnel', tunnel: { type: 'gue', port: 6080, flags: ['remcsum'] } },
      { forward: 'tunnel', tunnel: { type: 'gre', port: 0, flags: ['nocsum'] } },
      { forward: 'masq', tunnel: { type: 'gre', port: 0, flags: ['csum'] } },
    ];
    let edits = 0;
    for (const w of variants) {
      for (const h of variants) {
        const ops = diff({ table: table([svc(A), [rs(1, w)]]) }, { table: table([svc(A), [rs(1, h)]]) });
        const changed = destChanges(rs(1, w), rs(1, h)).length > 0;
        expect(ops.map((o) => o.op)).toEqual(changed ? ['edit-dest'] : []);
        if (changed) edits++;
      }
    }
    expect(edits).toBeGreaterThan(100);
  });
});
