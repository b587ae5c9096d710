// Lab test: examples/l2-dr-directors run as shipped on the guest kernel (only the interface name changes: the lab's
// hosts have eth0) — both VIPs answer and new clients alternate between the real servers while each client sticks
// (persistence_timeout 5), a stopped nginx leaves both directors' tables within the TCP_CHECK bound and returns when
// started, and a director losing its link hands its VIP to the other, which gives it back (preemption).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSources, L2_VIPS, l2Topology, removalBound } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { masterDownMs } from '../../bench/failover-lab.js';
import { example, fetchFrom, holds, inTable, lacks, LVSD, startLvsd, substitute, timed } from './example-support.js';

const [VIP1, VIP2] = L2_VIPS;
// the example's TCP_CHECK: delay_loop 6, connect_timeout 2, nb_get_retry 2, delay_before_retry 3
const BOUND_S = removalBound({ delayLoop: 6, connectTimeout: 2, retry: 2, delayBeforeRetry: 3 });
// persistence is per client address: set A for the first requests, set B for new clients once rs1 is back
const SOURCES = ['192.168.56.10', ...clientSources('192.168.56', 7)];
const [A, B] = [SOURCES.slice(0, 4), SOURCES.slice(4)];

/** l2Example is examples/l2-dr-directors/lvsN.conf with the one change the lab forces: its hosts' interface is eth0. */
const l2Example = (n: 1 | 2): string => substitute(example('l2-dr-directors', `lvs${n}.conf`), [['interface eth1', 'interface eth0']]);

describe('examples/l2-dr-directors on the guest kernel', () => {
  let lab: Lab;
  const daemons: Record<string, LabProcess> = {};

  beforeAll(async () => {
    lab = await startLab(l2Topology(2, SOURCES.length - 1));
    const conf = { lvs1: await lab.writeFile('lvs1.conf', l2Example(1)), lvs2: await lab.writeFile('lvs2.conf', l2Example(2)) };
    // the real servers take their VIPs from the directors' file, as the README says
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, `${LVSD} realserver up -f ${conf.lvs1}`, { check: true });
    for (const d of ['lvs1', 'lvs2'] as const) daemons[d] = await startLvsd(lab, d, conf[d]);
    await lab.waitFor('lvs1', holds(VIP1), { timeoutMs: 15_000 });
    await lab.waitFor('lvs2', holds(VIP2), { timeoutMs: 15_000 });
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('serves each VIP from its master; new clients alternate between rs1 and rs2 and each client sticks', async () => {
    expect((await lab.exec('lvs1', holds(VIP2))).code).not.toBe(0);
    expect((await lab.exec('lvs2', holds(VIP1))).code).not.toBe(0);
    for (const [d, vip, sched] of [['lvs1', VIP1, 'wrr'], ['lvs2', VIP2, 'rr']] as const) {
      const first = await fetchFrom(lab, vip, A);
      // wrr with equal weights and rr both hand successive new clients (persistence templates) to alternate servers
      expect(first.every((b) => b === 'rs1' || b === 'rs2'), first.join(' ')).toBe(true);
      for (let i = 1; i < first.length; i++) expect(first[i], `${vip} ${first.join(' ')}`).not.toBe(first[i - 1]);
      expect(await fetchFrom(lab, vip, A), 'persistence_timeout 5: each client stays').toEqual(first);
      const table = (await lab.exec(d, `ipvsadm -L -n -t ${vip}:80`, { check: true })).stdout;
      expect(table).toMatch(new RegExp(`TCP  ${vip.replace(/\./g, '\\.')}:80 ${sched} persistent 5`));
      expect(table).toMatch(/-> 192\.168\.56\.101:80\s+Route\s+1\s/);
      expect(table).toMatch(/-> 192\.168\.56\.102:80\s+Route\s+1\s/);
    }
  }, 60_000);

  it(`removes a stopped nginx from both directors' tables within ${BOUND_S} s and puts it back when it starts`, async () => {
    const gone = await timed(lab, 'lvs1', () => lab.stopNginx('rs1'), `! ${inTable(VIP1, '192.168.56.101')}`, (BOUND_S + 5) * 1000);
    await lab.waitFor('lvs2', `! ${inTable(VIP2, '192.168.56.101')}`, { timeoutMs: 10_000 });
    console.log(`L2 example: rs1 left lvs1's table ${gone.toFixed(1)} s after nginx stopped (bound ${BOUND_S} s)`);
    expect(gone).toBeLessThanOrEqual(BOUND_S + 3);
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"real-server-down".*"rs":"192\.168\.56\.101:80"/);
    // clients that stuck to rs1 are scheduled afresh: every one is answered by rs2
    for (const vip of L2_VIPS) expect(await fetchFrom(lab, vip, A)).toEqual(['rs2', 'rs2', 'rs2', 'rs2']);
    const back = await timed(lab, 'lvs1', () => lab.startNginx('rs1'), inTable(VIP1, '192.168.56.101'), 15_000);
    await lab.waitFor('lvs2', inTable(VIP2, '192.168.56.101'), { timeoutMs: 10_000 });
    console.log(`L2 example: rs1 back in lvs1's table ${back.toFixed(1)} s after nginx started (delay_loop 6)`);
    // new clients reach rs1 again (clients of set A stay on rs2 while their persistence templates live)
    for (const vip of L2_VIPS) expect(await fetchFrom(lab, vip, B)).toContain('rs1');
  }, 90_000);

  it('moves .131 to lvs2 when lvs1 loses its link, and back to lvs1 when the link returns (preemption)', async () => {
    const bound = masterDownMs(2, 80, 1) / 1000;
    const moved = await timed(lab, 'lvs2', () => lab.exec('lvs1', 'ip link set eth0 down', { check: true }), holds(VIP1), (bound + 5) * 1000);
    console.log(`L2 example: ${VIP1} held by lvs2 ${moved.toFixed(2)} s after lvs1's link went down (master_down_interval ${bound.toFixed(2)} s)`);
    // timed from before `ip link set` starts in the guest and polled: both cost up to ~1 s on a loaded machine (the
    // precise bound, master_down + 100 ms from the kernel's link-down, is test/lab/vrrp-l2.test.ts's)
    expect(moved).toBeLessThanOrEqual(bound + 3);
    expect((await fetchFrom(lab, VIP1, B)).every((b) => b === 'rs1' || b === 'rs2')).toBe(true);
    const returned = await timed(lab, 'lvs1', () => lab.exec('lvs1', 'ip link set eth0 up', { check: true }), holds(VIP1), 10_000);
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 5000 });
    console.log(`L2 example: ${VIP1} back on lvs1 ${returned.toFixed(2)} s after its link came back`);
    expect((await fetchFrom(lab, VIP1, B)).every((b) => b === 'rs1' || b === 'rs2')).toBe(true);
    expect(daemons.lvs2!.output().stdout).toMatch(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"MASTER","to":"BACKUP"/);
  }, 60_000);
});
