// Lab test: vrrp_script, track_script and notify scripts with `lvsd run` on two directors on the guest kernel — a
// failing check lowers the priority so the VIP moves, its recovery moves it back, notify_master/notify_backup run,
// and a hung script (killed at its timeout) never stops the adverts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { gapsOver, parseStalls, STALL_WATCH_JS } from './guest-stalls.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const LVS1 = '192.168.56.121';
// 0.5 s (master_down 1.6 s): the guest runs two daemons on one virtual CPU whose host lends it 60-90% of a core
const ADVERT_MS = 500;
const HANG_TIMEOUT_MS = 1000;
const VIP = '192.168.56.131';
const has = `ip -o -4 addr show dev eth0 | grep -q ' ${VIP}/'`;
const lacks = `! ${has}`;

function config(host: 'lvs1' | 'lvs2', priority: number, hang: string): string {
  const scripts =
    host === 'lvs1'
      ? ['vrrp_script chk_file {', `    script "/bin/test -f /run/${host}-ok"`, '    interval 1', '    timeout 3', '    weight -30', '    rise 1', '    fall 1', '}', 'vrrp_script chk_hang {', `    script "${hang}"`, '    interval 1', '    timeout 1', '    weight -1', '}']
      : [];
  return [
    ...scripts,
    'vrrp_instance VI_1 {',
    '    state BACKUP',
    '    interface eth0',
    '    virtual_router_id 51',
    `    priority ${priority}`,
    `    advert_int ${ADVERT_MS / 1000}`,
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

/** notMasterSpans reads lvsd's log: the [from, to] wall times (ms) when VI_1 was not Master (to is Infinity while it still is not). */
function notMasterSpans(log: string): [number, number][] {
  const spans: [number, number][] = [];
  let since: number | undefined;
  for (const m of log.matchAll(/"time":"([^"]+)","event":"vrrp-state","instance":"VI_1","vrid":51,"from":"(\w+)","to":"(\w+)"/g)) {
    const t = Date.parse(m[1]!);
    if (m[3] === 'MASTER' && since !== undefined) spans.push([since, t]);
    if (m[3] === 'MASTER') since = undefined;
    else if (since === undefined) since = t;
  }
  if (since !== undefined) spans.push([since, Infinity]);
  return spans;
}

describe('VRRP scripts: track_script weights, notify, hung scripts', () => {
  let lab: Lab;
  const daemons: LabProcess[] = [];

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    await lab.exec('lvs1', 'rm -f /run/lvs1-* /run/hang-runs; touch /run/lvs1-ok', { check: true });
    // the hung check: notes each start and who started it, then hangs until killed
    const hang = await lab.writeFile('hang.sh', '#!/bin/sh\necho "started by $(cat /proc/$PPID/comm)" >> /run/hang-runs\nexec /bin/sleep 100\n');
    await lab.exec('lvs1', `chmod +x ${hang}`, { check: true });
    // one after the other: a starting lvsd keeps the guest's CPU busy for seconds
    for (const [host, prio] of [['lvs1', 100], ['lvs2', 80]] as const) {
      const conf = await lab.writeFile(`${host}-scripts.conf`, config(host, prio, hang));
      const d = lab.spawn(host, `exec ${LVSD} run -f ${conf}`);
      daemons.push(d);
      await d.waitForOutput(/"event":"ready"/, { timeoutMs: 45_000 });
    }
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  const hungRuns = async (): Promise<number> => Number((await lab.exec('lvs1', 'cat /run/hang-runs | wc -l', { check: true })).stdout.trim());

  it('keeps sending adverts every advert_int while a hung script is killed at its timeout, and runs notify_master', async () => {
    await lab.waitFor('lvs1', has, { timeoutMs: 15_000, intervalMs: 200 });
    await lab.waitFor('lvs1', 'test -f /run/lvs1-master', { timeoutMs: 5000 });
    // lvs2 may be Master for a moment while it starts (it has not heard lvs1 yet), then yields to the higher priority
    // (RFC 5798 §6.4.3). Watch from when lvs2 has settled as Backup.
    await lab.waitFor('lvs2', `! ${has}`, { timeoutMs: 5000, intervalMs: 100 });
    // lvs1's adverts on the wire while chk_hang (interval 1 s, timeout 1 s) is started and killed again and again;
    // the guest's own stalls (the host's CPUs run several guests) are measured beside them and taken out
    const dump = lab.spawn('lvs2', `exec tcpdump -i eth0 -n -tt -l 'ip proto 112 and src host ${LVS1}'`);
    await dump.waitForOutput(/listening on/, { timeoutMs: 20_000 });
    const watch = lab.spawn('lvs1', `exec node ${await lab.writeFile('stall-watch.cjs', STALL_WATCH_JS)}`);
    await watch.waitForOutput(/watching/, { timeoutMs: 20_000 });
    const runsBefore = await hungRuns();
    await new Promise((r) => setTimeout(r, 5000));
    const stalls = parseStalls((await watch.stop()).stdout);
    const adverts = [...(await dump.stop({ signal: 'INT' })).stdout.matchAll(/^(\d+\.\d+) IP \S+ > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio (\d+)/gm)].map((m) => Number(m[1]) * 1000);
    // only while lvs1 was Master throughout (a Backup sends nothing): should a slow guest flap it, those gaps are not
    // a delay
    const notMaster = notMasterSpans(daemons[0]!.output().stdout);
    const late = gapsOver(adverts, stalls, HANG_TIMEOUT_MS).filter((g) => !notMaster.some(([from, to]) => from < g.at && to > g.at - g.ms));
    const runs = (await hungRuns()) - runsBefore;
    console.log(`hung script: ${adverts.length} adverts, chk_hang started ${runs} times, guest stalls ${stalls.map((s) => Math.round(s.to - s.from)).join(' ')} ms, late adverts ${JSON.stringify(late)}`);
    expect(runs).toBeGreaterThanOrEqual(2);
    // each was killed at its timeout: at most the current one still runs
    expect(Number((await lab.exec('lvs1', 'pgrep -c -f "[s]leep 100" || true')).stdout.trim())).toBeLessThanOrEqual(1);
    expect(daemons[0]!.output().stdout).toMatch(/"event":"vrrp-script","script":"chk_hang","status":"failed","detail":"timed out"/);
    expect(adverts.length).toBeGreaterThanOrEqual(8);
    // adverts never waited for the hung script: no gap longer than its run (killed at its 1 s timeout), once what the
    // whole guest stood still is taken out (the host's CPUs run several guests; steal time reaches 40% here)
    expect(late).toEqual([]);
    // and the daemon never forks: scripts are children of lvsd-spawn (a fork of the daemon stalls its event loop 30-500
    // ms in this guest, longer than master_down_interval at advert_int 0.1; measured in the issue note)
    const parents = (await lab.exec('lvs1', 'sort /run/hang-runs | uniq -c', { check: true })).stdout.trim();
    expect(parents).toMatch(/^\d+ started by lvsd-spawn$/);
    await lab.waitFor('lvs1', has, { timeoutMs: 5000, intervalMs: 100 });
  }, 60_000);

  it('moves the VIP when a tracked script fails (weight -30) and back when it recovers', async () => {
    await lab.exec('lvs1', 'rm -f /run/lvs1-ok', { check: true });
    await lab.waitFor('lvs2', has, { timeoutMs: 10_000, intervalMs: 100 });
    await lab.waitFor('lvs1', lacks, { timeoutMs: 10_000, intervalMs: 100 });
    await lab.waitFor('lvs1', 'test -f /run/lvs1-backup', { timeoutMs: 10_000 });
    await lab.waitFor('lvs2', 'test -f /run/lvs2-master', { timeoutMs: 10_000 });
    expect(daemons[0]!.output().stdout).toMatch(/"event":"vrrp-tracking","instance":"VI_1","weight":-31/);
    await lab.exec('lvs1', 'touch /run/lvs1-ok', { check: true });
    await lab.waitFor('lvs1', has, { timeoutMs: 10_000, intervalMs: 100 });
    await lab.waitFor('lvs2', lacks, { timeoutMs: 10_000, intervalMs: 100 });
  }, 60_000);
});
