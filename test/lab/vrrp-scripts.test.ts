// Lab test: vrrp_script, track_script and notify scripts with `lvsd run` on two directors on the guest kernel — a
// failing check lowers the priority so the VIP moves, its recovery moves it back, notify_master/notify_backup run,
// and a hung script (killed at its timeout) never stops the adverts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const VIP = '192.168.56.131';
const has = `ip -o -4 addr show dev eth0 | grep -q ' ${VIP}/'`;
const lacks = `! ${has}`;

function config(host: 'lvs1' | 'lvs2', priority: number): string {
  const scripts =
    host === 'lvs1'
      ? ['vrrp_script chk_file {', `    script "/bin/test -f /run/${host}-ok"`, '    interval 1', '    weight -30', '    rise 1', '    fall 1', '}', 'vrrp_script chk_hang {', '    script "/bin/sleep 100"', '    interval 1', '    timeout 1', '    weight -1', '}']
      : [];
  return [
    ...scripts,
    'vrrp_instance VI_1 {',
    '    state BACKUP',
    '    interface eth0',
    '    virtual_router_id 51',
    `    priority ${priority}`,
    '    advert_int 0.1',
    '    version 3',
    ...(host === 'lvs1' ? ['    track_script {', '        chk_file', '        chk_hang', '    }'] : []),
    `    notify_master "/usr/bin/touch /run/${host}-master"`,
    `    notify_backup "/usr/bin/touch /run/${host}-backup"`,
    '    virtual_ipaddress {',
    `        ${VIP}/24 dev eth0`,
    '    }',
    '}',
    '',
  ].join('\n');
}

describe('VRRP scripts: track_script weights, notify, hung scripts', () => {
  let lab: Lab;
  const daemons: LabProcess[] = [];

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    await lab.exec('lvs1', 'rm -f /run/lvs1-*; touch /run/lvs1-ok', { check: true });
    for (const [host, prio] of [['lvs1', 100], ['lvs2', 80]] as const) {
      const conf = await lab.writeFile(`${host}-scripts.conf`, config(host, prio));
      daemons.push(lab.spawn(host, `exec ${LVSD} run -f ${conf}`));
    }
    for (const d of daemons) await d.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('keeps the VIP on the higher priority while a hung script times out, and runs notify_master', async () => {
    await lab.waitFor('lvs1', has, { timeoutMs: 15_000, intervalMs: 200 });
    await lab.waitFor('lvs1', 'test -f /run/lvs1-master', { timeoutMs: 5000 });
    // both start as Backup with master_down 0.36 / 0.37 s: startup jitter can make both Master for a moment, after
    // which lvs2 yields to the higher priority (RFC 5798 §6.4.3). Watch from when lvs2 has settled as Backup.
    await lab.waitFor('lvs2', `! ${has}`, { timeoutMs: 5000, intervalMs: 100 });
    await new Promise((r) => setTimeout(r, 1000));
    // three runs of chk_hang killed at its 1 s timeout later, lvs2 never took the VIP back: adverts kept flowing at 100 ms
    const seen = daemons[1]!.output().stdout.length;
    await new Promise((r) => setTimeout(r, 3500));
    expect((await lab.exec('lvs1', has)).code).toBe(0);
    expect(daemons[1]!.output().stdout.slice(seen)).not.toMatch(/"instance":"VI_1","vrid":51,"from":"BACKUP","to":"MASTER"/);
    expect(daemons[0]!.output().stdout).toMatch(/"event":"vrrp-script","script":"chk_hang","status":"failed","detail":"timed out"/);
  }, 60_000);

  it('moves the VIP when a tracked script fails (weight -30) and back when it recovers', async () => {
    await lab.exec('lvs1', 'rm -f /run/lvs1-ok', { check: true });
    await lab.waitFor('lvs2', has, { timeoutMs: 8000, intervalMs: 100 });
    await lab.waitFor('lvs1', lacks, { timeoutMs: 5000, intervalMs: 100 });
    await lab.waitFor('lvs1', 'test -f /run/lvs1-backup', { timeoutMs: 5000 });
    await lab.waitFor('lvs2', 'test -f /run/lvs2-master', { timeoutMs: 5000 });
    expect(daemons[0]!.output().stdout).toMatch(/"event":"vrrp-tracking","instance":"VI_1","weight":-31/);
    await lab.exec('lvs1', 'touch /run/lvs1-ok', { check: true });
    await lab.waitFor('lvs1', has, { timeoutMs: 8000, intervalMs: 100 });
    await lab.waitFor('lvs2', lacks, { timeoutMs: 5000, intervalMs: 100 });
  }, 60_000);
});
