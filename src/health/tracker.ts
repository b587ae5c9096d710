// Health layer (pure): keepalived's checker state machine (retry, delay_before_retry, alpha) with drift-free scheduling; no I/O, time is an argument.

/** TrackerParams are the timing and retry settings of one check, in milliseconds. */
export interface TrackerParams {
  readonly delayLoopMs: number;
  readonly delayBeforeRetryMs: number;
  /** further attempts after a first failure before the check is declared down */
  readonly retry: number;
}

/** TrackerState is where one check stands: its verdict, its retry count and its next ideal start time. */
export interface TrackerState {
  readonly params: TrackerParams;
  /** the check's verdict (keepalived's checker->is_up) */
  readonly up: boolean;
  /** whether a check has completed yet (keepalived's checker->has_run) */
  readonly hasRun: boolean;
  /** failures counted against `retry` so far (keepalived's checker->retry_it) */
  readonly retryIt: number;
  /** the ideal start time of the first check: the regular cadence is anchor + k × delay_loop */
  readonly anchor: number;
  /** the ideal start time of the next check */
  readonly due: number;
}

/** CheckEvent is the outcome of one check attempt. `skipped` is a local failure (no socket, bind failed) that says nothing about the server. */
export type CheckEvent =
  | { readonly kind: 'success'; readonly latencyMs: number }
  | { readonly kind: 'failure'; readonly reason: string; readonly latencyMs: number }
  | { readonly kind: 'skipped'; readonly reason: string };

/** TrackerAction is what the caller must do after a step: schedule the next check, or report a verdict. */
export type TrackerAction =
  | { readonly kind: 'schedule'; readonly at: number }
  | {
      readonly kind: 'report';
      readonly state: 'up' | 'down';
      readonly reason: string;
      /** true when the verdict did not change: keepalived's first-run notification of an alpha check that failed */
      readonly initial: boolean;
    };

/** StepResult is the new state and the actions a step asks for. */
export interface StepResult {
  readonly state: TrackerState;
  readonly actions: readonly TrackerAction[];
}

/** SeedState is the verdict carried over from a previous check on reload (keepalived's migrate_checkers). */
export interface SeedState {
  readonly up: boolean;
  readonly hasRun: boolean;
  readonly retryIt: number;
}

/** initialState is a check before its first run: up, or down with alpha; `firstDue` is its first ideal start (after warmup). */
export function initialState(params: TrackerParams, alpha: boolean, firstDue: number, seed?: SeedState): TrackerState {
  // keepalived: a checker starts up, or down with alpha ("be pessimistic until the first success");
  // on reload the caller may seed it with a migrated verdict instead.
  const s = seed ?? { up: !alpha, hasRun: false, retryIt: 0 };
  return { params, up: s.up, hasRun: s.hasRun, retryIt: Math.min(s.retryIt, params.retry), anchor: firstDue, due: firstDue };
}

/** migrateSeed is the verdict a reloaded check inherits from the old check on the same connection (keepalived's migrate_checkers). */
export function migrateSeed(old: TrackerState, params: TrackerParams): SeedState {
  // keepalived: is_up and has_run carry over; a retry count at or past the new `retry` becomes retry-1 (the
  // failures already seen still count, short of the limit); without retries the count restarts.
  const retryIt = old.retryIt && params.retry ? Math.min(old.retryIt, params.retry - 1) : 0;
  return { up: old.up, hasRun: old.hasRun, retryIt };
}

/** freshSeed is the start of a check added on reload to a real server that has a failed check (keepalived's migrate_checkers): one failure is enough, alpha starts down. */
export function freshSeed(params: TrackerParams, alpha: boolean): SeedState {
  return { up: !alpha, hasRun: false, retryIt: params.retry };
}

/** nextOnCadence is the first ideal time anchor + k × period after `now`: missed slots are skipped, never bunched, and the phase never drifts. */
export function nextOnCadence(anchor: number, period: number, now: number): number {
  if (period <= 0) return now;
  const k = Math.floor((now - anchor) / period) + 1;
  return anchor + Math.max(k, 1) * period;
}

/** step applies one check outcome at time `now` (ms): the new state, and the schedule/report actions keepalived's tcp_epilog would take. */
export function step(state: TrackerState, event: CheckEvent, now: number): StepResult {
  const p = state.params;
  if (event.kind === 'skipped') {
    // keepalived tcp_connect_thread: no socket could be made or bound ("Rescheduling"): nothing is
    // counted, the next attempt waits a whole delay_loop.
    const at = nextOnCadence(state.anchor, p.delayLoopMs, now);
    return { state: { ...state, due: at }, actions: [{ kind: 'schedule', at }] };
  }
  const ok = event.kind === 'success';
  const actions: TrackerAction[] = [];
  let { up, retryIt } = state;
  let at: number;
  if (ok || retryIt >= p.retry) {
    // keepalived tcp_epilog: a success, or a failure with no retries left, ends the attempt: the retry
    // count resets and the next check is back on the delay_loop cadence (here: the ideal grid, not now + delay).
    retryIt = 0;
    at = nextOnCadence(state.anchor, p.delayLoopMs, now);
    if (ok && !up) {
      // "TCP connection to … success": a down check (after failures, or alpha before its first success) comes up at once.
      up = true;
      actions.push({ kind: 'report', state: 'up', reason: 'success', initial: false });
    } else if (!ok && up) {
      // "TCP_CHECK on service … failed after N retries": the check goes down.
      up = false;
      const reason = p.retry && state.hasRun ? `${event.reason} after ${p.retry} ${p.retry === 1 ? 'retry' : 'retries'}` : event.reason;
      actions.push({ kind: 'report', state: 'down', reason, initial: false });
    } else if (!ok && !state.hasRun) {
      // update_svr_checker_state on a first run that fails while already down (alpha): no transition, but
      // keepalived still runs the real server's notify_down. Only reachable with retry 0, since a retry sets has_run.
      actions.push({ kind: 'report', state: 'down', reason: event.reason, initial: true });
    }
    // a success while up, or a failure while down: nothing to report, keepalived stays silent.
  } else {
    // keepalived: a failure with retries left: count it and try again after delay_before_retry, measured from
    // the failure (as keepalived's thread_add_timer does), whatever the verdict is.
    retryIt += 1;
    at = now + p.delayBeforeRetryMs;
  }
  actions.push({ kind: 'schedule', at });
  // keepalived sets has_run after every completed attempt, retries included.
  return { state: { params: p, up, hasRun: true, retryIt, anchor: state.anchor, due: at }, actions };
}
