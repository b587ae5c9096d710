// Unit tests: the VRRP instance state machine on a simulated LAN with a fake clock — RFC 5798 §6.4 rules and keepalived's extensions.
import { NO_GARP, testFsmConfig } from '../support/vrrp.js';
import { describe, expect, it } from 'vitest';
import { initialState, masterDownInterval, step, TIMER_EVENTS, type FsmAction, type FsmEvent, type FsmState, type TimerKind } from '../../src/vrrp/fsm.js';
import { initialScriptState, scriptResult, summarizeTracking, trackingEvents } from '../../src/vrrp/script-tracker.js';
import { effectivePriority, masterDownIntervalMs, skewTimeMs, type FsmConfig } from '../../src/vrrp/timing.js';


const config = testFsmConfig;

interface Logged {
  readonly t: number;
  readonly action: FsmAction;
}

/** Lan is routers on one segment: an advert one sends reaches every other router that is on the wire, at once. */
class Lan {
  now = 0;
  readonly routers = new Map<string, { state: FsmState; address: string; online: boolean; log: Logged[] }>();

  add(name: string, address: string, cfg: FsmConfig): void {
    this.routers.set(name, { state: initialState({ ...cfg, name, localAddress: address }), address, online: true, log: [] });
  }
  router(name: string) {
    const r = this.routers.get(name);
    if (!r) throw new Error(`no router ${name}`);
    return r;
  }
  state(name: string): string {
    return this.router(name).state.state;
  }
  /** send delivers one event to a router and, breadth first, the adverts that follow from it. */
  send(name: string, event: FsmEvent): void {
    const queue: [string, FsmEvent][] = [[name, event]];
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [to, ev] = item;
      const r = this.router(to);
      const res = step(r.state, ev, this.now);
      r.state = res.state;
      for (const action of res.actions) {
        r.log.push({ t: this.now, action });
        if (action.kind !== 'send-advert' || !r.online) continue;
        for (const [other, o] of this.routers) {
          if (other === to || !o.online) continue;
          queue.push([other, { kind: 'advert-received', priority: action.priority, source: r.address, maxAdvertIntervalMs: r.state.config.version === 3 ? r.state.config.advertIntervalMs : undefined }]);
        }
      }
    }
  }
  /** runUntil fires every timer due up to `t`, in time order. */
  runUntil(t: number): void {
    for (;;) {
      let next: { name: string; kind: TimerKind; at: number } | undefined;
      for (const [name, r] of this.routers) {
        for (const [kind, at] of Object.entries(r.state.timers) as [TimerKind, number][]) {
          if (at <= t && (!next || at < next.at)) next = { name, kind, at };
        }
      }
      if (!next) break;
      this.now = next.at;
      this.send(next.name, TIMER_EVENTS[next.kind]);
    }
    this.now = t;
  }
  /** firstTime is when a router first did something matching, after `since`. */
  firstTime(name: string, match: (a: FsmAction) => boolean, since = -1): number | undefined {
    return this.router(name).log.find((l) => l.t > since && match(l.action))?.t;
  }
}

/** master is an instance that started as Backup and became Master when its down timer fired (at Master_Down_Interval). */
function master(cfg: FsmConfig): FsmState {
  const b = step(initialState(cfg), { kind: 'startup' }, 0).state;
  const at = b.timers['master-down'] ?? NaN;
  const m = step(b, { kind: 'master-down-timer-expired' }, at).state;
  expect(m.state).toBe('MASTER');
  return m;
}

const becameMaster = (a: FsmAction): boolean => a.kind === 'become-master';
const kinds = (actions: readonly FsmAction[]): string[] => actions.map((a) => (a.kind === 'set-timer' || a.kind === 'cancel-timer' ? `${a.kind}:${a.timer}` : a.kind === 'notify' ? `notify:${a.state}` : a.kind === 'send-advert' ? `send-advert:${a.priority}` : a.kind));

