// Test support: a VRRP instance configuration with keepalived's defaults, for state machine tests.
import type { FsmConfig } from '../../src/vrrp/timing.js';

/** NO_GARP turns every gratuitous ARP delay and repeat off. */
export const NO_GARP = { masterDelayMs: 0, masterRepeat: 0, masterRefreshMs: 0, masterRefreshRepeat: 0, lowerPrioDelayMs: 0, lowerPrioRepeat: 0 };

/** testFsmConfig is instance VI_1: v2, priority 100, advert_int 1, starting BACKUP with preemption; `over` changes any of it. */
export function testFsmConfig(over: Partial<FsmConfig> = {}): FsmConfig {
  return {
    name: 'VI_1',
    version: 2,
    basePriority: 100,
    advertIntervalMs: 1000,
    initialState: 'BACKUP',
    preempt: true,
    preemptDelayMs: 0,
    downTimerAdverts: 3,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    garp: NO_GARP,
    ...over,
  };
}
