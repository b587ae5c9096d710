// Unit tests: `lvsd status` — the kernel table joined with health, overrides and VRRP, and its text rendering.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model } from '../../src/config/index.js';
import { makeOverride, resolveTarget } from '../../src/control/overrides.js';
import { statusSchema } from '../../src/control/protocol.js';
import { ago, buildStatus, renderStatus, type StatusInputs } from '../../src/control/status.js';
import type { RealServerStatus, VirtualServerStatus } from '../../src/health/events.js';
import type { Destination, Service, Table } from '../../src/ipvs/types.js';

const F = '/etc/keepalived/keepalived.conf';
const NOW = Date.parse('2026-11-22T07:00:00Z');

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  if (!r.model) throw new Error('no model');
  return r.model;
}

const rsBlock = (addr: string) => ` real_server ${addr} 80 {\n  weight 1\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n`;
const m = model(`virtual_server 192.168.56.131 80 {\n protocol TCP\n lb_algo wrr\n lb_kind DR\n${rsBlock('192.168.56.101')}${rsBlock('192.168.56.102')}}\n`);

const stats = (conns: number) => ({ conns: BigInt(conns), inPkts: 10n, outPkts: 0n, inBytes: 1000n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n });
const svc: Service = { key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 }, scheduler: 'wrr', onePacket: false, schedFlags: [], stats: stats(12) };
const dest = (address: string, weight: number, active: number, inactive: number): Destination => ({ family: 'inet', address, port: 80, forward: 'route', weight, upperThreshold: 0, lowerThreshold: 0, activeConns: active, inactiveConns: inactive, persistConns: 0, stats: stats(active + inactive) });

const rsHealth = (address: string, o: Partial<RealServerStatus> = {}): RealServerStatus => ({
  address,
  port: 80,
  weight: 1,
  inhibitOnFailure: false,
  state: 'up',
  since: NOW - 60_000,
  reason: 'success',
  lastCheckAt: NOW - 1500,
  latencyMs: 0.42,
  checks: [],
  ...o,
});
const health = (r2: Partial<RealServerStatus> = {}): VirtualServerStatus[] => [{ name: '[192.168.56.131]:tcp:80', quorumUp: true, aliveWeight: 2, realServers: [rsHealth('192.168.56.101'), rsHealth('192.168.56.102', r2)] }];

const inputs = (table: Table, o: Partial<StatusInputs> = {}): StatusInputs => ({ model: m, table, info: { version: 0x010201, connTableSize: 4096 }, health: health(), overrides: [], vrrp: [], now: NOW, ...o });
const t1 = resolveTarget(m, { vs: '192.168.56.131:80', protocol: 'tcp', rs: '192.168.56.101:80' });

