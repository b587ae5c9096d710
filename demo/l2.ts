// Demo (lab layer): layout L2 on the guest kernel, narrated, from the example files themselves
// (examples/l2-dr-directors): two directors running `lvsd run` with VRRP dual master, two nginx real servers set up
// by `lvsd realserver up -f`, requests through each VIP, a real server stopped and restarted, then a director losing
// its link and its VIP moving to the other and back — with the measured times printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { masterDownMs, PROBER_JS, probeFigures } from '../bench/failover-lab.js';
import { startLab, type Lab, type LabProcess } from '../src/lab/lab.js';
import { findCheckout } from '../src/lab/guest.js';
import { l2Topology, removalBound } from '../src/lab/layouts.js';

const CHECKOUT = findCheckout();
const LVSD = `${CHECKOUT}/bin/lvsd`;
const say = (s: string): void => void process.stdout.write(`${s}\n`);
const T = { delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };
const [VIP1, VIP2] = ['192.168.56.131', '192.168.56.132'] as const;
const holds = (vip: string): string => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;

/**
 * exampleConfig is examples/l2-dr-directors/lvsN.conf with what the demo changes, each change visible here: the lab's
 * hosts have eth0 (the example says eth1), checks are brisk so that the demo is short, and VI_2's service drops
 * persistence so that one client sees rr alternate (with persistence_timeout 5 one client sticks to one server).
 */
function exampleConfig(n: 1 | 2): string {
  const text = readFileSync(join(CHECKOUT, 'examples/l2-dr-directors', `lvs${n}.conf`), 'utf8');
  const vs2 = text.indexOf(`virtual_server ${VIP2} 80`);
  return (text.slice(0, vs2) + text.slice(vs2).replace(/^\s*persistence_timeout \d+\n/m, ''))
    .replace(/interface eth1/g, 'interface eth0')
    .replace(/delay_loop \d+/g, `delay_loop ${T.delayLoop}`)
    .replace(/connect_timeout \d+/g, `connect_timeout ${T.connectTimeout}`)
    .replace(/nb_get_retry \d+/g, `retry ${T.retry}`)
    .replace(/delay_before_retry \d+/g, `delay_before_retry ${T.delayBeforeRetry}`);
}

async function seconds(lab: Lab, host: string, act: () => Promise<unknown>, until: string, timeoutMs = 20_000): Promise<string> {
  const t0 = Date.now();
  await act();
  await lab.waitFor(host, until, { timeoutMs, intervalMs: 50 });
  return ((Date.now() - t0) / 1000).toFixed(2);
}

async function requests(lab: Lab, vip: string, n: number): Promise<string> {
  const r = await lab.exec('client', `for i in $(seq ${n}); do curl -s --max-time 2 http://${vip}/ || echo FAILED; done`, { timeoutMs: 60_000 });
  return r.stdout.trim().split('\n').join(' ');
}

async function startDirectors(lab: Lab): Promise<Record<string, LabProcess>> {
  const daemons: Record<string, LabProcess> = {};
  for (const n of [1, 2] as const) {
    const conf = await lab.writeFile(`lvs${n}.conf`, exampleConfig(n));
    const t0 = Date.now();
    daemons[`lvs${n}`] = lab.spawn(`lvs${n}`, `exec ${LVSD} run -f ${conf} --resync-interval 2`);
    await daemons[`lvs${n}`]!.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    const ready = /"event":"ready".*?"ms":(\d+)/.exec(daemons[`lvs${n}`]!.output().stdout);
    say(`lvs${n}$ lvsd run -f lvs${n}.conf   → ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (table applied over generic netlink in ${ready?.[1] ?? '?'} ms)`);
  }
  const t0 = Date.now();
  await lab.waitFor('lvs1', holds(VIP1), { timeoutMs: 15_000, intervalMs: 100 });
  await lab.waitFor('lvs2', holds(VIP2), { timeoutMs: 15_000, intervalMs: 100 });
  say(`VRRP dual master: lvs1 is MASTER of VI_1 (${VIP1}), lvs2 of VI_2 (${VIP2}) — both held ${((Date.now() - t0) / 1000).toFixed(1)} s after the second start`);
  return daemons;
}

