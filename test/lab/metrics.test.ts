// Lab test: `lvsd run --metrics-address` on an L2 director with one VRRP instance on the guest kernel — requests through the
// VIP show in the IPVS counters (equal to what ipvsadm reads), health, check latency, VRRP, reconciler and event-loop series
// are exposed, a stopped nginx turns its health to 0 and grows the reconciler counter, and the endpoint stays on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, drVirtualServer, L2_VIPS, l2Topology, removalBound } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { parseExposition, select, total, type Exposition } from '../../src/metrics/exposition.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const VIP = '192.168.56.131';
const SERVICE = { service: `${VIP}:80`, protocol: 'tcp' };
const T = { delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };
const N = 20;

const CONFIG = `global_defs {
    router_id lvs1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        ${VIP}/24 dev eth0
    }
}
${drVirtualServer(VIP, 'rr', [{ address: '192.168.56.101', weight: 1 }, { address: '192.168.56.102', weight: 1 }], T)}`;

async function scrape(lab: Lab, lvsd: LabProcess): Promise<Exposition> {
  const r = await lab.exec('lvs1', 'curl -sf --max-time 5 http://127.0.0.1:9469/metrics', { timeoutMs: 20_000 });
  // a failed scrape shows what lvsd said last
  if (r.code !== 0) throw new Error(`scrape failed (curl exit ${r.code}); lvsd's last output:\n${lvsd.output().stdout.slice(-3000)}\n${lvsd.output().stderr.slice(-3000)}`);
  return parseExposition(r.stdout);
}

const value = (e: Exposition, name: string, match: Record<string, string>): number | undefined => {
  const s = select(e, name, match);
  return s.length === 1 ? s[0]!.value : undefined;
};

