// Unit tests: the exposition text of each series family, from fake ports — IPVS counters and rates, health, checks, VRRP, reconciler, Node.
import { describe, expect, it } from 'vitest';
import type { VirtualServerStatus } from '../../src/health/events.js';
import type { Destination, Service, Stats, Table } from '../../src/ipvs/types.js';
import { CheckMetrics, createMetrics, IPVS_FAMILY_NAMES, NO_VRRP, parseExposition, renderIpvs, select, total, type MetricsPorts, type ReconcileCountersPort, type VrrpStatusPort } from '../../src/metrics/index.js';
import { IpvsSnapshot } from '../../src/metrics/ipvs.js';
import type { InstanceStatus } from '../../src/vrrp/manager.js';

const stats = (n: number): Stats => ({
  conns: BigInt(n),
  inPkts: BigInt(n * 10),
  outPkts: 0n,
  inBytes: BigInt(n * 1000),
  outBytes: 0n,
  cps: BigInt(n + 1),
  inPps: BigInt(n + 2),
  outPps: 0n,
  inBps: BigInt(n + 3),
  outBps: 0n,
});
const svc = (key: Service['key'], n: number): Service => ({ key, scheduler: 'wrr', onePacket: false, schedFlags: [], stats: stats(n) });
const dest = (family: 'inet' | 'inet6', address: string, n: number, weight = 1): Destination => ({
  family,
  address,
  port: 80,
  forward: 'route',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: n,
  inactiveConns: n * 2,
  stats: stats(n),
});

function table(scale = 1): Table {
  return {
    services: [
      { service: svc({ kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 }, 7 * scale), dests: [dest('inet', '192.168.56.101', 3 * scale), dest('inet', '192.168.56.102', 4 * scale, 0)] },
      { service: svc({ kind: 'addr', family: 'inet6', protocol: 'udp', address: '2001:db8::131', port: 53 }, 1), dests: [dest('inet6', '2001:db8::101', 1)] },
      { service: svc({ kind: 'fwmark', family: 'inet', fwmark: 5 }, 2), dests: [dest('inet', '10.0.0.5', 2)] },
    ],
  };
}

const NO_HEALTH = { status: (): VirtualServerStatus[] => [] };
const NO_RECONCILE: ReconcileCountersPort = { passes: {}, applied: {}, applyFailures: {} };

function ports(over: Partial<MetricsPorts>): MetricsPorts {
  return { ipvs: { table: async () => table() }, health: NO_HEALTH, vrrp: NO_VRRP, reconcile: NO_RECONCILE, ...over };
}

async function scrape(p: MetricsPorts, checks?: CheckMetrics, nodeDefaults = false) {
  const m = createMetrics(p, { checks, nodeDefaults });
  const s = await m.scrape();
  return { text: s.body, contentType: s.contentType, e: parseExposition(s.body), m };
}

