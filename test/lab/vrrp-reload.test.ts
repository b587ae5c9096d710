// Lab test: SIGHUP reconfigures VRRP in `lvsd run` on both L2 directors — an unchanged reload does not flap, a new
// priority moves the master, a removed instance hands its VIP over at once and an added one starts; a password that
// differs between the two (reloaded in place) makes two Masters, reported as a split brain and cleared after; VIPs
// added by a reload are announced one vrrp_garp_interval apart; vrrp_startup_delay holds a restarted director back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { L2_VIPS, l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { l2VrrpConfig, masterDownMs } from '../../bench/failover-lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const [VIP1, VIP2] = L2_VIPS;
const has = (vip: string) => `ip -o -4 addr show dev eth0 | grep -q ' ${vip}/'`;
const lacks = (vip: string) => `! ${has(vip)}`;
const socket = (h: string) => `--control-socket /run/lvsd-${h}.sock`;
const BASE = { lvs1: l2VrrpConfig({ director: 1, version: 2, advertInt: 1, virtualServers: false }), lvs2: l2VrrpConfig({ director: 2, version: 2, advertInt: 1, virtualServers: false }) };
/** withoutVI1 is a configuration with the VI_1 block cut out */
const withoutVI1 = (text: string) => text.replace(/vrrp_instance VI_1 \{[\s\S]*?\n\}\n/, '');