/** directorFailure takes lvs1's link down while the client probes VIP1 every 10 ms, then brings it back. */
async function directorFailure(lab: Lab): Promise<void> {
  const bound = masterDownMs(2, 80, 1);
  say(`\nlvs1 loses its link (ip link set eth0 down); lvs2 is BACKUP of VI_1 at priority 80, advert_int 1: master_down_interval ${(bound / 1000).toFixed(2)} s`);
  const prober = await lab.writeFile('prober.cjs', PROBER_JS);
  const p = lab.spawn('client', `exec node ${prober} ${VIP1} 80 9000 10`);
  await p.waitForOutput(/probing/, { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 700));
  const r = await lab.exec('lvs1', 'date +%s%3N; ip link set eth0 down', { check: true });
  const t0 = Number(r.stdout.trim());
  const f = probeFigures((await p.wait(30_000)).stdout, t0);
  say(`  the client's connections to ${VIP1} succeed again ${f.recoveryMs ?? '?'} ms after the link went down (longest gap ${f.gapMs ?? '?'} ms, probing every 10 ms)`);
  await lab.waitFor('lvs2', holds(VIP1), { timeoutMs: 5000 });
  say(`  lvs2 now holds both VIPs; client → ${VIP1}: ${await requests(lab, VIP1, 4)}`);
  say('\nlvs2$ lvsd status   (the table joined with health checks, operator overrides and VRRP, over the control socket)');
  say((await lab.exec('lvs2', `${LVSD} status`, { check: true })).stdout.trimEnd());
  say('\nlvs1 gets its link back (preemption is on: VI_1 returns to its MASTER)');
  const back = await seconds(lab, 'lvs1', () => lab.exec('lvs1', 'ip link set eth0 up', { check: true }), holds(VIP1));
  await lab.waitFor('lvs2', `! ${holds(VIP1)}`, { timeoutMs: 5000 });
  say(`  ${VIP1} back on lvs1 after ${back} s; client → ${VIP1}: ${await requests(lab, VIP1, 4)}`);
}

async function run(): Promise<void> {
  const started = Date.now();
  const ticker = setInterval(() => say(`  … booting the guest kernel (${Math.round((Date.now() - started) / 1000)} s)`), 3000);
  let lab: Lab | undefined;
  try {
    say('lvsd demo — layout L2: DR directors LVS1/LVS2 (VRRP dual master) in front of two nginx real servers, on a real IPVS kernel');
    lab = await startLab(l2Topology());
    clearInterval(ticker);
    say(`guest up with 5 hosts on one LAN, nginx on rs1 and rs2 (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    const rsConf = await lab.writeFile('rs.conf', exampleConfig(1));
    for (const rs of ['rs1', 'rs2']) {
      const r = await lab.exec(rs, `${LVSD} realserver up -f ${rsConf} --label --state-file /tmp/rs.json`, { check: true });
      say(`${rs}$ lvsd realserver up -f lvs1.conf --label\n${r.stdout.trimEnd().replace(/^/gm, '    ')}`);
    }
    await startDirectors(lab);
    say('\nlvs1$ lvsd list');
    say((await lab.exec('lvs1', `${LVSD} list`, { check: true })).stdout.trimEnd());
    say(`\nclient → ${VIP1}: ${await requests(lab, VIP1, 6)}`);
    say('  (wrr with persistence_timeout 5: one client sticks to one real server, as configured)');
    say(`client → ${VIP2}: ${await requests(lab, VIP2, 6)}`);
    say('  (rr: requests alternate between rs1 and rs2; replies come straight from the real servers)');

    const bound = removalBound(T);
    say(`\nstopping nginx on rs1 (TCP_CHECK: delay_loop ${T.delayLoop}, connect_timeout ${T.connectTimeout}, retry ${T.retry}, delay_before_retry ${T.delayBeforeRetry}: at most ${bound} s)`);
    const gone = await seconds(lab, 'lvs2', () => lab!.stopNginx('rs1'), `! ipvsadm -L -n -t ${VIP2}:80 | grep -q 192.168.56.101:80`);
    say(`  rs1 removed from lvs2's table after ${gone} s`);
    say(`client → ${VIP2}: ${await requests(lab, VIP2, 6)}   (every request answered by rs2)`);
    say('\nstarting nginx on rs1 again');
    const back = await seconds(lab, 'lvs2', () => lab!.startNginx('rs1'), `ipvsadm -L -n -t ${VIP2}:80 | grep -q 192.168.56.101:80`);
    say(`  rs1 back in lvs2's table after ${back} s`);
    say(`client → ${VIP2}: ${await requests(lab, VIP2, 6)}`);

    await directorFailure(lab);
    say('\nlvs2$ lvsd list --stats');
    say((await lab.exec('lvs2', `${LVSD} list --stats`, { check: true })).stdout.trimEnd());
    say(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    clearInterval(ticker);
    await lab?.stop();
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
