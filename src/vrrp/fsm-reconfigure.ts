// VRRP layer (pure): a running instance takes new settings on reload, keeping its state — keepalived's reload of an instance it keeps (vrrp_scheduler.c reload_master, vrrp_init_instance_sands).
import { masterDownInterval, type FsmAction, type FsmState, type StepResult, type TimerKind } from './fsm.js';
import { effectivePriority, type FsmConfig } from './timing.js';

/**
 * reconfigure gives a running instance new settings at time `now` without changing its state: the base priority,
 * intervals, preemption and garp settings take effect at once. A Master advertises its (new) priority at once and
 * restarts its Adver_Timer, so a Backup that now has the higher priority preempts it by the RFC's rules; a Backup
 * restarts its Master_Down_Timer with the new Master_Down_Interval (the Master it hears keeps resetting it) and
 * forgets a preempt delay its new settings no longer have. Initialize and Fault only take the settings.
 */
export function reconfigure(state: FsmState, config: FsmConfig, now: number): StepResult {
  const actions: FsmAction[] = [];
  const timers: Partial<Record<TimerKind, number>> = { ...state.timers };
  const set = (timer: TimerKind, at: number): void => {
    timers[timer] = at;
    actions.push({ kind: 'set-timer', timer, at });
  };
  const cancel = (timer: TimerKind): void => {
    if (timers[timer] === undefined) return;
    delete timers[timer];
    actions.push({ kind: 'cancel-timer', timer });
  };
  // an owner that lowered itself to 254 on hearing another owner keeps that until the new priority differs from 255
  const basePriority = state.basePriority === 254 && state.config.basePriority === 255 && config.basePriority === 255 ? 254 : config.basePriority;
  let s: FsmState = { ...state, config, basePriority, effectivePriority: effectivePriority(basePriority, state.weight), timers };
  if (s.state === 'MASTER') {
    const garpRefreshAt = config.garp.masterRefreshMs > 0 ? Math.min(s.garpRefreshAt ?? Infinity, now + config.garp.masterRefreshMs) : undefined;
    s = { ...s, masterAdverIntervalMs: config.advertIntervalMs, garpRefreshAt };
    actions.push({ kind: 'send-advert', priority: s.effectivePriority });
    set('advert', now + config.advertIntervalMs);
  } else if (s.state === 'BACKUP') {
    // VRRPv2: every router uses its own interval; VRRPv3 keeps the interval learnt from the Master it hears
    if (config.version === 2 || s.master === undefined) s = { ...s, masterAdverIntervalMs: config.advertIntervalMs };
    if (!config.preempt || config.preemptDelayMs === 0) {
      cancel('preempt-delay');
      s = { ...s, preemptAt: undefined, preemptDue: false };
    }
    const until = s.delayedStartUntil;
    set('master-down', (until !== undefined && now < until ? until : now) + masterDownInterval(s));
  }
  return { state: s, actions };
}
