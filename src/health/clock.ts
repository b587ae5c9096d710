// Health layer (time edge): the clock the scheduler runs on — the system's monotonic clock, or a manual one for tests and simulations.

/** TimerId is an opaque handle returned by Clock.setTimer. */
export type TimerId = unknown;

/** Clock is the scheduler's source of time (ms, monotonic, epoch-based) and its one kind of timer. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerId;
  clearTimer(id: TimerId): void;
}

/** systemClock is performance.now() on the epoch scale (monotonic, sub-millisecond) with Node's setTimeout. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)),
  clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** ManualClock is a clock that moves only when told: `advance` runs due timers in time order, letting promises settle between them. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  /** now is the manual time. */
  now(): number {
    return this.current;
  }

  /** setTimer registers `fn` to run `delayMs` from now (never in the past). */
  setTimer(fn: () => void, delayMs: number): TimerId {
    const t = { id: ++this.seq, at: this.current + Math.max(0, delayMs), fn };
    this.timers.push(t);
    return t.id;
  }

  /** clearTimer cancels a pending timer; unknown ids are ignored. */
  clearTimer(id: TimerId): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** pending is how many timers are waiting. */
  pending(): number {
    return this.timers.length;
  }

  /** advance moves time forward by `ms`, firing every timer due on the way (in order), settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    await settle();
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      const fire = next;
      this.timers = this.timers.filter((t) => t !== fire);
      this.current = Math.max(this.current, fire.at);
      fire.fn();
      await settle();
    }
    this.current = end;
    await settle();
  }
}

/** settle lets queued promise callbacks run (a few microtask turns and one macrotask turn). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
