// Unit tests: the check scheduler on a manual clock with a fake probe — warmup spread, drift-free cadence, one timer, sharing, concurrency.
import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../../src/health/clock.js';
import { CheckScheduler, checkKey, type CheckDef, type ProbeReport } from '../../src/health/scheduler.js';
import type { CheckResult, Probe, TcpTarget } from '../../src/health/tcp-check.js';

/** mulberry32 is a small seeded PRNG so that warmup tests are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function def(i: number, over: Partial<CheckDef> = {}): CheckDef {
  return { family: 'inet', connectIp: `10.0.${i >> 8}.${i & 255}`, connectPort: 80, connectTimeoutMs: 3000, delayLoopMs: 1000, delayBeforeRetryMs: 1000, retry: 1, warmupMs: 1000, alpha: false, ...over };
}

/** fakeProbe answers after `latencyMs` of manual time with `verdict(target)`, recording each call's start. */
function fakeProbe(clock: Clock, latencyMs: number, verdict: (t: TcpTarget) => CheckResult = () => ({ ok: true, latencyMs })) {
  const calls: { target: string; at: number }[] = [];
  const probe: Probe = (t) => {
    calls.push({ target: `${t.connectIp}:${t.connectPort}`, at: clock.now() });
    return new Promise((resolve) => clock.setTimer(() => resolve(verdict(t)), latencyMs));
  };
  return { probe, calls };
}

function startsOf(calls: { target: string; at: number }[], target: string): number[] {
  return calls.filter((c) => c.target === target).map((c) => c.at);
}

