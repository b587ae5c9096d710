// Unit tests: a lone InstanceRuntime (fake ports, real timers) counts its state transitions and adverts, the VRRP families expose them and socket-level drops.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { createMetrics, NO_VRRP, parseExposition, select } from '../../src/metrics/index.js';
import type { Logger } from '../../src/daemon/log.js';
import { InstanceRuntime, type InstancePorts } from '../../src/vrrp/io/instance.js';
import { UnknownVridCounter } from '../../src/vrrp/io/socket-drops.js';

const F = '/etc/keepalived/keepalived.conf';
const TEXT = 'vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 0.1\n version 3\n virtual_ipaddress {\n  192.168.56.131/24\n }\n}\n';

describe('VRRP metrics from a running instance', () => {
  it('a lone backup becomes master: two transitions, adverts sent, state MASTER', async () => {
    const r = parseConfig(F, memoryFs({ [F]: TEXT }));
    const states: string[] = [];
    const ports: InstancePorts = {
      send: async () => undefined,
      addAddresses: async () => undefined,
      removeAddresses: async () => undefined,
      announce: () => undefined,
      transition: (_f, to) => void states.push(to.state),
      warn: () => undefined,
      now: () => performance.now(),
    };
    const rt = new InstanceRuntime(r.model!.vrrp.instances[0]!, '192.168.56.121', ports);
    rt.start();
    const vrrp = { status: () => [{ name: rt.config.name, state: rt.state.state, priority: rt.state.effectivePriority, counters: rt.counters }] };
    const m = createMetrics({ ipvs: { table: async () => ({ services: [] }) }, health: { status: () => [] }, vrrp, reconcile: { passes: {}, applied: {}, applyFailures: {} } }, { nodeDefaults: false });
    let e = parseExposition((await m.scrape()).body);
    expect(select(e, 'lvsd_vrrp_instance_state', { instance: 'VI_1', state: 'BACKUP' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_vrrp_state_transitions_total', { instance: 'VI_1' })[0]?.value).toBe(1);
    // Master_Down_Interval for advert_int 0.1, priority 100: 3 × 0.1 + skew, well under a second
    await new Promise((res) => setTimeout(res, 900));
    e = parseExposition((await m.scrape()).body);
    await rt.stop();
    expect(states.slice(0, 2)).toEqual(['BACKUP', 'MASTER']);
    expect(select(e, 'lvsd_vrrp_instance_state', { instance: 'VI_1', state: 'MASTER' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_vrrp_state_transitions_total', { instance: 'VI_1' })[0]?.value).toBe(2);
    expect(select(e, 'lvsd_vrrp_adverts_sent_total', { instance: 'VI_1' })[0]?.value).toBeGreaterThan(0);
    expect(rt.counters.transitions).toBe(3); // STOP on shutdown
  });

  it('no VRRP instances: no VRRP samples', async () => {
    const m = createMetrics({ ipvs: { table: async () => ({ services: [] }) }, health: { status: () => [] }, vrrp: NO_VRRP, reconcile: { passes: {}, applied: {}, applyFailures: {} } }, { nodeDefaults: false });
    const e = parseExposition((await m.scrape()).body);
    expect(e.samples.filter((s) => s.name.startsWith('lvsd_vrrp_'))).toEqual([]);
  });

  it('socket drops: malformed framing and unknown VRIDs per interface and family', async () => {
    const vrrp = { status: () => [], socketDrops: () => [{ interface: 'eth0', family: 'inet' as const, malformed: 3, unknownVrid: 7 }] };
    const m = createMetrics({ ipvs: { table: async () => ({ services: [] }) }, health: { status: () => [] }, vrrp, reconcile: { passes: {}, applied: {}, applyFailures: {} } }, { nodeDefaults: false });
    const e = parseExposition((await m.scrape()).body);
    expect(select(e, 'lvsd_vrrp_socket_packets_dropped_total', { interface: 'eth0', family: 'inet', reason: 'vrid' })[0]?.value).toBe(7);
    expect(select(e, 'lvsd_vrrp_socket_packets_dropped_total', { interface: 'eth0', family: 'inet', reason: 'malformed' })[0]?.value).toBe(3);
  });
});

describe('unknown VRIDs', () => {
  it('counts every packet per socket and logs each (interface, VRID) at most once per 10 s', () => {
    const lines: Record<string, unknown>[] = [];
    const log = { info: (f: Record<string, unknown>) => void lines.push(f) } as unknown as Logger;
    let t = 0;
    const c = new UnknownVridCounter(log, () => t);
    c.count('inet eth0', 99, '192.168.56.10');
    c.count('inet eth0', 99, '192.168.56.10');
    c.count('inet eth0', 98, '192.168.56.10');
    t = 10_001;
    c.count('inet eth0', 99, '192.168.56.10');
    expect(c.of('inet eth0')).toBe(4);
    expect(c.of('inet6 eth0')).toBe(0);
    expect(lines.map((l) => [l.vrid, l.dropped])).toEqual([[99, 1], [98, 3], [99, 4]]);
    expect(lines[0]).toMatchObject({ event: 'vrrp-unknown-vrid', interface: 'eth0', family: 'inet', source: '192.168.56.10' });
  });
});
