// Reconcile layer (pure): the health monitor's status indexed once per pass, so a pass looks each real server up in constant time.
import type { VirtualServerStatus } from '../health/events.js';
import type { HealthFn } from './desired.js';

/** HealthIndex answers a pass's health questions from one status snapshot. */
export interface HealthIndex {
  /** health of a real server of a virtual server; 'up' when the snapshot does not know it (as the monitor's isUp) */
  readonly health: HealthFn;
  /** quorumUp is a virtual server's quorum state by name, undefined when the snapshot does not know it */
  quorumUp(vsName: string): boolean | undefined;
}

/**
 * indexHealth indexes a health status snapshot by virtual server name and real server address and port (the first
 * virtual server of a name wins, as HealthMonitor.isUp finds it): asking the monitor per real server scans every
 * virtual server, which with thousands of them made each pass quadratic.
 */
export function indexHealth(status: readonly VirtualServerStatus[]): HealthIndex {
  const byVs = new Map<string, { quorumUp: boolean; down: Set<string> }>();
  for (const vs of status) {
    if (byVs.has(vs.name)) continue;
    byVs.set(vs.name, { quorumUp: vs.quorumUp, down: new Set(vs.realServers.filter((rs) => rs.state === 'down').map((rs) => `${rs.address} ${rs.port}`)) });
  }
  return {
    health: (vs, rs) => (byVs.get(vs.name)?.down.has(`${rs.address} ${rs.port}`) ? 'down' : 'up'),
    quorumUp: (name) => byVs.get(name)?.quorumUp,
  };
}
