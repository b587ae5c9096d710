// Lab test: examples/l3-three-tier run on the guest kernel — L2's directors (director1/2.conf) in front of an nginx
// tier (nginx-server1/2.conf: a VRRP dual master for the tier VIPs .111/.112, each host an L7 balancer over two
// applications). The lab changes only chk_nginx.sh's path (it cannot write /etc). Both VIPs answer and new clients
// alternate between the tier VIPs; a stopped nginx moves its tier VIP to the other tier host (the directors keep
// both real servers); with nginx stopped on both the directors remove the tier VIPs and put them back when nginx
// starts; a director losing its link hands its VIP over and takes it back (preemption).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSources, L2_VIPS, L3_TIER_VIPS, l3Topology, removalBound } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { masterDownMs } from '../../bench/failover-lab.js';
import { example, holds, inTable, lacks, LVSD, startLvsd, substitute, timed } from './example-support.js';

const LAYOUT = 'l3-three-tier';
const [VIP1, VIP2] = L2_VIPS;
const [TIER1, TIER2] = L3_TIER_VIPS;
// the directors' TCP_CHECK: delay_loop 6, connect_timeout 2, retry 2, delay_before_retry 3
const BOUND_S = removalBound({ delayLoop: 6, connectTimeout: 2, retry: 2, delayBeforeRetry: 3 });
// chk_nginx runs every 2 s (fall 1), then the tier backup (priority 102) waits master_down_interval
const TIER_MOVE_S = 2 + masterDownMs(2, 102, 1) / 1000;
// persistence_timeout 5 (and TIME_WAIT after it) keep a client on its tier VIP: a fresh set of sources per phase
const SOURCES = ['192.168.56.10', ...clientSources('192.168.56', 15)];
const [P1, P2, P3, P4] = [0, 4, 8, 12].map((i) => SOURCES.slice(i, i + 4)) as [string[], string[], string[], string[]];

/** balancers asks the VIP once from each source: `tier host/application` per request (X-Lab-Balancer and the body). */
async function balancers(lab: Lab, vip: string, sources: readonly string[]): Promise<string[]> {
  const one = `r=$(curl -s -i --max-time 10 --interface $s http://${vip}/ | tr -d '\\r'); echo "$(echo "$r" | sed -n 's/^X-Lab-Balancer: //p')/$(echo "$r" | tail -n 1)"`;
  const r = await lab.exec('client', `for s in ${sources.join(' ')}; do ${one}; done`, { timeoutMs: 30_000 + sources.length * 11_000 });
  return r.stdout.trim().split('\n');
}

