// Health layer (runtime): runs checks on one timer over a min-heap of ideal due times — warmup spread, bounded concurrency, identical checks run once and fanned out.
import type { Clock, TimerId } from './clock.js';
import type { CheckResult, Probe, TcpTarget } from './tcp-check.js';
import { initialState, step, type CheckEvent, type SeedState, type TrackerParams, type TrackerState } from './tracker.js';

/** CheckDef is one resolved check: where to connect, its timing (ms), and whether it starts down (alpha). */
export interface CheckDef extends TcpTarget, TrackerParams {
  /** the first check waits a random time in [0, warmupMs] */
  readonly warmupMs: number;
  readonly alpha: boolean;
}

/** ProbeReport is a check's verdict as delivered to each subscriber of the check. */
export interface ProbeReport {
  readonly key: string;
  readonly state: 'up' | 'down';
  readonly reason: string;
  readonly at: number;
  /** no transition: keepalived's first-run notification of a failed alpha check */
  readonly initial: boolean;
}

/** CheckInfo is the observable state of one (shared) check. */
export interface CheckInfo {
  readonly key: string;
  readonly def: CheckDef;
  readonly tracker: TrackerState;
  readonly subscribers: number;
  readonly inFlight: boolean;
  readonly lastStartAt?: number | undefined;
  readonly lastEndAt?: number | undefined;
  readonly lastResult?: CheckResult | undefined;
  readonly lastFailure?: { readonly reason: string; readonly at: number } | undefined;
}

/** SchedulerOptions are the scheduler's clock, probe and limits, and where verdicts go. */
export interface SchedulerOptions<S> {
  readonly clock: Clock;
  readonly probe: Probe;
  /** [0, 1) for warmup spreading; Math.random by default */
  readonly random?: (() => number) | undefined;
  /** most attempts in flight at once; due checks beyond it wait their turn (default 4096) */
  readonly maxInFlight?: number | undefined;
  /** most attempts started in one timer turn before yielding to I/O (default 512) */
  readonly burst?: number | undefined;
  /** called once per subscriber of a check for each verdict */
  readonly onReport: (subscriber: S, report: ProbeReport) => void;
  /** called as each attempt starts, with its ideal and actual start times (for lateness measurement) */
  readonly onStart?: ((key: string, idealAt: number, startedAt: number) => void) | undefined;
  /** called as each attempt of a live check ends, with its result (latency, verdict) and end time (for metrics) */
  readonly onEnd?: ((key: string, result: CheckResult, endedAt: number) => void) | undefined;
}

/** checkKey identifies identical checks (same connection and timing parameters): they are run once. */
export function checkKey(d: CheckDef): string {
  return `${connectionKey(d)}|loop=${d.delayLoopMs}|retry=${d.retry}|dbr=${d.delayBeforeRetryMs}|alpha=${d.alpha ? 1 : 0}`;
}

/** connectionKey identifies a check's connection (keepalived's compare_conn_opts): reload migrates verdicts between checks that share it. */
export function connectionKey(d: TcpTarget): string {
  return `tcp:[${d.connectIp}]:${d.connectPort}|bind=[${d.bindTo ?? ''}]:${d.bindPort ?? 0}|timeout=${d.connectTimeoutMs}`;
}

interface Entry<S> {
  readonly key: string;
  readonly def: CheckDef;
  state: TrackerState;
  readonly subs: Set<S>;
  heapIdx: number;
  inFlight: boolean;
  queued: boolean;
  removed: boolean;
  lastStartAt?: number | undefined;
  lastEndAt?: number | undefined;
  lastResult?: CheckResult | undefined;
  lastFailure?: { reason: string; at: number } | undefined;
}

/** CheckScheduler owns every check: one timer armed for the earliest due check, ideal (drift-free) due times, and fan-out of verdicts. */
export class CheckScheduler<S> {
  private readonly entries = new Map<string, Entry<S>>();
  private readonly heap: Entry<S>[] = [];
  private readonly ready: Entry<S>[] = [];
  private readyHead = 0;
  private timer: TimerId | undefined;
  private armedAt = Infinity;
  private running = false;
  private inFlightCount = 0;
  private started = 0;
  private readonly random: () => number;
  private readonly maxInFlight: number;

