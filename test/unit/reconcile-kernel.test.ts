// Unit tests: the Reconciler against the fake IPVS kernel — idempotence, single writes, drift repair, reloads, refusals.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model, type RealServer, type VirtualServer } from '../../src/config/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import type { IpvsOp, ServiceKey } from '../../src/ipvs/types.js';
import { Cmd } from '../../src/ipvs/wire.js';
import { GENL_ID_CTRL } from '../../src/netlink/genl.js';
import { genlCmd, splitMessages } from '../../src/netlink/message.js';
import { desiredState, Reconciler } from '../../src/reconcile/index.js';

const F = '/etc/keepalived/keepalived.conf';
const WRITES = new Set<number>([Cmd.NEW_SERVICE, Cmd.SET_SERVICE, Cmd.DEL_SERVICE, Cmd.NEW_DEST, Cmd.SET_DEST, Cmd.DEL_DEST, Cmd.SET_CONFIG, Cmd.FLUSH, Cmd.ZERO, Cmd.NEW_DAEMON, Cmd.DEL_DAEMON]);

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

const conf = (opts: { weight3?: number; scheduler?: string; withB?: boolean } = {}): Model =>
  model(
    'global_defs {\n lvs_timeouts tcp 7200 udp 60\n}\n' +
      `virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo ${opts.scheduler ?? 'wlc'}\n` +
      ' real_server 10.0.1.2 80 {\n  weight 2\n }\n' +
      ` real_server 10.0.1.3 80 {\n  weight ${opts.weight3 ?? 1}\n }\n}\n` +
      (opts.withB === false ? '' : 'virtual_server fwmark 7 {\n lb_kind DR\n persistence_timeout 300\n real_server 10.0.2.2 80 {\n }\n}\n'),
  );

/** writesSince lists the IPVS write commands the fake was sent since datagram `from`. */
function writesSince(k: FakeIpvsKernel, from: number): number[] {
  return k.datagrams.slice(from).flatMap((d) => splitMessages(d).filter((m) => m.type !== GENL_ID_CTRL).map((m) => genlCmd(d, m)).filter((c) => WRITES.has(c)));
}

async function setup(options?: ConstructorParameters<typeof FakeIpvsKernel>[0]) {
  const k = new FakeIpvsKernel(options);
  const client = await IpvsClient.open(k);
  return { k, client, r: new Reconciler(client) };
}

const A: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 };
const FOREIGN: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'udp', address: '192.0.2.50', port: 53 };

