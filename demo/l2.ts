// Demo (lab layer): layout L2 on the guest kernel, narrated: two directors running `lvsd run` on one
// keepalived-style file, two nginx real servers set up by `lvsd realserver up -f` from the same file, requests
// through each VIP, then a real server stopped and restarted with the measured times of its removal and return.
import { startLab, type Lab } from '../src/lab/lab.js';
import { findCheckout } from '../src/lab/guest.js';
import { drVirtualServer, l2Topology, removalBound } from '../src/lab/layouts.js';

const LVSD = `${findCheckout()}/bin/lvsd`;
const say = (s: string): void => void process.stdout.write(`${s}\n`);
const T = { delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };

/** config is L2's virtual servers (examples/l2-dr-directors) with brisk checks; VIPs are held by hand until VRRP lands. */
function config(): string {
  const pool = [{ address: '192.168.56.101', weight: 1 }, { address: '192.168.56.102', weight: 1 }];
  return drVirtualServer('192.168.56.131', 'wrr', pool, T, '    persistence_timeout 5\n') + drVirtualServer('192.168.56.132', 'rr', pool, T);
}

async function seconds(lab: Lab, act: () => Promise<unknown>, until: string): Promise<string> {
  const t0 = Date.now();
  await act();
  await lab.waitFor('lvs1', until, { timeoutMs: 20_000, intervalMs: 50 });
  return ((Date.now() - t0) / 1000).toFixed(2);
}

async function requests(lab: Lab, vip: string, n: number): Promise<string> {
  const r = await lab.exec('client', `for i in $(seq ${n}); do curl -s --max-time 2 http://${vip}/ || echo FAILED; done`, { timeoutMs: 60_000 });
  return r.stdout.trim().split('\n').join(' ');
}

async function run(): Promise<void> {
  const started = Date.now();
  const ticker = setInterval(() => say(`  … booting the guest kernel (${Math.round((Date.now() - started) / 1000)} s)`), 3000);
  let lab: Lab | undefined;
  try {
    say('lvsd demo — layout L2: DR directors LVS1/LVS2 in front of two nginx real servers, on a real IPVS kernel');
    lab = await startLab(l2Topology());
    clearInterval(ticker);
    say(`guest up with 5 hosts on one LAN, nginx on rs1 and rs2 (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const conf = await lab.writeFile('l2.conf', config());
    for (const rs of ['rs1', 'rs2']) {
      const r = await lab.exec(rs, `${LVSD} realserver up -f ${conf} --label --state-file /tmp/rs.json`, { check: true });
      say(`${rs}$ lvsd realserver up -f l2.conf --label\n${r.stdout.trimEnd().replace(/^/gm, '    ')}`);
    }
    // until lvsd's VRRP lands, each director holds its own VIP (dual master: LVS1 .131, LVS2 .132)
    await lab.exec('lvs1', 'ip addr add 192.168.56.131/24 dev eth0', { check: true });
    await lab.exec('lvs2', 'ip addr add 192.168.56.132/24 dev eth0', { check: true });
    for (const d of ['lvs1', 'lvs2']) {
      const p = lab.spawn(d, `exec ${LVSD} run -f ${conf} --resync-interval 2`);
      await p.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
      const ready = /"event":"ready".*"ms":(\d+)/.exec(p.output().stdout);
      say(`${d}: lvsd run is up, table applied over generic netlink in ${ready?.[1] ?? '?'} ms`);
    }
    say('\nlvs1$ lvsd list');
    say((await lab.exec('lvs1', `${LVSD} list`, { check: true })).stdout.trimEnd());
    say(`\nclient → .131: ${await requests(lab, '192.168.56.131', 6)}`);
    say('  (wrr with persistence_timeout 5: one client sticks to one real server, as configured)');
    say(`client → .132: ${await requests(lab, '192.168.56.132', 6)}`);
    say('  (rr: requests alternate between rs1 and rs2; replies come straight from the real servers)');

    const bound = removalBound(T);
    say(`\nstopping nginx on rs1 (TCP_CHECK: delay_loop ${T.delayLoop}, connect_timeout ${T.connectTimeout}, retry ${T.retry}, delay_before_retry ${T.delayBeforeRetry}: at most ${bound} s)`);
    const gone = await seconds(lab, () => lab!.stopNginx('rs1'), "! ipvsadm -L -n -t 192.168.56.132:80 | grep -q 192.168.56.101:80");
    say(`  rs1 removed from lvs1's table after ${gone} s`);
    say(`client → .132: ${await requests(lab, '192.168.56.132', 6)}   (every request answered by rs2)`);
    say('\nstarting nginx on rs1 again');
    const back = await seconds(lab, () => lab!.startNginx('rs1'), 'ipvsadm -L -n -t 192.168.56.132:80 | grep -q 192.168.56.101:80');
    say(`  rs1 back in lvs1's table after ${back} s`);
    say(`client → .132: ${await requests(lab, '192.168.56.132', 6)}`);
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