describe('VRRP reload (SIGHUP) with lvsd on both L2 directors', () => {
  let lab: Lab;
  const daemons: Record<string, LabProcess> = {};
  const files: Record<string, string> = {};
  const count = (h: string, re: RegExp) => (daemons[h]!.output().stdout.match(new RegExp(re.source, 'g')) ?? []).length;

  /** reload writes a host's file and sends SIGHUP, resolving when lvsd logged its VRRP reload; returns that log line. */
  async function reload(h: 'lvs1' | 'lvs2', text: string): Promise<string> {
    const before = count(h, /"event":"vrrp-reloaded"/);
    await lab.writeFile(files[h]!, text);
    daemons[h]!.signal('HUP');
    for (let i = 0; i < 200 && count(h, /"event":"vrrp-reloaded"/) === before; i++) await new Promise((r) => setTimeout(r, 100));
    const lines = daemons[h]!.output().stdout.split('\n').filter((l) => l.includes('"event":"vrrp-reloaded"'));
    expect(lines.length).toBe(before + 1);
    return lines.at(-1)!;
  }

  async function status(h: string): Promise<{ name: string; state: string; splitBrain?: boolean; splitBrainPeer?: { address: string; reason?: string } }[]> {
    return (JSON.parse((await lab.exec(h, `${LVSD} status --json ${socket(h)}`, { check: true })).stdout) as { vrrp: never[] }).vrrp;
  }

  beforeAll(async () => {
    lab = await startLab(l2Topology(2));
    for (const h of ['lvs1', 'lvs2'] as const) {
      files[h] = await lab.writeFile(`reload-${h}.conf`, BASE[h]);
      daemons[h] = lab.spawn(h, `exec ${LVSD} run -f ${files[h]} ${socket(h)} --state-file /run/lvsd-${h}-overrides.json --metrics-address off`);
    }
    for (const h of ['lvs1', 'lvs2']) await daemons[h]!.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 15_000 });
    await lab.waitFor('lvs2', has(VIP2), { timeoutMs: 15_000 });
    await lab.waitFor('lvs1', lacks(VIP2), { timeoutMs: 10_000 });
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 10_000 });
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('an unchanged reload keeps both instances as they are: no state change, no priority-0 advert, VIPs stay', async () => {
    const dump = lab.spawn('client', `exec tcpdump -i eth0 -n -l 'ip proto 112'`);
    await dump.waitForOutput(/listening on/, { timeoutMs: 20_000 });
    const states = { lvs1: count('lvs1', /"event":"vrrp-state"/), lvs2: count('lvs2', /"event":"vrrp-state"/) };
    // the same settings written differently: a comment and the blocks' lines moved
    const line = await reload('lvs1', `# reloaded\n${BASE.lvs1}`);
    expect(line).toMatch(/"kept":\["VI_1","VI_2"\],"updated":\[\],"restarted":\[\],"removed":\[\],"added":\[\]/);
    await reload('lvs2', BASE.lvs2);
    // longer than a Backup's master_down_interval: a Master that had stopped advertising would have lost its VIP
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect((await lab.exec('lvs1', has(VIP1))).code).toBe(0);
      expect((await lab.exec('lvs2', has(VIP2))).code).toBe(0);
    }
    const adverts = (await dump.stop({ signal: 'INT' })).stdout;
    expect({ lvs1: count('lvs1', /"event":"vrrp-state"/), lvs2: count('lvs2', /"event":"vrrp-state"/) }).toEqual(states);
    expect(adverts).toMatch(/192\.168\.56\.121 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51, prio 100/);
    expect(adverts).not.toMatch(/prio 0,/);
    expect(adverts).not.toMatch(/vrid 51, prio (?!100,)/);
    expect(adverts).not.toMatch(/vrid 52, prio (?!100,)/);
  }, 90_000);

  it('a reloaded priority moves the master: VI_1 at 120 on lvs2 preempts lvs1; VI_2 is untouched', async () => {
    const vi2States = count('lvs2', /"event":"vrrp-state","instance":"VI_2"/);
    const t0 = Date.now();
    const line = await reload('lvs2', BASE.lvs2.replace('priority 80', 'priority 120'));
    expect(line).toMatch(/"kept":\["VI_2"\],"updated":\["VI_1"\]/);
    expect(daemons.lvs2!.output().stdout).toMatch(/"event":"vrrp-instance-updated","instance":"VI_1","changes":\["priority"\],"state":"BACKUP","priority":120/);
    await lab.waitFor('lvs2', has(VIP1), { timeoutMs: masterDownMs(2, 120, 1) + 5000, intervalMs: 100 });
    await lab.waitFor('lvs1', lacks(VIP1), { timeoutMs: 3000, intervalMs: 100 });
    console.log(`priority reload: VI_1 moved to lvs2 ${Date.now() - t0} ms after SIGHUP (master_down_interval ${masterDownMs(2, 120, 1)} ms)`);
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"MASTER","to":"BACKUP"/);
    expect(count('lvs2', /"event":"vrrp-state","instance":"VI_2"/)).toBe(vi2States);
    expect((await status('lvs2')).map((s) => `${s.name} ${s.state}`).sort()).toEqual(['VI_1 MASTER', 'VI_2 MASTER']);
  }, 90_000);

  it('a removed instance stops at once (priority 0: the peer takes the VIP within skew time), an added one starts', async () => {
    const t0 = Date.now();
    const line = await reload('lvs2', withoutVI1(BASE.lvs2));
    expect(line).toMatch(/"removed":\["VI_1"\],"added":\[\]/);
    await lab.waitFor('lvs1', has(VIP1), { timeoutMs: 3000, intervalMs: 100 });
    const ms = Date.now() - t0;
    console.log(`removal reload: VI_1 back on lvs1 ${ms} ms after SIGHUP (priority 0 handover; master_down_interval would be ${masterDownMs(2, 100, 1)} ms)`);
    expect(ms).toBeLessThan(masterDownMs(2, 100, 1));
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 2000 });
    expect(daemons.lvs2!.output().stdout).toMatch(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"MASTER","to":"STOP"/);
    expect((await status('lvs2')).map((s) => s.name)).toEqual(['VI_2']);
    const added = await reload('lvs2', BASE.lvs2);
    expect(added).toMatch(/"removed":\[\],"added":\["VI_1"\]/);
    await new Promise((r) => setTimeout(r, masterDownMs(2, 80, 1) + 1000));
    expect((await status('lvs2')).find((s) => s.name === 'VI_1')?.state).toBe('BACKUP');
    expect((await lab.exec('lvs1', has(VIP1))).code).toBe(0);
    expect((await lab.exec('lvs2', has(VIP1))).code).not.toBe(0);
  }, 90_000);

  it('different passwords make two Masters: both report the split brain once, and it clears when the password is fixed', async () => {
    const wrong = BASE.lvs2.replace('auth_pass 1111', 'auth_pass 9999');
    const line = await reload('lvs2', wrong);
    expect(line).toMatch(/"updated":\["VI_1"\]/);
    // lvs2 drops lvs1's adverts (auth), takes VI_1 after master_down_interval; then each hears the other for 3 intervals
    await lab.waitFor('lvs2', has(VIP1), { timeoutMs: masterDownMs(2, 80, 1) + 5000, intervalMs: 200 });
    expect((await lab.exec('lvs1', has(VIP1))).code).toBe(0);
    await daemons.lvs1!.waitForOutput(/"event":"split-brain","instance":"VI_1","vrid":51,"peer":"192\.168\.56\.122","peerPriority":80,"peerAccepted":false,"peerDropReason":"auth"/, { timeoutMs: 10_000 });
    await daemons.lvs2!.waitForOutput(/"event":"split-brain","instance":"VI_1","vrid":51,"peer":"192\.168\.56\.121","peerPriority":100,"peerAccepted":false,"peerDropReason":"auth"/, { timeoutMs: 10_000 });
    const s1 = (await status('lvs1')).find((s) => s.name === 'VI_1')!;
    expect(s1).toMatchObject({ state: 'MASTER', splitBrain: true, splitBrainPeer: { address: '192.168.56.122', reason: 'auth' } });
    const text = (await lab.exec('lvs1', `${LVSD} status ${socket('lvs1')}`, { check: true })).stdout;
    expect(text).toMatch(/SPLIT BRAIN VI_1 for [\d.]+s: 192\.168\.56\.122 \(priority 80\) is Master too and its adverts are dropped here \(auth\)/);
    expect((await status('lvs1')).find((s) => s.name === 'VI_2')?.splitBrain).toBe(false);
    await new Promise((r) => setTimeout(r, 3000));
    expect(count('lvs1', /"event":"split-brain"/)).toBe(1);
    // the right password again: lvs2 hears the higher priority and steps down; lvs1's detector sees it go quiet
    await reload('lvs2', BASE.lvs2);
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 5000, intervalMs: 200 });
    await daemons.lvs1!.waitForOutput(/"event":"split-brain-cleared","instance":"VI_1"/, { timeoutMs: 10_000 });
    await daemons.lvs2!.waitForOutput(/"event":"split-brain-cleared","instance":"VI_1"/, { timeoutMs: 10_000 });
    expect((await status('lvs1')).find((s) => s.name === 'VI_1')?.splitBrain).toBe(false);
    expect(count('lvs1', /"event":"split-brain"/)).toBe(1);
  }, 120_000);

  it('VIPs added by a reload are added in place on the Master and announced one vrrp_garp_interval apart', async () => {
    const more = (text: string) =>
      text.replace('global_defs {', 'global_defs {\n    vrrp_garp_interval 0.2').replace(`        ${VIP1}/24 dev eth0\n`, `        ${VIP1}/24 dev eth0\n        192.168.56.141/24 dev eth0\n        192.168.56.142/24 dev eth0\n`);
    const dump = lab.spawn('client', `exec tcpdump -i eth0 -n -tt -l arp`);
    await dump.waitForOutput(/listening on/, { timeoutMs: 20_000 });
    const states = count('lvs1', /"event":"vrrp-state"/);
    // both sides at once: a Backup drops adverts whose address list differs from its own
    const [l1] = await Promise.all([reload('lvs1', more(BASE.lvs1)), reload('lvs2', more(BASE.lvs2))]);
    expect(l1).toMatch(/"updated":\["VI_1"\]/);
    expect(daemons.lvs1!.output().stdout).toMatch(/"event":"vrrp-instance-updated","instance":"VI_1","changes":\["virtualIpAddresses"\],"state":"MASTER"/);
    await lab.waitFor('lvs1', `${has('192.168.56.141')} && ${has('192.168.56.142')}`, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 1500));
    const arps = (await dump.stop({ signal: 'INT' })).stdout;
    // tcpdump prints the broadcast target hardware address of a gratuitous ARP in parentheses
    const at = (ip: string) => Number(new RegExp(`^(\\d+\\.\\d+) ARP, Request who-has ${ip.replace(/\./g, '\\.')} (\\([^)]*\\) )?tell ${ip.replace(/\./g, '\\.')}`, 'm').exec(arps)?.[1]) * 1000;
    if (!(at('192.168.56.141') > 0 && at('192.168.56.142') > 0)) console.log(arps);
    const spacing = Math.abs(at('192.168.56.142') - at('192.168.56.141'));
    console.log(`reload added 2 VIPs: gratuitous ARPs ${spacing.toFixed(0)} ms apart (vrrp_garp_interval 0.2)`);
    expect(spacing).toBeGreaterThanOrEqual(190);
    expect(spacing).toBeLessThan(600);
    expect(count('lvs1', /"event":"vrrp-state"/)).toBe(states);
    expect((await lab.exec('lvs2', has('192.168.56.141'))).code).not.toBe(0);
    // and removed again by the next reload
    await Promise.all([reload('lvs1', BASE.lvs1), reload('lvs2', BASE.lvs2)]);
    await lab.waitFor('lvs1', `! ${has('192.168.56.141')} && ! ${has('192.168.56.142')} && ${has(VIP1)}`, { timeoutMs: 5000 });
  }, 90_000);

  it('vrrp_startup_delay keeps a restarted lvs1 from preempting until the delay plus master_down_interval', async () => {
    await daemons.lvs1!.stop({ graceMs: 10_000 });
    await lab.waitFor('lvs2', has(VIP1), { timeoutMs: 3000 });
    await lab.writeFile(files.lvs1!, BASE.lvs1.replace('global_defs {', 'global_defs {\n    vrrp_startup_delay 3'));
    daemons.lvs1 = lab.spawn('lvs1', `exec ${LVSD} run -f ${files.lvs1} ${socket('lvs1')} --state-file /run/lvsd-lvs1-overrides.json --metrics-address off`);
    await daemons.lvs1.waitForOutput(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"BACKUP","to":"MASTER"/, { timeoutMs: 40_000 });
    const out = daemons.lvs1.output().stdout;
    const time = (re: RegExp) => Date.parse(new RegExp(`"time":"([^"]+)",${re.source}`).exec(out)?.[1] ?? 'NaN');
    const took = time(/"event":"vrrp-state","instance":"VI_1","vrid":51,"from":"BACKUP","to":"MASTER"/) - time(/"event":"vrrp-startup-delay"/);
    const expected = 3000 + masterDownMs(2, 100, 1);
    console.log(`vrrp_startup_delay 3: lvs1 preempted VI_1 ${took} ms after starting (delay + master_down_interval = ${expected} ms; without the delay ${masterDownMs(2, 100, 1)} ms)`);
    // lvs1 hears lvs2 at priority 80 and preempts when its first down timer fires: at the end of the delay plus the interval
    expect(took).toBeGreaterThanOrEqual(expected - 100);
    expect(took).toBeLessThanOrEqual(expected + 1500);
    await lab.waitFor('lvs2', lacks(VIP1), { timeoutMs: 3000 });
  }, 90_000);
});
