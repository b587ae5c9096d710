// Metrics layer (edge): the lvsd registry — every series family over the ports, plus Node's process and event-loop defaults.
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CheckMetrics, registerHealthMetrics, registerReconcileMetrics, registerVrrpMetrics } from './families.js';
import { IpvsSnapshot, renderIpvs } from './ipvs.js';
import type { MetricsPorts } from './ports.js';

/** MetricsOptions choose the extras: the check observer to expose, and Node's default metrics (on unless false). */
export interface MetricsOptions {
  readonly checks?: CheckMetrics | undefined;
  /** process_* and nodejs_* (event-loop lag, heap, GC, handles); tests turn them off for speed */
  readonly nodeDefaults?: boolean | undefined;
  /** event-loop delay histogram resolution in ms (default EVENT_LOOP_RESOLUTION_MS) */
  readonly eventLoopResolutionMs?: number | undefined;
}

/**
 * EVENT_LOOP_RESOLUTION_MS is the event-loop delay histogram's sampling timer. prom-client's default, 10 ms, wakes
 * the daemon 100 times a second: in the lab's user-mode guest an idle lvsd then used 4-7% of the CPU against
 * 0.1-0.8% without it (.lab/tmp/idle-cpu.ts). At 100 ms a stall that matters to VRRP (hundreds of ms) still shows.
 */
export const EVENT_LOOP_RESOLUTION_MS = 100;

/** Scrape is one exposition: the text and its Content-Type. */
export interface Scrape {
  readonly body: string;
  readonly contentType: string;
}

/** LvsdMetrics is the registry (every family but IPVS's) and a scrape that reads the kernel table once, then renders every family. */
export interface LvsdMetrics {
  readonly registry: Registry;
  scrape(): Promise<Scrape>;
}

/** createMetrics builds the registry over the ports; nothing is read until a scrape. */
export function createMetrics(ports: MetricsPorts, options: MetricsOptions = {}): LvsdMetrics {
  const registry = new Registry();
  const snapshot = new IpvsSnapshot(ports.ipvs);
  registerHealthMetrics(registry, ports.health);
  options.checks?.register(registry);
  registerVrrpMetrics(registry, ports.vrrp);
  registerReconcileMetrics(registry, ports.reconcile);
  if (options.nodeDefaults !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: options.eventLoopResolutionMs ?? EVENT_LOOP_RESOLUTION_MS });
  return {
    registry,
    async scrape() {
      await snapshot.refresh();
      const ipvs = await renderIpvs(snapshot);
      return { body: `${ipvs}\n${await registry.metrics()}`, contentType: registry.contentType };
    },
  };
}
