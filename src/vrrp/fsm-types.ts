// VRRP layer (pure): the state machine's vocabulary — states, events, actions, timers — shared by fsm.ts and sync-group.ts.
import type { FsmConfig } from './timing.js';

/** VrrpState is an instance's state; FAULT is keepalived's (a tracked interface or weight-0 script is down). */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** TimerKind names the timers the machine asks the caller to run; each has one expiry event. */
export type TimerKind = 'master-down' | 'advert' | 'preempt-delay' | 'garp-master' | 'garp-lower-prio';

/** FsmState is everything the machine remembers; treat it as immutable. */
export interface FsmState {
  readonly config: FsmConfig;
  readonly state: VrrpState;
  /** the base priority in force (keepalived lowers an owner's to 254 when another owner is heard) */
  readonly basePriority: number;
  /** sum of tracking weights last reported */
  readonly weight: number;
  readonly effectivePriority: number;
  /** Master_Adver_Interval: our own interval, or (VRRPv3 Backup) the Master's */
  readonly masterAdverIntervalMs: number;
  /** keepalived's wantstate == MASTER: the instance would be Master but for its sync group */
  readonly wantMaster: boolean;
  /** the instance's own fault sources ("script:NAME", "interface:NAME") */
  readonly faults: readonly string[];
  /** held in FAULT by its sync group */
  readonly groupFault: boolean;
  /** the running timers and when they fire */
  readonly timers: Readonly<Partial<Record<TimerKind, number>>>;
  /** when a lower-priority Master may be preempted (keepalived's preempt_time), and whether that time has come */
  readonly preemptAt?: number | undefined;
  readonly preemptDue: boolean;
  /** when the next gratuitous ARP refresh is due while Master */
  readonly garpRefreshAt?: number | undefined;
  /** vrrp_startup_delay: no Master_Down_Timer fires before this time (ms); absent = no delay */
  readonly delayedStartUntil?: number | undefined;
  /** the Master last heard, with its priority */
  readonly master?: { readonly address: string; readonly priority: number } | undefined;
}

/** FsmEvent is an input; sync-master, sync-backup and group-fault come from the sync group (sync-group.ts). */
export type FsmEvent =
  | { readonly kind: 'startup' }
  | { readonly kind: 'shutdown' }
  | {
      readonly kind: 'advert-received';
      readonly priority: number;
      readonly source: string;
      /** VRRPv3: the Max Adver Int the advert carries, in ms */
      readonly maxAdvertIntervalMs?: number | undefined;
    }
  | {
      readonly kind: 'master-down-timer-expired';
      /** how long this process stood still while the timer ran (ms; StallMeter): that time it did not listen */
      readonly stalledMs?: number | undefined;
    }
  | { readonly kind: 'advert-timer-expired' }
  | { readonly kind: 'preempt-delay-expired' }
  | { readonly kind: 'garp-timer-expired'; readonly timer: 'garp-master' | 'garp-lower-prio' }
  | { readonly kind: 'priority-changed'; readonly weight: number }
  | { readonly kind: 'fault'; readonly source: string }
  | { readonly kind: 'fault-cleared'; readonly source: string }
  | { readonly kind: 'sync-master' }
  | { readonly kind: 'sync-backup' }
  | { readonly kind: 'group-fault'; readonly on: boolean };

/** FsmAction is an output for the I/O layer, in the order it must be carried out. */
export type FsmAction =
  | { readonly kind: 'send-advert'; readonly priority: number }
  /** add the virtual addresses */
  | { readonly kind: 'become-master' }
  /** remove the virtual addresses */
  | { readonly kind: 'become-backup' }
  /** gratuitous ARP (IPv4) / unsolicited NA (IPv6) for every virtual address, `repeat` times */
  | { readonly kind: 'send-garp'; readonly repeat: number }
  | { readonly kind: 'set-timer'; readonly timer: TimerKind; readonly at: number }
  | { readonly kind: 'cancel-timer'; readonly timer: TimerKind }
  | { readonly kind: 'notify'; readonly state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'; readonly priority: number }
  | { readonly kind: 'warning'; readonly message: string };

/** StepResult is the next state and the actions to carry out. */
export interface StepResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** StepOptions carry the sync group's verdict: `canBecomeMaster` false holds the instance in Backup (keepalived vrrp_sync_can_goto_master). */
export interface StepOptions {
  readonly canBecomeMaster?: boolean | undefined;
}

/** TIMER_EVENTS maps a timer to the event its expiry delivers. */
export const TIMER_EVENTS: Readonly<Record<TimerKind, FsmEvent>> = Object.freeze({
  'master-down': { kind: 'master-down-timer-expired' },
  advert: { kind: 'advert-timer-expired' },
  'preempt-delay': { kind: 'preempt-delay-expired' },
  'garp-master': { kind: 'garp-timer-expired', timer: 'garp-master' },
  'garp-lower-prio': { kind: 'garp-timer-expired', timer: 'garp-lower-prio' },
});
