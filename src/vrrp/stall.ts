// Core: how long this process stood still (garbage collection, a host that starved or paused it), measured from the gaps between the ticks of a periodic timer; time is an argument.

/** STALL_TICK_MS is the period of the tick the manager runs for its StallMeter. */
export const STALL_TICK_MS = 250;
/** STALL_TOLERANCE_MS is how much later than its period a tick may come before the gap counts as a stall (ordinary timer jitter on a loaded host does not). */
export const STALL_TOLERANCE_MS = 250;

/**
 * StallMeter sums the time a periodic tick came later than its period allows. `mark(now)` reads the running sum (a
 * stall still in progress included) and `since(mark, now)` is the time stood still between a mark and now.
 */
export class StallMeter {
  private last: number;
  private total = 0;

  constructor(
    now: number,
    private readonly periodMs = STALL_TICK_MS,
    private readonly toleranceMs = STALL_TOLERANCE_MS,
  ) {
    this.last = now;
  }

  /** tick records one run of the periodic timer at `now`. */
  tick(now: number): void {
    this.total += this.excess(now);
    this.last = now;
  }

  /** mark is the stall time summed up to `now`, to hand back to since(). */
  mark(now: number): number {
    return this.total + this.excess(now);
  }

  /** since is how long the process stood still between `mark` and `now` (ms, ≥ 0). */
  since(mark: number, now: number): number {
    return Math.max(0, this.mark(now) - mark);
  }

  private excess(now: number): number {
    const late = now - this.last - this.periodMs;
    return late > this.toleranceMs ? late : 0;
  }
}