describe('metrics exposition', () => {
  it('IPVS real server counters, rates, connections and weight carry service, protocol and real_server labels', async () => {
    const { text, e, contentType } = await scrape(ports({}));
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE lvsd_ipvs_real_server_connections_total counter');
    expect(text).toContain('lvsd_ipvs_real_server_connections_total{service="192.168.56.131:80",protocol="tcp",real_server="192.168.56.101:80"} 3');
    expect(text).toContain('lvsd_ipvs_real_server_bytes_in_total{service="192.168.56.131:80",protocol="tcp",real_server="192.168.56.102:80"} 4000');
    expect(text).toContain('lvsd_ipvs_real_server_packets_in_total{service="[2001:db8::131]:53",protocol="udp",real_server="[2001:db8::101]:80"} 10');
    expect(text).toContain('lvsd_ipvs_real_server_connections_total{service="fwmark 5",protocol="fwmark",real_server="10.0.0.5:80"} 2');
    expect(e.types.get('lvsd_ipvs_real_server_connections_per_second')).toBe('gauge');
    expect(select(e, 'lvsd_ipvs_real_server_connections_per_second', { real_server: '192.168.56.101:80' })[0]?.value).toBe(4);
    expect(select(e, 'lvsd_ipvs_real_server_bytes_in_per_second', { real_server: '192.168.56.101:80' })[0]?.value).toBe(6);
    expect(select(e, 'lvsd_ipvs_real_server_active_connections', { real_server: '192.168.56.102:80' })[0]?.value).toBe(4);
    expect(select(e, 'lvsd_ipvs_real_server_inactive_connections', { real_server: '192.168.56.102:80' })[0]?.value).toBe(8);
    expect(select(e, 'lvsd_ipvs_real_server_weight', { real_server: '192.168.56.102:80' })[0]?.value).toBe(0);
    expect(select(e, 'lvsd_ipvs_real_server_weight', { real_server: '192.168.56.101:80' })[0]?.value).toBe(1);
    expect(total(e, 'lvsd_ipvs_service_connections_total', { service: '192.168.56.131:80', protocol: 'tcp' })).toBe(7);
    expect(select(e, 'lvsd_ipvs_up')[0]?.value).toBe(1);
  });

  it('each scrape reads the kernel anew: values are the kernel\'s, not accumulated, and vanished servers disappear', async () => {
    let scale = 1;
    let reads = 0;
    const m = createMetrics(ports({ ipvs: { table: async () => (reads++, scale === 0 ? { services: [] } : table(scale)) } }), { nodeDefaults: false });
    await m.scrape();
    scale = 10;
    let e = parseExposition((await m.scrape()).body);
    expect(total(e, 'lvsd_ipvs_real_server_connections_total', { real_server: '192.168.56.101:80' })).toBe(30);
    scale = 0;
    e = parseExposition((await m.scrape()).body);
    expect(select(e, 'lvsd_ipvs_real_server_connections_total')).toEqual([]);
    expect(reads).toBe(3);
  });

  it('a table read that fails gives lvsd_ipvs_up 0 and no IPVS samples, and the other families still render', async () => {
    const { e } = await scrape(ports({ ipvs: { table: async () => Promise.reject(new Error('EPERM')) }, reconcile: { passes: { start: 1 }, applied: {}, applyFailures: {} } }));
    expect(select(e, 'lvsd_ipvs_up')[0]?.value).toBe(0);
    expect(select(e, 'lvsd_ipvs_real_server_connections_total')).toEqual([]);
    expect(total(e, 'lvsd_reconcile_passes_total', { reason: 'start' })).toBe(1);
  });

  it('health state is 1 for an up real server and 0 for a down one; quorum per virtual server', async () => {
    const rs = (address: string, state: 'up' | 'down') => ({ address, port: 80, weight: 1, inhibitOnFailure: false, state, since: 0, reason: 'x', checks: [] });
    const health = { status: (): VirtualServerStatus[] => [{ name: '[192.168.56.131]:tcp:80', quorumUp: true, aliveWeight: 1, realServers: [rs('192.168.56.101', 'down'), rs('192.168.56.102', 'up')] }] };
    const { text, e } = await scrape(ports({ health }));
    expect(text).toContain('lvsd_health_real_server_up{virtual_server="[192.168.56.131]:tcp:80",real_server="192.168.56.101:80"} 0');
    expect(text).toContain('lvsd_health_real_server_up{virtual_server="[192.168.56.131]:tcp:80",real_server="192.168.56.102:80"} 1');
    expect(select(e, 'lvsd_health_virtual_server_quorum_up')[0]?.value).toBe(1);
  });

  it('check latency is a histogram in seconds by result, and checks are counted by result', async () => {
    const checks = new CheckMetrics();
    checks.observe('k', { ok: true, latencyMs: 0.8 });
    checks.observe('k', { ok: true, latencyMs: 3 });
    checks.observe('k', { ok: false, reason: 'timeout', latencyMs: 2000 });
    checks.observe('k', { ok: false, reason: 'EMFILE', latencyMs: 0, local: true });
    const { text, e } = await scrape(ports({}), checks);
    expect(e.types.get('lvsd_health_check_duration_seconds')).toBe('histogram');
    expect(text).toContain('lvsd_health_check_duration_seconds_bucket{le="0.001",result="success"} 1');
    expect(text).toContain('lvsd_health_check_duration_seconds_bucket{le="0.005",result="success"} 2');
    expect(text).toContain('lvsd_health_check_duration_seconds_bucket{le="1",result="failure"} 0');
    expect(text).toContain('lvsd_health_check_duration_seconds_bucket{le="2.5",result="failure"} 1');
    expect(select(e, 'lvsd_health_check_duration_seconds_sum', { result: 'success' })[0]?.value).toBeCloseTo(0.0038, 6);
    expect(total(e, 'lvsd_health_check_duration_seconds_count')).toBe(4);
    expect(text).toContain('lvsd_health_checks_total{result="success"} 2');
    expect(text).toContain('lvsd_health_checks_total{result="failure"} 1');
    expect(text).toContain('lvsd_health_checks_total{result="skipped"} 1');
  });

  it('VRRP: one state gauge per state label, priority, transitions, adverts sent and received, drops by reason', async () => {
    const rows: InstanceStatus[] = [
      { name: 'VI_1', state: 'MASTER', priority: 100, counters: { sent: 12, sendErrors: 1, received: 3, dropped: { checksum: 2, auth: 1 }, transitions: 2 } },
      { name: 'VI_2', state: 'BACKUP', priority: 80, counters: { sent: 0, sendErrors: 0, received: 40, dropped: {} } },
    ];
    const vrrp: VrrpStatusPort = { status: () => rows };
    const { text, e } = await scrape(ports({ vrrp }));
    expect(text).toContain('lvsd_vrrp_instance_state{instance="VI_1",state="MASTER"} 1');
    expect(text).toContain('lvsd_vrrp_instance_state{instance="VI_1",state="BACKUP"} 0');
    expect(text).toContain('lvsd_vrrp_instance_state{instance="VI_2",state="BACKUP"} 1');
    expect(total(e, 'lvsd_vrrp_instance_state', { instance: 'VI_2' })).toBe(1);
    expect(select(e, 'lvsd_vrrp_instance_state')).toHaveLength(8);
    expect(text).toContain('lvsd_vrrp_instance_priority{instance="VI_2"} 80');
    expect(text).toContain('# TYPE lvsd_vrrp_adverts_sent_total counter');
    expect(text).toContain('lvsd_vrrp_adverts_sent_total{instance="VI_1"} 12');
    expect(text).toContain('lvsd_vrrp_advert_send_errors_total{instance="VI_1"} 1');
    expect(text).toContain('lvsd_vrrp_adverts_received_total{instance="VI_2"} 40');
    expect(text).toContain('lvsd_vrrp_state_transitions_total{instance="VI_1"} 2');
    expect(text).toContain('lvsd_vrrp_state_transitions_total{instance="VI_2"} 0');
    expect(text).toContain('lvsd_vrrp_packets_dropped_total{instance="VI_1",reason="checksum"} 2');
    expect(text).toContain('lvsd_vrrp_packets_dropped_total{instance="VI_1",reason="auth"} 1');
    expect(select(e, 'lvsd_vrrp_packets_dropped_total', { instance: 'VI_2' })).toEqual([]);
  });

  it('reconciler: passes by reason, operations by reason and op, repairs from resync passes, apply failures', async () => {
    const reconcile: ReconcileCountersPort = {
      passes: { start: 1, health: 2, resync: 5, reload: 0 },
      applied: { start: { 'add-service': 1, 'add-dest': 2 }, health: { 'del-dest': 1, 'add-dest': 1 }, resync: { 'add-dest': 1, 'edit-dest': 2 } },
      applyFailures: { start: 0, resync: 1 },
    };
    const { text, e } = await scrape(ports({ reconcile }));
    expect(text).toContain('lvsd_reconcile_passes_total{reason="resync"} 5');
    expect(text).toContain('lvsd_reconcile_operations_total{reason="start",op="add-dest"} 2');
    expect(text).toContain('lvsd_reconcile_operations_total{reason="health",op="del-dest"} 1');
    expect(total(e, 'lvsd_reconcile_operations_total')).toBe(8);
    expect(text).toContain('lvsd_reconcile_repairs_total 3');
    expect(text).toContain('lvsd_reconcile_apply_failures_total{reason="resync"} 1');
  });

  it('Node defaults add event-loop delay and process series', async () => {
    const { e } = await scrape(ports({}), undefined, true);
    expect(select(e, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(select(e, 'nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
    expect(select(e, 'process_resident_memory_bytes').length + select(e, 'process_cpu_seconds_total').length).toBeGreaterThan(0);
    const without = await scrape(ports({}));
    expect(select(without.e, 'nodejs_eventloop_lag_seconds')).toEqual([]);
  });

  it('every series lvsd adds is prefixed lvsd_, and counters end in _total', async () => {
    const checks = new CheckMetrics();
    const { e } = await scrape(ports({}), checks);
    expect(e.types.size).toBeGreaterThan(20);
    for (const [name, type] of e.types) {
      expect(name).toMatch(/^lvsd_/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
  });

  it('the exposition reader rejects a line it cannot read', () => {
    expect(() => parseExposition('lvsd_x{a="1" 2')).toThrow(/line 1/);
    expect(() => parseExposition('lvsd_x two')).toThrow(/not a number/);
    expect(parseExposition('a_b{x="q\\"r"} 1.5\n').samples).toEqual([{ name: 'a_b', labels: { x: 'q"r' }, value: 1.5 }]);
  });
});

describe('IPVS rendering of a large table', () => {
  const st: Stats = stats(5);
  const big = (): Table => ({
    services: Array.from({ length: 2000 }, (_, i) => ({
      service: svc({ kind: 'addr', family: 'inet', protocol: 'tcp', address: `10.${i >> 8}.${i & 255}.1`, port: 80 }, 1),
      dests: Array.from({ length: 10 }, (_, j) => ({ ...dest('inet', `172.16.${j}.${i & 255}`, 1), stats: st })),
    })),
  });

  it('yields to the event loop between families, and a timer still runs during a 2,000 x 10 scrape', async () => {
    const snapshot = new IpvsSnapshot({ table: async () => big() });
    await snapshot.refresh();
    let pauses = 0;
    const text = await renderIpvs(snapshot, async () => {
      pauses++;
      await new Promise((r) => setImmediate(r));
    });
    // one before each family after lvsd_ipvs_up, and one per 4,000 real servers prepared
    expect(pauses).toBe(IPVS_FAMILY_NAMES.length - 1 + 20_000 / 4000);
    const e = parseExposition(text);
    expect(select(e, 'lvsd_ipvs_real_server_connections_total')).toHaveLength(20_000);
    expect(select(e, 'lvsd_ipvs_service_connections_total')).toHaveLength(2000);
    // a 5 ms timer keeps firing while the default scrape runs: the loop is never held for the whole scrape
    const m = createMetrics(ports({ ipvs: { table: async () => big() } }), { nodeDefaults: false });
    let ticks = 0;
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    const s = await m.scrape();
    const ms = performance.now() - t0;
    clearInterval(timer);
    console.log(`2,000 services x 10 real servers: scrape ${ms.toFixed(0)} ms, ${(s.body.length / 1e6).toFixed(1)} MB, ${ticks} timer ticks, longest gap ${longest.toFixed(0)} ms`);
    expect(ticks).toBeGreaterThan(5);
    // without the pauses the loop would be held for about the whole scrape
    expect(longest).toBeLessThan(ms / 2);
  }, 60_000);
});
