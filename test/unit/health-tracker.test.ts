// Unit tests: the pure checker state machine — keepalived's retry/delay_before_retry/alpha rules and drift-free cadence.
import { describe, expect, it } from 'vitest';
import { freshSeed, initialState, migrateSeed, nextOnCadence, step, type CheckEvent, type TrackerParams, type TrackerState } from '../../src/health/tracker.js';

const P: TrackerParams = { delayLoopMs: 6000, delayBeforeRetryMs: 1000, retry: 2 };
const ok: CheckEvent = { kind: 'success', latencyMs: 1 };
const fail = (reason = 'ECONNREFUSED'): CheckEvent => ({ kind: 'failure', reason, latencyMs: 1 });

function run(state: TrackerState, events: [CheckEvent, number][]) {
  const log: { at: number; schedule?: number; report?: string }[] = [];
  let s = state;
  for (const [ev, now] of events) {
    const r = step(s, ev, now);
    s = r.state;
    for (const a of r.actions) log.push(a.kind === 'schedule' ? { at: now, schedule: a.at } : { at: now, report: `${a.state}:${a.reason}${a.initial ? ':initial' : ''}` });
  }
  return { state: s, log };
}

describe('health tracker', () => {
  it('a server goes down after retry+1 failures spaced by delay_before_retry', () => {
    const s0 = initialState(P, false, 0);
    const a = step(s0, fail(), 10);
    expect(a.actions).toEqual([{ kind: 'schedule', at: 1010 }]);
    expect(a.state.up).toBe(true);
    const b = step(a.state, fail(), 1010);
    expect(b.actions).toEqual([{ kind: 'schedule', at: 2010 }]);
    expect(b.state.up).toBe(true);
    const c = step(b.state, fail('timeout'), 2010);
    expect(c.state.up).toBe(false);
    expect(c.actions).toEqual([
      { kind: 'report', state: 'down', reason: 'timeout after 2 retries', initial: false },
      { kind: 'schedule', at: 6000 }, // back on the delay_loop cadence of the anchor
    ]);
    expect(c.state.retryIt).toBe(0);
  });

  it('with retry 0 the first failure brings the server down', () => {
    const s = initialState({ ...P, retry: 0 }, false, 0);
    const r = step(s, fail(), 5);
    expect(r.state.up).toBe(false);
    expect(r.actions[0]).toEqual({ kind: 'report', state: 'down', reason: 'ECONNREFUSED', initial: false });
  });

  it('a success during the retries resets the count without a report', () => {
    const { state, log } = run(initialState(P, false, 0), [
      [fail(), 0],
      [ok, 1000],
      [fail(), 6000],
      [fail(), 7000],
    ]);
    expect(state.up).toBe(true);
    expect(state.retryIt).toBe(2);
    expect(log.filter((l) => l.report)).toEqual([]);
  });

  it('one success brings a down server back', () => {
    const down = run(initialState({ ...P, retry: 0 }, false, 0), [[fail(), 0]]).state;
    expect(down.up).toBe(false);
    const r = step(down, ok, 6000);
    expect(r.state.up).toBe(true);
    expect(r.actions).toEqual([
      { kind: 'report', state: 'up', reason: 'success', initial: false },
      { kind: 'schedule', at: 12000 },
    ]);
  });

  it('failures while down are silent and keep the delay_loop cadence', () => {
    const { log } = run(initialState({ ...P, retry: 0 }, false, 0), [
      [fail(), 0],
      [fail(), 6000],
      [fail(), 12000],
    ]);
    expect(log.filter((l) => l.report)).toHaveLength(1);
    expect(log.filter((l) => l.schedule !== undefined).map((l) => l.schedule)).toEqual([6000, 12000, 18000]);
  });

  it('alpha starts down until the first success', () => {
    const s = initialState(P, true, 0);
    expect(s.up).toBe(false);
    const r = step(s, ok, 3);
    expect(r.state.up).toBe(true);
    expect(r.actions[0]).toEqual({ kind: 'report', state: 'up', reason: 'success', initial: false });
    // without alpha the first success reports nothing: the server was up already
    expect(step(initialState(P, false, 0), ok, 3).actions).toEqual([{ kind: 'schedule', at: 6000 }]);
  });

  it("alpha with retry 0: the first failure reports down as an initial notification, as keepalived's first run does", () => {
    const r = step(initialState({ ...P, retry: 0 }, true, 0), fail(), 3);
    expect(r.state.up).toBe(false);
    expect(r.actions[0]).toEqual({ kind: 'report', state: 'down', reason: 'ECONNREFUSED', initial: true });
    // a second failure is silent
    expect(step(r.state, fail(), 6000).actions).toEqual([{ kind: 'schedule', at: 12000 }]);
  });

  it('local failures (no socket, bind failed) count nothing and wait a whole delay_loop', () => {
    const s = initialState(P, false, 0);
    const r = step(s, { kind: 'skipped', reason: 'EMFILE' }, 4);
    expect(r.state).toMatchObject({ up: true, retryIt: 0 });
    expect(r.actions).toEqual([{ kind: 'schedule', at: 6000 }]);
  });

  it('ideal times do not drift when checks complete late', () => {
    let s = initialState(P, false, 250);
    const starts: number[] = [];
    for (let i = 0; i < 50; i++) {
      starts.push(s.due);
      // each check completes 400 ms after its ideal start: now + delay_loop would drift by 400 ms a round
      s = step(s, ok, s.due + 400).state;
    }
    expect(starts.map((t, i) => t - (250 + i * 6000))).toEqual(new Array(50).fill(0));
  });

  it('a check that overruns its slot skips missed slots instead of bunching', () => {
    expect(nextOnCadence(0, 1000, 3500)).toBe(4000);
    expect(nextOnCadence(0, 1000, 0)).toBe(1000);
    expect(nextOnCadence(200, 1000, 199)).toBe(1200);
    const s = initialState({ ...P, delayLoopMs: 1000, retry: 0 }, false, 0);
    expect(step(s, fail('timeout'), 5000).state.due).toBe(6000);
  });

  it('reload migration keeps the verdict and clamps the retry count as keepalived does', () => {
    const s = run(initialState(P, false, 0), [
      [fail(), 0],
      [fail(), 1000],
    ]).state;
    expect(s.retryIt).toBe(2);
    const seed = migrateSeed(s, { ...P, retry: 1 });
    expect(seed).toEqual({ up: true, hasRun: true, retryIt: 0 });
    const seed2 = migrateSeed(s, { ...P, retry: 5 });
    expect(seed2.retryIt).toBe(2);
    const fresh = initialState(P, false, 0, freshSeed(P, false));
    expect(step(fresh, fail(), 1).state.up).toBe(false);
  });
});
