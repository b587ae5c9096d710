// Unit tests: the desired table from a parsed configuration — services, destinations, health, inhibit, quorum, hysteresis, sorry server, overrides.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model, type RealServer, type VirtualServer } from '../../src/config/index.js';
import type { Destination, Table } from '../../src/ipvs/types.js';
import type { OverrideFn, OverrideMode } from '../../src/reconcile/desired.js';
import { desiredState, desiredTable, quorumUp, virtualServerId, type HealthFn } from '../../src/reconcile/index.js';

const F = '/etc/keepalived/keepalived.conf';

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!r.model) throw new Error('no model');
  return r.model;
}

/** down marks the real servers with these addresses down, every other one up. */
const down =
  (...addresses: string[]): HealthFn =>
  (_vs: VirtualServer, rs: RealServer) =>
    addresses.includes(rs.address) ? 'down' : 'up';

/** pool renders the first service's destinations as "address:weight", in table order. */
const pool = (t: Table): string[] => (t.services[0]?.dests ?? []).map((d: Destination) => `${d.address}:${d.weight}`);

const rsBlock = (addr: string, extra = ''): string => ` real_server ${addr} 80 {\n  weight 1\n${extra} }\n`;

describe('reconcile desired state: from the model', () => {
  it('turns a virtual server into its IPVS service and destinations', () => {
    const m = model(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n persistence_timeout 300\n persistence_granularity 255.255.255.0\n' +
        ' real_server 10.0.0.2 80 {\n  weight 3\n  uthreshold 100\n  lthreshold 10\n }\n real_server 10.0.0.3 80 {\n }\n}\n',
    );
    const t = desiredTable(m);
    expect(t.services).toHaveLength(1);
    expect(t.services[0]?.service).toEqual({ key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, scheduler: 'rr', persistence: { timeout: 300, netmask: 24 }, onePacket: false, schedFlags: [], pe: undefined });
    expect(t.services[0]?.dests).toEqual([
      { family: 'inet', address: '10.0.0.2', port: 80, forward: 'route', weight: 3, upperThreshold: 100, lowerThreshold: 10, tunnel: undefined },
      { family: 'inet', address: '10.0.0.3', port: 80, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: undefined },
    ]);
  });

  it('gives every service of a virtual_server_group the same destinations', () => {
    const m = model('virtual_server_group G {\n 10.0.0.1-3 80\n}\nvirtual_server group G {\n protocol TCP\n' + rsBlock('10.0.1.1') + '}\n');
    const t = desiredTable(m);
    expect(t.services.map((e) => (e.service.key.kind === 'addr' ? e.service.key.address : ''))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(t.services.map((e) => pool({ services: [e] }))).toEqual([['10.0.1.1:1'], ['10.0.1.1:1'], ['10.0.1.1:1']]);
  });

  it('keeps tunnel settings only for tunnelled destinations', () => {
    const m = model('virtual_server 10.0.0.1 80 {\n protocol TCP\n lvs_method TUN type gue port 6080 csum\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n  lvs_method NAT\n }\n}\n');
    expect(desiredTable(m).services[0]?.dests.map((d) => [d.forward, d.tunnel])).toEqual([
      ['tunnel', { type: 'gue', port: 6080, flags: ['csum'] }],
      ['masq', undefined],
    ]);
  });

  it('carries lvs_timeouts, and none without them', () => {
    expect(desiredState(model('global_defs {\n lvs_timeouts tcp 7200 udp 60\n}\n')).timeouts).toEqual({ tcp: 7200, udp: 60 });
    expect(desiredState(model('global_defs {\n router_id x\n}\n')).timeouts).toBeUndefined();
  });
});

describe('reconcile desired state: health', () => {
  const conf = (inhibit: boolean) => model(`virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 2\n${rsBlock('10.0.0.2')}${rsBlock('10.0.0.3', inhibit ? '  inhibit_on_failure\n' : '')}}\n`);

  it.each([
    { name: 'every real server is in when all are up', inhibit: false, health: down(), expected: ['10.0.0.2:1', '10.0.0.3:1'] },
    { name: 'a down real server is removed', inhibit: false, health: down('10.0.0.3'), expected: ['10.0.0.2:1'] },
    { name: 'a down real server with inhibit_on_failure stays at weight 0', inhibit: true, health: down('10.0.0.3'), expected: ['10.0.0.2:1', '10.0.0.3:0'] },
    { name: 'every real server is out when all are down', inhibit: false, health: down('10.0.0.2', '10.0.0.3'), expected: [] },
  ])('$name', ({ inhibit, health, expected }) => {
    expect(pool(desiredTable(conf(inhibit), health))).toEqual(expected);
  });

  it('without a sorry server, losing quorum keeps the live real servers', () => {
    const d = desiredState(conf(false), { health: down('10.0.0.3') });
    expect([...d.quorum.values()]).toEqual([false]);
    expect(pool(d.table)).toEqual(['10.0.0.2:1']);
  });
});

describe('reconcile desired state: quorum and sorry server', () => {
  const sorryConf = (opts: { inhibitSorry?: boolean; inhibitRs?: boolean; quorum?: number } = {}) =>
    model(
      `virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum ${opts.quorum ?? 2}\n sorry_server 10.0.0.9 80\n${opts.inhibitSorry ? ' sorry_server_inhibit\n' : ''}` +
        `${rsBlock('10.0.0.2', opts.inhibitRs ? '  inhibit_on_failure\n' : '')}${rsBlock('10.0.0.3', opts.inhibitRs ? '  inhibit_on_failure\n' : '')}}\n`,
    );

  it.each([
    { name: 'with quorum the sorry server is out', conf: sorryConf(), health: down(), expected: ['10.0.0.2:1', '10.0.0.3:1'] },
    { name: 'quorum not met puts the sorry server in and takes the live real servers out', conf: sorryConf(), health: down('10.0.0.3'), expected: ['10.0.0.9:1'] },
    { name: 'all real servers down puts the sorry server in', conf: sorryConf({ quorum: 1 }), health: down('10.0.0.2', '10.0.0.3'), expected: ['10.0.0.9:1'] },
    { name: 'with sorry_server_inhibit the idle sorry server stays at weight 0', conf: sorryConf({ inhibitSorry: true }), health: down(), expected: ['10.0.0.2:1', '10.0.0.3:1', '10.0.0.9:0'] },
    { name: 'with sorry_server_inhibit and no quorum the sorry server gets weight', conf: sorryConf({ inhibitSorry: true }), health: down('10.0.0.2'), expected: ['10.0.0.9:1'] },
    { name: 'live real servers with inhibit_on_failure drop to weight 0 while the sorry server serves', conf: sorryConf({ inhibitRs: true }), health: down('10.0.0.2'), expected: ['10.0.0.2:0', '10.0.0.3:0', '10.0.0.9:1'] },
  ])('$name', ({ conf, health, expected }) => {
    expect(pool(desiredTable(conf, health))).toEqual(expected);
  });

  it('reports each virtual server quorum state by a stable id', () => {
    const m = sorryConf();
    const d = desiredState(m, { health: down('10.0.0.3') });
    expect([...d.quorum]).toEqual([[virtualServerId(m.virtualServers[0]!), false]]);
    expect(virtualServerId(m.virtualServers[0]!)).toBe(virtualServerId(sorryConf({ inhibitSorry: true }).virtualServers[0]!));
  });

  it('applies hysteresis: quorum 3 hysteresis 1 is lost below 2 and regained only at 4', () => {
    const m = model(`virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 3\n hysteresis 1\n sorry_server 10.0.0.9 80\n${['2', '3', '4', '5'].map((n) => rsBlock(`10.0.0.${n}`)).join('')}}\n`);
    const steps: { downs: string[]; up: boolean }[] = [
      { downs: [], up: true },
      { downs: ['10.0.0.5'], up: true },
      { downs: ['10.0.0.4', '10.0.0.5'], up: true },
      { downs: ['10.0.0.3', '10.0.0.4', '10.0.0.5'], up: false },
      { downs: ['10.0.0.4', '10.0.0.5'], up: false },
      { downs: ['10.0.0.5'], up: false },
      { downs: [], up: true },
    ];
    let quorum: ReadonlyMap<string, boolean> | undefined;
    const seen: boolean[] = [];
    for (const s of steps) {
      const d = desiredState(m, { health: down(...s.downs), quorum });
      quorum = d.quorum;
      seen.push([...d.quorum.values()][0]!);
      expect(pool(d.table).includes('10.0.0.9:1')).toBe(!s.up);
    }
    expect(seen).toEqual(steps.map((s) => s.up));
  });

  it.each([
    { sum: 4, wasUp: undefined, up: true },
    { sum: 3, wasUp: undefined, up: false },
    { sum: 2, wasUp: true, up: true },
    { sum: 1, wasUp: true, up: false },
    { sum: 3, wasUp: false, up: false },
    { sum: 4, wasUp: false, up: true },
    { sum: 0, wasUp: true, up: false },
  ])('quorumUp(quorum 3, hysteresis 1, live $sum, was $wasUp) is $up', ({ sum, wasUp, up }) => {
    expect(quorumUp({ quorum: 3, hysteresis: 1 }, sum, wasUp)).toBe(up);
  });

  it('never holds quorum with no live weight, even with quorum 0', () => {
    expect(quorumUp({ quorum: 0, hysteresis: 0 }, 0, true)).toBe(false);
    expect(quorumUp({ quorum: 0, hysteresis: 0 }, 1, undefined)).toBe(true);
  });
});

describe('reconcile desired state: operator overrides', () => {
  const conf = (opts: { inhibit?: boolean; sorry?: boolean; quorum?: number } = {}) =>
    model(
      `virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum ${opts.quorum ?? 1}\n${opts.sorry ? ' sorry_server 10.0.0.9 80\n' : ''}` +
        `${rsBlock('10.0.0.2', opts.inhibit ? '  inhibit_on_failure\n' : '')}${rsBlock('10.0.0.3', opts.inhibit ? '  inhibit_on_failure\n' : '')}}\n`,
    );
  /** hold puts the real servers with these addresses under one override mode. */
  const hold =
    (mode: OverrideMode, ...addresses: string[]): OverrideFn =>
    (_vs, rs) =>
      addresses.includes(rs.address) ? mode : undefined;

  it.each([
    { name: 'no override leaves the pool to health', conf: conf(), health: down(), overrides: undefined, expected: ['10.0.0.2:1', '10.0.0.3:1'] },
    { name: 'a drained healthy server stays in the table at weight 0', conf: conf(), health: down(), overrides: hold('drain', '10.0.0.2'), expected: ['10.0.0.2:0', '10.0.0.3:1'] },
    { name: 'a disabled healthy server is removed', conf: conf(), health: down(), overrides: hold('disable', '10.0.0.2'), expected: ['10.0.0.3:1'] },
    { name: 'a drained server that fails its checks leaves as any failed one', conf: conf(), health: down('10.0.0.2'), overrides: hold('drain', '10.0.0.2'), expected: ['10.0.0.3:1'] },
    { name: 'a drained failed server with inhibit_on_failure stays at weight 0', conf: conf({ inhibit: true }), health: down('10.0.0.2'), overrides: hold('drain', '10.0.0.2'), expected: ['10.0.0.2:0', '10.0.0.3:1'] },
    { name: 'disable removes even an inhibit_on_failure server', conf: conf({ inhibit: true }), health: down('10.0.0.2'), overrides: hold('disable', '10.0.0.2'), expected: ['10.0.0.3:1'] },
    { name: 'every server drained keeps them all at weight 0', conf: conf(), health: down(), overrides: hold('drain', '10.0.0.2', '10.0.0.3'), expected: ['10.0.0.2:0', '10.0.0.3:0'] },
    { name: 'disabling every server empties the pool', conf: conf(), health: down(), overrides: hold('disable', '10.0.0.2', '10.0.0.3'), expected: [] },
  ])('$name', ({ conf, health, overrides, expected }) => {
    expect(pool(desiredState(conf, { health, overrides }).table)).toEqual(expected);
  });

  it('overrides do not change the quorum: it follows health checks only', () => {
    const m = conf({ sorry: true, quorum: 2 });
    const d = desiredState(m, { health: down(), overrides: hold('disable', '10.0.0.2', '10.0.0.3') });
    expect([...d.quorum.values()]).toEqual([true]);
    expect(pool(d.table)).toEqual([]);
  });

  it('without quorum the sorry server serves and a disabled server stays out', () => {
    const m = conf({ sorry: true, quorum: 2, inhibit: true });
    expect(pool(desiredState(m, { health: down('10.0.0.3'), overrides: hold('disable', '10.0.0.2') }).table)).toEqual(['10.0.0.3:0', '10.0.0.9:1']);
  });

  it('is pure: the same inputs give the same table, and the model is not changed', () => {
    const m = conf();
    const before = JSON.stringify(m);
    const a = desiredState(m, { overrides: hold('drain', '10.0.0.3') });
    const b = desiredState(m, { overrides: hold('drain', '10.0.0.3') });
    expect(a.table).toEqual(b.table);
    expect(JSON.stringify(m)).toBe(before);
  });
});
