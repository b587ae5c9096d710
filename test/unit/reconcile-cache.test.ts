// Unit tests: the Reconciler's cached table against the fake IPVS kernel — passes without a GET dump plan what a kernel read would, stale tables are dropped.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model, type RealServer, type VirtualServer } from '../../src/config/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { IpvsOp, ServiceKey, Table } from '../../src/ipvs/types.js';
import { Cmd } from '../../src/ipvs/wire.js';
import { GENL_ID_CTRL } from '../../src/netlink/genl.js';
import { genlCmd, splitMessages } from '../../src/netlink/message.js';
import { desiredState, Reconciler, type IpvsPort } from '../../src/reconcile/index.js';

const F = '/etc/keepalived/keepalived.conf';

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

/** conf is `services` virtual servers with `rs` real servers each (inhibit_on_failure on the odd ones), plus lvs_timeouts. */
const conf = (services: number, rs: number, scheduler = 'wrr'): Model =>
  model(
    'global_defs {\n lvs_timeouts tcp 7200 udp 60\n}\n' +
      Array.from(
        { length: services },
        (_, i) =>
          `virtual_server 10.0.0.${i + 1} 80 {\n protocol TCP\n lb_algo ${scheduler}\n` +
          Array.from({ length: rs }, (_, j) => ` real_server 10.0.1.${j + 1} 80 {\n  weight ${j + 1}\n${j % 2 ? '  inhibit_on_failure\n' : ''} }\n`).join('') +
          '}\n',
      ).join(''),
  );

/** commands lists the IPVS commands the fake was sent since datagram `from`. */
function commands(k: FakeIpvsKernel, from: number): number[] {
  return k.datagrams.slice(from).flatMap((d) => splitMessages(d).filter((m) => m.type !== GENL_ID_CTRL).map((m) => genlCmd(d, m)));
}
const DUMPS = new Set<number>([Cmd.GET_SERVICE, Cmd.GET_DEST]);
const dumps = (k: FakeIpvsKernel, from: number) => commands(k, from).filter((c) => DUMPS.has(c)).length;

/** same drops what only a kernel read carries (statistics, counters, tunnel defaults); the order of entries is kept. */
function same(t: Table) {
  return t.services.map(({ service: s, dests }) => ({ key: s.key, scheduler: s.scheduler, persistence: s.persistence, dests: dests.map((d) => `${d.address}:${d.port} ${d.forward} w${d.weight}`) }));
}

async function setup(options?: ConstructorParameters<typeof FakeIpvsKernel>[0]) {
  const k = new FakeIpvsKernel(options);
  const client = await IpvsClient.open(k);
  return { k, client, r: new Reconciler(client) };
}

const down = (set: ReadonlySet<string>) => (vs: VirtualServer, rs: RealServer) => (set.has(`${vs.services[0]!.kind === 'addr' ? (vs.services[0] as { address: string }).address : ''} ${rs.address}`) ? ('down' as const) : ('up' as const));
const A: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 };