  constructor(private readonly opts: SchedulerOptions<S>) {
    this.random = opts.random ?? Math.random;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 4096);
  }

  /** add subscribes `subscriber` to the check `def`, sharing an identical running check (then `seed` is ignored); returns the check's key. */
  add(subscriber: S, def: CheckDef, seed?: SeedState): string {
    const key = checkKey(def);
    const existing = this.entries.get(key);
    if (existing) {
      existing.subs.add(subscriber);
      return key;
    }
    const firstDue = this.running ? this.opts.clock.now() + this.random() * def.warmupMs : NaN;
    const e: Entry<S> = { key, def, state: initialState(def, def.alpha, firstDue, seed), subs: new Set([subscriber]), heapIdx: -1, inFlight: false, queued: false, removed: false };
    this.entries.set(key, e);
    if (this.running) {
      this.push(e);
      this.arm();
    }
    return key;
  }

  /** remove unsubscribes `subscriber` from check `key`; the check stops when nobody is subscribed. */
  remove(subscriber: S, key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.subs.delete(subscriber);
    if (e.subs.size) return;
    e.removed = true;
    this.entries.delete(key);
    if (e.heapIdx >= 0) this.heapRemove(e);
  }

  /** info is the observable state of check `key`. */
  info(key: string): CheckInfo | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const { def, state: tracker, inFlight, lastStartAt, lastEndAt, lastResult, lastFailure } = e;
    return { key, def, tracker, subscribers: e.subs.size, inFlight, lastStartAt, lastEndAt, lastResult, lastFailure };
  }

  /** size is the number of distinct checks. */
  get size(): number {
    return this.entries.size;
  }

  /** stats are counters for monitoring: checks, attempts in flight or waiting for a slot, attempts started. */
  stats(): { checks: number; inFlight: number; waiting: number; started: number } {
    return { checks: this.entries.size, inFlight: this.inFlightCount, waiting: this.ready.length - this.readyHead, started: this.started };
  }

  /** start begins checking: each check's first run is spread at random over its warmup. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.opts.clock.now();
    for (const e of this.entries.values()) {
      if (e.heapIdx >= 0 || e.inFlight || e.queued) continue;
      const due = now + this.random() * e.def.warmupMs;
      e.state = { ...e.state, anchor: due, due };
      this.push(e);
    }
    this.arm();
    this.drain();
  }

  /** stop cancels the timer; attempts in flight complete but schedule nothing. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    if (!this.running) return;
    const now = this.opts.clock.now();
    // a backlog (after a stall) is started in bursts, letting completions and timeouts run in between
    let budget = this.opts.burst ?? 512;
    for (let top = this.heap[0]; top && top.state.due <= now && budget-- > 0; top = this.heap[0]) {
      this.heapPop();
      if (this.inFlightCount < this.maxInFlight) this.launch(top);
      else {
        top.queued = true;
        this.ready.push(top);
      }
    }
    this.arm();
  }

  private launch(e: Entry<S>): void {
    e.inFlight = true;
    this.inFlightCount++;
    this.started++;
    const startedAt = this.opts.clock.now();
    e.lastStartAt = startedAt;
    this.opts.onStart?.(e.key, e.state.due, startedAt);
    this.opts.probe(e.def).then(
      (r) => this.complete(e, r),
      (err: unknown) => this.complete(e, { ok: false, reason: err instanceof Error ? err.message : String(err), latencyMs: 0 }),
    );
  }

  private complete(e: Entry<S>, r: CheckResult): void {
    e.inFlight = false;
    this.inFlightCount--;
    if (!e.removed && this.running) {
      const now = this.opts.clock.now();
      e.lastEndAt = now;
      e.lastResult = r;
      this.opts.onEnd?.(e.key, r, now);
      if (!r.ok && !r.local) e.lastFailure = { reason: r.reason, at: now };
      const event: CheckEvent = r.ok ? { kind: 'success', latencyMs: r.latencyMs } : r.local ? { kind: 'skipped', reason: r.reason } : { kind: 'failure', reason: r.reason, latencyMs: r.latencyMs };
      const { state, actions } = step(e.state, event, now);
      e.state = state;
      this.push(e);
      this.arm();
      for (const a of actions) {
        if (a.kind !== 'report') continue;
        const report: ProbeReport = { key: e.key, state: a.state, reason: a.reason, at: now, initial: a.initial };
        for (const sub of [...e.subs]) this.opts.onReport(sub, report);
      }
    }
    this.drain();
  }

  private drain(): void {
    while (this.inFlightCount < this.maxInFlight && this.readyHead < this.ready.length) {
      const next = this.ready[this.readyHead++] as Entry<S>;
      next.queued = false;
      if (!next.removed && this.running) this.launch(next);
    }
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    }
  }

  private arm(): void {
    const top = this.heap[0];
    if (!this.running || !top) return;
    if (this.timer !== undefined) {
      if (this.armedAt <= top.state.due) return;
      this.opts.clock.clearTimer(this.timer);
    }
    this.armedAt = top.state.due;
    this.timer = this.opts.clock.setTimer(() => this.onTimer(), top.state.due - this.opts.clock.now());
  }

  // ---- binary min-heap on state.due, each entry knowing its index ----

  private push(e: Entry<S>): void {
    e.heapIdx = this.heap.length;
    this.heap.push(e);
    this.siftUp(e.heapIdx);
  }

  private heapPop(): void {
    const top = this.heap[0] as Entry<S>;
    this.heapRemove(top);
  }

  private heapRemove(e: Entry<S>): void {
    const i = e.heapIdx;
    const last = this.heap.pop() as Entry<S>;
    e.heapIdx = -1;
    if (last === e) return;
    this.heap[i] = last;
    last.heapIdx = i;
    this.siftDown(i);
    this.siftUp(last.heapIdx);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const e = h[i] as Entry<S>;
    while (i > 0) {
      const pi = (i - 1) >> 1;
      const parent = h[pi] as Entry<S>;
      if (parent.state.due <= e.state.due) break;
      h[i] = parent;
      parent.heapIdx = i;
      i = pi;
    }
    h[i] = e;
    e.heapIdx = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i] as Entry<S>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (h[r] as Entry<S>).state.due < (h[l] as Entry<S>).state.due ? r : l;
      const child = h[c] as Entry<S>;
      if (child.state.due >= e.state.due) break;
      h[i] = child;
      child.heapIdx = i;
      i = c;
    }
    h[i] = e;
    e.heapIdx = i;
  }
}
