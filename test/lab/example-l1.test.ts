// Lab test: examples/l1-nginx-pair run on the guest kernel — two nginx layer-7 balancers (an upstream of two web
// servers each) share VIP .100 by VRRP. The lab changes only what it must: the interface (ens33 → eth0), the
// scripts' paths (the lab cannot write /etc) and, in check_nginx.sh, how nginx is started on a lab host. The VIP
// answers and the upstream alternates; a stopped nginx is restarted by chk_nginx and the VIP stays; an nginx that
// cannot start (broken configuration) gives the VIP up and takes it back once fixed; a master losing its link
// hands the VIP over, measured by a 10 ms prober, and takes it back (preemption).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L1_VIP, l1Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { nginxConfig, nginxStartCommand } from '../../src/lab/nginx.js';
import { masterDownMs, PROBER_JS, probeFigures } from '../../bench/failover-lab.js';
import { example, holds, lacks, startLvsd, substitute } from './example-support.js';

const LAYOUT = 'l1-nginx-pair';
const nginxConf = (lab: Lab, host: string): string => `${lab.dir}/nginx/${host}.conf`;
// chk_nginx: interval 2, fall 2 — two failed runs, then the backup's master_down_interval
const GIVE_UP_S = 2 * 2 + masterDownMs(2, 80, 1) / 1000;

/** answer is one request to the VIP: the balancer that took it (X-Lab-Balancer) and the web server that answered. */
async function answers(lab: Lab, n: number): Promise<{ balancer: string; body: string }[]> {
  const r = await lab.exec('client', `for i in $(seq ${n}); do curl -s -i --max-time 10 http://${L1_VIP}/ | tr -d '\\r' | grep -E '^(X-Lab-Balancer: |web)' | tr '\\n' ' '; echo; done`, { timeoutMs: 30_000 + n * 11_000 });
  return r.stdout.trim().split('\n').map((l) => ({ balancer: /X-Lab-Balancer: (\S+)/.exec(l)?.[1] ?? 'none', body: /(web\d)/.exec(l)?.[1] ?? 'none' }));
}