describe('reconciler with a cached table', () => {
  it('a cached pass sends no GET dump and plans exactly what a kernel read would', async () => {
    const { k, r } = await setup();
    const m = conf(3, 4);
    await r.reconcile(desiredState(m), {});
    const desired = desiredState(m, { health: down(new Set(['10.0.0.2 10.0.1.1', '10.0.0.2 10.0.1.2'])) });
    const full = await r.plan(desired);
    const from = k.datagrams.length;
    const report = await r.reconcile(desired, { from: 'cache' });
    expect(report.source).toBe('cache');
    expect(dumps(k, from)).toBe(0);
    // no GET of any kind: the timeouts were kept from the first pass too
    expect(commands(k, from)).toEqual([Cmd.SET_DEST, Cmd.DEL_DEST]);
    expect(report.ops).toEqual(full.ops);
    expect(report.ops.map((o) => o.op)).toEqual(['edit-dest', 'del-dest']);
    expect(same(r.cached()!.table)).toEqual(same(await (await IpvsClient.open(k)).table()));
  });

  it('over a random walk of health changes, drains and reloads every cached pass plans what a kernel read would, and the cache stays the kernel table', async () => {
    const { k, client, r } = await setup();
    let m = conf(6, 5);
    await r.reconcile(desiredState(m));
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const downs = new Set<string>();
    const drained = new Set<string>();
    let cachedPasses = 0;
    for (let step = 0; step < 80; step++) {
      const name = `10.0.0.${1 + Math.floor(rand() * 6)} 10.0.1.${1 + Math.floor(rand() * 5)}`;
      const roll = rand();
      if (roll < 0.5) (downs.has(name) ? downs.delete(name) : downs.add(name));
      else if (roll < 0.9) (drained.has(name) ? drained.delete(name) : drained.add(name));
      else m = conf(4 + Math.floor(rand() * 3), 5, rand() < 0.5 ? 'wrr' : 'wlc');
      const desired = desiredState(m, {
        health: down(downs),
        overrides: (vs, rs) => (drained.has(`${(vs.services[0] as { address: string }).address} ${rs.address}`) ? 'drain' : undefined),
      });
      const full = await r.plan(desired);
      const from = k.datagrams.length;
      const report = await r.reconcile(desired, { from: roll < 0.9 ? 'cache' : 'kernel' });
      expect(report.ops).toEqual(full.ops);
      expect(report.failures).toEqual([]);
      if (report.source === 'cache') {
        cachedPasses++;
        expect(dumps(k, from)).toBe(0);
      }
      expect(same(r.cached()!.table)).toEqual(same(await client.table()));
    }
    expect(cachedPasses).toBeGreaterThan(60);
  });

  it('a destination deleted behind its back: the cached pass is refused ENOENT, reports it stale and drops the cache; the next pass reads the kernel', async () => {
    const { k, client, r } = await setup();
    const m = conf(1, 3);
    await r.reconcile(desiredState(m));
    await client.apply([{ op: 'del-dest', service: A, dest: { family: 'inet', address: '10.0.1.1', port: 80 } }]);
    const report = await r.reconcile(desiredState(m, { health: down(new Set(['10.0.0.1 10.0.1.1'])) }), { from: 'cache' });
    expect(report.source).toBe('cache');
    expect(report.failures.map((f) => f.error.code)).toEqual(['ENOENT']);
    expect(report.stale).toEqual([expect.objectContaining({ index: 0, errno: 2 })]);
    expect(r.cached()).toBeUndefined();
    const from = k.datagrams.length;
    const next = await r.reconcile(desiredState(m), { from: 'cache' });
    expect(next.source).toBe('kernel');
    expect(dumps(k, from)).toBeGreaterThan(0);
    expect(next.ops.map((o) => o.op)).toEqual(['add-dest']);
    expect(r.cached()).toBeDefined();
  });

  it('a destination added behind its back: the cached add is refused EEXIST and reported stale', async () => {
    const { client, r } = await setup();
    const m = conf(1, 3);
    await r.reconcile(desiredState(m, { health: down(new Set(['10.0.0.1 10.0.1.3'])) }));
    await client.apply([{ op: 'add-dest', service: A, dest: { family: 'inet', address: '10.0.1.3', port: 80, forward: 'masq', weight: 3, upperThreshold: 0, lowerThreshold: 0 } }]);
    const report = await r.reconcile(desiredState(m), { from: 'cache' });
    expect(report.stale.map((s) => s.op.op)).toEqual(['add-dest']);
    expect(r.cached()).toBeUndefined();
  });

  it('a scheduler that is not loaded is no stale sign: the cache is kept and the next cached pass tries the same add again', async () => {
    const { k, r } = await setup({ schedulers: ['rr'] });
    const m = conf(1, 2);
    const first = await r.reconcile(desiredState(m));
    expect(first.failures.map((f) => `${f.op.op} ${f.error.code}`)).toEqual(['add-service ENOENT', 'add-dest ESRCH', 'add-dest ESRCH']);
    expect(first.stale).toEqual([]);
    expect(r.cached()?.table.services).toEqual([]);
    const from = k.datagrams.length;
    const again = await r.reconcile(desiredState(m), { from: 'cache' });
    expect(again.source).toBe('cache');
    expect(dumps(k, from)).toBe(0);
    expect(again.ops).toEqual(first.ops.filter((o) => o.op !== 'set-timeouts'));
  });

  it('a service the configuration dropped is deleted once, leaves the cache and is no longer managed', async () => {
    const { k, r } = await setup();
    await r.reconcile(desiredState(conf(2, 2)));
    const reload = await r.reconcile(desiredState(conf(1, 2)));
    expect(reload.ops.map((o) => o.op)).toEqual(['del-service']);
    expect(r.managed().map((s) => (s as { address: string }).address)).toEqual(['10.0.0.1']);
    expect(r.cached()!.table.services.map((e) => (e.service.key as { address: string }).address)).toEqual(['10.0.0.1']);
    const from = k.datagrams.length;
    const next = await r.reconcile(desiredState(conf(1, 2)), { from: 'cache' });
    expect(next.ops).toEqual([]);
    expect(commands(k, from)).toEqual([]);
  });

  it('a write that throws drops the cache: what reached the kernel is unknown', async () => {
    const { k, client } = await setup();
    let fail = false;
    const port: IpvsPort = { table: () => client.table(), timeouts: () => client.timeouts(), apply: (ops: readonly IpvsOp[]) => (fail ? Promise.reject(new Error('socket closed')) : client.apply(ops)) };
    const r = new Reconciler(port);
    await r.reconcile(desiredState(conf(1, 2)));
    fail = true;
    await expect(r.reconcile(desiredState(conf(1, 2), { health: down(new Set(['10.0.0.1 10.0.1.1'])) }), { from: 'cache' })).rejects.toThrow(/socket closed/);
    expect(r.cached()).toBeUndefined();
    fail = false;
    const from = k.datagrams.length;
    expect((await r.reconcile(desiredState(conf(1, 2)), { from: 'cache' })).source).toBe('kernel');
    expect(dumps(k, from)).toBeGreaterThan(0);
  });
});
