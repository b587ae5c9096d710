// Unit tests: a lone InstanceRuntime (fake ports, real timers) counts its state transitions and adverts, and the VRRP families expose them.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { createMetrics, NO_VRRP, parseExposition, select } from '../../src/metrics/index.js';
import { InstanceRuntime, type InstancePorts } from '../../src/vrrp/io/instance.js';

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
});
