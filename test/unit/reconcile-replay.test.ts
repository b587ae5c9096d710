// Unit tests: replaying a pass's operations on the table it was planned against (applyOps, replayOps) — by table, and against the fake kernel.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { Destination, IpvsOp, Service, ServiceKey, Table } from '../../src/ipvs/types.js';
import { applyOps, replayOps, timeoutsAfter, type Refusal } from '../../src/reconcile/index.js';

const { EEXIST, ENOENT, ESRCH } = constants.errno;
const key = (a: string, port = 80): ServiceKey => ({ kind: 'addr', family: 'inet', protocol: 'tcp', address: a, port });
const svc = (a: string, scheduler = 'wrr'): Service => ({ key: key(a), scheduler, onePacket: false, schedFlags: [] });
const dst = (a: string, weight = 1): Destination => ({ family: 'inet', address: a, port: 80, forward: 'route', weight, upperThreshold: 0, lowerThreshold: 0 });
const A = '10.0.0.1';
const B = '10.0.0.2';

/** T is a table written compactly: service address → [scheduler, dest address:weight in listing order]. */
function T(spec: Record<string, [string, ...string[]]>): Table {
  return { services: Object.entries(spec).map(([a, [sched, ...ds]]) => ({ service: svc(a, sched), dests: ds.map((d) => dst(d.split(':')[0]!, Number(d.split(':')[1] ?? 1))) })) };
}
const refused = (index: number, errno: number): Refusal => ({ index, error: { errno } });

