// VRRP layer (pure): one instance's state machine — RFC 5798 §6.4 (RFC 3768 §6.4 for v2) with keepalived 2.2.7's extensions (Fault, preempt_delay, garp); time is an argument (ms).
import {
  compareAddresses,
  effectivePriority,
  masterDownIntervalMs,
  PRIORITY_OWNER,
  PRIORITY_STOP,
  skewTimeMs,
  type FsmConfig,
} from './timing.js';
import type { FsmAction, FsmEvent, FsmState, StepOptions, StepResult, TimerKind } from './fsm-types.js';

export * from './fsm-types.js';

/**
 * initialState is an instance before startup (RFC 5798 §6.4.1 Initialize), with its tracking weight and faults known
 * so far; `delayedStartUntil` (ms) holds it out of Master until then (keepalived's vrrp_startup_delay).
 */
export function initialState(config: FsmConfig, weight = 0, faults: readonly string[] = [], delayedStartUntil?: number): FsmState {
  return {
    ...(delayedStartUntil !== undefined ? { delayedStartUntil } : {}),
    config,
    state: 'INIT',
    basePriority: config.basePriority,
    weight,
    effectivePriority: effectivePriority(config.basePriority, weight),
    masterAdverIntervalMs: config.advertIntervalMs,
    wantMaster: config.initialState === 'MASTER',
    faults: [...new Set(faults)],
    groupFault: false,
    timers: {},
    preemptDue: false,
  };
}

/** isOwner tells whether an instance is the address owner that starts as Master at once (priority 255 and state MASTER). */
export function isOwner(s: FsmState): boolean {
  return s.basePriority === PRIORITY_OWNER && s.config.initialState === 'MASTER';
}

