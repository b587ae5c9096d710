// Unit tests: the HealthMonitor facade on parsed configurations, a manual clock and a fake probe — events, alpha, sharing, reload, quorum, omega, scripts.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model, type Script } from '../../src/config/index.js';
import { HealthMonitor, ManualClock, ScriptRunner, type HealthEvent, type HealthMonitorOptions, type OmegaEvent, type Probe, type QuorumEvent, type ScriptResult, type ScriptRunnerLike } from '../../src/health/index.js';

const F = '/etc/keepalived/keepalived.conf';

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics).toEqual([]);
  if (!r.model) throw new Error('no model');
  return r.model;
}

/** fakeRunner records the scripts it is asked to run and answers at once. */
function fakeRunner(log: string[]): ScriptRunnerLike {
  return {
    run: (s: Script): Promise<ScriptResult> => {
      log.push(s.argv.join(' '));
      return Promise.resolve({ argv: s.argv, code: 0, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '' });
    },
    setDefaults: () => undefined,
    idle: () => Promise.resolve(true),
    killAll: () => undefined,
  };
}

/** harness runs a monitor on a manual clock; `health` says per ip:port whether it accepts (true) or fails with a reason. */
function harness(text: string, health: Record<string, true | string>, options: HealthMonitorOptions = {}) {
  const clock = new ManualClock(0);
  const calls: { target: string; at: number }[] = [];
  const probe: Probe = (t) => {
    const target = `${t.connectIp}:${t.connectPort}`;
    calls.push({ target, at: clock.now() });
    const v = health[target] ?? 'ECONNREFUSED';
    return new Promise((resolve) => clock.setTimer(() => resolve(v === true ? { ok: true, latencyMs: 2 } : { ok: false, reason: v, latencyMs: 2 }), 2));
  };
  const scripts: string[] = [];
  const mon = new HealthMonitor(model(text), { clock, probe, random: () => 0, scripts: fakeRunner(scripts), ...options });
  const events: HealthEvent[] = [];
  const quorum: QuorumEvent[] = [];
  mon.on('change', (e) => events.push(e));
  mon.on('quorum', (e) => quorum.push(e));
  const brief = (): string[] => events.map((e) => `${e.at} ${e.vs.name} ${e.rs.address}:${e.rs.port} ${e.state} ${e.reason}`);
  return { clock, calls, mon, events, quorum, scripts, brief, at: (target: string) => calls.filter((c) => c.target === target).map((c) => c.at) };
}

const ONE = `
virtual_server 10.0.0.1 80 {
  delay_loop 10
  protocol TCP
  real_server 10.0.1.1 80 {
    notify_up "/bin/up 10.0.1.1"
    notify_down "/bin/down 10.0.1.1"
    TCP_CHECK {\n   connect_timeout 1\n   retry 2\n   delay_before_retry 3\n  }
  }
}`;