const before = T({ [A]: ['wrr', '10.1.0.3:1', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'] });

describe('applyOps', () => {
  const cases: { name: string; ops: IpvsOp[]; failures?: Refusal[]; after: Table }[] = [
    { name: 'a new service is listed last, with no destinations', ops: [{ op: 'add-service', service: svc('10.0.0.3', 'lc') }], after: T({ [A]: ['wrr', '10.1.0.3:1', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'], '10.0.0.3': ['lc'] }) },
    { name: 'a new destination is listed first, as the kernel lists them', ops: [{ op: 'add-dest', service: key(A), dest: dst('10.1.0.4', 5) }], after: T({ [A]: ['wrr', '10.1.0.4:5', '10.1.0.3:1', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'] }) },
    { name: 'an edited destination keeps its place', ops: [{ op: 'edit-dest', service: key(A), dest: dst('10.1.0.2', 0) }], after: T({ [A]: ['wrr', '10.1.0.3:1', '10.1.0.2:0'], [B]: ['rr', '10.1.0.9:1'] }) },
    { name: 'a deleted destination is gone', ops: [{ op: 'del-dest', service: key(A), dest: { family: 'inet', address: '10.1.0.3', port: 80 } }], after: T({ [A]: ['wrr', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'] }) },
    { name: 'an edited service keeps its place and its destinations', ops: [{ op: 'edit-service', service: svc(A, 'sh') }], after: T({ [A]: ['sh', '10.1.0.3:1', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'] }) },
    { name: 'a deleted service goes with its destinations', ops: [{ op: 'del-service', key: key(A) }], after: T({ [B]: ['rr', '10.1.0.9:1'] }) },
    { name: 'flush empties the table', ops: [{ op: 'flush' }], after: { services: [] } },
    { name: 'zero and set-timeouts change no entry', ops: [{ op: 'zero' }, { op: 'set-timeouts', timeouts: { tcp: 60, tcpFin: 0, udp: 0 } }], after: before },
    {
      name: 'a service added then given destinations lists them newest first',
      ops: [{ op: 'add-service', service: svc('10.0.0.3') }, { op: 'add-dest', service: key('10.0.0.3'), dest: dst('10.1.0.1') }, { op: 'add-dest', service: key('10.0.0.3'), dest: dst('10.1.0.2') }],
      after: T({ [A]: ['wrr', '10.1.0.3:1', '10.1.0.2:1'], [B]: ['rr', '10.1.0.9:1'], '10.0.0.3': ['wrr', '10.1.0.2:1', '10.1.0.1:1'] }),
    },
    {
      name: 'refused operations leave their entries as they were',
      ops: [
        { op: 'edit-dest', service: key(A), dest: dst('10.1.0.2', 0) },
        { op: 'del-dest', service: key(A), dest: { family: 'inet', address: '10.1.0.3', port: 80 } },
        { op: 'add-dest', service: key(B), dest: dst('10.1.0.8') },
        { op: 'edit-service', service: svc(B, 'lc') },
        { op: 'del-service', key: key(B) },
        { op: 'add-service', service: svc('10.0.0.3', 'nope') },
      ],
      failures: [refused(0, EEXIST), refused(1, EEXIST), refused(2, ENOENT), refused(3, ENOENT), refused(4, EEXIST), refused(5, ENOENT)],
      after: before,
    },
    {
      name: 'only the refused one of several operations is left out',
      ops: [{ op: 'edit-dest', service: key(A), dest: dst('10.1.0.2', 0) }, { op: 'edit-dest', service: key(A), dest: dst('10.1.0.3', 7) }],
      failures: [refused(1, EEXIST)],
      after: T({ [A]: ['wrr', '10.1.0.3:1', '10.1.0.2:0'], [B]: ['rr', '10.1.0.9:1'] }),
    },
  ];
  it.each(cases)('$name', ({ ops, failures, after }) => {
    const copy = structuredClone(before);
    expect(applyOps(before, ops, failures)).toEqual(after);
    expect(before).toEqual(copy);
  });

  it('lists IPv6 addresses as the kernel does (canonical form), so later passes find them', () => {
    const k6: ServiceKey = { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:DB8:0:0::1', port: 80 };
    const t = applyOps({ services: [] }, [
      { op: 'add-service', service: { key: k6, scheduler: 'rr', onePacket: false, schedFlags: [] } },
      { op: 'add-dest', service: k6, dest: { ...dst('x'), family: 'inet6', address: '2001:0db8::0002' } },
    ]);
    expect(t.services[0]?.service.key).toMatchObject({ address: '2001:db8::1' });
    expect(t.services[0]?.dests[0]?.address).toBe('2001:db8::2');
    const t2 = applyOps(t, [{ op: 'del-dest', service: { ...k6, address: '2001:db8::1' }, dest: { family: 'inet6', address: '2001:db8:0::2', port: 80 } }]);
    expect(t2.services[0]?.dests).toEqual([]);
  });
});

describe('replayOps: outcomes that contradict the table', () => {
  const cases: { name: string; ops: IpvsOp[]; failures: Refusal[]; stale: number[] }[] = [
    { name: 'EEXIST on adding a service the table lacks', ops: [{ op: 'add-service', service: svc('10.0.0.3') }], failures: [refused(0, EEXIST)], stale: [0] },
    { name: 'EEXIST on adding a destination the table lacks', ops: [{ op: 'add-dest', service: key(A), dest: dst('10.1.0.7') }], failures: [refused(0, EEXIST)], stale: [0] },
    { name: 'ENOENT on deleting a destination the table has', ops: [{ op: 'del-dest', service: key(A), dest: dst('10.1.0.3') }], failures: [refused(0, ENOENT)], stale: [0] },
    { name: 'ENOENT on editing a destination the table has', ops: [{ op: 'edit-dest', service: key(A), dest: dst('10.1.0.3', 0) }], failures: [refused(0, ENOENT)], stale: [0] },
    { name: 'ESRCH on a destination of a service the table has', ops: [{ op: 'edit-dest', service: key(B), dest: dst('10.1.0.9', 0) }], failures: [refused(0, ESRCH)], stale: [0] },
    { name: 'ESRCH on editing or deleting a service the table has', ops: [{ op: 'edit-service', service: svc(A, 'rr') }, { op: 'del-service', key: key(B) }], failures: [refused(0, ESRCH), refused(1, ESRCH)], stale: [0, 1] },
    { name: 'an accepted delete of a destination the table lacks', ops: [{ op: 'del-dest', service: key(A), dest: dst('10.1.0.7') }], failures: [], stale: [0] },
    { name: 'not: a scheduler that is not loaded (ENOENT) and the destinations of the service it kept out (ESRCH)', ops: [{ op: 'add-service', service: svc('10.0.0.3', 'nope') }, { op: 'add-dest', service: key('10.0.0.3'), dest: dst('10.1.0.1') }], failures: [refused(0, ENOENT), refused(1, ESRCH)], stale: [] },
    { name: 'not: ENOENT on editing a service (its scheduler is not loaded)', ops: [{ op: 'edit-service', service: svc(A, 'nope') }], failures: [refused(0, ENOENT)], stale: [] },
    { name: 'not: EINVAL on adding a destination', ops: [{ op: 'add-dest', service: key(A), dest: dst('224.0.0.1') }], failures: [refused(0, constants.errno.EINVAL)], stale: [] },
  ];
  it.each(cases)('$name', ({ ops, failures, stale }) => {
    expect(replayOps(before, ops, failures).stale.map((s) => s.index)).toEqual(stale);
  });

  it('timeoutsAfter takes the non-zero members of an accepted set-timeouts', () => {
    const t = { tcp: 900, tcpFin: 120, udp: 300 };
    expect(timeoutsAfter(t, [{ op: 'set-timeouts', timeouts: { tcp: 60, tcpFin: 0, udp: 30 } }])).toEqual({ tcp: 60, tcpFin: 120, udp: 30 });
    expect(timeoutsAfter(t, [{ op: 'set-timeouts', timeouts: { tcp: 60, tcpFin: 0, udp: 30 } }], [refused(0, constants.errno.EINVAL)])).toEqual(t);
  });
});

/** comparable drops what the kernel adds when it lists (statistics, counters, tunnel defaults). */
function comparable(t: Table) {
  return t.services.map(({ service: s, dests }) => ({
    key: s.key,
    scheduler: s.scheduler,
    persistence: s.persistence,
    onePacket: s.onePacket,
    schedFlags: [...s.schedFlags].sort(),
    dests: dests.map((d) => `${d.address}:${d.port} ${d.forward} w${d.weight} u${d.upperThreshold} l${d.lowerThreshold}`),
  }));
}

/** rng is a small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('applyOps against the fake kernel', () => {
  it('random batches with refusals: the replayed table is the table the kernel lists after, and no refusal contradicts a fresh read', async () => {
    const client = await IpvsClient.open(new FakeIpvsKernel());
    const r = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const vips = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const rss = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5'];
    let refusals = 0;
    for (let round = 0; round < 60; round++) {
      const table = await client.table();
      const ops: IpvsOp[] = Array.from({ length: 1 + Math.floor(r() * 12) }, (): IpvsOp => {
        const v = pick(vips);
        const d = dst(pick(rss), Math.floor(r() * 4));
        switch (Math.floor(r() * 7)) {
          case 0:
            return { op: 'add-service', service: svc(v, pick(['wrr', 'rr', 'nope'])) };
          case 1:
            return { op: 'edit-service', service: svc(v, pick(['wlc', 'sh'])) };
          case 2:
            return r() < 0.3 ? { op: 'del-service', key: key(v) } : { op: 'add-dest', service: key(v), dest: d };
          case 3:
          case 4:
            return { op: 'add-dest', service: key(v), dest: d };
          case 5:
            return { op: 'edit-dest', service: key(v), dest: d };
          default:
            return { op: 'del-dest', service: key(v), dest: d };
        }
      });
      const failures = await client.apply(ops);
      refusals += failures.length;
      const replayed = replayOps(table, ops, failures);
      expect(comparable(replayed.table)).toEqual(comparable(await client.table()));
      expect(replayed.stale).toEqual([]);
    }
    // the batches did exercise refusals of every kind
    expect(refusals).toBeGreaterThan(50);
  });

  it('a table missing what the kernel has: the refusal of an operation on it is a stale sign', async () => {
    const client = await IpvsClient.open(new FakeIpvsKernel());
    await client.apply([{ op: 'add-service', service: svc(A) }, { op: 'add-dest', service: key(A), dest: dst('10.1.0.1') }]);
    const read = await client.table();
    // behind the table's back: the destination goes
    await client.apply([{ op: 'del-dest', service: key(A), dest: dst('10.1.0.1') }]);
    const ops: IpvsOp[] = [{ op: 'edit-dest', service: key(A), dest: dst('10.1.0.1', 0) }];
    const failures = await client.apply(ops);
    expect(failures.map((f) => f.error.code)).toEqual(['ENOENT']);
    expect(replayOps(read, ops, failures).stale).toEqual([{ index: 0, op: ops[0], errno: ENOENT }]);
  });
});