describe('VRRP timing arithmetic', () => {
  it.each([
    // [version, priority, Master_Adver_Interval ms, Skew_Time ms] — RFC 3768 §6.1 (v2: seconds, regardless of interval) and RFC 5798 §6.1
    [2, 100, 1000, ((256 - 100) / 256) * 1000],
    [2, 100, 3000, ((256 - 100) / 256) * 1000],
    [3, 100, 1000, ((256 - 100) * 1000) / 256],
    [3, 200, 100, ((256 - 200) * 100) / 256],
    [3, 1, 40950, Math.floor(((256 - 1) * 40950 * 1000) / 256) / 1000],
  ] as const)('v%i priority %i interval %i ms: skew %f ms', (version, priority, interval, skew) => {
    expect(skewTimeMs(version, priority, interval)).toBeCloseTo(skew, 6);
    expect(masterDownIntervalMs(version, priority, interval)).toBeCloseTo(3 * interval + skew, 6);
  });

  it.each([
    [100, -30, 70],
    [100, -200, 1], // never below 1
    [200, 100, 254], // never up to the owner's 255
    [255, -50, 255], // the owner is not changed by tracking
    [80, 2, 82],
  ])('base %i with weights %i gives effective priority %i', (base, weight, expected) => {
    expect(effectivePriority(base, weight)).toBe(expected);
  });
});