describe('health monitor', () => {
  it('a server goes down after retry+1 failures spaced by delay_before_retry', async () => {
    const h = harness(ONE, {});
    h.mon.start();
    await h.clock.advance(6005);
    expect(h.at('10.0.1.1:80')).toEqual([0, 3002, 6004]); // each retry 3 s after the failure before it
    expect(h.events).toEqual([]);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(true);
    await h.clock.advance(1);
    expect(h.brief()).toEqual(['6006 [10.0.0.1]:tcp:80 10.0.1.1:80 down ECONNREFUSED after 2 retries']);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    expect(h.scripts).toEqual(['/bin/down 10.0.1.1']);
    // back on the delay_loop cadence, silent while down (keepalived retries while down too)
    await h.clock.advance(20_000);
    expect(h.at('10.0.1.1:80')).toEqual([0, 3002, 6004, 10_000, 13_002, 16_004, 20_000, 23_002, 26_004]);
    expect(h.events).toHaveLength(1);
  });

  it('one success brings a down server back', async () => {
    const health: Record<string, true | string> = { '10.0.1.1:80': 'timeout' };
    const h = harness(ONE, health);
    h.mon.start();
    await h.clock.advance(7000);
    expect(h.events.map((e) => e.state)).toEqual(['down']);
    health['10.0.1.1:80'] = true;
    await h.clock.advance(3003);
    expect(h.brief().at(-1)).toBe('10002 [10.0.0.1]:tcp:80 10.0.1.1:80 up success');
    expect(h.scripts).toEqual(['/bin/down 10.0.1.1', '/bin/up 10.0.1.1']);
  });

  it('alpha starts down until the first success', async () => {
    const h = harness(ONE.replace('delay_loop 10', 'delay_loop 10\n  alpha'), { '10.0.1.1:80': true });
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    expect(h.mon.status()[0]?.realServers[0]).toMatchObject({ state: 'down', reason: 'alpha' });
    h.mon.start();
    await h.clock.advance(5);
    expect(h.brief()).toEqual(['2 [10.0.0.1]:tcp:80 10.0.1.1:80 up success']);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(true);
  });

  it('identical checks shared by two virtual servers run once', async () => {
    const vs = (port: number) => `virtual_server 10.0.0.1 ${port} {\n delay_loop 10\n protocol TCP\n real_server 10.0.1.1 80 {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n}\n`;
    const h = harness(vs(80) + vs(8080), {});
    h.mon.start();
    await h.clock.advance(25_000);
    expect(h.at('10.0.1.1:80')).toEqual([0, 10_000, 20_000]);
    expect(h.brief()).toEqual(['2 [10.0.0.1]:tcp:80 10.0.1.1:80 down ECONNREFUSED', '2 [10.0.0.1]:tcp:8080 10.0.1.1:80 down ECONNREFUSED']);
    expect(h.mon.stats().checks).toBe(1);
  });

  it('a server with several checks is up only while all of them are', async () => {
    const two = `virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n real_server 10.0.1.1 80 {\n  TCP_CHECK {\n   retry 0\n  }\n  TCP_CHECK {\n   connect_port 22\n   retry 0\n  }\n }\n}`;
    const health: Record<string, true | string> = { '10.0.1.1:80': true, '10.0.1.1:22': 'ECONNREFUSED' };
    const h = harness(two, health);
    h.mon.start();
    await h.clock.advance(5);
    expect(h.events.map((e) => e.state)).toEqual(['down']);
    health['10.0.1.1:80'] = 'timeout';
    health['10.0.1.1:22'] = true;
    await h.clock.advance(10_000);
    expect(h.events.map((e) => e.state)).toEqual(['down']); // 22 came back, 80 went down: still down
    health['10.0.1.1:80'] = true;
    await h.clock.advance(10_000);
    expect(h.events.map((e) => e.state)).toEqual(['down', 'up']);
  });

  it('reload keeps the state of unchanged checks', async () => {
    const cfg = (extra: string, loopA = 10) => `virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n real_server 10.0.1.1 80 {\n  TCP_CHECK {\n   retry 0\n   delay_loop ${loopA}\n  }\n }\n real_server 10.0.1.2 80 {\n  weight 3\n  TCP_CHECK {\n   retry 0\n  }\n }\n${extra}}`;
    const h = harness(cfg(''), { '10.0.1.2:80': true, '10.0.1.3:80': true });
    h.mon.start();
    await h.clock.advance(12_000);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    const before = h.events.length;
    // a new server and a weight change elsewhere: nothing flaps, nothing is checked early
    h.mon.update(model(cfg(' real_server 10.0.1.3 80 {\n  weight 2\n  TCP_CHECK {\n   retry 0\n  }\n }\n').replace('weight 3', 'weight 5')));
    expect(h.events.length).toBe(before);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.3', 80)).toBe(true);
    expect(h.mon.status()[0]?.realServers.find((r) => r.address === '10.0.1.2')?.weight).toBe(5);
    await h.clock.advance(8_500);
    expect(h.at('10.0.1.1:80')).toEqual([0, 10_000, 20_000]);
    expect(h.at('10.0.1.2:80')).toEqual([0, 10_000, 20_000]);
    // the down server's check changes (delay_loop 10 -> 5): its verdict migrates, it is not re-added
    h.mon.update(model(cfg('', 5)));
    await h.clock.advance(1);
    expect(h.events.length).toBe(before);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    // the removed server's checks stop
    const c3 = h.at('10.0.1.3:80').length;
    await h.clock.advance(20_000);
    expect(h.at('10.0.1.3:80').length).toBe(c3);
    expect(h.events.length).toBe(before);
  });

  it('a server added on reload that shares a down check starts down', async () => {
    const vs = (port: number) => `virtual_server 10.0.0.1 ${port} {\n delay_loop 10\n protocol TCP\n real_server 10.0.1.1 80 {\n  TCP_CHECK {\n   retry 0\n  }\n }\n}\n`;
    const h = harness(vs(80), {});
    h.mon.start();
    await h.clock.advance(5);
    expect(h.mon.isUp('[10.0.0.1]:tcp:80', '10.0.1.1', 80)).toBe(false);
    h.mon.update(model(vs(80) + vs(8080)));
    expect(h.mon.isUp('[10.0.0.1]:tcp:8080', '10.0.1.1', 80)).toBe(false);
    expect(h.mon.status()[1]?.realServers[0]).toMatchObject({ state: 'down', reason: 'ECONNREFUSED' });
    expect(h.calls).toHaveLength(1); // shared, not checked again at once
  });

  it('quorum is lost and regained with hysteresis, as events', async () => {
    const cfg = `virtual_server 10.0.0.1 80 {\n delay_loop 10\n protocol TCP\n quorum 3\n hysteresis 1\n quorum_up "/bin/qup"\n quorum_down "/bin/qdown"\n sorry_server 10.0.9.9 80\n${[1, 2, 3, 4]
      .map((i) => ` real_server 10.0.1.${i} 80 {\n  TCP_CHECK {\n   retry 0\n  }\n }\n`)
      .join('')}}`;
    const health: Record<string, true | string> = { '10.0.1.1:80': true, '10.0.1.2:80': true, '10.0.1.3:80': true, '10.0.1.4:80': true };
    const h = harness(cfg, health);
    expect(h.mon.quorumUp('[10.0.0.1]:tcp:80')).toBe(true);
    h.mon.start();
    health['10.0.1.1:80'] = 'timeout';
    health['10.0.1.2:80'] = 'timeout';
    await h.clock.advance(5);
    // 2 alive: the quorum is lost only below quorum - hysteresis = 2
    expect(h.quorum).toEqual([]);
    health['10.0.1.3:80'] = 'timeout';
    await h.clock.advance(10_000);
    expect(h.quorum.map((q) => `${q.state} ${q.aliveWeight} ${q.threshold}`)).toEqual(['down 1 2']);
    health['10.0.1.1:80'] = true;
    health['10.0.1.2:80'] = true;
    await h.clock.advance(10_000);
    // 3 alive: not yet quorum + hysteresis = 4
    expect(h.quorum).toHaveLength(1);
    health['10.0.1.3:80'] = true;
    await h.clock.advance(10_000);
    expect(h.quorum.map((q) => `${q.state} ${q.aliveWeight} ${q.threshold}`)).toEqual(['down 1 2', 'up 4 4']);
    expect(h.scripts.filter((s) => s.startsWith('/bin/q'))).toEqual(['/bin/qdown', '/bin/qup']);
  });

  it('omega runs notify_down and quorum_down on stop, as an event', async () => {
    const cfg = (name: string, omega: boolean) => `virtual_server 10.0.0.1 ${name} {\n delay_loop 10\n protocol TCP\n${omega ? ' omega\n' : ''} quorum_down "/bin/qdown ${name}"\n real_server 10.0.1.1 80 {\n  notify_down "/bin/down ${name}"\n  TCP_CHECK {\n   retry 0\n  }\n }\n real_server 10.0.1.2 80 {\n  notify_down "/bin/down2 ${name}"\n  TCP_CHECK {\n   retry 0\n  }\n }\n}\n`;
    const h = harness(cfg('80', true) + cfg('81', false), { '10.0.1.1:80': true });
    const omega: OmegaEvent[] = [];
    h.mon.on('omega', (e) => omega.push(e));
    h.mon.start();
    await h.clock.advance(5);
    h.scripts.length = 0;
    await h.mon.stop();
    expect(omega.map((e) => `${e.vs.name} ${e.servers.map((s) => s.address).join(',')}`)).toEqual(['[10.0.0.1]:tcp:80 10.0.1.1']);
    expect(h.scripts).toEqual(['/bin/down 80', '/bin/qdown 80']);
    const calls = h.calls.length;
    await h.clock.advance(60_000);
    expect(h.calls.length).toBe(calls);
  });

  it('status gives state, last check time, latency and last failure per real server', async () => {
    const h = harness(ONE.replace('retry 2', 'retry 0'), {});
    h.mon.start();
    await h.clock.advance(10_005);
    const rs = h.mon.status()[0]?.realServers[0];
    expect(rs).toMatchObject({ address: '10.0.1.1', port: 80, state: 'down', since: 2, lastCheckAt: 10_000, latencyMs: 2, lastFailure: { reason: 'ECONNREFUSED', at: 10_002 } });
    expect(rs?.checks[0]).toMatchObject({ target: 'TCP_CHECK [10.0.1.1]:80', state: 'down', nextCheckAt: 20_000 });
  });

  it('a hung notify script does not delay checks', async () => {
    // real time: checks every 50 ms; the first failure runs a notify_down that hangs for a minute
    const cfg = `virtual_server 10.0.0.1 80 {\n delay_loop 0.05\n protocol TCP\n real_server 10.0.1.1 80 {\n  notify_down "${process.execPath} -e setTimeout(()=>{},60000)"\n  TCP_CHECK {\n   retry 0\n  }\n }\n}`;
    const starts: number[] = [];
    const probe: Probe = () => {
      starts.push(performance.now());
      return Promise.resolve({ ok: false, reason: 'ECONNREFUSED', latencyMs: 0 });
    };
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const runner = new ScriptRunner({ timeoutMs: 30_000, self, db: { user: () => undefined, group: () => undefined } });
    const mon = new HealthMonitor(model(cfg), { probe, scripts: runner, random: () => 0, stopScriptTimeoutMs: 50 });
    const ended: ScriptResult[] = [];
    mon.on('script', (e) => ended.push(e.result));
    mon.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(runner.running).toBe(1); // the script is still hanging
    expect(ended).toEqual([]);
    // checking went on at its 50 ms cadence while the script hung (bounds loose for a busy host)
    expect(starts.length).toBeGreaterThanOrEqual(6);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(Math.max(...gaps)).toBeLessThan(400);
    await mon.stop();
    expect(ended[0]?.signal).toBe('SIGKILL'); // stop killed it
  });
});
