// I/O edge: one running instance's status row for `lvsd status` — state, base and effective priority, the Master heard, timers, split brain, counters — its times on the wall clock.
import type { TimerKind, VrrpState } from '../fsm-types.js';
import type { PeerAdvert } from '../split-brain.js';
import type { InstanceCounters, InstanceRuntime } from './instance.js';

/** InstanceStatus is one instance's state for status output and tests; times are epoch milliseconds. */
export interface InstanceStatus {
  readonly name: string;
  readonly state: VrrpState;
  /** the effective priority (base + tracking weights), as older readers expect */
  readonly priority: number;
  readonly vrid?: number | undefined;
  readonly basePriority?: number | undefined;
  readonly effectivePriority?: number | undefined;
  /** the Master heard (its primary address) */
  readonly master?: string | undefined;
  readonly masterPriority?: number | undefined;
  /** when the last advert from another router was accepted */
  readonly lastAdvertAt?: number | undefined;
  readonly timers?: InstanceTimers | undefined;
  /** another Master has been heard for this VRID for longer than 3 advert intervals while this one is Master */
  readonly splitBrain?: boolean | undefined;
  readonly splitBrainSince?: number | undefined;
  readonly splitBrainPeer?: PeerAdvert | undefined;
  readonly counters: InstanceCounters;
}

/** InstanceTimers are an instance's intervals and its next deadline. */
export interface InstanceTimers {
  /** our Advertisement_Interval */
  readonly advertIntervalMs: number;
  /** Master_Adver_Interval: ours, or the one learnt from the Master (VRRPv3 Backup) */
  readonly masterAdverIntervalMs: number;
  readonly masterDownIntervalMs: number;
  /** the earliest running timer: `advert` for a Master, `master-down` for a Backup */
  readonly next?: { readonly timer: TimerKind; readonly at: number } | undefined;
}

/** WallClock pairs a reading of the monotonic clock the instances run on with Date.now() taken at the same moment. */
export interface WallClock {
  readonly mono: number;
  readonly wall: number;
}

/** instanceStatus is the status row of a running instance. */
export function instanceStatus(r: InstanceRuntime, clock: WallClock): InstanceStatus {
  const wall = (t: number): number => Math.round(clock.wall + (t - clock.mono));
  const s = r.state;
  const next = (Object.entries(s.timers) as [TimerKind, number][]).sort((a, b) => a[1] - b[1])[0];
  const heard = r.lastAdvert;
  const sb = r.splitBrain;
  return {
    name: r.config.name,
    state: s.state,
    priority: s.effectivePriority,
    vrid: r.config.virtualRouterId,
    basePriority: s.basePriority,
    effectivePriority: s.effectivePriority,
    master: s.master?.address,
    masterPriority: s.master?.priority,
    lastAdvertAt: heard ? wall(heard.at) : undefined,
    timers: {
      advertIntervalMs: s.config.advertIntervalMs,
      masterAdverIntervalMs: s.masterAdverIntervalMs,
      masterDownIntervalMs: r.masterDownMs,
      next: next ? { timer: next[0], at: wall(next[1]) } : undefined,
    },
    splitBrain: sb.active,
    splitBrainSince: sb.active && sb.since !== undefined ? wall(sb.since) : undefined,
    splitBrainPeer: sb.active && sb.peer ? { address: sb.peer.address, priority: sb.peer.priority, accepted: sb.peer.accepted, ...(sb.peer.reason !== undefined ? { reason: sb.peer.reason } : {}) } : undefined,
    counters: { ...r.counters, dropped: { ...r.counters.dropped } },
  };
}
