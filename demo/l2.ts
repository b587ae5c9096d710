// Demo (lab layer): layout L2 on the guest kernel, narrated: two directors, two nginx real servers in DR mode,
// the table as `lvsd list` shows it, and requests through each VIP alternating between the real servers.
import { startLab, type Lab } from '../src/lab/lab.js';
import { findCheckout } from '../src/lab/guest.js';
import { drRealServerCommand, L2_VIPS, l2Topology } from '../src/lab/layouts.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const VIPS = L2_VIPS;
const say = (s: string): void => void process.stdout.write(`${s}\n`);

// The L2 table of ../shared/docs/layouts.md, in the format `lvsd restore` (and `ipvsadm -R`) reads.
const TABLE = `-A -t 192.168.56.131:80 -s wrr -p 5
-a -t 192.168.56.131:80 -r 192.168.56.101:80 -g -w 1
-a -t 192.168.56.131:80 -r 192.168.56.102:80 -g -w 1
-A -t 192.168.56.132:80 -s rr
-a -t 192.168.56.132:80 -r 192.168.56.101:80 -g -w 1
-a -t 192.168.56.132:80 -r 192.168.56.102:80 -g -w 1
`;

async function run(): Promise<void> {
  const started = Date.now();
  const ticker = setInterval(() => process.stdout.write(`  … booting the guest kernel (${Math.round((Date.now() - started) / 1000)} s)\n`), 3000);
  let lab: Lab | undefined;
  try {
    say('lvsd demo — layout L2: DR directors LVS1/LVS2 in front of two nginx real servers, on a real IPVS kernel');
    lab = await startLab(l2Topology());
    clearInterval(ticker);
    say(`guest up with 5 hosts on one LAN, nginx on rs1 and rs2 (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(VIPS), { check: true });
    say('real servers: VIPs .131 and .132 on lo, arp_ignore=1, arp_announce=2');
    // until VRRP lands, LVS1 holds VIP .131 and LVS2 holds .132 (dual master)
    await lab.exec('lvs1', 'ip addr add 192.168.56.131/24 dev eth0', { check: true });
    await lab.exec('lvs2', 'ip addr add 192.168.56.132/24 dev eth0', { check: true });
    const tablePath = await lab.writeFile('l2-table.txt', TABLE);
    for (const d of ['lvs1', 'lvs2']) {
      const t0 = Date.now();
      await lab.exec(d, `${LVSD} restore ${tablePath}`, { check: true });
      say(`${d}: table loaded with \`lvsd restore\` over generic netlink (${Date.now() - t0} ms including node start-up)`);
    }
    say('\n$ lvsd list   (on lvs1)');
    say((await lab.exec('lvs1', `${LVSD} list`, { check: true })).stdout.trimEnd());
    for (const vip of VIPS) {
      const r = await lab.exec('client', `for i in 1 2 3 4 5 6; do curl -s --max-time 2 http://${vip}/; sleep 0.1; done`, { check: true });
      const answers = r.stdout.trim().split('\n');
      say(`\nclient → ${vip}: ${answers.join(' ')}`);
      if (vip.endsWith('.131')) say('  (wrr with persistence_timeout 5: one client sticks to one real server, as configured)');
      else say('  (rr: requests alternate between rs1 and rs2; replies come straight from the real servers)');
    }
    say('\n$ lvsd list --stats   (on lvs2)');
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
