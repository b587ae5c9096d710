// Metrics layer (ports): the narrow read-only views the metrics edge reads — the IPVS table, health status, VRRP status, reconciler counters.
import type { VirtualServerStatus } from '../health/events.js';
import type { Table } from '../ipvs/types.js';
import type { SocketDrops } from '../vrrp/io/socket-drops.js';
import type { InstanceStatus } from '../vrrp/manager.js';

/** IpvsTablePort reads the kernel's IPVS table with its statistics (IpvsClient.table()). */
export interface IpvsTablePort {
  table(): Promise<Table>;
}

/** HealthStatusPort is the health of every virtual and real server (Director.status()). */
export interface HealthStatusPort {
  status(): readonly VirtualServerStatus[];
}

/** VrrpStatusPort is every VRRP instance's state and packet counters (VrrpManager.status()). */
export interface VrrpStatusPort {
  status(): readonly InstanceStatus[];
  /** what the VRRP sockets dropped before any instance saw it (VrrpManager.socketDrops()) */
  socketDrops?(): readonly SocketDrops[];
}

/** ReconcileCountersPort is the director's reconcile counters, by pass reason (Director's passes, applied, applyFailures). */
export interface ReconcileCountersPort {
  readonly passes: Readonly<Partial<Record<string, number>>>;
  /** operations the kernel accepted, by pass reason then op kind */
  readonly applied: Readonly<Partial<Record<string, Readonly<Partial<Record<string, number>>>>>>;
  /** operations the kernel refused, by pass reason */
  readonly applyFailures: Readonly<Partial<Record<string, number>>>;
}

/** MetricsPorts are everything the metrics registry reads at scrape time. */
export interface MetricsPorts {
  readonly ipvs: IpvsTablePort;
  readonly health: HealthStatusPort;
  readonly vrrp: VrrpStatusPort;
  readonly reconcile: ReconcileCountersPort;
}

/** NO_VRRP is the VRRP port of a daemon without vrrp_instance blocks. */
export const NO_VRRP: VrrpStatusPort = { status: () => [] };