describe('reconciler against the fake kernel', () => {
  it('same config twice writes nothing the second time', async () => {
    const { k, client, r } = await setup();
    const first = await r.reconcile(desiredState(conf()));
    expect(first.failures).toEqual([]);
    expect(first.ops.map((o) => o.op)).toEqual(['set-timeouts', 'add-service', 'add-dest', 'add-dest', 'add-service', 'add-dest']);
    expect(await client.timeouts()).toEqual({ tcp: 7200, tcpFin: 120, udp: 60 });
    const before = k.datagrams.length;
    const second = await new Reconciler(client).reconcile(desiredState(conf()));
    expect(second.ops).toEqual([]);
    expect(k.datagrams.length).toBeGreaterThan(before); // it did read the kernel…
    expect(writesSince(k, before)).toEqual([]); // …and wrote nothing
  });

  it("changing one real server's weight writes exactly one operation", async () => {
    const { k, r } = await setup();
    await r.reconcile(desiredState(conf()));
    const before = k.datagrams.length;
    const report = await r.reconcile(desiredState(conf({ weight3: 5 })));
    expect(report.ops).toMatchObject([{ op: 'edit-dest', service: A, dest: { address: '10.0.1.3', weight: 5 } }]);
    expect(writesSince(k, before)).toEqual([Cmd.SET_DEST]);
    expect(k.snapshot()[0]?.dests.find((d) => d.address === '10.0.1.3')?.weight).toBe(5);
  });

  it('a scheduler change is an edit: the service is never deleted', async () => {
    const { k, r } = await setup();
    await r.reconcile(desiredState(conf()));
    const before = k.datagrams.length;
    await r.reconcile(desiredState(conf({ scheduler: 'rr' })));
    expect(writesSince(k, before)).toEqual([Cmd.SET_SERVICE]);
    expect(k.snapshot()[0]).toMatchObject({ service: { scheduler: 'rr' } });
    expect(k.snapshot()[0]?.dests).toHaveLength(2);
  });

  it('a service removed behind our back is re-added with its destinations', async () => {
    const { client, r } = await setup();
    await r.reconcile(desiredState(conf()));
    await client.apply([{ op: 'del-service', key: A }]);
    const report = await r.reconcile(desiredState(conf()));
    expect(report.ops.map((o) => o.op)).toEqual(['add-service', 'add-dest', 'add-dest']);
    const again = await r.reconcile(desiredState(conf()));
    expect(again.ops).toEqual([]);
  });

  it('a destination changed or added behind our back is put right', async () => {
    const { client, r } = await setup();
    await r.reconcile(desiredState(conf()));
    const stray: IpvsOp[] = [
      { op: 'edit-dest', service: A, dest: { family: 'inet', address: '10.0.1.2', port: 80, forward: 'route', weight: 9, upperThreshold: 0, lowerThreshold: 0 } },
      { op: 'add-dest', service: A, dest: { family: 'inet', address: '10.0.1.99', port: 80, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
    ];
    expect(await client.apply(stray)).toEqual([]);
    const report = await r.reconcile(desiredState(conf()));
    expect(report.ops).toMatchObject([
      { op: 'edit-dest', dest: { address: '10.0.1.2', forward: 'masq', weight: 2 } },
      { op: 'del-dest', dest: { address: '10.0.1.99' } },
    ]);
    expect((await r.reconcile(desiredState(conf()))).ops).toEqual([]);
  });

  it('on reload deletes the services it managed and the configuration dropped, never foreign ones', async () => {
    const { client, k, r } = await setup();
    await client.apply([{ op: 'add-service', service: { key: FOREIGN, scheduler: 'rr', onePacket: false, schedFlags: [] } }]);
    await r.reconcile(desiredState(conf()));
    const report = await r.reconcile(desiredState(conf({ withB: false })));
    expect(report.ops).toEqual([{ op: 'del-service', key: { kind: 'fwmark', family: 'inet', fwmark: 7 } }]);
    expect(r.managed()).toEqual([A]);
    expect(k.snapshot().map((e) => e.service.key)).toEqual([FOREIGN, A]);
  });

  it('repairs a real server going down and coming back with the health function', async () => {
    const { k, r } = await setup();
    const m = conf();
    const health = (down: string[]) => (_vs: VirtualServer, rs: RealServer) => (down.includes(rs.address) ? 'down' : 'up') as 'up' | 'down';
    await r.reconcile(desiredState(m));
    const out = await r.reconcile(desiredState(m, { health: health(['10.0.1.3']) }));
    expect(out.ops).toMatchObject([{ op: 'del-dest', service: A, dest: { address: '10.0.1.3' } }]);
    const back = await r.reconcile(desiredState(m, { health: health([]) }));
    expect(back.ops).toMatchObject([{ op: 'add-dest', service: A, dest: { address: '10.0.1.3', weight: 1 } }]);
    expect(k.snapshot()[0]?.dests).toHaveLength(2);
  });

  it('reports each refused operation with the operation, and a dry run writes nothing', async () => {
    const { k, r } = await setup({ schedulers: ['rr'] });
    const dry = await r.reconcile(desiredState(conf({ scheduler: 'rr' })), { dryRun: true });
    expect(dry.applied).toBe(false);
    expect(k.snapshot()).toEqual([]);
    const report = await r.reconcile(desiredState(conf({ scheduler: 'rr' })));
    expect(report.applied).toBe(true);
    // the fwmark service needs wlc, which this kernel lacks: it and its destination are refused
    expect(report.failures.map((f) => [f.op.op, f.error.code])).toEqual([
      ['add-service', 'ENOENT'],
      ['add-dest', 'ESRCH'],
    ]);
    expect(report.failures[0]?.error.message).toMatch(/scheduler 'wlc' is not loaded/);
    expect(report.failures.map((f) => report.ops[f.index])).toEqual(report.failures.map((f) => f.op));
  });
});