describe('lvsd metrics on an L2 director on the guest kernel', () => {
  let lab: Lab;
  let lvsd: LabProcess;
  let conf: string;

  beforeAll(async () => {
    lab = await startLab(l2Topology(1));
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
    conf = await lab.writeFile('lvsd-metrics.conf', CONFIG);
    lvsd = lab.spawn('lvs1', `exec ${LVSD} run -f ${conf} --resync-interval 2 --metrics-address 127.0.0.1:9469`);
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    // alone on the LAN, VI_1 is Master and carries the VIP
    await lab.waitFor('lvs1', `ip -o -4 addr show dev eth0 | grep -q ' ${VIP}/'`, { timeoutMs: 15_000, intervalMs: 200 });
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('exposes IPVS counters equal to the kernel\'s, health, check latency, VRRP Master, reconciler and event-loop series', async () => {
    const r = await lab.exec('client', `ok=0; for i in $(seq ${N}); do curl -sf --max-time 2 http://${VIP}/ >/dev/null && ok=$((ok+1)); done; echo $ok`, { timeoutMs: 90_000 });
    expect(Number(r.stdout.trim())).toBe(N);
    // the kernel folds its per-CPU counters into the totals it reports every 2 s (IPVS estimator): poll up to 6 s
    const conns = (x: Exposition, rs: string) => value(x, 'lvsd_ipvs_real_server_connections_total', { ...SERVICE, real_server: `${rs}:80` }) ?? 0;
    let e = await scrape(lab, lvsd);
    for (const until = Date.now() + 6000; conns(e, '192.168.56.101') + conns(e, '192.168.56.102') < N && Date.now() < until; ) {
      await new Promise((res) => setTimeout(res, 500));
      e = await scrape(lab, lvsd);
    }
    expect(conns(e, '192.168.56.101') + conns(e, '192.168.56.102')).toBeGreaterThanOrEqual(N);
    // one more estimator period with no traffic, so that lvsd's scrape and ipvsadm read the same settled totals
    await new Promise((res) => setTimeout(res, 2500));
    e = await scrape(lab, lvsd);
    const kernel = await lab.exec('lvs1', `ipvsadm -L -n --stats --exact -t ${VIP}:80`, { check: true });
    for (const rs of ['192.168.56.101', '192.168.56.102']) {
      // ipvsadm --stats: "-> RIP:Port  Conns InPkts OutPkts InBytes OutBytes"
      const row = new RegExp(`->\\s+${rs.replace(/\./g, '\\.')}:80\\s+(\\d+)\\s+(\\d+)\\s+\\d+\\s+(\\d+)`).exec(kernel.stdout);
      expect(row, kernel.stdout).not.toBeNull();
      expect(conns(e, rs)).toBe(Number(row![1]));
      expect(value(e, 'lvsd_ipvs_real_server_packets_in_total', { ...SERVICE, real_server: `${rs}:80` })).toBe(Number(row![2]));
      expect(value(e, 'lvsd_ipvs_real_server_bytes_in_total', { ...SERVICE, real_server: `${rs}:80` })).toBe(Number(row![3]));
      expect(value(e, 'lvsd_ipvs_real_server_weight', { ...SERVICE, real_server: `${rs}:80` })).toBe(1);
    }
    expect(value(e, 'lvsd_ipvs_service_connections_total', SERVICE)).toBeGreaterThanOrEqual(N);
    expect(value(e, 'lvsd_ipvs_up', {})).toBe(1);
    expect(select(e, 'lvsd_health_real_server_up').map((s) => `${s.labels.real_server}=${s.value}`).sort()).toEqual(['192.168.56.101:80=1', '192.168.56.102:80=1']);
    expect(total(e, 'lvsd_health_check_duration_seconds_count')).toBeGreaterThan(0);
    expect(value(e, 'lvsd_health_checks_total', { result: 'success' })).toBeGreaterThan(0);
    expect(value(e, 'lvsd_vrrp_instance_state', { instance: 'VI_1', state: 'MASTER' })).toBe(1);
    expect(total(e, 'lvsd_vrrp_instance_state', { instance: 'VI_1' })).toBe(1);
    expect(value(e, 'lvsd_vrrp_adverts_sent_total', { instance: 'VI_1' })).toBeGreaterThan(0);
    expect(value(e, 'lvsd_vrrp_state_transitions_total', { instance: 'VI_1' })).toBeGreaterThanOrEqual(1);
    // the start pass: add-service and two add-dest
    expect(total(e, 'lvsd_reconcile_operations_total', { reason: 'start' })).toBeGreaterThanOrEqual(3);
    expect(value(e, 'lvsd_reconcile_passes_total', { reason: 'start' })).toBe(1);
    expect(select(e, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(select(e, 'nodejs_eventloop_lag_seconds')[0]!.value).toBeGreaterThanOrEqual(0);
    expect(select(e, 'process_start_time_seconds')).toHaveLength(1);
    // a figure: what one scrape costs in the guest (table read over netlink, every family rendered)
    const times = await lab.exec('lvs1', 'for i in 1 2 3 4 5; do curl -sf -o /dev/null -w "%{time_total} %{size_download}\\n" http://127.0.0.1:9469/metrics; done', { check: true });
    const runs = times.stdout.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]);
    expect(runs).toHaveLength(5);
    const median = runs.map((x) => x[0]).sort((a, b) => a - b)[2]!;
    console.log(`metrics scrape in the guest: median ${(median * 1000).toFixed(1)} ms over 5, ${runs[0]![1]} bytes`);
    expect(median).toBeLessThan(2);
  }, 120_000);

  it('a stopped nginx reads health 0 after the removal bound, and the reconciler counter grew', async () => {
    const before = await scrape(lab, lvsd);
    const opsBefore = total(before, 'lvsd_reconcile_operations_total');
    const failuresBefore = value(before, 'lvsd_health_checks_total', { result: 'failure' }) ?? 0;
    await lab.stopNginx('rs1');
    await new Promise((r) => setTimeout(r, (removalBound(T) + 1.5) * 1000));
    const e = await scrape(lab, lvsd);
    expect(value(e, 'lvsd_health_real_server_up', { real_server: '192.168.56.101:80' })).toBe(0);
    expect(value(e, 'lvsd_health_real_server_up', { real_server: '192.168.56.102:80' })).toBe(1);
    expect(total(e, 'lvsd_reconcile_operations_total')).toBeGreaterThan(opsBefore);
    expect(value(e, 'lvsd_reconcile_operations_total', { reason: 'health', op: 'del-dest' })).toBe(1);
    expect(value(e, 'lvsd_health_checks_total', { result: 'failure' })).toBeGreaterThan(failuresBefore);
    // the kernel no longer lists it, so neither do the IPVS series
    expect(value(e, 'lvsd_ipvs_real_server_weight', { ...SERVICE, real_server: '192.168.56.101:80' })).toBeUndefined();
    expect(value(e, 'lvsd_ipvs_real_server_weight', { ...SERVICE, real_server: '192.168.56.102:80' })).toBe(1);
  }, 60_000);

  it('listens on loopback only: the client cannot reach it', async () => {
    const listening = await lab.exec('lvs1', 'ss -Hltn', { check: true });
    expect(listening.stdout).toMatch(/127\.0\.0\.1:9469\s/);
    expect(listening.stdout).not.toMatch(/(0\.0\.0\.0|\*|192\.168\.56\.\d+):9469\s/);
    const r = await lab.exec('client', 'curl -s --max-time 3 http://192.168.56.121:9469/metrics');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    // the director itself is reachable from the client: it is the port that is closed, not the host
    expect((await lab.exec('client', 'ping -c 1 -W 2 192.168.56.121')).code).toBe(0);
  }, 30_000);

  it('a second lvsd whose metrics address is taken exits 1 with METRICS_LISTEN before touching the table', async () => {
    const before = await lab.exec('lvs1', 'ipvsadm -S -n', { check: true });
    const second = lab.spawn('lvs1', `exec ${LVSD} run -f ${conf} --control-socket /run/lvsd/second.sock --state-file /run/lvsd/second.json --metrics-address 127.0.0.1:9469`);
    const r = await second.wait(30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot serve metrics on 127.0.0.1:9469: EADDRINUSE; choose another --metrics-address, or off [METRICS_LISTEN]');
    expect(r.stdout).not.toMatch(/"event":"applied"/);
    expect((await lab.exec('lvs1', 'ipvsadm -S -n', { check: true })).stdout).toBe(before.stdout);
    // the first one still serves
    expect(value(await scrape(lab, lvsd), 'lvsd_ipvs_up', {})).toBe(1);
  }, 60_000);

  it('stops on SIGTERM with exit status 0', async () => {
    const r = await lvsd.stop({ signal: 'TERM', graceMs: 10_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"event":"metrics-listening","address":"127\.0\.0\.1:9469"/);
  }, 30_000);
});
