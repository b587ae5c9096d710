// Lab test: status and control of `lvsd run` on layout L2 (one director) on the guest kernel — `lvsd status` with
// health and latency, drain under a client loop with no failed request, drain --wait, disable kept across SIGHUP
// and restart (state file), enable, the root-only socket, one daemon per socket, a stale socket replaced, the
// default paths (each lab host has its own /run and /var/lib/lvsd).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCheckout } from '../../src/lab/guest.js';
import { drRealServerCommand, drVirtualServer, L2_VIPS, l2Topology } from '../../src/lab/layouts.js';
import { startLab, type Lab, type LabProcess } from '../../src/lab/lab.js';
import { statusSchema, type StatusReport } from '../../src/control/protocol.js';

const LVSD = `node ${findCheckout()}/bin/lvsd`;
const VIP = '192.168.56.131';
const T = { delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 };
const DIR = '/run/lvsd-lab';
const SOCK = `${DIR}/ctl/lvsd.sock`;
const STATE = `${DIR}/state/overrides.json`;
const CTL = `--control-socket ${SOCK}`;
const RS1 = '192.168.56.101:80';
const HOLD_S = 40;

// tcpfin 2: a closed connection leaves InActConn after 2 s (DR sees only the client's half: FIN_WAIT, 120 s by default)
function config(weight2 = 1): string {
  const pool = [{ address: '192.168.56.101', weight: 1 }, { address: '192.168.56.102', weight: weight2 }];
  return `global_defs {\n    router_id lvs1\n    lvs_timeouts tcpfin 2\n}\n${drVirtualServer(VIP, 'wrr', pool, T)}`;
}

const runCommand = (conf: string) => `exec ${LVSD} run -f ${conf} --resync-interval 2 ${CTL} --state-file ${STATE} --metrics-address off`;
const rs1Line = (table: string): string | undefined => table.split('\n').find((l) => l.includes(RS1));

async function statusJson(lab: Lab): Promise<StatusReport> {
  const r = await lab.exec('lvs1', `${LVSD} status --json ${CTL}`, { check: true });
  return statusSchema.parse(JSON.parse(r.stdout));
}

async function requests(lab: Lab, n: number): Promise<string[]> {
  const r = await lab.exec('client', `for i in $(seq ${n}); do curl -s --max-time 10 http://${VIP}/ || echo FAILED; done`, { timeoutMs: 30_000 + n * 11_000 });
  return r.stdout.trim().split('\n');
}

