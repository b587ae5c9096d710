// Lab test: `lvsd run` as the director of layout L2 on the guest kernel — scheduling through the VIP, real servers
// removed and restored by TCP_CHECK within keepalived's bounds, SIGHUP reload as one edit, drift repaired — with
// keepalived measured in the same lab run as the reference.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, drVirtualServer, L2_VIPS, l2Topology, removalBound } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const VIP = '192.168.56.131';
const T = { delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };
// the bounds: removal within delay_loop + (retry+1) x connect_timeout + retry x delay_before_retry, plus 1 s
const REMOVAL_BOUND = removalBound(T) + 1;
const RETURN_BOUND = T.delayLoop + 1;
const RESYNC = 2;

function config(weight2: number): string {
  const pool = [{ address: '192.168.56.101', weight: 1 }, { address: '192.168.56.102', weight: weight2 }];
  return `global_defs {\n    router_id lvs1\n}\n${drVirtualServer(VIP, 'wrr', pool, T)}`;
}

const has101 = `ipvsadm -L -n -t ${VIP}:80 | grep -q '192.168.56.101:80'`;
const lacks101 = `! ${has101}`;

/** seconds runs `act`, then polls `until` on the director and returns the seconds between them. */
async function seconds(lab: Lab, act: () => Promise<unknown>, until: string, timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  await act();
  await lab.waitFor('lvs1', until, { timeoutMs, intervalMs: 50 });
  return (Date.now() - t0) / 1000;
}

async function requests(lab: Lab, n: number): Promise<string[]> {
  const r = await lab.exec('client', `for i in $(seq ${n}); do curl -s --max-time 10 http://${VIP}/ || echo FAILED; done`, { timeoutMs: 30_000 + n * 11_000 });
  return r.stdout.trim().split('\n');
}

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

describe('lvsd run as an L2 director on the guest kernel', () => {
  let lab: Lab;
  let lvsd: LabProcess;
  let conf: string;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    lab = await startLab(l2Topology(1));
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
    await lab.exec('lvs1', `ip addr add ${VIP}/24 dev eth0`, { check: true });
    conf = await lab.writeFile('lvsd.conf', config(3));
    lvsd = lab.spawn('lvs1', `exec ${LVSD} run -f ${conf} --resync-interval ${RESYNC}`);
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    mkdirSync(join(findCheckout(), '.lab'), { recursive: true });
    writeFileSync(join(findCheckout(), '.lab', 'director-timings.json'), JSON.stringify(timings, null, 2));
  });

  it('schedules requests through the VIP by wrr weights, replies coming from the real servers', async () => {
    const table = await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true });
    expect(table.stdout).toMatch(/192\.168\.56\.101:80\s+Route\s+1\s/);
    expect(table.stdout).toMatch(/192\.168\.56\.102:80\s+Route\s+3\s/);
    const answers = await requests(lab, 8);
    // weights 1:3 over two whole wrr cycles
    expect([count(answers, 'rs1'), count(answers, 'rs2')]).toEqual([2, 6]);
  }, 60_000);

  it('removes a stopped real server within the check bounds and loses no request after', async () => {
    timings.lvsdRemoval = await seconds(lab, () => lab.stopNginx('rs1'), lacks101);
    expect(timings.lvsdRemoval).toBeLessThanOrEqual(REMOVAL_BOUND);
    const down = lvsd.output().stdout.split('\n').find((l) => l.includes('"event":"real-server-down"'));
    expect(down).toMatch(/"rs":"192\.168\.56\.101:80".*"reason":"[^"]*ECONNREFUSED/);
    const answers = await requests(lab, 10);
    expect(answers).toEqual(Array(10).fill('rs2'));
  }, 60_000);

  it('puts a restarted real server back within delay_loop plus one second', async () => {
    timings.lvsdReturn = await seconds(lab, () => lab.startNginx('rs1'), has101);
    expect(timings.lvsdReturn).toBeLessThanOrEqual(RETURN_BOUND);
  }, 60_000);

  it('applies a weight change on SIGHUP as one edit, keeping an open connection', async () => {
    const held = lab.spawn('client', `exec 3<>/dev/tcp/${VIP}/80; sleep 4; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`);
    const before = lvsd.output().stdout.length;
    await lab.writeFile('lvsd.conf', config(5));
    lvsd.signal('HUP');
    await lvsd.waitForOutput(/"event":"reloaded"/, { timeoutMs: 20_000 });
    const after = lvsd.output().stdout.slice(before).split('\n').filter((l) => l.includes('"event":"applied"'));
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/"op":"edit-dest".*192\.168\.56\.102:80/);
    expect((await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`)).stdout).toMatch(/192\.168\.56\.102:80\s+Route\s+5\s/);
    const r = await held.wait(20_000);
    expect(r.stdout).toMatch(/HTTP\/1\.1 200 OK[\s\S]*rs[12]/);
  }, 60_000);

  it('repairs a real server deleted behind its back within one resync interval', async () => {
    timings.lvsdRepair = await seconds(lab, () => lab.exec('lvs1', `ipvsadm -d -t ${VIP}:80 -r 192.168.56.101:80`, { check: true }), has101);
    expect(timings.lvsdRepair).toBeLessThanOrEqual(RESYNC + 1.5);
    expect(lvsd.output().stdout).toMatch(/"event":"repaired".*"op":"add-dest".*192\.168\.56\.101:80/);
  }, 60_000);

  it('removes its services on SIGTERM', async () => {
    const r = await lvsd.stop({ signal: 'TERM', graceMs: 10_000 });
    expect(r.code).toBe(0);
    expect((await lab.exec('lvs1', 'ipvsadm -S -n', { check: true })).stdout).toBe('');
  }, 60_000);

  it('keepalived, same configuration and lab: the reference timings', async () => {
    await lab.writeFile('keepalived.conf', config(3));
    const k = lab.spawn('lvs1', `exec keepalived -n -C -l -D -f ${join(lab.dir, 'keepalived.conf')} -p /run/k.pid -c /run/kc.pid`);
    await lab.waitFor('lvs1', `${has101} && ipvsadm -L -n -t ${VIP}:80 | grep -q 192.168.56.102:80`, { timeoutMs: 30_000, intervalMs: 100 });
    timings.keepalivedRemoval = await seconds(lab, () => lab.stopNginx('rs1'), lacks101);
    timings.keepalivedReturn = await seconds(lab, () => lab.startNginx('rs1'), has101);
    await k.stop({ signal: 'TERM', graceMs: 10_000 });
    const line = (what: string, l: number, kk: number) => `${what.padEnd(34)} lvsd ${l.toFixed(2)} s   keepalived ${kk.toFixed(2)} s`;
    process.stdout.write(
      `\nTCP_CHECK timings (delay_loop ${T.delayLoop}, connect_timeout ${T.connectTimeout}, retry ${T.retry}, delay_before_retry ${T.delayBeforeRetry}):\n` +
        `${line('stopped nginx removed from table', timings.lvsdRemoval!, timings.keepalivedRemoval)}\n` +
        `${line('restarted nginx back in table', timings.lvsdReturn!, timings.keepalivedReturn)}\n` +
        `lvsd repaired an ipvsadm -d in ${timings.lvsdRepair!.toFixed(2)} s (resync interval ${RESYNC} s)\n`,
    );
    expect(timings.keepalivedRemoval).toBeGreaterThan(0);
  }, 90_000);
});
