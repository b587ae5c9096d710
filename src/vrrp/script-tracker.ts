// VRRP layer (pure): vrrp_script rise/fall counting and what tracked scripts and interfaces do to an instance — priority weight or fault (keepalived 2.2.7 vrrp_scheduler.c / vrrp_track.c).
import type { Tracked } from '../config/model.js';
import type { FsmEvent } from './fsm-types.js';

/** TrackStatus is a tracked object's verdict: `unknown` until a script's first result; interfaces are `ok` when up. */
export type TrackStatus = 'unknown' | 'ok' | 'failed';

/** ScriptParams are a vrrp_script's counting settings. */
export interface ScriptParams {
  readonly rise: number;
  readonly fall: number;
  /** init_fail: the script counts as failed until it has risen */
  readonly initFail: boolean;
}

/**
 * ScriptState is keepalived's vscript->result counter: 0 .. rise+fall-1, OK from `rise` up. Successes climb towards
 * rise (then jump to the top), failures descend from the top towards rise (then drop to 0).
 */
export interface ScriptState {
  readonly params: ScriptParams;
  readonly result: number;
  readonly status: TrackStatus;
}

/** ScriptStep is the next counter and whether the verdict changed. */
export interface ScriptStep {
  readonly state: ScriptState;
  readonly changed: boolean;
}

/** initialScriptState is a script before its first run: one success (or failure) decides, unless init_fail (keepalived vrrp_init_script). */
export function initialScriptState(params: ScriptParams): ScriptState {
  const rise = Math.max(1, params.rise);
  const fall = Math.max(1, params.fall);
  const p = { rise, fall, initFail: params.initFail };
  return params.initFail ? { params: p, result: 0, status: 'failed' } : { params: p, result: rise - 1, status: 'unknown' };
}

/** scriptResult counts one run (`ok` = exit status 0; a timeout or signal is a failure), as keepalived's vrrp_script_child_thread. */
export function scriptResult(state: ScriptState, ok: boolean): ScriptStep {
  const { rise, fall } = state.params;
  const top = rise + fall - 1;
  const { result, status } = state;
  const initial = status === 'unknown';
  if (ok) {
    if (result < rise - 1) return { state: { ...state, result: result + 1 }, changed: false };
    if (result === top) return { state, changed: false };
    // reaching `rise` (or the first result) flips the verdict; a success while OK refills the fall budget
    const flips = result < rise;
    return { state: { ...state, result: top, status: flips ? 'ok' : status }, changed: flips && status !== 'ok' };
  }
  if (result > rise) return { state: { ...state, result: result - 1 }, changed: false };
  const flips = result === rise || initial;
  return { state: { ...state, result: 0, status: flips ? 'failed' : status }, changed: flips && status !== 'failed' };
}

/** TrackEffect is what one tracked object does to an instance: a priority contribution, or a fault. */
export interface TrackEffect {
  readonly weight: number;
  readonly fault: boolean;
}

/**
 * trackedEffect is keepalived's rule: a weight > 0 is added while OK, a weight < 0 while failed, `reverse` negates
 * the contribution; weight 0 puts the instance in FAULT while failed (while OK with reverse) and while not yet known.
 */
export function trackedEffect(status: TrackStatus, tracked: Pick<Tracked, 'weight' | 'reverse'>): TrackEffect {
  const { weight, reverse } = tracked;
  if (weight === 0) return { weight: 0, fault: status === 'unknown' || (status === 'ok') === reverse };
  const sign = reverse ? -1 : 1;
  if (status === 'ok') return { weight: sign * Math.max(weight, 0), fault: false };
  if (status === 'failed') return { weight: sign * Math.min(weight, 0), fault: false };
  return { weight: 0, fault: false };
}

/** TrackedStatus is one tracked object of an instance: its fault source name ("script:NAME", "interface:NAME"), its tracking and its verdict. */
export interface TrackedStatus {
  readonly source: string;
  readonly tracked: Pick<Tracked, 'weight' | 'reverse'>;
  readonly status: TrackStatus;
}

/** TrackingSummary is the sum of the weights and the fault sources of an instance's tracked objects. */
export interface TrackingSummary {
  readonly weight: number;
  readonly faults: readonly string[];
}

/** summarizeTracking combines an instance's (and its sync group's) tracked objects. */
export function summarizeTracking(entries: readonly TrackedStatus[]): TrackingSummary {
  let weight = 0;
  const faults: string[] = [];
  for (const e of entries) {
    const eff = trackedEffect(e.status, e.tracked);
    weight += eff.weight;
    if (eff.fault && !faults.includes(e.source)) faults.push(e.source);
  }
  return { weight, faults };
}

/** trackingEvents are the state machine events that take an instance from one tracking summary to the next. */
export function trackingEvents(prev: TrackingSummary, next: TrackingSummary): FsmEvent[] {
  const events: FsmEvent[] = [];
  if (next.weight !== prev.weight) events.push({ kind: 'priority-changed', weight: next.weight });
  for (const f of next.faults) if (!prev.faults.includes(f)) events.push({ kind: 'fault', source: f });
  for (const f of prev.faults) if (!next.faults.includes(f)) events.push({ kind: 'fault-cleared', source: f });
  return events;
}
