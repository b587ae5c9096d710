// Unit tests: the metrics over a real Director (fake kernel, manual clock, fake probe) — check latency through onCheckEnd, health state, reconciler counters.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig } from '../../src/config/index.js';
import { Director } from '../../src/daemon/director.js';
import { ManualClock, type Probe } from '../../src/health/index.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { FakeIpvsKernel } from '../../src/ipvs/fake-kernel.js';
import { CheckMetrics, createMetrics, NO_VRRP, parseExposition, select, total } from '../../src/metrics/index.js';

const rs = (a: string) => `    real_server ${a} 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 2
            retry 1
            delay_before_retry 1
        }
    }`;
const CONF = `virtual_server 192.168.56.131 80 {
    delay_loop 5
    lb_algo wrr
    lb_kind DR
    protocol TCP
${rs('192.168.56.101')}
${rs('192.168.56.102')}
}
`;

async function world() {
  const r = parseConfig('/etc/lvsd.conf', memoryFs({ '/etc/lvsd.conf': CONF }));
  if (!r.model) throw new Error('no model');
  const client = await IpvsClient.open(new FakeIpvsKernel());
  const clock = new ManualClock(0);
  const down = new Set<string>();
  const probe: Probe = async (t) => (down.has(t.connectIp) ? { ok: false, reason: 'ECONNREFUSED', latencyMs: 3 } : { ok: true, latencyMs: 1.5 });
  const checks = new CheckMetrics();
  const log = pino({ level: 'silent' });
  const director = new Director(r.model, client, log, { resyncMs: 3_600_000, keepOnExit: true, health: { clock, probe, random: () => 0, scripts: false, onCheckEnd: checks.observe } });
  const metrics = createMetrics({ ipvs: client, health: director, vrrp: NO_VRRP, reconcile: director }, { checks, nodeDefaults: false });
  const scrape = async () => parseExposition((await metrics.scrape()).body);
  return { director, clock, down, scrape, client };
}

describe('metrics over the director', () => {
  it('the start pass counts its operations; checks feed the latency histogram; a failed server reads 0 and its removal is counted', async () => {
    const w = await world();
    await w.director.start();
    let e = await w.scrape();
    expect(total(e, 'lvsd_reconcile_passes_total', { reason: 'start' })).toBe(1);
    expect(select(e, 'lvsd_reconcile_operations_total', { reason: 'start', op: 'add-service' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_reconcile_operations_total', { reason: 'start', op: 'add-dest' })[0]?.value).toBe(2);
    expect(total(e, 'lvsd_ipvs_real_server_weight')).toBe(2);
    expect(total(e, 'lvsd_health_real_server_up')).toBe(2);

    await w.clock.advance(100);
    e = await w.scrape();
    // one attempt per real server at warmup 0, 1.5 ms each
    expect(total(e, 'lvsd_health_check_duration_seconds_count', { result: 'success' })).toBe(2);
    expect(total(e, 'lvsd_health_check_duration_seconds_sum', { result: 'success' })).toBeCloseTo(0.003, 6);
    expect(select(e, 'lvsd_health_checks_total', { result: 'success' })[0]?.value).toBe(2);

    w.down.add('192.168.56.101');
    // next check at 5 s fails, the retry 1 s later fails: down
    await w.clock.advance(7_000);
    await w.director.idle();
    e = await w.scrape();
    expect(select(e, 'lvsd_health_real_server_up', { real_server: '192.168.56.101:80' })[0]?.value).toBe(0);
    expect(select(e, 'lvsd_health_real_server_up', { real_server: '192.168.56.102:80' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_health_checks_total', { result: 'failure' })[0]?.value).toBe(2);
    expect(select(e, 'lvsd_reconcile_operations_total', { reason: 'health', op: 'del-dest' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_ipvs_real_server_weight', { real_server: '192.168.56.101:80' })).toEqual([]);
    expect(total(e, 'lvsd_reconcile_apply_failures_total')).toBe(0);
    await w.director.stop();
  });

  it('a resync that puts back a deleted real server is a repair', async () => {
    const w = await world();
    await w.director.start();
    await w.client.apply([{ op: 'del-dest', service: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.168.56.131', port: 80 }, dest: { family: 'inet', address: '192.168.56.102', port: 80 } }]);
    let e = await w.scrape();
    expect(select(e, 'lvsd_reconcile_repairs_total')[0]?.value).toBe(0);
    w.director.schedule('resync');
    await w.director.idle();
    e = await w.scrape();
    expect(select(e, 'lvsd_reconcile_repairs_total')[0]?.value).toBe(1);
    expect(select(e, 'lvsd_reconcile_operations_total', { reason: 'resync', op: 'add-dest' })[0]?.value).toBe(1);
    expect(select(e, 'lvsd_reconcile_passes_total', { reason: 'resync' })[0]?.value).toBe(1);
    await w.director.stop();
  });
});