describe('examples/l3-three-tier on the guest kernel', () => {
  let lab: Lab;
  const daemons: Record<string, LabProcess> = {};

  beforeAll(async () => {
    lab = await startLab(l3Topology(SOURCES.length - 1));
    const check = await lab.writeFile('chk_nginx.sh', example(LAYOUT, 'chk_nginx.sh'));
    await lab.exec(null, `chmod 755 ${check}`, { check: true });
    for (const [host, file] of [['server1', 'nginx-server1.conf'], ['server2', 'nginx-server2.conf']] as const) {
      // the tier hosts carry the directors' VIPs on lo (the README's command: the tier VIPs float, so --vip)
      await lab.exec(host, `${LVSD} realserver up --vip ${VIP1} --vip ${VIP2}`, { check: true });
      daemons[host] = await startLvsd(lab, host, await lab.writeFile(file, substitute(example(LAYOUT, file), [['/etc/keepalived/chk_nginx.sh', check]])));
    }
    for (const [host, file] of [['lvs1', 'director1.conf'], ['lvs2', 'director2.conf']] as const) {
      daemons[host] = await startLvsd(lab, host, await lab.writeFile(file, example(LAYOUT, file)));
    }
    await lab.waitFor('server1', holds(TIER1), { timeoutMs: 15_000 });
    await lab.waitFor('server2', holds(TIER2), { timeoutMs: 15_000 });
    await lab.waitFor('lvs1', holds(VIP1), { timeoutMs: 15_000 });
    await lab.waitFor('lvs2', holds(VIP2), { timeoutMs: 15_000 });
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('both VIPs answer; new clients alternate between the tier VIPs, and each tier host balances over the applications', async () => {
    for (const vip of L2_VIPS) {
      const got = await balancers(lab, vip, P1);
      expect(got).toHaveLength(4);
      expect(got.every((g) => /^server[12]\/app[12]$/.test(g)), got.join(' ')).toBe(true);
      const hosts = got.map((g) => g.split('/')[0]);
      for (let i = 1; i < hosts.length; i++) expect(hosts[i], `${vip}: ${got.join(' ')}`).not.toBe(hosts[i - 1]);
    }
    for (const d of ['lvs1', 'lvs2']) for (const vip of L2_VIPS) for (const rs of L3_TIER_VIPS) expect((await lab.exec(d, inTable(vip, rs))).code).toBe(0);
    expect((await lab.exec('lvs1', 'ipvsadm -L --timeout', { check: true })).stdout).toContain('900 120 300');
  }, 60_000);

  it('a stopped nginx moves its tier VIP to the other tier host; the directors keep both tier VIPs and clients are served', async () => {
    const moved = await timed(lab, 'server2', () => lab.stopNginx('server1'), holds(TIER1), (TIER_MOVE_S + 6) * 1000);
    await lab.waitFor('server1', lacks(TIER1), { timeoutMs: 5000 });
    console.log(`L3 example: nginx stopped on server1 -> ${TIER1} on server2 after ${moved.toFixed(1)} s (chk_nginx interval 2 + master_down ${TIER_MOVE_S.toFixed(1)} s)`);
    expect(daemons.server1!.output().stdout).toMatch(/"event":"vrrp-tracking","instance":"VI_11","weight":0/);
    // the tier VIP answers again from server2 before the directors' checks can give up on it (a brief removal, if a
    // check caught the gap three times, is undone within delay_loop)
    for (const rs of L3_TIER_VIPS) await lab.waitFor('lvs1', inTable(VIP1, rs), { timeoutMs: 10_000 });
    const got = await balancers(lab, VIP1, P2);
    expect(got.map((g) => g.split('/')[0])).toEqual(['server2', 'server2', 'server2', 'server2']);
  }, 60_000);

  it('with nginx down on the whole tier the directors remove both tier VIPs, and put them back when nginx starts', async () => {
    const gone = await timed(lab, 'lvs1', () => lab.stopNginx('server2'), `! ${inTable(VIP1, TIER1)} && ! ${inTable(VIP1, TIER2)}`, (BOUND_S + TIER_MOVE_S + 5) * 1000);
    await lab.waitFor('lvs2', `! ${inTable(VIP2, TIER1)} && ! ${inTable(VIP2, TIER2)}`, { timeoutMs: 10_000 });
    console.log(`L3 example: nginx stopped on both tier hosts -> both tier VIPs out of lvs1's table after ${gone.toFixed(1)} s (bound ${BOUND_S} s)`);
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"real-server-down".*"rs":"192\.168\.56\.111:80"/);
    // server2 alone healthy: it holds both tier VIPs (102 > 101 and 103 > 100), and the directors take them back
    const back = await timed(lab, 'lvs1', () => lab.startNginx('server2'), `${inTable(VIP1, TIER1)} && ${inTable(VIP1, TIER2)}`, (TIER_MOVE_S + 15) * 1000);
    console.log(`L3 example: nginx started on server2 -> both tier VIPs back in lvs1's table after ${back.toFixed(1)} s`);
    await lab.waitFor('server2', `${holds(TIER1)} && ${holds(TIER2)}`, { timeoutMs: 10_000 });
    expect((await balancers(lab, VIP2, P3)).map((g) => g.split('/')[0])).toEqual(['server2', 'server2', 'server2', 'server2']);
    // server1's nginx back: VI_11 returns to it (preemption), new clients alternate between the tier hosts again
    await lab.startNginx('server1');
    await lab.waitFor('server1', holds(TIER1), { timeoutMs: (TIER_MOVE_S + 6) * 1000 });
    await lab.waitFor('server2', lacks(TIER1), { timeoutMs: 5000 });
    const hosts = (await balancers(lab, VIP1, P4)).map((g) => g.split('/')[0]);
    expect(new Set(hosts), hosts.join(' ')).toEqual(new Set(['server1', 'server2']));
  }, 120_000);

  it('a director losing its link hands its VIP to the other, and takes it back when the link returns (preemption)', async () => {
    const bound = masterDownMs(2, 80, 1) / 1000;
    const moved = await timed(lab, 'lvs2', () => lab.exec('lvs1', 'ip link set eth0 down', { check: true }), holds(VIP1), (bound + 5) * 1000);
    console.log(`L3 example: lvs1's link down -> ${VIP1} on lvs2 after ${moved.toFixed(2)} s (master_down_interval ${bound.toFixed(2)} s)`);
    // timed from before `ip link set` starts in the guest and polled: both cost up to ~1 s on a loaded machine (the
    // precise bound, master_down + 100 ms from the kernel's link-down, is test/lab/vrrp-l2.test.ts's)
    expect(moved).toBeLessThanOrEqual(bound + 3);
    expect(await balancers(lab, VIP1, P4)).toEqual(Array(4).fill(expect.stringMatching(/^server[12]\/app[12]$/)));
    await lab.exec('lvs1', 'ip link set eth0 up', { check: true });
    await lab.waitFor('lvs1', holds(VIP1), { timeoutMs: 15_000 });
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 5000 });
    expect(await balancers(lab, VIP1, P4)).toEqual(Array(4).fill(expect.stringMatching(/^server[12]\/app[12]$/)));
  }, 60_000);
});