describe('examples/l1-nginx-pair on the guest kernel', () => {
  let lab: Lab;
  const daemons: Record<string, LabProcess> = {};

  beforeAll(async () => {
    lab = await startLab(l1Topology());
    const notify = await lab.writeFile('notify.sh', example(LAYOUT, 'notify.sh'));
    for (const [host, file] of [['nginx1', 'master.conf'], ['nginx2', 'backup.conf']] as const) {
      // the lab's nginx runs from its own configuration and state folder, not systemd's
      const check = await lab.writeFile(`check_nginx-${host}.sh`, substitute(example(LAYOUT, 'check_nginx.sh'), [['nginx -t -q && systemctl restart nginx', nginxStartCommand(host, nginxConf(lab, host))]]));
      await lab.exec(null, `chmod 755 ${check} ${notify}`, { check: true });
      const conf = substitute(example(LAYOUT, file), [
        ['ens33', 'eth0'],
        ['/etc/keepalived/check_nginx.sh', check],
        ['/etc/keepalived/notify.sh', notify],
      ]);
      daemons[host] = await startLvsd(lab, host, await lab.writeFile(file, conf));
    }
    await lab.waitFor('nginx1', holds(L1_VIP), { timeoutMs: 15_000 });
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('the VIP answers through the master balancer, whose upstream spreads requests over web1 and web2; notify ran', async () => {
    const got = await answers(lab, 8);
    expect(got.map((a) => a.balancer)).toEqual(Array(8).fill('nginx1'));
    expect(got.every((a) => a.body === 'web1' || a.body === 'web2')).toBe(true);
    // round robin over the upstream; chk_nginx's own request (every 2 s) takes a turn too, so the client's requests
    // do not strictly alternate, but both web servers answer them
    const bodies = got.map((a) => a.body);
    expect(new Set(bodies), bodies.join(' ')).toEqual(new Set(['web1', 'web2']));
    expect((await lab.exec('nginx2', holds(L1_VIP))).code).not.toBe(0);
    // the label the example gives the VIP (ens33:1 there, eth0:1 in the lab)
    expect((await lab.exec('nginx1', 'ip -o addr show dev eth0', { check: true })).stdout).toMatch(new RegExp(`inet ${L1_VIP}/24 .*eth0:1`));
    await lab.waitFor('nginx1', 'grep -qx master /run/keepalived-VI_1.state', { timeoutMs: 5000 });
    await lab.waitFor('nginx2', 'grep -qx backup /run/keepalived-VI_1.state', { timeoutMs: 5000 });
  }, 60_000);

  it('a stopped nginx is started again by chk_nginx and the VIP stays', async () => {
    const seen = daemons.nginx1!.output().stdout.length;
    await lab.stopNginx('nginx1');
    await lab.waitFor('nginx1', 'curl -s -o /dev/null --max-time 1 http://127.0.0.1/', { timeoutMs: 10_000, intervalMs: 200 });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await lab.exec('nginx1', holds(L1_VIP))).code).toBe(0);
    expect(daemons.nginx1!.output().stdout.slice(seen)).not.toMatch(/"event":"vrrp-state"/);
    expect((await answers(lab, 2)).map((a) => a.balancer)).toEqual(['nginx1', 'nginx1']);
  }, 60_000);

  it('an nginx that cannot start (broken configuration) gives the VIP to the backup, and takes it back once fixed', async () => {
    const h = lab.host('nginx1');
    await lab.writeFile(`nginx/nginx1.conf`, 'this is not an nginx configuration;\n');
    const t0 = Date.now();
    await lab.stopNginx('nginx1');
    await lab.waitFor('nginx2', holds(L1_VIP), { timeoutMs: (GIVE_UP_S + 8) * 1000, intervalMs: 200 });
    const moved = (Date.now() - t0) / 1000;
    await lab.waitFor('nginx1', lacks(L1_VIP), { timeoutMs: 5000 });
    console.log(`L1 example: nginx1 cannot restart -> VIP on nginx2 after ${moved.toFixed(1)} s (fall 2 × interval 2 + master_down ${GIVE_UP_S.toFixed(1)} s)`);
    expect(moved).toBeLessThanOrEqual(GIVE_UP_S + 4);
    expect(daemons.nginx1!.output().stdout).toMatch(/"event":"vrrp-tracking","instance":"VI_1","weight":-30/);
    expect((await answers(lab, 2)).map((a) => a.balancer)).toEqual(['nginx2', 'nginx2']);
    await lab.waitFor('nginx2', 'grep -qx master /run/keepalived-VI_1.state', { timeoutMs: 5000 });
    // the configuration fixed: chk_nginx starts nginx, rise 2, the priority is back to 100 and VI_1 preempts
    const t1 = Date.now();
    await lab.writeFile(`nginx/nginx1.conf`, nginxConfig('nginx1', h.nginx!));
    await lab.waitFor('nginx1', holds(L1_VIP), { timeoutMs: 20_000, intervalMs: 200 });
    console.log(`L1 example: nginx1's configuration fixed -> VIP back on nginx1 after ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    await lab.waitFor('nginx2', lacks(L1_VIP), { timeoutMs: 5000 });
    expect((await answers(lab, 2)).map((a) => a.balancer)).toEqual(['nginx1', 'nginx1']);
  }, 90_000);

  it('the master losing its link hands the VIP to the backup within master_down_interval, and takes it back (preemption)', async () => {
    const bound = masterDownMs(2, 80, 1);
    const prober = await lab.writeFile('prober.cjs', PROBER_JS);
    const p = lab.spawn('client', `exec node ${prober} ${L1_VIP} 80 8000 10`);
    await p.waitForOutput(/probing/, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 700));
    const r = await lab.exec('nginx1', 'date +%s%3N; ip link set eth0 down', { check: true });
    const f = probeFigures((await p.wait(30_000)).stdout, Number(r.stdout.trim()));
    console.log(`L1 example: nginx1's link down -> the VIP answers again after ${f.recoveryMs} ms, longest gap ${f.gapMs} ms (master_down_interval ${bound.toFixed(0)} ms; users publish "under 15 s")`);
    expect(f.recoveryMs).toBeDefined();
    expect(f.recoveryMs!).toBeLessThanOrEqual(bound + 1500);
    await lab.waitFor('nginx2', holds(L1_VIP), { timeoutMs: 2000 });
    expect((await answers(lab, 2)).map((a) => a.balancer)).toEqual(['nginx2', 'nginx2']);
    await lab.exec('nginx1', 'ip link set eth0 up', { check: true });
    await lab.waitFor('nginx1', holds(L1_VIP), { timeoutMs: 15_000, intervalMs: 200 });
    await lab.waitFor('nginx2', lacks(L1_VIP), { timeoutMs: 5000 });
    expect((await answers(lab, 2)).map((a) => a.balancer)).toEqual(['nginx1', 'nginx1']);
  }, 90_000);
});
