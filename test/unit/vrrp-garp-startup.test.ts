// Unit tests: vrrp_garp_interval / vrrp_gna_interval spacing per interface, and vrrp_startup_delay holding instances out of Master.
import { describe, expect, it } from 'vitest';
import { GarpPacer } from '../../src/vrrp/garp-pacer.js';
import { initialState, step, type FsmState } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs } from '../../src/vrrp/timing.js';
import { testFsmConfig } from '../support/vrrp.js';

describe('GarpPacer (vrrp_garp_interval, vrrp_gna_interval)', () => {
  it('sends everything at once when no interval is set', () => {
    const p = new GarpPacer(0, 0);
    expect(p.reserve('eth0', 'garp', 3, 100)).toEqual([100, 100, 100]);
    expect(p.reserve('eth0', 'garp', 1, 100)).toEqual([100]);
  });

  it('spaces successive GARPs on one interface by the interval, across calls (the next VIP waits its turn)', () => {
    const p = new GarpPacer(10, 0);
    expect(p.reserve('eth0', 'garp', 3, 1000)).toEqual([1000, 1010, 1020]);
    // a second instance's burst on the same interface queues behind the first
    expect(p.reserve('eth0', 'garp', 2, 1005)).toEqual([1030, 1040]);
    // once the interface is idle again, the next one leaves at once
    expect(p.reserve('eth0', 'garp', 1, 2000)).toEqual([2000]);
  });

  it('keeps interfaces and GARP/NA apart: each has its own next time and its own interval', () => {
    const p = new GarpPacer(10, 2);
    expect(p.reserve('eth0', 'garp', 2, 0)).toEqual([0, 10]);
    expect(p.reserve('eth1', 'garp', 2, 0)).toEqual([0, 10]);
    expect(p.reserve('eth0', 'gna', 3, 0)).toEqual([0, 2, 4]);
    expect(p.reserve('eth0', 'garp', 1, 0)).toEqual([20]);
  });

  it('leaves NAs unpaced when only vrrp_garp_interval is set', () => {
    const p = new GarpPacer(10, 0);
    expect(p.reserve('eth0', 'gna', 3, 5)).toEqual([5, 5, 5]);
  });
});

describe('vrrp_startup_delay', () => {
  const start = (s: FsmState, now = 0) => step(s, { kind: 'startup' }, now);

  it('pushes a Backup\'s first Master_Down_Timer to the end of the delay plus Master_Down_Interval', () => {
    const r = start(initialState(testFsmConfig(), 0, [], 5000));
    expect(r.state.state).toBe('BACKUP');
    expect(r.state.timers['master-down']).toBe(5000 + masterDownIntervalMs(2, 100, 1000));
    // without the delay it is Master_Down_Interval from now
    expect(start(initialState(testFsmConfig())).state.timers['master-down']).toBe(masterDownIntervalMs(2, 100, 1000));
  });

  it('holds an address owner in Backup until the delay ends, then it becomes Master', () => {
    const owner = testFsmConfig({ basePriority: 255, initialState: 'MASTER' });
    const r = start(initialState(owner, 0, [], 3000), 10);
    expect(r.state.state).toBe('BACKUP');
    expect(r.actions.some((a) => a.kind === 'become-master' || a.kind === 'send-advert')).toBe(false);
    expect(r.state.timers['master-down']).toBe(3000);
    expect(step(r.state, { kind: 'master-down-timer-expired' }, 2999).state.state).toBe('BACKUP');
    expect(step(r.state, { kind: 'master-down-timer-expired' }, 3000).state.state).toBe('MASTER');
    // no delay: Master at once
    expect(start(initialState(owner)).state.state).toBe('MASTER');
  });

  it('restarts the timer from the end of the delay when a Master is heard during it, and from now after it', () => {
    const b = start(initialState(testFsmConfig(), 0, [], 5000)).state;
    const mdi = masterDownIntervalMs(2, 100, 1000);
    const heard = step(b, { kind: 'advert-received', priority: 150, source: '10.0.0.2' }, 1000).state;
    expect(heard.timers['master-down']).toBe(5000 + mdi);
    const later = step(heard, { kind: 'advert-received', priority: 150, source: '10.0.0.2' }, 6000).state;
    expect(later.timers['master-down']).toBe(6000 + mdi);
  });

  it('applies to the skew time after a priority-0 advert during the delay', () => {
    const b = start(initialState(testFsmConfig(), 0, [], 5000)).state;
    const r = step(b, { kind: 'advert-received', priority: 0, source: '10.0.0.2' }, 100).state;
    expect(r.timers['master-down']).toBeGreaterThanOrEqual(5000);
    expect(r.timers['master-down']).toBeLessThan(5000 + 1000);
  });
});
