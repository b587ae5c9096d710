// Unit tests: what a SIGHUP does to running VRRP instances — the pure plan (keep, update, restart, remove, add) and the state machine taking new settings in place.
import { describe, expect, it } from 'vitest';
import { memoryFs, parseConfig, type Model } from '../../src/config/index.js';
import { planVrrpReload } from '../../src/vrrp/reload.js';
import { reconfigure } from '../../src/vrrp/fsm-reconfigure.js';
import { initialState, step, type FsmState } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs } from '../../src/vrrp/timing.js';
import { testFsmConfig } from '../support/vrrp.js';

const F = '/etc/keepalived/keepalived.conf';

function instance(name: string, vrid: number, over: Record<string, string> = {}): string {
  const o = { state: 'BACKUP', interface: 'eth0', priority: '100', advert_int: '1', vip: '192.168.56.131/24', ...over };
  return `vrrp_instance ${name} {\n state ${o.state}\n interface ${o.interface}\n virtual_router_id ${vrid}\n priority ${o.priority}\n advert_int ${o.advert_int}\n virtual_ipaddress {\n  ${o.vip}\n }\n}\n`;
}

function model(text: string): Model {
  const r = parseConfig(F, memoryFs({ [F]: text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.model!;
}

describe('planVrrpReload', () => {
  it('keeps an unchanged instance even when its lines moved in the file', () => {
    const p = planVrrpReload(model(instance('VI_1', 51) + instance('VI_2', 52)), model(`# a comment\n\n${instance('VI_2', 52)}${instance('VI_1', 51)}`));
    expect(p).toMatchObject({ full: false, keep: ['VI_1', 'VI_2'], update: [], restart: [], remove: [], add: [], syncDaemonChanged: false });
  });

  it('updates in place a change of priority, advert_int or virtual addresses, naming the settings', () => {
    const p = planVrrpReload(model(instance('VI_1', 51) + instance('VI_2', 52)), model(instance('VI_1', 51, { priority: '120' }) + instance('VI_2', 52, { vip: '192.168.56.132/24', advert_int: '2' })));
    expect(p.update).toEqual([
      { name: 'VI_1', changes: ['priority'] },
      { name: 'VI_2', changes: ['advertInt', 'virtualIpAddresses'] },
    ]);
    expect(p.restart).toEqual([]);
    expect(p.full).toBe(false);
  });

  it('restarts an instance whose interface or VRID changed, removes and adds by name', () => {
    const p = planVrrpReload(model(instance('VI_1', 51) + instance('VI_2', 52) + instance('VI_3', 53)), model(instance('VI_1', 51, { interface: 'eth1' }) + instance('VI_2', 62) + instance('VI_4', 54)));
    expect(p.restart).toEqual([
      // the VIP's device follows the instance's interface
      { name: 'VI_1', changes: ['interface', 'virtualIpAddresses'] },
      { name: 'VI_2', changes: ['virtualRouterId'] },
    ]);
    expect(p.remove).toEqual(['VI_3']);
    expect(p.add).toEqual(['VI_4']);
    expect(p.keep).toEqual([]);
  });

  it('restarts everything when a sync group or a vrrp_script changes, and says why', () => {
    const group = (members: string) => `vrrp_sync_group G {\n group {\n${members}\n }\n}\n`;
    const base = instance('VI_1', 51) + instance('VI_2', 52);
    expect(planVrrpReload(model(group('  VI_1\n  VI_2') + base), model(group('  VI_1') + base))).toMatchObject({ full: true, reason: 'vrrp_sync_group changed' });
    const script = (i: number) => `vrrp_script chk {\n script "/bin/true"\n interval ${i}\n}\n`;
    expect(planVrrpReload(model(script(1) + base), model(script(2) + base))).toMatchObject({ full: true, reason: 'vrrp_script changed' });
    // a group member restarted (new interface) while the group stays: the group must be rebuilt too
    expect(planVrrpReload(model(group('  VI_1') + base), model(group('  VI_1') + instance('VI_1', 51, { interface: 'eth1' }) + instance('VI_2', 52)))).toMatchObject({ full: true, reason: 'sync group member VI_1 starts or stops' });
  });

  it('notices lvs_sync_daemon and garp interval changes', () => {
    const body = instance('VI_1', 51);
    const p = planVrrpReload(model(`global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n${body}`), model(`global_defs {\n lvs_sync_daemon eth0 VI_1 id 7\n vrrp_garp_interval 0.01\n}\n${body}`));
    expect(p).toMatchObject({ syncDaemonChanged: true, garpPacingChanged: true, keep: ['VI_1'] });
  });
});

describe('reconfigure (the state machine takes new settings in place)', () => {
  const mdi = (prio: number) => masterDownIntervalMs(2, prio, 1000);
  const backup = (): FsmState => step(initialState(testFsmConfig()), { kind: 'startup' }, 0).state;
  const master = (): FsmState => {
    const b = backup();
    return step(b, { kind: 'master-down-timer-expired' }, b.timers['master-down']!).state;
  };

  it('a Master stays Master and advertises its new priority at once', () => {
    const m = master();
    const r = reconfigure(m, testFsmConfig({ basePriority: 50 }), 10_000);
    expect(r.state.state).toBe('MASTER');
    expect(r.state.effectivePriority).toBe(50);
    expect(r.actions).toEqual([{ kind: 'send-advert', priority: 50 }, { kind: 'set-timer', timer: 'advert', at: 11_000 }]);
    expect(r.actions.some((a) => a.kind === 'notify' || a.kind === 'become-backup')).toBe(false);
    // the peer with priority 80 now preempts it by the ordinary rule: the higher advert makes it step down
    expect(step(r.state, { kind: 'advert-received', priority: 80, source: '10.0.0.9' }, 10_500).state.state).toBe('BACKUP');
  });

  it('a Backup whose new priority beats the Master preempts when its restarted down timer fires', () => {
    const b = step(backup(), { kind: 'advert-received', priority: 100, source: '10.0.0.9' }, 500).state;
    const r = reconfigure(b, testFsmConfig({ basePriority: 120 }), 2000);
    expect(r.state.state).toBe('BACKUP');
    expect(r.state.timers['master-down']).toBe(2000 + mdi(120));
    // lower-priority adverts from the old Master no longer reset the timer
    const heard = step(r.state, { kind: 'advert-received', priority: 100, source: '10.0.0.9' }, 2500).state;
    expect(heard.timers['master-down']).toBe(2000 + mdi(120));
    expect(step(heard, { kind: 'master-down-timer-expired' }, 2000 + mdi(120)).state.state).toBe('MASTER');
  });

  it('keeps the weight of tracking on top of the new base priority', () => {
    const m = { ...master(), weight: -30, effectivePriority: 70 };
    expect(reconfigure(m, testFsmConfig({ basePriority: 120 }), 0).state.effectivePriority).toBe(90);
  });

  it('drops a running preempt delay that the new settings no longer have', () => {
    const held = step(step(initialState(testFsmConfig({ preemptDelayMs: 5000 })), { kind: 'startup' }, 0).state, { kind: 'advert-received', priority: 50, source: '10.0.0.9' }, 100).state;
    expect(held.timers['preempt-delay']).toBe(5100);
    const r = reconfigure(held, testFsmConfig(), 200);
    expect(r.state.timers['preempt-delay']).toBeUndefined();
    expect(r.state.preemptAt).toBeUndefined();
  });
});