/** masterDownInterval is the instance's current Master_Down_Interval in ms. */
export function masterDownInterval(s: FsmState): number {
  const c = s.config;
  return masterDownIntervalMs(c.version, s.effectivePriority, s.masterAdverIntervalMs, c.downTimerAdverts);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Run is one step in progress: a private mutable copy of the state and the actions so far. */
class Run {
  readonly s: Mutable<FsmState>;
  readonly timers: Partial<Record<TimerKind, number>>;
  readonly actions: FsmAction[] = [];
  constructor(
    state: FsmState,
    readonly now: number,
    readonly opts: StepOptions,
  ) {
    this.timers = { ...state.timers };
    this.s = { ...state, timers: this.timers };
  }
  get c(): FsmConfig {
    return this.s.config;
  }
  act(a: FsmAction): void {
    this.actions.push(a);
  }
  set(timer: TimerKind, at: number): void {
    this.timers[timer] = at;
    this.act({ kind: 'set-timer', timer, at });
  }
  cancel(timer: TimerKind): void {
    if (this.timers[timer] === undefined) return;
    delete this.timers[timer];
    this.act({ kind: 'cancel-timer', timer });
  }
  cancelAll(): void {
    for (const t of Object.keys(this.timers) as TimerKind[]) this.cancel(t);
  }
  notify(state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): void {
    this.act({ kind: 'notify', state, priority: this.s.effectivePriority });
  }
  inFault(): boolean {
    return this.s.faults.length > 0 || this.s.groupFault;
  }
  clearPreempt(): void {
    this.s.preemptAt = undefined;
    this.s.preemptDue = false;
    this.cancel('preempt-delay');
  }
  resetMasterDown(): void {
    this.masterDownIn(masterDownInterval(this.s));
  }
  /** masterDownIn sets the Master_Down_Timer `ms` from now, or from the end of vrrp_startup_delay while it runs (keepalived vrrp_init_instance_sands). */
  masterDownIn(ms: number): void {
    const until = this.s.delayedStartUntil;
    this.set('master-down', (until !== undefined && this.now < until ? until : this.now) + ms);
  }
  sendAdvert(priority = this.s.effectivePriority): void {
    this.act({ kind: 'send-advert', priority });
  }
  result(): StepResult {
    return { state: this.s, actions: this.actions };
  }
}

/** becomeMaster: RFC 5798 §6.4.1 (owner) and §6.4.2 (Master_Down_Timer fires) — advert, addresses, gratuitous ARP/NA, Adver_Timer, Master. */
function becomeMaster(r: Run, gated = true): void {
  const { s, c } = r;
  if (gated && r.opts.canBecomeMaster === false) {
    // keepalived vrrp_sync_can_goto_master: the sync group is not ready — stay Backup, wanting Master, for another interval
    s.wantMaster = true;
    r.resetMasterDown();
    return;
  }
  r.cancel('master-down');
  r.clearPreempt();
  // keepalived vrrp_state_master_tx: the advert goes first so the old Master drops the addresses before our ARPs
  r.sendAdvert();
  r.act({ kind: 'become-master' });
  if (c.garp.masterRepeat > 0) r.act({ kind: 'send-garp', repeat: c.garp.masterRepeat });
  if (c.garp.masterDelayMs > 0) r.set('garp-master', r.now + c.garp.masterDelayMs);
  s.garpRefreshAt = c.garp.masterRefreshMs > 0 ? r.now + c.garp.masterRefreshMs : undefined;
  s.state = 'MASTER';
  s.wantMaster = true;
  // a Master advertises at its own Advertisement_Interval
  s.masterAdverIntervalMs = c.advertIntervalMs;
  r.notify('MASTER');
  r.set('advert', r.now + c.advertIntervalMs);
}

/** becomeBackup enters Backup with a fresh Master_Down_Timer (from Initialize, Master or Fault). */
function becomeBackup(r: Run, removeAddresses: boolean): void {
  const { s } = r;
  r.cancel('advert');
  r.cancel('garp-master');
  r.cancel('garp-lower-prio');
  r.clearPreempt();
  if (removeAddresses) r.act({ kind: 'become-backup' });
  s.state = 'BACKUP';
  s.wantMaster = false;
  s.garpRefreshAt = undefined;
  r.notify('BACKUP');
  r.resetMasterDown();
}

/** enterFault: keepalived down_instance — a Master sends priority 0 and drops its addresses; all timers stop. */
function enterFault(r: Run): void {
  const { s } = r;
  if (s.state === 'MASTER') {
    r.sendAdvert(PRIORITY_STOP);
    r.act({ kind: 'become-backup' });
  }
  r.cancelAll();
  s.preemptAt = undefined;
  s.preemptDue = false;
  s.garpRefreshAt = undefined;
  s.state = 'FAULT';
  s.wantMaster = false;
  r.notify('FAULT');
}

/** leaveFault: keepalived try_up_instance / vrrp_state_leave_fault — the owner goes Master, others Backup; `master` false forces Backup (sync group). */
function leaveFault(r: Run, master: boolean): void {
  r.s.masterAdverIntervalMs = r.c.advertIntervalMs;
  if (master && isOwner(r.s) && r.opts.canBecomeMaster !== false) becomeMaster(r);
  else becomeBackup(r, false);
}

/** backupHearsAdvert: RFC 5798 §6.4.2 "If an ADVERTISEMENT is received" in Backup, with keepalived's preempt_delay (vrrp.c vrrp_state_backup). */
function backupHearsAdvert(r: Run, e: Extract<FsmEvent, { kind: 'advert-received' }>): void {
  const { s, c, now } = r;
  if (e.priority === PRIORITY_STOP) {
    // "If the Priority in the ADVERTISEMENT is zero, then: Set the Master_Down_Timer to Skew_Time"
    r.masterDownIn(skewTimeMs(c.version, s.effectivePriority, s.masterAdverIntervalMs));
    return;
  }
  const preemptHeld = c.preemptDelayMs > 0 && (s.preemptAt === undefined || !(s.preemptDue || now >= s.preemptAt));
  if (!c.preempt || e.priority >= s.effectivePriority || preemptHeld) {
    // "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT is greater than or equal to the local Priority":
    // (VRRPv3) "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT, Recompute the
    // Master_Down_Interval, Reset the Master_Down_Timer to Master_Down_Interval"; keepalived also waits out preempt_delay here
    if (c.version === 3 && e.maxAdvertIntervalMs !== undefined && e.maxAdvertIntervalMs > 0) s.masterAdverIntervalMs = e.maxAdvertIntervalMs;
    s.master = { address: e.source, priority: e.priority };
    s.wantMaster = false;
    r.resetMasterDown();
    if (c.preemptDelayMs > 0) {
      if (e.priority >= s.effectivePriority) r.clearPreempt(); // keepalived: "stop preempt delay"
      else if (s.preemptAt === undefined) {
        // keepalived: "start preempt delay" on first hearing a lower-priority Master
        s.preemptAt = now + c.preemptDelayMs;
        s.preemptDue = false;
        r.set('preempt-delay', s.preemptAt);
      }
    }
    return;
  }
  // "else (Preempt_Mode True and lower Priority): Discard the ADVERTISEMENT" — the Master_Down_Timer runs on and we preempt when it fires
  s.master = { address: e.source, priority: e.priority };
}

/** masterHearsAdvert: RFC 5798 §6.4.3 "If an ADVERTISEMENT is received" in Master, as keepalived's vrrp.c vrrp_state_master_rx. */
function masterHearsAdvert(r: Run, e: Extract<FsmEvent, { kind: 'advert-received' }>): void {
  const { s, c, now } = r;
  const cmp = compareAddresses(e.source, c.localAddress);
  const higher = (): boolean => e.priority > s.effectivePriority || (e.priority === s.effectivePriority && cmp > 0);
  if (e.priority === PRIORITY_STOP || (c.higherPrioSendAdvert && higher())) {
    // "If the Priority in the ADVERTISEMENT is zero, then: Send an ADVERTISEMENT, Reset the Adver_Timer";
    // keepalived's higher_prio_send_advert also answers a higher priority once before stepping down
    r.sendAdvert();
    r.set('advert', now + c.advertIntervalMs);
    if (e.priority === PRIORITY_STOP) return;
  }
  if (e.priority === s.effectivePriority) {
    if (cmp === 0) r.act({ kind: 'warning', message: `${c.name}: equal priority advert from ${e.source}, which is our own address or not comparable with it` });
    else if (s.effectivePriority === PRIORITY_OWNER) {
      // keepalived: two address owners is a configuration error; the local one lowers itself to 254
      r.act({ kind: 'warning', message: `${c.name}: ${e.source} is also configured as address owner (priority 255); lowering ours to 254` });
      s.basePriority = PRIORITY_OWNER - 1;
      s.effectivePriority = effectivePriority(s.basePriority, s.weight);
    }
  }
  if (e.priority < s.effectivePriority || (e.priority === s.effectivePriority && cmp < 0)) {
    // "If the Priority in the ADVERTISEMENT is less than the local Priority, or equal and the sender's primary address
    // is lower: Discard" — keepalived also answers with an advert at once ("forcing new election") unless
    // lower_prio_no_advert, and refreshes the LAN's ARP caches (garp_lower_prio_*)
    if (!c.lowerPrioNoAdvert) {
      r.sendAdvert();
      r.set('advert', now + c.advertIntervalMs);
    }
    if (c.garp.lowerPrioRepeat > 0) {
      r.act({ kind: 'send-garp', repeat: c.garp.lowerPrioRepeat });
      if (c.garp.lowerPrioDelayMs > 0) r.set('garp-lower-prio', now + c.garp.lowerPrioDelayMs);
    }
    return;
  }
  if (higher()) {
    // "If the Priority in the ADVERTISEMENT is greater than the local Priority, or equal and the sender's primary
    // address is higher: Cancel Adver_Timer, Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT
    // (v3), Recompute Skew_Time and Master_Down_Interval, Set Master_Down_Timer to Master_Down_Interval, Transition to Backup"
    if (c.version === 3 && e.maxAdvertIntervalMs !== undefined && e.maxAdvertIntervalMs > 0) s.masterAdverIntervalMs = e.maxAdvertIntervalMs;
    s.master = { address: e.source, priority: e.priority };
    becomeBackup(r, true);
  }
}

/**
 * step applies one event at time `now` (ms) and returns the next state and the actions. Timer events that arrive for a
 * timer not running or not yet due are ignored, so a late or duplicate expiry is harmless.
 */
export function step(state: FsmState, event: FsmEvent, now: number, opts: StepOptions = {}): StepResult {
  const r = new Run(state, now, opts);
  const { s, c } = r;
  const due = (t: TimerKind): boolean => {
    const at = r.timers[t];
    if (at === undefined || now < at) return false;
    delete r.timers[t];
    return true;
  };
  switch (event.kind) {
    case 'startup':
      if (s.state !== 'INIT') break;
      s.masterAdverIntervalMs = c.advertIntervalMs;
      if (r.inFault()) {
        // keepalived vrrp_init_state: an instance whose tracked interface or weight-0 script is down starts in FAULT
        r.act({ kind: 'become-backup' });
        enterFault(r);
      } else if (isOwner(s) && s.delayedStartUntil !== undefined && now < s.delayedStartUntil) {
        // keepalived vrrp_init_state: an owner goes through Backup with a Master_Down_Timer of ~0, which
        // vrrp_startup_delay pushes to the end of the delay
        becomeBackup(r, true);
        s.wantMaster = true;
        r.set('master-down', s.delayedStartUntil);
      } else if (isOwner(s) && opts.canBecomeMaster !== false) {
        // RFC 5798 §6.4.1: "If the Priority = 255 ... transition to the Master state"
        becomeMaster(r);
      } else {
        // RFC 5798 §6.4.1: "else ... Set Master_Down_Timer to Master_Down_Interval, Transition to the Backup state";
        // keepalived removes any addresses left over from a previous run
        becomeBackup(r, true);
      }
      break;
    case 'shutdown':
      if (s.state === 'MASTER') {
        // RFC 5798 §6.4.3 Shutdown: "Cancel the Adver_Timer, Send an ADVERTISEMENT with Priority = 0, Transition to Initialize"
        r.cancelAll();
        r.sendAdvert(PRIORITY_STOP);
        r.act({ kind: 'become-backup' });
      } else r.cancelAll(); // §6.4.2 Shutdown: "Cancel the Master_Down_Timer, Transition to Initialize"
      if (s.state !== 'INIT') r.notify('STOP');
      s.state = 'INIT';
      s.wantMaster = c.initialState === 'MASTER';
      s.preemptAt = undefined;
      s.preemptDue = false;
      s.garpRefreshAt = undefined;
      break;
    case 'advert-received':
      if (s.state === 'BACKUP') backupHearsAdvert(r, event);
      else if (s.state === 'MASTER') masterHearsAdvert(r, event);
      break; // keepalived ignores adverts in INIT and FAULT
    case 'master-down-timer-expired': {
      const dueAt = r.timers['master-down'];
      if (s.state !== 'BACKUP' || dueAt === undefined || !due('master-down')) break;
      // Master_Down_Interval is time spent listening. A backup that stood still for part of it (a paused VM, a starved
      // host) did not listen then, and a Master frozen alongside it (two directors on one hypervisor) sent nothing:
      // that silence proves no failure. It owes the stalled time not already past the deadline and listens that much
      // longer (lvsd's rule; RFC 5798 assumes a receiver that runs; an advert meanwhile resets the timer as usual)
      const owed = Math.min((event.stalledMs ?? 0) - (now - dueAt), masterDownInterval(s));
      if (owed > 0) {
        r.set('master-down', now + owed);
        r.act({ kind: 'warning', message: `${c.name}: stood still ${Math.round(event.stalledMs ?? 0)} ms while waiting for the Master; listening ${Math.round(owed)} ms more before taking over` });
        break;
      }
      // RFC 5798 §6.4.2: "If the Master_Down_Timer fires" → Master
      becomeMaster(r);
      break;
    }
    case 'advert-timer-expired':
      if (s.state !== 'MASTER' || !due('advert')) break;
      // RFC 5798 §6.4.3: "If the Adver_Timer fires: Send an ADVERTISEMENT, Reset the Adver_Timer to Advertisement_Interval"
      r.sendAdvert();
      if (s.garpRefreshAt !== undefined && now >= s.garpRefreshAt) {
        // keepalived vrrp_state_master_tx: garp_master_refresh rides on the advert timer
        r.act({ kind: 'send-garp', repeat: c.garp.masterRefreshRepeat });
        s.garpRefreshAt = now + c.garp.masterRefreshMs;
      }
      r.set('advert', now + c.advertIntervalMs);
      break;
    case 'preempt-delay-expired':
      if (due('preempt-delay') && s.state === 'BACKUP' && s.preemptAt !== undefined) s.preemptDue = true;
      break;
    case 'garp-timer-expired':
      if (due(event.timer) && s.state === 'MASTER') {
        r.act({ kind: 'send-garp', repeat: event.timer === 'garp-master' ? c.garp.masterRepeat : c.garp.lowerPrioRepeat });
      }
      break;
    case 'priority-changed': {
      s.weight = event.weight;
      const next = effectivePriority(s.basePriority, event.weight);
      if (next === s.effectivePriority) break;
      // keepalived vrrp_set_effective_priority: a Backup's running Master_Down_Timer moves by the change of the interval;
      // a Master just advertises the new priority with its next advert
      const before = masterDownInterval(s);
      s.effectivePriority = next;
      const at = r.timers['master-down'];
      if (s.state === 'BACKUP' && at !== undefined) r.set('master-down', at + masterDownInterval(s) - before);
      break;
    }
    case 'fault':
      if (!s.faults.includes(event.source)) s.faults = [...s.faults, event.source];
      if ((s.state === 'BACKUP' || s.state === 'MASTER') && r.inFault()) enterFault(r);
      break;
    case 'fault-cleared':
      s.faults = s.faults.filter((f) => f !== event.source);
      if (s.state === 'FAULT' && !r.inFault()) leaveFault(r, true);
      break;
    case 'sync-master':
      // keepalived vrrp_sync_master: a group member became Master, so do all others
      if (s.state === 'BACKUP') becomeMaster(r, false);
      break;
    case 'sync-backup':
      // keepalived vrrp_sync_backup: a group member left Master (or Fault) for Backup, so do all others
      if (s.state === 'MASTER') becomeBackup(r, true);
      else if (s.state === 'FAULT' && s.faults.length === 0) {
        s.groupFault = false;
        leaveFault(r, false);
      }
      break;
    case 'group-fault':
      s.groupFault = event.on;
      // keepalived vrrp_sync_fault: one member in FAULT takes the whole group there; it leaves when no member has a fault
      if (event.on && (s.state === 'BACKUP' || s.state === 'MASTER')) enterFault(r);
      else if (!event.on && s.state === 'FAULT' && !r.inFault()) leaveFault(r, false);
      break;
  }
  return r.result();
}