describe('health scheduler', () => {
  it('checks are spread over warmup, not fired at once', async () => {
    const clock = new ManualClock(0);
    const { probe, calls } = fakeProbe(clock, 1);
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(7), onReport: () => undefined });
    for (let i = 0; i < 500; i++) s.add(`rs${i}`, def(i, { warmupMs: 10_000, delayLoopMs: 10_000 }));
    s.start();
    await clock.advance(10_000);
    const first = [...new Set(calls.map((c) => c.target))].map((t) => startsOf(calls, t)[0] as number);
    expect(first).toHaveLength(500);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...first)).toBeLessThanOrEqual(10_000);
    // 500 checks over ten 1-second buckets: about 50 each, none empty, none holding a burst
    const buckets = new Array(10).fill(0);
    for (const t of first) buckets[Math.min(9, Math.floor(t / 1000))]++;
    expect(Math.min(...buckets)).toBeGreaterThan(25);
    expect(Math.max(...buckets)).toBeLessThan(80);
    expect(new Set(first).size).toBeGreaterThan(490);
  });

  it('without warmup every check fires at start (the control case)', async () => {
    const clock = new ManualClock(0);
    const { probe, calls } = fakeProbe(clock, 1);
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(7), onReport: () => undefined });
    for (let i = 0; i < 20; i++) s.add(`rs${i}`, def(i, { warmupMs: 0 }));
    s.start();
    await clock.advance(10);
    expect(calls.map((c) => c.at)).toEqual(new Array(20).fill(0));
  });

  it('ideal times do not drift when checks complete late', async () => {
    const clock = new ManualClock(0);
    // every attempt takes 400 ms: scheduling from completion would start the 30th check 11.6 s late
    const { probe, calls } = fakeProbe(clock, 400);
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(1), onReport: () => undefined });
    for (let i = 0; i < 10; i++) s.add(`rs${i}`, def(i));
    s.start();
    await clock.advance(30_500);
    for (let i = 0; i < 10; i++) {
      const starts = startsOf(calls, `${def(i).connectIp}:80`);
      expect(starts.length).toBeGreaterThanOrEqual(30);
      const t0 = starts[0] as number;
      expect(starts.map((t, k) => Math.round(t - t0 - k * 1000))).toEqual(new Array(starts.length).fill(0));
    }
  });

  it('late timers do not accumulate: each start is late by the timer lag only', async () => {
    const base = new ManualClock(0);
    // a clock whose timers all fire 7 ms late (a busy event loop)
    const lagging: Clock = { now: () => base.now(), setTimer: (fn, ms) => base.setTimer(fn, ms + 7), clearTimer: (id) => base.clearTimer(id) };
    const { probe, calls } = fakeProbe(base, 2);
    const ideal: number[] = [];
    const s = new CheckScheduler<string>({ clock: lagging, probe, random: seeded(2), onReport: () => undefined, onStart: (_k, idealAt, at) => ideal.push(at - idealAt) });
    s.add('a', def(1));
    s.start();
    await base.advance(60_000);
    expect(calls.length).toBeGreaterThan(55);
    expect(Math.max(...ideal)).toBeLessThanOrEqual(7);
    const starts = startsOf(calls, `${def(1).connectIp}:80`);
    const t0 = starts[0] as number;
    expect(Math.max(...starts.map((t, k) => t - t0 - k * 1000))).toBeLessThanOrEqual(7);
  });

  it('uses one timer for all checks', async () => {
    const clock = new ManualClock(0);
    const { probe } = fakeProbe(clock, 0);
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(3), onReport: () => undefined });
    for (let i = 0; i < 2000; i++) s.add(`rs${i}`, def(i));
    s.start();
    expect(clock.pending()).toBe(1);
    await clock.advance(2500);
    expect(s.stats().started).toBeGreaterThanOrEqual(4000);
    expect(clock.pending()).toBe(1); // no attempt in flight: only the scheduler's timer remains
  });

  it('identical checks shared by two virtual servers run once', async () => {
    const clock = new ManualClock(0);
    const { probe, calls } = fakeProbe(clock, 5, () => ({ ok: false, reason: 'ECONNREFUSED', latencyMs: 5 }));
    const reports: [string, ProbeReport][] = [];
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(4), onReport: (sub, r) => reports.push([sub, r]) });
    const k1 = s.add('vs1/rs', def(1, { retry: 0 }));
    const k2 = s.add('vs2/rs', def(1, { retry: 0 }));
    const k3 = s.add('vs2/other', def(1, { retry: 0, connectPort: 8080 }));
    expect(k1).toBe(k2);
    expect(k3).not.toBe(k1);
    expect(s.size).toBe(2);
    s.start();
    await clock.advance(5000);
    const port80 = calls.filter((c) => c.target === `${def(1).connectIp}:80`);
    const port8080 = calls.filter((c) => c.target === `${def(1).connectIp}:8080`);
    // one attempt a second for the shared check, not two
    expect(port80.length).toBeGreaterThanOrEqual(4);
    expect(port80.length).toBeLessThanOrEqual(6);
    expect(port8080.length).toBe(port80.length);
    expect(new Set(port80.map((c) => c.at)).size).toBe(port80.length);
    const down = reports.filter(([, r]) => r.key === k1 && r.state === 'down').map(([sub]) => sub);
    expect(down.sort()).toEqual(['vs1/rs', 'vs2/rs']);
    expect(s.info(k1)?.subscribers).toBe(2);
  });

  it('a check stops when its last subscriber leaves', async () => {
    const clock = new ManualClock(0);
    const { probe, calls } = fakeProbe(clock, 1);
    const s = new CheckScheduler<string>({ clock, probe, random: seeded(5), onReport: () => undefined });
    const k = s.add('a', def(1));
    s.add('b', def(1));
    s.start();
    await clock.advance(2000);
    s.remove('a', k);
    const before = calls.length;
    await clock.advance(2000);
    expect(calls.length).toBeGreaterThan(before);
    s.remove('b', k);
    const after = calls.length;
    await clock.advance(5000);
    expect(calls.length).toBe(after);
    expect(s.size).toBe(0);
  });

  it('due checks beyond maxInFlight wait for a free slot', async () => {
    const clock = new ManualClock(0);
    const { probe, calls } = fakeProbe(clock, 300);
    const s = new CheckScheduler<string>({ clock, probe, random: () => 0, maxInFlight: 3, onReport: () => undefined });
    for (let i = 0; i < 7; i++) s.add(`rs${i}`, def(i, { delayLoopMs: 10_000 }));
    s.start();
    await clock.advance(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 0, 0, 300, 300, 300, 600]);
    expect(s.stats()).toMatchObject({ checks: 7, inFlight: 0, waiting: 0, started: 7 });
  });

  it('a backlog is started in bursts, letting completions run in between', async () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const probe: Probe = () => {
      log.push('start');
      return new Promise((resolve) => clock.setTimer(() => (log.push('done'), resolve({ ok: true, latencyMs: 0 })), 0));
    };
    const s = new CheckScheduler<string>({ clock, probe, random: () => 0, burst: 100, onReport: () => undefined });
    for (let i = 0; i < 250; i++) s.add(`rs${i}`, def(i, { warmupMs: 0 }));
    s.start();
    await clock.advance(0);
    expect(log.filter((l) => l === 'start')).toHaveLength(250);
    expect(log.indexOf('done')).toBe(100); // the 101st start waited for the first burst's completions
    expect(log.lastIndexOf('start')).toBeGreaterThan(log.indexOf('done'));
  });

  it('checkKey differs for every parameter that changes the check', () => {
    const base = def(1);
    const keys = new Set(
      [base, { ...base, connectPort: 81 }, { ...base, bindTo: '10.9.9.9' }, { ...base, bindPort: 999 }, { ...base, connectTimeoutMs: 1 }, { ...base, delayLoopMs: 2 }, { ...base, retry: 3 }, { ...base, delayBeforeRetryMs: 4 }, { ...base, alpha: true }].map(checkKey),
    );
    expect(keys.size).toBe(9);
    expect(checkKey({ ...base, warmupMs: 12345 })).toBe(checkKey(base));
  });
});
