// Unit tests: vrrp_sync_group — members go MASTER, BACKUP and FAULT together, as keepalived's vrrp_sync.c does.
import { testFsmConfig } from '../support/vrrp.js';
import { describe, expect, it } from 'vitest';
import { initialState, type FsmEvent, type FsmState } from '../../src/vrrp/fsm.js';
import { groupStartup, groupStep, initialGroup, type GroupStepResult, type SyncGroupState } from '../../src/vrrp/sync-group.js';
import type { FsmConfig } from '../../src/vrrp/timing.js';

const cfg = (name: string, over: Partial<FsmConfig> = {}): FsmConfig => testFsmConfig({ name, localAddress: '192.168.56.121', ...over });

/** Group is a sync group under test: its state, its members and everything notified so far. */
class Group {
  group: SyncGroupState;
  insts: ReadonlyMap<string, FsmState>;
  readonly notified: string[] = [];
  constructor(members: FsmConfig[]) {
    this.group = initialGroup('G1', members.map((m) => m.name));
    this.insts = new Map(members.map((m) => [m.name, initialState(m)]));
  }
  private take(r: GroupStepResult): GroupStepResult {
    this.group = r.group;
    this.insts = r.instances;
    for (const a of r.actions) if (a.action.kind === 'notify') this.notified.push(`${a.instance}:${a.action.state}`);
    this.notified.push(...r.notifications.map((n) => `group:${n}`));
    return r;
  }
  startup(now = 0): GroupStepResult {
    return this.take(groupStartup(this.group, this.insts, now));
  }
  send(member: string, event: FsmEvent, now: number): GroupStepResult {
    return this.take(groupStep(this.group, this.insts, member, event, now));
  }
  states(): string[] {
    return [...this.insts.values()].map((s) => s.state);
  }
  timer(member: string): number {
    return this.insts.get(member)?.timers['master-down'] ?? NaN;
  }
}

describe('VRRP sync group', () => {
  it('members wait for each other and then become master together', () => {
    const g = new Group([cfg('VI_1', { basePriority: 150 }), cfg('VI_2', { basePriority: 100 })]);
    g.startup();
    expect(g.group.state).toBe('BACKUP');
    // VI_1 (higher priority, shorter skew) times out first but the group is not ready: it waits, wanting MASTER
    const t1 = g.timer('VI_1');
    expect(t1).toBeLessThan(g.timer('VI_2'));
    g.send('VI_1', { kind: 'master-down-timer-expired' }, t1);
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
    expect(g.insts.get('VI_1')?.wantMaster).toBe(true);
    // VI_2 times out: everyone wants MASTER, so it goes and takes VI_1 along
    const r = g.send('VI_2', { kind: 'master-down-timer-expired' }, g.timer('VI_2'));
    expect(g.states()).toEqual(['MASTER', 'MASTER']);
    expect(g.group.state).toBe('MASTER');
    expect(r.actions.filter((a) => a.action.kind === 'become-master').map((a) => a.instance)).toEqual(['VI_2', 'VI_1']);
    expect(g.notified).toEqual(['VI_1:BACKUP', 'VI_2:BACKUP', 'group:BACKUP', 'VI_2:MASTER', 'VI_1:MASTER', 'group:MASTER']);
  });

  it('a member hearing a higher priority takes the whole group to backup', () => {
    const g = new Group([cfg('VI_1', { basePriority: 255, initialState: 'MASTER' }), cfg('VI_2', { basePriority: 255, initialState: 'MASTER' })]);
    g.startup();
    expect(g.states()).toEqual(['MASTER', 'MASTER']); // all owners: Master at once
    // the owners' priority is fixed; make VI_2 yield to a peer as a 254 would
    g.insts = new Map([...g.insts].map(([k, s]) => [k, k === 'VI_2' ? { ...s, basePriority: 100, effectivePriority: 100 } : s]));
    g.send('VI_2', { kind: 'advert-received', priority: 200, source: '192.168.56.122' }, 5000);
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
    expect(g.group.state).toBe('BACKUP');
  });

  it('a member with a mix of owners and others starts as backup', () => {
    const g = new Group([cfg('VI_1', { basePriority: 255, initialState: 'MASTER' }), cfg('VI_2')]);
    g.startup();
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('one member going to FAULT takes the group to FAULT, and they come back together', () => {
    const g = new Group([cfg('VI_1'), cfg('VI_2')]);
    g.startup();
    g.send('VI_1', { kind: 'master-down-timer-expired' }, g.timer('VI_1'));
    g.send('VI_2', { kind: 'master-down-timer-expired' }, g.timer('VI_2'));
    expect(g.states()).toEqual(['MASTER', 'MASTER']);
    const down = g.send('VI_2', { kind: 'fault', source: 'interface:eth1' }, 10_000);
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    expect(g.group.state).toBe('FAULT');
    // both release their addresses with a priority 0 advert
    expect(down.actions.filter((a) => a.action.kind === 'send-advert').map((a) => `${a.instance}:${a.action.kind === 'send-advert' ? a.action.priority : ''}`).sort()).toEqual(['VI_1:0', 'VI_2:0']);
    g.send('VI_2', { kind: 'fault-cleared', source: 'interface:eth1' }, 20_000);
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
    expect(g.group.state).toBe('BACKUP');
    expect(g.timer('VI_1')).toBeGreaterThan(20_000);
  });

  it('the group stays in FAULT while any member still has a fault of its own', () => {
    const g = new Group([cfg('VI_1'), cfg('VI_2')]);
    g.startup();
    g.send('VI_1', { kind: 'fault', source: 'script:a' }, 1000);
    g.send('VI_2', { kind: 'fault', source: 'script:b' }, 2000);
    g.send('VI_1', { kind: 'fault-cleared', source: 'script:a' }, 3000);
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    g.send('VI_2', { kind: 'fault-cleared', source: 'script:b' }, 4000);
    expect(g.states()).toEqual(['BACKUP', 'BACKUP']);
  });

  it('a member already faulted at startup holds the whole group in FAULT', () => {
    const g = new Group([cfg('VI_1'), cfg('VI_2')]);
    g.insts = new Map([...g.insts].map(([k, s]) => [k, k === 'VI_1' ? { ...s, faults: ['interface:eth0'] } : s]));
    const r = g.startup();
    expect(g.states()).toEqual(['FAULT', 'FAULT']);
    expect(r.notifications).toEqual(['FAULT']);
    expect(g.notified.filter((n) => n.endsWith('BACKUP'))).toEqual([]); // nobody passes through BACKUP on the way
  });
});
