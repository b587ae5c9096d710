// Lab test: layout L2 with `lvsd run` on both directors on the guest kernel — VRRP dual master serves both VIPs, a
// director's link going down moves its VIP to the other within master_down_interval + 100 ms as a 10 ms client
// prober sees it, the link coming back moves it back with preemption and leaves it with nopreempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, L2_VIPS, l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { l2VrrpConfig, masterDownMs, PROBER_JS, probeFigures } from '../../bench/failover-lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const [VIP1, VIP2] = L2_VIPS;
const ADVERT = 1;
const has = (vip: string) => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;
const lacks = (vip: string) => `! ${has(vip)}`;

describe('VRRP: lvsd on both L2 directors on the guest kernel', () => {
  let lab: Lab;
  let prober: string;
  const daemons: Record<string, LabProcess> = {};

  async function startDirectors(nopreempt: boolean): Promise<void> {
    for (const d of [1, 2] as const) {
      const conf = await lab.writeFile(`lvs${d}${nopreempt ? '-nopreempt' : ''}.conf`, l2VrrpConfig({ director: d, version: 2, advertInt: ADVERT, nopreempt, syncDaemon: true }));
      daemons[`lvs${d}`] = lab.spawn(`lvs${d}`, `exec ${LVSD} run -f ${conf}`);
      // with nopreempt whoever becomes Master first keeps the VIP: lvs1 must hold VI_1 before lvs2 starts (under load
      // lvs2 could otherwise reach its master-down timeout first, as it would with keepalived)
      if (nopreempt && d === 1) await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 30_000, intervalMs: 200 });
    }
    for (const d of ['lvs1', 'lvs2']) await daemons[d]!.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
  }

  /** failLink probes VIP1 from the client while lvs1's link goes down; returns the prober's figures for that moment. */
  async function failLink(): Promise<ReturnType<typeof probeFigures>> {
    const p = lab.spawn('client', `exec node ${prober} ${VIP1} 80 9000 10`);
    await p.waitForOutput(/probing/, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 700));
    const r = await lab.exec('lvs1', 'date +%s%3N; ip link set eth0 down', { check: true });
    const before = Number(r.stdout.trim());
    const done = await p.wait(30_000);
    // the failure's moment: when lvs1's kernel announced the link down (lvsd's link-down event, guest clock), else
    // just before the command (starting `ip` in the guest takes 0.1-0.3 s, which would count against the bound)
    const downs = [...daemons.lvs1!.output().stdout.matchAll(/"time":"([^"]+)","event":"link-down"/g)].map((m) => Date.parse(m[1]!)).filter((t) => t >= before);
    return probeFigures(done.stdout, downs[0] ?? before);
  }

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
    prober = await lab.writeFile('prober.cjs', PROBER_JS);
    await startDirectors(false);
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('serves both VIPs, each from its own master, with state changes logged per instance', async () => {
    await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 15_000, intervalMs: 200 });
    await lab.waitFor('lvs2', has(VIP2), { timeoutMs: 15_000, intervalMs: 200 });
    expect((await lab.exec('lvs1', has(VIP2))).code).not.toBe(0);
    expect((await lab.exec('lvs2', has(VIP1))).code).not.toBe(0);
    for (const vip of L2_VIPS) {
      const r = await lab.exec('client', `curl -s --max-time 2 http://${vip}/`);
      expect(r.stdout.trim()).toMatch(/^rs[12]$/);
    }
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"BACKUP","to":"MASTER"/);
    expect(daemons.lvs2!.output().stdout).toMatch(/"event":"vrrp-state","instance":"VI_2","vrid":52,"from":"BACKUP","to":"MASTER"/);
    // lvs_sync_daemon eth0 VI_1: the master sync daemon where VI_1 is Master, the backup one where it is Backup
    await lab.waitFor('lvs1', 'ipvsadm -L --daemon | grep -q "master sync daemon (mcast=eth0, syncid=51,"', { timeoutMs: 5000 });
    await lab.waitFor('lvs2', 'ipvsadm -L --daemon | grep -q "backup sync daemon (mcast=eth0, syncid=51,"', { timeoutMs: 5000 });
    expect((await lab.exec('lvs1', 'ipvsadm -L --daemon | grep -q backup')).code).not.toBe(0);
  }, 60_000);

  it('moves .131 to lvs2 within master_down_interval + 100 ms of lvs1 losing its link, and back when the link returns (preempt)', async () => {
    const bound = masterDownMs(2, 80, ADVERT) + 100;
    const f = await failLink();
    console.log(`lvsd v2 advert_int ${ADVERT}: link down -> VIP answers after ${f.recoveryMs} ms, longest gap ${f.gapMs} ms (bound ${bound} ms)`);
    expect(f.recoveryMs).toBeDefined();
    expect(f.recoveryMs!).toBeLessThanOrEqual(bound);
    expect(f.gapMs!).toBeLessThanOrEqual(bound);
    await lab.waitFor('lvs2', has(VIP1), { timeoutMs: 2000 });
    expect((await lab.exec('lvs1', has(VIP1))).code).not.toBe(0); // FAULT removed it
    await lab.exec('lvs1', 'ip link set eth0 up', { check: true });
    await lab.waitFor('lvs1', has(VIP1), { timeoutMs: masterDownMs(2, 100, ADVERT) + 5000, intervalMs: 200 });
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 3000, intervalMs: 200 });
    const r = await lab.exec('client', `curl -s --max-time 2 http://${VIP1}/`);
    expect(r.stdout.trim()).toMatch(/^rs[12]$/);
  }, 90_000);

  it('removes its VIPs on SIGTERM; with nopreempt the VIP stays on lvs2 after lvs1 returns', async () => {
    for (const d of ['lvs1', 'lvs2']) await daemons[d]!.stop({ graceMs: 10_000 });
    expect((await lab.exec('lvs1', has(VIP1))).code).not.toBe(0);
    expect((await lab.exec('lvs2', has(VIP2))).code).not.toBe(0);
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"vip-removed","instance":"VI_1"/);
    await startDirectors(true);
    await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 15_000, intervalMs: 200 });
    await failLink();
    await lab.waitFor('lvs2', has(VIP1), { timeoutMs: 2000 });
    await lab.exec('lvs1', 'ip link set eth0 up', { check: true });
    await new Promise((r) => setTimeout(r, masterDownMs(2, 100, ADVERT) + 2000));
    expect((await lab.exec('lvs2', has(VIP1))).code).toBe(0);
    expect((await lab.exec('lvs1', has(VIP1))).code).not.toBe(0);
  }, 120_000);
});
