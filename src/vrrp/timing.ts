// VRRP layer (pure): protocol arithmetic — Skew_Time, Master_Down_Interval, effective priority, primary address order — and the state machine's settings from the config model.
import type { VrrpInstance } from '../config/model.js';
import { parseAddress } from '../util/addr.js';

/** PRIORITY_OWNER is the priority of the router that owns the virtual addresses (RFC 5798 §5.2.4). */
export const PRIORITY_OWNER = 255;
/** PRIORITY_STOP is the priority a Master sends when it stops being Master (RFC 5798 §5.2.4). */
export const PRIORITY_STOP = 0;

/** GarpConfig is when a Master sends gratuitous ARPs / unsolicited NAs, in milliseconds and counts (keepalived's garp_* settings). */
export interface GarpConfig {
  /** a second burst this long after becoming Master (garp_master_delay; 0 = none) */
  readonly masterDelayMs: number;
  /** how many per virtual address in each burst (garp_master_repeat) */
  readonly masterRepeat: number;
  /** resend period while Master (garp_master_refresh; 0 = never) */
  readonly masterRefreshMs: number;
  readonly masterRefreshRepeat: number;
  /** after hearing a lower-priority advert: a burst at once and another this long after (garp_lower_prio_*) */
  readonly lowerPrioDelayMs: number;
  readonly lowerPrioRepeat: number;
}

/** FsmConfig is one instance's protocol settings; times in milliseconds. */
export interface FsmConfig {
  readonly name: string;
  readonly version: 2 | 3;
  readonly basePriority: number;
  /** Advertisement_Interval: how often this router advertises as Master */
  readonly advertIntervalMs: number;
  /** configured `state`; with priority 255 MASTER means "address owner, Master at once" */
  readonly initialState: 'MASTER' | 'BACKUP';
  /** Preempt_Mode (false with `nopreempt`) */
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  /** adverts a Backup misses before taking over: 3 in the RFCs (keepalived's down_timer_adverts) */
  readonly downTimerAdverts: number;
  /** a Master hearing a lower priority does not answer with an advert (keepalived's lower_prio_no_advert) */
  readonly lowerPrioNoAdvert: boolean;
  /** a Master hearing a higher priority sends one more advert before stepping down (keepalived's higher_prio_send_advert) */
  readonly higherPrioSendAdvert: boolean;
  readonly garp: GarpConfig;
  /** this router's primary address (unicast_src_ip or the interface's), compared with a sender's on equal priority */
  readonly localAddress?: string | undefined;
}

/** fsmConfig derives the state machine's settings from a configured instance (seconds become milliseconds). */
export function fsmConfig(instance: VrrpInstance, localAddress?: string): FsmConfig {
  const ms = (s: number): number => Math.round(s * 1000);
  const g = instance.garp;
  return {
    name: instance.name,
    version: instance.version,
    basePriority: instance.priority,
    advertIntervalMs: ms(instance.advertInt),
    initialState: instance.state,
    preempt: instance.preempt,
    preemptDelayMs: ms(instance.preemptDelay),
    downTimerAdverts: instance.downTimerAdverts,
    lowerPrioNoAdvert: instance.lowerPrioNoAdvert,
    higherPrioSendAdvert: instance.higherPrioSendAdvert,
    garp: {
      masterDelayMs: ms(g.masterDelay),
      masterRepeat: g.masterRepeat,
      masterRefreshMs: ms(g.masterRefresh),
      masterRefreshRepeat: g.masterRefreshRepeat,
      lowerPrioDelayMs: ms(g.lowerPrioDelay),
      lowerPrioRepeat: g.lowerPrioRepeat,
    },
    localAddress: localAddress ?? instance.unicastSrcIp ?? instance.mcastSrcIp,
  };
}

/**
 * skewTimeMs is Skew_Time: RFC 5798 §6.1 ((256 - Priority) * Master_Adver_Interval) / 256 for VRRPv3, RFC 3768 §6.1
 * (256 - Priority) / 256 seconds for VRRPv2. Truncated to whole microseconds as keepalived's VRRP_TIMER_SKEW does.
 */
export function skewTimeMs(version: 2 | 3, priority: number, masterAdverIntervalMs: number): number {
  const us = version === 3 ? ((256 - priority) * masterAdverIntervalMs * 1000) / 256 : ((256 - priority) * 1_000_000) / 256;
  return Math.floor(us) / 1000;
}

/** masterDownIntervalMs is Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time (RFC 5798 §6.1; 3 is down_timer_adverts). */
export function masterDownIntervalMs(version: 2 | 3, priority: number, masterAdverIntervalMs: number, downTimerAdverts = 3): number {
  return downTimerAdverts * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}

/**
 * effectivePriority is base priority plus the tracking weights, clamped to 1..254; an address owner (255) keeps 255
 * whatever its weights (keepalived vrrp_track.c vrrp_set_effective_priority).
 */
export function effectivePriority(basePriority: number, weight: number): number {
  if (basePriority === PRIORITY_OWNER) return PRIORITY_OWNER;
  return Math.min(PRIORITY_OWNER - 1, Math.max(1, basePriority + weight));
}

/**
 * compareAddresses orders two addresses of one family as unsigned big-endian numbers (keepalived's inet_inaddrcmp):
 * > 0 when `a` is higher, < 0 when lower, 0 when equal, of different families, or either is unknown or invalid.
 */
export function compareAddresses(a: string | undefined, b: string | undefined): number {
  const x = a === undefined ? undefined : parseAddress(a);
  const y = b === undefined ? undefined : parseAddress(b);
  if (!x || !y || x.family !== y.family) return 0;
  return Buffer.compare(x.bytes, y.bytes);
}
