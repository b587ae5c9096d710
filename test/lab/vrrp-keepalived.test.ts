// Lab test: lvsd's VRRP against keepalived 2.2.7 (Debian's) on layout L2 — one director on each, in both roles, with
// VRRPv2 and VRRPv3: the right master by priority, failover both ways, and no protocol complaint from keepalived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, L2_VIPS, l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { l2VrrpConfig, masterDownMs } from '../../bench/failover-lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const [VIP1, VIP2] = L2_VIPS;
const has = (vip: string) => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;
const lacks = (vip: string) => `! ${has(vip)}`;
/** what keepalived 2.2.7 logs when it rejects or distrusts a VRRP packet (vrrp.c vrrp_check_packet and friends) */
const PROTOCOL_COMPLAINT = /invalid|mismatch|bad |wrong|ttl|checksum|not matching|unknown|malformed|too short|error/i;
/** normal protocol operation: a Master preempting a lower priority says so */
const NORMAL = /received lower priority \(\d+\) advert from .* - discarding/;

const CASES = [
  { version: 2, advertInt: 1, keepalived: 'lvs1' },
  { version: 2, advertInt: 1, keepalived: 'lvs2' },
  { version: 3, advertInt: 0.1, keepalived: 'lvs1' },
  { version: 3, advertInt: 0.1, keepalived: 'lvs2' },
  { version: 3, advertInt: 0.1, keepalived: 'lvs1', unicast: true },
  { version: 2, advertInt: 1, keepalived: 'lvs2', unicast: true },
] as const;

describe('VRRP interoperability: lvsd with keepalived on the L2 director pair', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  for (const c of CASES) {
    it(`VRRPv${c.version} ${'unicast' in c ? 'unicast' : 'multicast'} advert_int ${c.advertInt}, keepalived on ${c.keepalived}: right masters, failover both ways, no protocol complaint`, async () => {
      const procs: Record<string, LabProcess> = {};
      for (const d of [1, 2] as const) {
        const host = `lvs${d}`;
        const conf = await lab.writeFile(`v${c.version}-${'unicast' in c ? 'u' : 'm'}-${c.keepalived}-${host}.conf`, l2VrrpConfig({ director: d, version: c.version, advertInt: c.advertInt, unicast: 'unicast' in c }));
        procs[host] =
          host === c.keepalived
            ? lab.spawn(host, `exec keepalived -n -l -D -f ${conf} -p /run/ka-${host}.pid -c /run/ka-${host}-c.pid -r /run/ka-${host}-r.pid`)
            : lab.spawn(host, `exec ${LVSD} run -f ${conf}`);
      }
      const wait = (host: string, cmd: string, ms: number) => lab.waitFor(host, cmd, { timeoutMs: ms, intervalMs: 100 });
      const lvsdHost = c.keepalived === 'lvs1' ? 'lvs2' : 'lvs1';
      const settle = masterDownMs(c.version, 80, c.advertInt) + 15_000; // process start in the guest is slow
      try {
        await procs[lvsdHost]!.waitForOutput(/"event":"ready"/, { timeoutMs: 60_000 });
        await wait('lvs1', has(VIP1), settle);
        await wait('lvs2', has(VIP2), settle);
        await wait('lvs1', lacks(VIP2), 10_000);
        await wait('lvs2', lacks(VIP1), 10_000);
        // each director's link down moves its VIP to the other; back up, preemption returns it
        for (const [down, other, vip] of [['lvs1', 'lvs2', VIP1], ['lvs2', 'lvs1', VIP2]] as const) {
          await lab.exec(down, 'ip link set eth0 down', { check: true });
          await wait(other, has(vip), masterDownMs(c.version, 80, c.advertInt) + 5000);
          await lab.exec(down, 'ip link set eth0 up', { check: true });
          await wait(down, has(vip), masterDownMs(c.version, 100, c.advertInt) + 5000);
          await wait(other, lacks(vip), 10_000);
        }
      } catch (err) {
        const tail = (host: string) => procs[host]!.output().stdout.split('\n').filter((l) => !l.includes('"applied"')).slice(-15).join('\n');
        throw new Error(`${(err as Error).message}\n--- ${lvsdHost} (lvsd) ---\n${tail(lvsdHost)}\n--- ${c.keepalived} (keepalived) ---\n${tail(c.keepalived)}`);
      } finally {
        for (const p of Object.values(procs)) await p.stop({ graceMs: 10_000 });
        await lab.exec('lvs1', 'ip link set eth0 up');
        await lab.exec('lvs2', 'ip link set eth0 up');
      }
      const ka = procs[c.keepalived]!.output();
      const kaLog = `${ka.stdout}\n${ka.stderr}`;
      const complaints = kaLog.split('\n').filter((l) => /VRRP|VI_\d/.test(l) && PROTOCOL_COMPLAINT.test(l) && !NORMAL.test(l));
      expect(complaints).toEqual([]);
      // keepalived really ran VRRP and saw the peer: it went Master and Backup
      expect(kaLog).toMatch(/Entering MASTER STATE/);
      expect(kaLog).toMatch(/Entering BACKUP STATE/);
      const lvsdOut = procs[lvsdHost]!.output().stdout;
      expect(lvsdOut).not.toMatch(/"event":"vrrp-warning"[^\n]*dropped advert/);
    }, 150_000);
  }
});