describe('lvsd status and control on an L2 director', () => {
  let lab: Lab;
  let lvsd: LabProcess;
  let conf: string;
  const held: LabProcess[] = [];

  beforeAll(async () => {
    lab = await startLab(l2Topology(1));
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, drRealServerCommand(L2_VIPS), { check: true });
    await lab.exec('lvs1', `ip addr add ${VIP}/24 dev eth0`, { check: true });
    conf = await lab.writeFile('lvsd.conf', config());
    lvsd = lab.spawn('lvs1', runCommand(conf));
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('status shows both real servers up with their check latency; the socket is root-only', async () => {
    // the first checks run within delay_loop
    let s = await statusJson(lab);
    for (let i = 0; i < 10 && !s.services[0]?.destinations.every((d) => d.health?.lastCheckAt); i++) s = await statusJson(lab);
    const dests = s.services[0]!.destinations;
    expect(dests.map((d) => [d.address, d.inKernel, d.weight, d.health?.state])).toEqual([
      ['192.168.56.101', true, 1, 'up'],
      ['192.168.56.102', true, 1, 'up'],
    ]);
    for (const d of dests) expect(d.health?.latencyMs).toBeGreaterThan(0);
    const text = (await lab.exec('lvs1', `${LVSD} status ${CTL}`, { check: true })).stdout;
    expect(text.split('\n').slice(0, 4).join('\n')).toMatch(/^IP Virtual Server version 1\.2\.1 \(size=4096\)\nProt LocalAddress:Port Scheduler Flags\n {2}-> RemoteAddress:Port +Forward Weight ActiveConn InActConn +Health +Latency +Last failure +Override\nTCP  192\.168\.56\.131:80 wrr$/);
    expect(text).toMatch(/ {2}-> 192\.168\.56\.101:80 +Route +1 +\d+ +\d+ +up +[\d.]+ms +- +-\n/);
    expect(text).toMatch(/ {2}-> 192\.168\.56\.102:80 +Route +1 +\d+ +\d+ +up +[\d.]+ms +- +-\n/);
    const mode = await lab.exec('lvs1', `stat -c '%a %F' ${SOCK} ${DIR}/ctl`, { check: true });
    expect(mode.stdout).toBe('600 socket\n700 directory\n');
  }, 60_000);

  it('drain: no request fails, new requests all go to rs2, rs1 stays in the table at weight 0 with its connections', async () => {
    // two connections held open across the drain: wrr puts one on each real server
    for (let i = 0; i < 2; i++) {
      held.push(lab.spawn('client', `exec 3<>/dev/tcp/${VIP}/80; sleep ${HOLD_S}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3; echo; echo END=$(date +%s.%N)`));
      await lab.waitFor('lvs1', `ipvsadm -L -n -t ${VIP}:80 | awk '$1=="->" {a+=$5} END {exit !(a>=${i + 1})}'`, { timeoutMs: 10_000, intervalMs: 100 });
    }
    // the client loop runs until told to stop: through the drain and for a number of requests after it
    const loop = lab.spawn('client', `while [ ! -e /run/stop-loop ]; do s=$(date +%s.%N); r=$(curl -s --max-time 10 http://${VIP}/ || echo FAILED); echo "$s $r"; done`);
    await loop.waitForOutput(/rs1\n[\s\S]*rs2\n|rs2\n[\s\S]*rs1\n/, { timeoutMs: 15_000, stream: 'stdout' });
    const d = await lab.exec('lvs1', `t0=$(date +%s.%N); ${LVSD} drain ${VIP}:80 ${RS1} ${CTL}; rc=$?; echo "T0=$t0 T1=$(date +%s.%N) RC=$rc"`, { timeoutMs: 30_000 });
    expect(d.stdout).toMatch(/^192\.168\.56\.101:80 of \[192\.168\.56\.131\]:tcp:80 drained: weight 0 in TCP 192\.168\.56\.131:80 \([1-9]\d* active, \d+ inactive connections\)$/m);
    const [, t0, t1, rc] = /T0=([\d.]+) T1=([\d.]+) RC=(\d+)/.exec(d.stdout)!;
    expect(rc).toBe('0');
    const table = (await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true })).stdout;
    // weight 0 and the held connection still counted active
    expect(rs1Line(table)).toMatch(/^ {2}-> 192\.168\.56\.101:80 +Route +0 +[1-9]\d* +\d+ *$/);
    const lines = () => loop.output().stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]);
    for (const deadline = Date.now() + 30_000; lines().filter(([s]) => Number(s) > Number(t1)).length < 8 && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 200));
    await lab.exec('client', 'touch /run/stop-loop', { check: true });
    await loop.wait(20_000);
    const out = lines();
    const before = out.filter(([s]) => Number(s) < Number(t0));
    const after = out.filter(([s]) => Number(s) > Number(t1));
    expect(out.filter(([, r]) => r !== 'rs1' && r !== 'rs2')).toEqual([]);
    expect(before.some(([, r]) => r === 'rs1')).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(8);
    expect(after.filter(([, r]) => r !== 'rs2')).toEqual([]);
    process.stdout.write(`\ndrain: ${out.length} requests, ${before.length} before and ${after.length} after the drain command (${(Number(t1) - Number(t0)).toFixed(2)} s), none failed\n`);
  }, 90_000);

  it('drain --wait returns once rs1 has no connections: after the held one finished and left the table', async () => {
    const r = await lab.exec('lvs1', `echo START=$(date +%s.%N); ${LVSD} drain ${VIP}:80 ${RS1} --wait --timeout 60 ${CTL}; rc=$?; echo DONE=$(date +%s.%N) RC=$rc`, { timeoutMs: 90_000 });
    expect(r.stdout).toMatch(/RC=0\n$/);
    expect(r.stdout).toMatch(/was already drained[\s\S]*192\.168\.56\.101:80 of \[192\.168\.56\.131\]:tcp:80 has no connections left \(after [\d.]+ s\)\n/);
    const start = Number(/START=([\d.]+)/.exec(r.stdout)![1]);
    const done = Number(/DONE=([\d.]+)/.exec(r.stdout)![1]);
    // the held connections finished normally (the one on rs1 was not cut by the drain)
    const answers = await Promise.all(held.map(async (h) => (await h.wait(5000)).stdout));
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 200 OK/);
    const body = (a: string) => /\r\n\r\n(rs[12])\n/.exec(a)?.[1];
    expect(answers.map(body).sort()).toEqual(['rs1', 'rs2']);
    const end = Number(/END=([\d.]+)/.exec(answers.find((a) => body(a) === 'rs1')!)![1]);
    // --wait was already waiting when the connection on rs1 closed, and returned only after it left the table (tcpfin 2 s)
    expect(start).toBeLessThan(end);
    expect(done - end).toBeGreaterThan(1.5);
    expect(rs1Line((await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true })).stdout)).toMatch(/Route +0 +0 +0 *$/);
    process.stdout.write(`drain --wait: waited ${(done - start).toFixed(1)} s; returned ${(done - end).toFixed(1)} s after rs1's last connection closed (tcpfin 2 s)\n`);
  }, 120_000);

  it('disable removes rs1 from the table', async () => {
    const r = await lab.exec('lvs1', `${LVSD} disable ${VIP}:80 ${RS1} ${CTL}`, { check: true });
    expect(r.stdout).toMatch(/disabled: not in TCP 192\.168\.56\.131:80/);
    expect((await lab.exec('lvs1', 'ipvsadm -L -n', { check: true })).stdout).not.toContain(RS1);
    expect(await requests(lab, 4)).toEqual(['rs2', 'rs2', 'rs2', 'rs2']);
    expect(lvsd.output().stdout).toMatch(/"event":"override-set".*"vs":"\[192\.168\.56\.131\]:tcp:80".*"rs":"192\.168\.56\.101:80".*"mode":"disable"/);
  }, 60_000);

  it('a SIGHUP reload keeps rs1 disabled, and status says so', async () => {
    await lab.writeFile('lvsd.conf', config(2));
    lvsd.signal('HUP');
    await lvsd.waitForOutput(/"event":"reloaded"/, { timeoutMs: 20_000 });
    const table = (await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true })).stdout;
    expect(table).toMatch(/192\.168\.56\.102:80 +Route +2 /);
    expect(table).not.toContain(RS1);
    const text = (await lab.exec('lvs1', `${LVSD} status ${CTL}`, { check: true })).stdout;
    expect(text).toMatch(/ {2}-> 192\.168\.56\.101:80 +- +- +- +- +up +.* disable\n/);
    const s = await statusJson(lab);
    expect(s.services[0]!.destinations.find((d) => d.address === '192.168.56.101')).toMatchObject({ inKernel: false, override: { mode: 'disable' } });
    expect(s.overrides).toEqual([expect.objectContaining({ rs: RS1, mode: 'disable', stale: false })]);
  }, 60_000);

  it('a restart keeps rs1 disabled (state file); the stopped daemon removed its socket', async () => {
    expect((await lvsd.stop({ signal: 'TERM', graceMs: 10_000 })).code).toBe(0);
    expect((await lab.exec('lvs1', `test -e ${SOCK}`)).code).toBe(1);
    expect((await lab.exec('lvs1', 'ipvsadm -S -n', { check: true })).stdout).toBe('');
    lvsd = lab.spawn('lvs1', runCommand(conf));
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    expect(lvsd.output().stdout).toMatch(/"event":"override-restored".*"rs":"192\.168\.56\.101:80".*"mode":"disable"/);
    const table = (await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true })).stdout;
    expect(table).toMatch(/192\.168\.56\.102:80 +Route +2 /);
    expect(table).not.toContain(RS1);
    expect(lvsd.output().stdout).not.toMatch(/"op":"add-dest".*192\.168\.56\.101:80/);
  }, 60_000);

  it('a second lvsd on the same socket refuses to start and leaves the table alone', async () => {
    const before = (await lab.exec('lvs1', 'ipvsadm -S -n', { check: true })).stdout;
    const r = await lab.exec('lvs1', `${LVSD} run -f ${conf} ${CTL} --state-file ${STATE} --metrics-address off`, { timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/another lvsd is running: it answers on \/run\/lvsd-lab\/ctl\/lvsd\.sock.*\[CONTROL_ALREADY_RUNNING\]/);
    expect((await lab.exec('lvs1', 'ipvsadm -S -n', { check: true })).stdout).toBe(before);
  }, 60_000);

  it('enable brings rs1 back and requests alternate again', async () => {
    const r = await lab.exec('lvs1', `${LVSD} enable ${VIP}:80 ${RS1} ${CTL}`, { check: true });
    expect(r.stdout).toMatch(/enabled, back to configuration and health: weight 1 in TCP 192\.168\.56\.131:80/);
    await lab.writeFile('lvsd.conf', config(1));
    lvsd.signal('HUP');
    await lvsd.waitForOutput(/"event":"reloaded"/, { timeoutMs: 20_000 });
    const answers = await requests(lab, 6);
    expect(answers.filter((a) => a === 'rs1')).toHaveLength(3);
    expect(answers.filter((a) => a === 'rs2')).toHaveLength(3);
    for (let i = 1; i < answers.length; i++) expect(answers[i]).not.toBe(answers[i - 1]);
    expect(lvsd.output().stdout).toMatch(/"event":"override-cleared".*"rs":"192\.168\.56\.101:80"/);
    expect(JSON.parse((await lab.exec('lvs1', `cat ${STATE}`, { check: true })).stdout).overrides).toEqual([]);
  }, 60_000);

  it('status --json parses and carries the table, stats, health and overrides', async () => {
    // the kernel folds its per-CPU counters into the totals every 2 s: the last requests show up within that
    let s = await statusJson(lab);
    for (let i = 0; i < 6 && Number(s.services[0]?.stats?.conns) < 6; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      s = await statusJson(lab);
    }
    expect(s.ipvs).toEqual({ version: '1.2.1', connTableSize: 4096 });
    const svc = s.services[0]!;
    expect(svc).toMatchObject({ listing: 'TCP  192.168.56.131:80 wrr', virtualServer: '[192.168.56.131]:tcp:80', inKernel: true });
    expect(Number(svc.stats?.conns)).toBeGreaterThanOrEqual(6);
    for (const d of svc.destinations) {
      expect(d).toMatchObject({ inKernel: true, weight: 1, configuredWeight: 1, override: null, health: { state: 'up', reason: expect.any(String) } });
      expect(Number(d.stats?.conns)).toBeGreaterThan(0);
      expect(Date.parse(d.health!.lastCheckAt!)).toBeGreaterThan(Date.parse(s.at) - 10_000);
    }
    expect(s.overrides).toEqual([]);
    expect(s.vrrp).toEqual([]);
  }, 60_000);

  it('a daemon killed with SIGKILL leaves a stale socket that the next one replaces', async () => {
    await lvsd.stop({ signal: 'KILL' });
    expect((await lab.exec('lvs1', `test -S ${SOCK}`)).code).toBe(0);
    expect((await lab.exec('lvs1', `${LVSD} status ${CTL}`)).stderr).toMatch(/no lvsd is listening on .*\[CONTROL_NOT_RUNNING\]/);
    lvsd = lab.spawn('lvs1', runCommand(conf));
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    expect((await statusJson(lab)).services[0]!.destinations).toHaveLength(2);
    expect((await lvsd.stop({ signal: 'TERM', graceMs: 10_000 })).code).toBe(0);
  }, 60_000);

  it('the default paths: /run/lvsd/lvsd.sock (0600 in a 0700 folder) and /var/lib/lvsd/overrides.json (0600)', async () => {
    lvsd = lab.spawn('lvs1', `exec ${LVSD} run -f ${conf} --metrics-address off`);
    await lvsd.waitForOutput(/"event":"ready"/, { timeoutMs: 30_000 });
    expect((await lab.exec('lvs1', 'stat -c "%a %F" /run/lvsd/lvsd.sock /run/lvsd', { check: true })).stdout).toBe('600 socket\n700 directory\n');
    await lab.exec('lvs1', `${LVSD} disable ${VIP}:80 ${RS1}`, { check: true });
    expect((await lab.exec('lvs1', 'ipvsadm -L -n', { check: true })).stdout).not.toContain(RS1);
    expect((await lab.exec('lvs1', 'stat -c "%a" /var/lib/lvsd/overrides.json && cat /var/lib/lvsd/overrides.json', { check: true })).stdout).toMatch(/^600\n\{\n {2}"version": 1,\n {2}"overrides": \[\n.*"address":"192\.168\.56\.101","port":80,"mode":"disable"/);
    await lab.exec('lvs1', `${LVSD} enable ${VIP}:80 ${RS1}`, { check: true });
    expect((await lab.exec('lvs1', `ipvsadm -L -n -t ${VIP}:80`, { check: true })).stdout).toContain(RS1);
    expect((await lvsd.stop({ signal: 'TERM', graceMs: 10_000 })).code).toBe(0);
  }, 60_000);
});