describe('control status: the join', () => {
  it('carries each destination with its kernel counters, health and override', () => {
    const table: Table = { services: [{ service: svc, dests: [dest('192.168.56.102', 1, 3, 4), dest('192.168.56.101', 0, 1, 2)] }] };
    const r = buildStatus(inputs(table, { overrides: [makeOverride(t1, 'drain', new Date(NOW - 5000))] }));
    expect(statusSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(r.ipvs).toEqual({ version: '1.2.1', connTableSize: 4096 });
    const s = r.services[0]!;
    expect(s).toMatchObject({ listing: 'TCP  192.168.56.131:80 wrr', virtualServer: '[192.168.56.131]:tcp:80', inKernel: true, scheduler: 'wrr' });
    expect(s.stats?.conns).toBe('12');
    // ipvsadm's order: by address
    expect(s.destinations.map((d) => [d.address, d.weight, d.activeConns, d.inactiveConns, d.override?.mode ?? null])).toEqual([
      ['192.168.56.101', 0, 1, 2, 'drain'],
      ['192.168.56.102', 1, 3, 4, null],
    ]);
    expect(s.destinations[0]!.health).toEqual({ state: 'up', since: '2026-11-22T06:59:00.000Z', reason: 'success', lastCheckAt: '2026-11-22T06:59:58.500Z', latencyMs: 0.42, lastFailure: null });
    expect(r.overrides).toEqual([{ vs: 'tcp/inet/192.168.56.131/80', vsName: '[192.168.56.131]:tcp:80', rs: '192.168.56.101:80', family: 'inet', address: '192.168.56.101', port: 80, mode: 'drain', at: '2026-11-22T06:59:55.000Z', stale: false }]);
  });

  it('lists a disabled or failed real server that is not in the table', () => {
    const table: Table = { services: [{ service: svc, dests: [dest('192.168.56.102', 1, 0, 0)] }] };
    const r = buildStatus(inputs(table, { overrides: [makeOverride(t1, 'disable', new Date(NOW))] }));
    const d = r.services[0]!.destinations.find((x) => x.address === '192.168.56.101')!;
    expect(d).toMatchObject({ inKernel: false, weight: null, forward: null, configuredWeight: 1, override: { mode: 'disable' } });
  });

  it('marks a configured service the kernel lacks, and a kernel service the configuration does not name', () => {
    const other: Service = { ...svc, key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.9.9.9', port: 22 }, scheduler: 'rr' };
    const r = buildStatus(inputs({ services: [{ service: other, dests: [dest('10.9.9.10', 1, 0, 0)] }] }));
    expect(r.services.map((s) => [s.listing, s.inKernel, s.virtualServer])).toEqual([
      ['TCP  10.9.9.9:22 rr', true, null],
      ['TCP  192.168.56.131:80 wrr', false, '[192.168.56.131]:tcp:80'],
    ]);
    expect(r.services[0]!.destinations[0]).toMatchObject({ health: null, override: null, configuredWeight: null });
  });

  it('reports an override whose server left the configuration as stale', () => {
    const o = { ...makeOverride(t1, 'disable', new Date(NOW)), address: '192.168.56.109' };
    const r = buildStatus(inputs({ services: [] }, { overrides: [o] }));
    expect(r.overrides.map((x) => [x.rs, x.stale])).toEqual([['192.168.56.109:80', true]]);
  });

  it('includes the VRRP instance status objects as they are', () => {
    const vrrp = [{ name: 'VI_1', state: 'MASTER' as const, priority: 100, master: '192.168.56.121', counters: { sent: 5, sendErrors: 0, received: 0, dropped: {} } }];
    expect(buildStatus(inputs({ services: [] }, { vrrp })).vrrp).toEqual(vrrp);
  });
});

describe('control status: the text', () => {
  const table: Table = { services: [{ service: svc, dests: [dest('192.168.56.101', 0, 1, 2), dest('192.168.56.102', 1, 3, 4)] }] };

  it('extends the ipvsadm -Ln layout with health, latency, last failure and override columns', () => {
    const failure = { state: 'down' as const, reason: 'ECONNREFUSED', latencyMs: undefined, lastFailure: { reason: 'ECONNREFUSED', at: NOW - 12_000 } };
    const text = renderStatus(buildStatus(inputs(table, { health: health(failure), overrides: [makeOverride(t1, 'drain', new Date(NOW))] })));
    const lines = text.split('\n');
    expect(lines[0]).toBe('IP Virtual Server version 1.2.1 (size=4096)');
    expect(lines[1]).toBe('Prot LocalAddress:Port Scheduler Flags');
    expect(lines[2]).toMatch(/^ {2}-> RemoteAddress:Port {11}Forward Weight ActiveConn InActConn {2}Health Latency {2}Last failure {19}Override$/);
    expect(lines[3]).toBe('TCP  192.168.56.131:80 wrr');
    // the ipvsadm columns keep their widths: the row starts exactly as `ipvsadm -Ln` prints it
    expect(lines[4]).toMatch(/^ {2}-> 192\.168\.56\.101:80 {12}Route {3}0 {6}1 {10}2 {10}up {5}0\.42ms {3}- {30}drain$/);
    expect(lines[5]).toMatch(/^ {2}-> 192\.168\.56\.102:80 {12}Route {3}1 {6}3 {10}4 {10}down {3}- {8}ECONNREFUSED 12s ago {11}-$/);
    expect(text).toContain('\nOverrides\n  192.168.56.101:80            drain    of [192.168.56.131]:tcp:80, since 2026-11-22T07:00:00.000Z\n');
  });

  it('says when a configured real server is not in the table, and flags stale overrides', () => {
    const o = { ...makeOverride(t1, 'disable', new Date(NOW)), address: '192.168.56.109' };
    const text = renderStatus(buildStatus(inputs({ services: [{ service: svc, dests: [dest('192.168.56.102', 1, 0, 0)] }] }, { overrides: [o] })));
    expect(text).toMatch(/-> 192\.168\.56\.101:80 +- +- +- +- +up .* - \(not in table\)\n/);
    expect(text).toContain('STALE: the configuration no longer has this server');
  });

  it('appends the VRRP section', () => {
    const vrrp = [{ name: 'VI_1', state: 'BACKUP' as const, priority: 80, counters: { sent: 0, sendErrors: 0, received: 9, dropped: {} } }];
    const text = renderStatus(buildStatus(inputs(table, { vrrp })));
    expect(text).toMatch(/\nVRRP Instance +State +Prio +Master +Sent +Received +Dropped\nVI_1 +BACKUP +80 +- +0 +9 +0\n$/);
  });

  it('names a lost quorum, and prints IPv6 and firewall-mark services as ipvsadm does', () => {
    const m6 = model(`virtual_server fwmark 7 {\n real_server 2001:db8::101 0 {\n  weight 1\n }\n}\n`);
    const fwm: Service = { key: { kind: 'fwmark', family: 'inet6', fwmark: 7 }, scheduler: 'wlc', onePacket: false, schedFlags: [] };
    const d6: Destination = { family: 'inet6', address: '2001:db8::101', port: 0, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0, activeConns: 0, inactiveConns: 0 };
    const text = renderStatus(buildStatus({ ...inputs({ services: [{ service: fwm, dests: [d6] }] }), model: m6, health: [{ name: 'FWM 7', quorumUp: false, aliveWeight: 0, realServers: [] }] }));
    expect(text).toContain('\nFWM  7 IPv6 wlc\n  -> [2001:db8::101]:0            Route   1      0          0          -      -        -                              -\n');
    expect(text).toContain('\nQuorum lost: fwmark 7 (alive weight 0)\n');
  });

  it.each([
    { ms: 400, text: '0.4s' },
    { ms: 12_000, text: '12s' },
    { ms: 300_000, text: '5m' },
    { ms: 3 * 3600_000, text: '3h' },
    { ms: 3 * 86400_000, text: '3d' },
  ])('ago renders $ms ms as $text', ({ ms, text }) => {
    expect(ago(new Date(NOW - ms).toISOString(), NOW)).toBe(text);
  });
});
