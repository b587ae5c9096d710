// I/O edge: the periodic tick that feeds a StallMeter, so that a VRRP instance knows how long its process stood still.
import { STALL_TICK_MS, StallMeter } from '../stall.js';

/** StallClock ticks a StallMeter every STALL_TICK_MS (unref'd: it never keeps the process alive) and reads it at `now()`. */
export class StallClock {
  private readonly meter: StallMeter;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number) {
    this.meter = new StallMeter(now());
  }

  /** start begins ticking (idempotent). */
  start(): void {
    if (this.timer) return;
    this.meter.tick(this.now());
    this.timer = setInterval(() => this.meter.tick(this.now()), STALL_TICK_MS);
    this.timer.unref();
  }

  /** stop ends ticking. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** mark is the meter's running sum now, for since(). */
  mark(): number {
    return this.meter.mark(this.now());
  }

  /** since is how long the process stood still since `mark` (ms). */
  since(mark: number): number {
    return this.meter.since(mark, this.now());
  }
}