describe('VRRP instance state machine', () => {
  it('backup becomes master after master_down_interval', () => {
    const lan = new Lan();
    lan.add('B', '192.168.56.122', config({ basePriority: 100 }));
    lan.send('B', { kind: 'startup' });
    expect(lan.state('B')).toBe('BACKUP');
    const mdi = 3 * 1000 + ((256 - 100) * 1000) / 256;
    lan.runUntil(mdi - 1);
    expect(lan.state('B')).toBe('BACKUP');
    lan.runUntil(mdi);
    expect(lan.state('B')).toBe('MASTER');
    expect(kinds(lan.router('B').log.filter((l) => l.t === mdi).map((l) => l.action))).toEqual(['send-advert:100', 'become-master', 'notify:MASTER', 'set-timer:advert']);
  });

  it('a backup that stood still while its down timer ran listens for the time it owes before taking over', () => {
    const b = step(initialState(config({ basePriority: 100 })), { kind: 'startup' }, 0).state;
    const due = b.timers['master-down']!;
    // stood still 2000 ms, of which 500 ms past the deadline: 1500 ms of listening owed
    const r = step(b, { kind: 'master-down-timer-expired', stalledMs: 2000 }, due + 500);
    expect(r.state.state).toBe('BACKUP');
    expect(r.state.timers['master-down']).toBe(due + 2000);
    expect(kinds(r.actions)).toEqual(['set-timer:master-down', 'warning']);
    // a Master frozen alongside speaks in that time: the backup stays backup
    const heard = step(r.state, { kind: 'advert-received', priority: 150, source: '192.168.56.121' }, due + 600);
    expect(heard.state.state).toBe('BACKUP');
    expect(step(heard.state, { kind: 'master-down-timer-expired' }, due + 2000).state.state).toBe('BACKUP');
    // silence through the owed time: it takes over then
    expect(step(r.state, { kind: 'master-down-timer-expired' }, due + 2000).state.state).toBe('MASTER');
  });

  it('a stall that ended after the deadline by more than it lasted owes nothing: the backup takes over at once', () => {
    const b = step(initialState(config({ basePriority: 100 })), { kind: 'startup' }, 0).state;
    const due = b.timers['master-down']!;
    expect(step(b, { kind: 'master-down-timer-expired', stalledMs: 800 }, due + 800).state.state).toBe('MASTER');
    expect(step(b, { kind: 'master-down-timer-expired', stalledMs: 0 }, due).state.state).toBe('MASTER');
    // owed time is at most one Master_Down_Interval
    const long = step(b, { kind: 'master-down-timer-expired', stalledMs: 60_000 }, due + 10);
    expect(long.state.timers['master-down']).toBe(due + 10 + masterDownInterval(b));
  });

  it('address owner becomes master at once', () => {
    const r = step(initialState(config({ basePriority: 255, initialState: 'MASTER', garp: { ...NO_GARP, masterRepeat: 5 } })), { kind: 'startup' }, 0);
    expect(r.state.state).toBe('MASTER');
    expect(kinds(r.actions)).toEqual(['send-advert:255', 'become-master', 'send-garp', 'notify:MASTER', 'set-timer:advert']);
  });

  it('a master with lower priority hears a higher priority and becomes backup', () => {
    const lan = new Lan();
    lan.add('A', '192.168.56.121', config({ basePriority: 100 }));
    lan.add('B', '192.168.56.122', config({ basePriority: 200 }));
    lan.router('B').online = false; // B powered off while A takes the VIP
    lan.send('A', { kind: 'startup' });
    lan.runUntil(5000);
    expect(lan.state('A')).toBe('MASTER');
    lan.router('B').online = true;
    lan.send('B', { kind: 'startup' });
    lan.runUntil(15_000);
    expect(lan.state('B')).toBe('MASTER');
    expect(lan.state('A')).toBe('BACKUP');
    const handover = lan.firstTime('B', becameMaster, 5000) ?? NaN;
    expect(handover - 5000).toBeCloseTo(masterDownIntervalMs(2, 200, 1000), 6); // B preempts when its own down timer fires
    expect(kinds(lan.router('A').log.filter((l) => l.t === handover).map((l) => l.action))).toEqual(['cancel-timer:advert', 'become-backup', 'notify:BACKUP', 'set-timer:master-down']);
  });

  it('nopreempt backup does not take over from a lower-priority master', () => {
    const lan = new Lan();
    lan.add('A', '192.168.56.121', config({ basePriority: 100 }));
    lan.add('B', '192.168.56.122', config({ basePriority: 200, preempt: false }));
    lan.router('B').online = false;
    lan.send('A', { kind: 'startup' });
    lan.runUntil(5000);
    lan.router('B').online = true;
    lan.send('B', { kind: 'startup' });
    lan.runUntil(60_000);
    expect(lan.state('A')).toBe('MASTER');
    expect(lan.state('B')).toBe('BACKUP');
    // …but takes over as soon as the master goes silent
    lan.router('A').online = false;
    lan.runUntil(65_000);
    expect(lan.state('B')).toBe('MASTER');
  });

  it('preempt_delay delays the takeover', () => {
    const takeover = (preemptDelayMs: number): number => {
      const lan = new Lan();
      lan.add('A', '192.168.56.121', config({ basePriority: 100 }));
      lan.add('B', '192.168.56.122', config({ basePriority: 200, preemptDelayMs }));
      lan.router('B').online = false;
      lan.send('A', { kind: 'startup' });
      lan.runUntil(5000);
      lan.router('B').online = true;
      lan.send('B', { kind: 'startup' });
      lan.runUntil(5400); // A's next advert (at 5609.375, its timer running since 4609.375) is still to come
      expect(lan.state('B')).toBe('BACKUP');
      lan.runUntil(60_000);
      expect(lan.state('B')).toBe('MASTER');
      return (lan.firstTime('B', becameMaster) ?? NaN) - 5000;
    };
    const immediate = takeover(0);
    const delayed = takeover(10_000);
    expect(immediate).toBeCloseTo(masterDownIntervalMs(2, 200, 1000), 6);
    // keepalived: the delay starts at the first lower-priority advert heard (within one interval of startup); adverts
    // are accepted until it has passed, and the Master_Down_Timer then runs out from the last one accepted
    expect(delayed).toBeGreaterThanOrEqual(10_000 - 1000 + masterDownIntervalMs(2, 200, 1000));
    expect(delayed).toBeLessThanOrEqual(10_000 + 1000 + masterDownIntervalMs(2, 200, 1000));
    expect(delayed - immediate).toBeGreaterThanOrEqual(9000);
  });

  it('priority 0 from the master makes the backup take over after skew time', () => {
    const lan = new Lan();
    lan.add('A', '192.168.56.121', config({ basePriority: 200 }));
    lan.add('B', '192.168.56.122', config({ basePriority: 100 }));
    lan.send('A', { kind: 'startup' });
    lan.send('B', { kind: 'startup' });
    lan.runUntil(10_000);
    expect([lan.state('A'), lan.state('B')]).toEqual(['MASTER', 'BACKUP']);
    lan.send('A', { kind: 'shutdown' });
    expect(kinds(lan.router('A').log.filter((l) => l.t === 10_000).map((l) => l.action))).toEqual(['cancel-timer:advert', 'send-advert:0', 'become-backup', 'notify:STOP']);
    lan.router('A').online = false;
    lan.runUntil(20_000);
    expect((lan.firstTime('B', becameMaster) ?? NaN) - 10_000).toBeCloseTo(skewTimeMs(2, 100, 1000), 6);
  });

  it('equal priority: higher primary IP wins', () => {
    const lan = new Lan();
    lan.add('A', '192.168.56.121', config({ basePriority: 100 }));
    lan.add('B', '192.168.56.122', config({ basePriority: 100 }));
    // a partition: each side hears nothing and becomes Master
    lan.router('A').online = false;
    lan.router('B').online = false;
    lan.send('A', { kind: 'startup' });
    lan.send('B', { kind: 'startup' });
    lan.runUntil(5000);
    expect([lan.state('A'), lan.state('B')]).toEqual(['MASTER', 'MASTER']);
    // the link heals: at the first adverts the lower address yields
    lan.router('A').online = true;
    lan.router('B').online = true;
    lan.runUntil(10_000);
    expect([lan.state('A'), lan.state('B')]).toEqual(['BACKUP', 'MASTER']);
    // and directly: a Master yields to an equal priority from a higher address only
    const m = master(config({ basePriority: 100, localAddress: '10.0.0.5' }));
    expect(step(m, { kind: 'advert-received', priority: 100, source: '10.0.0.6' }, 5000).state.state).toBe('BACKUP');
    const stays = step(m, { kind: 'advert-received', priority: 100, source: '10.0.0.4' }, 5000);
    expect(stays.state.state).toBe('MASTER');
    expect(kinds(stays.actions)).toEqual(['send-advert:100', 'set-timer:advert']);
  });

  it('vrrp_script failure lowers effective priority by its weight and the peer takes over', () => {
    const lan = new Lan();
    lan.add('A', '192.168.56.121', config({ basePriority: 100 }));
    lan.add('B', '192.168.56.122', config({ basePriority: 80 }));
    lan.send('A', { kind: 'startup' });
    lan.send('B', { kind: 'startup' });
    lan.runUntil(10_000);
    expect(lan.state('A')).toBe('MASTER');
    // chk_nginx: weight -30, fall 2, rise 2 — two failures flip it
    const tracked = { weight: -30, reverse: false };
    let script = scriptResult(initialScriptState({ rise: 2, fall: 2, initFail: false }), true).state;
    let summary = summarizeTracking([{ source: 'script:chk_nginx', tracked, status: script.status }]);
    expect(summary.weight).toBe(0);
    for (const t of [10_100, 11_100]) {
      lan.runUntil(t);
      script = scriptResult(script, false).state;
      const next = summarizeTracking([{ source: 'script:chk_nginx', tracked, status: script.status }]);
      for (const ev of trackingEvents(summary, next)) lan.send('A', ev);
      summary = next;
    }
    expect(lan.router('A').state.effectivePriority).toBe(70);
    lan.runUntil(30_000);
    expect([lan.state('A'), lan.state('B')]).toEqual(['BACKUP', 'MASTER']);
    const took = (lan.firstTime('B', becameMaster) ?? NaN) - 11_100;
    // B last accepted an advert at most one interval before the failure; it then discards priority 70 until its timer fires
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThanOrEqual(masterDownIntervalMs(2, 80, 1000));
  });

  it('v3 backup learns the master advert interval', () => {
    const b = step(initialState(config({ version: 3, advertIntervalMs: 1000, basePriority: 100 })), { kind: 'startup' }, 0).state;
    expect(masterDownInterval(b)).toBeCloseTo(3000 + (156 * 1000) / 256, 6);
    const r = step(b, { kind: 'advert-received', priority: 150, source: '10.0.0.1', maxAdvertIntervalMs: 100 }, 500);
    expect(r.state.masterAdverIntervalMs).toBe(100);
    expect(r.state.timers['master-down']).toBeCloseTo(500 + 300 + (156 * 100) / 256, 2); // keepalived truncates to microseconds
    // a v2 backup keeps its own interval whatever it is told
    const v2 = step(initialState(config()), { kind: 'startup' }, 0).state;
    expect(step(v2, { kind: 'advert-received', priority: 150, source: '10.0.0.1', maxAdvertIntervalMs: 100 }, 500).state.masterAdverIntervalMs).toBe(1000);
  });

  it('a master hearing a lower priority answers at once and stays master (unless lower_prio_no_advert)', () => {
    const m = step(initialState(config({ basePriority: 255, initialState: 'MASTER', garp: { ...NO_GARP, lowerPrioRepeat: 2, lowerPrioDelayMs: 5000 } })), { kind: 'startup' }, 0).state;
    const r = step(m, { kind: 'advert-received', priority: 50, source: '10.0.0.9' }, 300);
    expect(r.state.state).toBe('MASTER');
    expect(kinds(r.actions)).toEqual(['send-advert:255', 'set-timer:advert', 'send-garp', 'set-timer:garp-lower-prio']);
    expect(r.state.timers.advert).toBe(1300);
    const quiet = step({ ...m, config: { ...m.config, lowerPrioNoAdvert: true } }, { kind: 'advert-received', priority: 50, source: '10.0.0.9' }, 300);
    expect(kinds(quiet.actions)).toEqual(['send-garp', 'set-timer:garp-lower-prio']);
  });

  it('a master hearing priority 0 advertises at once and stays master', () => {
    const m = master(config({ basePriority: 150 }));
    const r = step(m, { kind: 'advert-received', priority: 0, source: '10.0.0.9' }, 10_400);
    expect(r.state.state).toBe('MASTER');
    expect(kinds(r.actions)).toEqual(['send-advert:150', 'set-timer:advert']);
  });

  it('higher_prio_send_advert answers a higher priority once before stepping down', () => {
    const m = master(config({ basePriority: 100, higherPrioSendAdvert: true }));
    const r = step(m, { kind: 'advert-received', priority: 150, source: '10.0.0.9' }, 10_400);
    expect(r.state.state).toBe('BACKUP');
    expect(kinds(r.actions).slice(0, 2)).toEqual(['send-advert:100', 'set-timer:advert']);
  });

  it('two address owners: the local one lowers itself to 254 and yields', () => {
    const m = step(initialState(config({ basePriority: 255, initialState: 'MASTER', localAddress: '10.0.0.9' })), { kind: 'startup' }, 0).state;
    const r = step(m, { kind: 'advert-received', priority: 255, source: '10.0.0.1' }, 10_100);
    expect(r.state).toMatchObject({ state: 'BACKUP', basePriority: 254, effectivePriority: 254 });
    expect(r.actions[0]?.kind).toBe('warning');
  });

  it('a failing weight-0 track puts a master in FAULT with a priority 0 advert; recovery returns to backup', () => {
    const m = master(config({ basePriority: 150 }));
    const f = step(m, { kind: 'fault', source: 'interface:eth1' }, 10_100);
    expect(f.state.state).toBe('FAULT');
    expect(kinds(f.actions)).toEqual(['send-advert:0', 'become-backup', 'cancel-timer:advert', 'notify:FAULT']);
    expect(step(f.state, { kind: 'advert-received', priority: 200, source: '10.0.0.1' }, 10_200).actions).toEqual([]);
    const two = step(f.state, { kind: 'fault', source: 'script:chk' }, 10_300).state;
    expect(step(two, { kind: 'fault-cleared', source: 'interface:eth1' }, 10_400).state.state).toBe('FAULT'); // one fault left
    const back = step(step(two, { kind: 'fault-cleared', source: 'interface:eth1' }, 10_400).state, { kind: 'fault-cleared', source: 'script:chk' }, 10_500);
    expect(back.state.state).toBe('BACKUP');
    expect(back.state.timers['master-down']).toBeCloseTo(10_500 + masterDownIntervalMs(2, 150, 1000), 6);
  });

  it('an instance with a fault at startup starts in FAULT; an owner leaving FAULT goes straight to MASTER', () => {
    const owner = initialState(config({ basePriority: 255, initialState: 'MASTER' }), 0, ['interface:eth0']);
    const s = step(owner, { kind: 'startup' }, 0);
    expect(s.state.state).toBe('FAULT');
    expect(kinds(s.actions)).toEqual(['become-backup', 'notify:FAULT']);
    expect(step(s.state, { kind: 'fault-cleared', source: 'interface:eth0' }, 10).state.state).toBe('MASTER');
  });

  it('a backup whose priority changes moves its running down timer by the change in skew', () => {
    const b = step(initialState(config({ basePriority: 100 })), { kind: 'startup' }, 0).state;
    const r = step(b, { kind: 'priority-changed', weight: -50 }, 1000);
    expect(r.state.effectivePriority).toBe(50);
    expect(r.state.timers['master-down']).toBeCloseTo(masterDownIntervalMs(2, 100, 1000) + skewTimeMs(2, 50, 1000) - skewTimeMs(2, 100, 1000), 6);
    expect(step(r.state, { kind: 'priority-changed', weight: -50 }, 1100).actions).toEqual([]); // no change, nothing to do
  });

  it('a master keeps advertising each interval and refreshes gratuitous ARPs when configured', () => {
    const garp = { ...NO_GARP, masterRepeat: 5, masterDelayMs: 5000, masterRefreshMs: 2500, masterRefreshRepeat: 1 };
    let s = step(initialState(config({ basePriority: 255, initialState: 'MASTER', garp })), { kind: 'startup' }, 0).state;
    const seen: string[] = [];
    for (let t = 1000; t <= 5000; t += 1000) {
      const evs: FsmEvent[] = [{ kind: 'advert-timer-expired' }];
      if (s.timers['garp-master'] === t) evs.push({ kind: 'garp-timer-expired', timer: 'garp-master' });
      for (const ev of evs) {
        const r = step(s, ev, t);
        s = r.state;
        for (const a of r.actions) if (a.kind === 'send-advert' || a.kind === 'send-garp') seen.push(`${t}:${a.kind}${a.kind === 'send-garp' ? `x${a.repeat}` : ''}`);
      }
    }
    expect(seen).toEqual(['1000:send-advert', '2000:send-advert', '3000:send-advert', '3000:send-garpx1', '4000:send-advert', '5000:send-advert', '5000:send-garpx5']);
  });

  it('timer events that are early, stale or for another state are ignored', () => {
    const b = step(initialState(config()), { kind: 'startup' }, 0).state;
    expect(step(b, { kind: 'master-down-timer-expired' }, 1000).state).toMatchObject({ state: 'BACKUP' });
    expect(step(b, { kind: 'advert-timer-expired' }, 99_999).actions).toEqual([]);
    expect(step(initialState(config()), { kind: 'master-down-timer-expired' }, 99_999).state.state).toBe('INIT');
  });

  it('shutdown of a backup cancels its timer and notifies STOP; adverts are then ignored', () => {
    const b = step(initialState(config()), { kind: 'startup' }, 0).state;
    const r = step(b, { kind: 'shutdown' }, 10);
    expect(kinds(r.actions)).toEqual(['cancel-timer:master-down', 'notify:STOP']);
    expect(r.state.state).toBe('INIT');
    expect(step(r.state, { kind: 'advert-received', priority: 0, source: '10.0.0.1' }, 20).actions).toEqual([]);
  });
});
