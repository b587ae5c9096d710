// Unit tests: vrrp_script polling with rise/fall through a fake script runner (a hung script never blocks the others), and tracked-object summaries per instance (an IPv6 source address included).
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Script } from '../../src/config/index.js';
import type { ScriptResult, ScriptRunnerLike } from '../../src/health/scripts.js';
import { instanceTracking, ScriptPoller } from '../../src/vrrp/io/tracking.js';

const F = '/etc/keepalived/keepalived.conf';
const model = (text: string) => {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!;
};

/** FakeRunner answers each script by its first word: `ok` exits 0, `fail` exits 1, `hang` never ends until its timeout. */
class FakeRunner implements ScriptRunnerLike {
  calls: string[] = [];
  outcome = new Map<string, 'ok' | 'fail' | 'hang'>();
  run(script: Script, timeoutMs = 1000): Promise<ScriptResult> {
    const name = script.argv[0]!;
    this.calls.push(name);
    const o = this.outcome.get(name) ?? 'ok';
    const base = { argv: script.argv, signal: null, durationMs: 0, stdout: '', stderr: '' };
    if (o === 'hang') return new Promise((r) => setTimeout(() => r({ ...base, code: null, timedOut: true }), timeoutMs));
    return Promise.resolve({ ...base, code: o === 'ok' ? 0 : 1, timedOut: false });
  }
  setDefaults(): void {}
  idle(): Promise<boolean> {
    return Promise.resolve(true);
  }
  killAll(): void {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ScriptPoller', () => {
  it('reports a failure after `fall` failed runs and recovery after `rise` good ones, while a hung script runs on its own', async () => {
    const m = model(`vrrp_script chk {\n script "chk"\n interval 0.05\n rise 2\n fall 2\n}\nvrrp_script slow {\n script "slow"\n interval 0.05\n timeout 1\n}\n`);
    const runner = new FakeRunner();
    runner.outcome.set('slow', 'hang');
    const changes: string[] = [];
    const poller = new ScriptPoller(m.vrrp.scripts, runner, (name, status) => changes.push(`${name}:${status}`));
    poller.start();
    await sleep(120);
    expect(poller.status('chk')).toBe('ok');
    runner.outcome.set('chk', 'fail');
    await sleep(250);
    expect(poller.status('chk')).toBe('failed');
    runner.outcome.set('chk', 'ok');
    await sleep(250);
    poller.stop();
    expect(changes.filter((c) => c.startsWith('chk'))).toEqual(['chk:ok', 'chk:failed', 'chk:ok']);
    // the hung one ran once in all that time, and the other kept its interval
    expect(runner.calls.filter((c) => c === 'slow')).toHaveLength(1);
    expect(runner.calls.filter((c) => c === 'chk').length).toBeGreaterThan(6);
    expect(poller.status('slow')).toBe('unknown');
  });
});

describe('instanceTracking', () => {
  const m = model(`vrrp_script chk {\n script "chk"\n weight -30\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n track_script {\n  chk\n }\n track_interface {\n  eth1 weight -10\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`);
  const inst = m.vrrp.instances[0]!;

  it('faults on its own interface down, and weighs the tracked script and interface', () => {
    const links = new Map([['eth0', true], ['eth1', true]]);
    expect(instanceTracking(inst, (n) => links.get(n), () => 'ok')).toEqual({ weight: 0, faults: [] });
    expect(instanceTracking(inst, (n) => links.get(n), () => 'failed')).toEqual({ weight: -30, faults: [] });
    links.set('eth1', false);
    expect(instanceTracking(inst, (n) => links.get(n), () => 'failed')).toEqual({ weight: -40, faults: [] });
    links.set('eth0', false);
    expect(instanceTracking(inst, (n) => links.get(n), () => 'ok').faults).toEqual(['interface:eth0']);
  });

  it('an IPv6 instance faults while its source address is missing, tentative or DAD-failed, even with dont_track_primary', () => {
    const v6 = model(`vrrp_instance VI6 {\n interface eth0\n dont_track_primary\n virtual_router_id 61\n priority 100\n virtual_ipaddress {\n  fe80::61\n }\n}\n`).vrrp.instances[0]!;
    const up = () => true;
    expect(instanceTracking(v6, up, () => 'ok', undefined, { address: 'fe80::1', state: 'usable' })).toEqual({ weight: 0, faults: [] });
    for (const state of ['missing', 'tentative', 'dadfailed'] as const) {
      expect(instanceTracking(v6, up, () => 'ok', undefined, { address: 'fe80::1', state })).toEqual({ weight: 0, faults: ['address:fe80::1'] });
    }
    // no source given (IPv4): nothing tracked beyond the interface
    expect(instanceTracking(v6, () => false, () => 'ok')).toEqual({ weight: 0, faults: [] });
  });
});
