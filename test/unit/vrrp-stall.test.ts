// Unit tests: StallMeter — the time a process stood still, from the gaps between the ticks of a periodic timer (fake clock).
import { describe, expect, it } from 'vitest';
import { StallMeter } from '../../src/vrrp/stall.js';

describe('StallMeter', () => {
  it('ticks on time (with ordinary jitter) count no stall', () => {
    const m = new StallMeter(0, 250, 250);
    const mark = m.mark(0);
    for (let t = 250; t <= 5000; t += 250) m.tick(t + (t % 500 === 0 ? 120 : 0));
    expect(m.since(mark, 5000)).toBe(0);
  });

  it('a gap longer than period plus tolerance counts beyond the period', () => {
    const m = new StallMeter(0, 250, 250);
    const mark = m.mark(0);
    m.tick(250);
    m.tick(3250); // stood still for 2750 ms past the tick due at 500
    m.tick(3500);
    expect(m.since(mark, 3500)).toBe(2750);
  });

  it('a stall still in progress is read before the next tick, and counted once', () => {
    const m = new StallMeter(0, 250, 250);
    m.tick(250);
    const before = m.mark(250);
    expect(m.since(before, 2250)).toBe(1750); // no tick since 250: 2000 ms gap, 1750 beyond the period
    m.tick(2300);
    expect(m.since(before, 2300)).toBe(1800);
    expect(m.since(before, 2400)).toBe(1800);
  });

  it('a mark taken during a stall counts only what follows it', () => {
    const m = new StallMeter(0, 250, 250);
    const mid = m.mark(1250); // 1000 ms into an unticked gap
    m.tick(3250);
    expect(m.since(mid, 3250)).toBe(2000);
  });
});
