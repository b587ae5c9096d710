// Metrics layer (edge): health, VRRP and reconciler series, read from their status ports at scrape time, and the check observer.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CheckResult } from '../health/tcp-check.js';
import { endpoint } from './ipvs.js';
import type { HealthStatusPort, ReconcileCountersPort, VrrpStatusPort } from './ports.js';

/** VRRP_STATES are the values of lvsd_vrrp_instance_state's `state` label (INIT is before start and after stop). */
export const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

/** CHECK_BUCKETS are the check latency histogram's upper bounds in seconds: LAN connects take well under 10 ms, timeouts seconds. */
export const CHECK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** checkOutcome is a check result's `result` label: success, failure, or skipped (lvsd could not make the attempt). */
export function checkOutcome(r: CheckResult): 'success' | 'failure' | 'skipped' {
  return r.ok ? 'success' : r.local ? 'skipped' : 'failure';
}

/** CheckMetrics observes every health check attempt (HealthMonitorOptions.onCheckEnd): latency histogram and count by result. */
export class CheckMetrics {
  readonly duration = new Histogram({
    name: 'lvsd_health_check_duration_seconds',
    help: 'health check attempts (TCP_CHECK connects): time from start to verdict, by result',
    labelNames: ['result'],
    buckets: CHECK_BUCKETS,
    registers: [],
  });
  readonly total = new Counter({ name: 'lvsd_health_checks_total', help: 'health check attempts ended, by result (success, failure, skipped)', labelNames: ['result'], registers: [] });

  /** observe records one attempt; it has the shape of HealthMonitorOptions.onCheckEnd and never throws into the scheduler. */
  readonly observe = (_key: string, result: CheckResult): void => {
    const outcome = checkOutcome(result);
    const ms = Number.isFinite(result.latencyMs) ? Math.max(0, result.latencyMs) : 0;
    this.duration.observe({ result: outcome }, ms / 1000);
    this.total.inc({ result: outcome });
  };

  /** register adds both families to a registry. */
  register(registry: Registry): void {
    registry.registerMetric(this.duration);
    registry.registerMetric(this.total);
  }
}

/** registerHealthMetrics adds each real server's health state and each virtual server's quorum. */
export function registerHealthMetrics(registry: Registry, health: HealthStatusPort): void {
  new Gauge({
    name: 'lvsd_health_real_server_up',
    help: 'real server health as the checks see it: 1 up, 0 down (virtual_server is the keepalived-style name)',
    labelNames: ['virtual_server', 'real_server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const vs of health.status()) for (const rs of vs.realServers) this.set({ virtual_server: vs.name, real_server: endpoint('', rs.address, rs.port) }, rs.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lvsd_health_virtual_server_quorum_up',
    help: 'whether the virtual server has its quorum (1) or serves the sorry server (0)',
    labelNames: ['virtual_server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const vs of health.status()) this.set({ virtual_server: vs.name }, vs.quorumUp ? 1 : 0);
    },
  });
}

/** registerVrrpMetrics adds each VRRP instance's state, priority and packet counters. */
export function registerVrrpMetrics(registry: Registry, vrrp: VrrpStatusPort): void {
  new Gauge({
    name: 'lvsd_vrrp_instance_state',
    help: 'VRRP instance state: 1 for the state the instance is in, 0 for the others (INIT, BACKUP, MASTER, FAULT)',
    labelNames: ['instance', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of vrrp.status()) for (const s of VRRP_STATES) this.set({ instance: i.name, state: s }, i.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lvsd_vrrp_instance_priority',
    help: 'VRRP instance effective priority (base priority plus tracking weights)',
    labelNames: ['instance'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of vrrp.status()) this.set({ instance: i.name }, i.priority);
    },
  });
  const counter = (name: string, help: string, value: (c: ReturnType<VrrpStatusPort['status']>[number]['counters']) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['instance'],
      registers: [registry],
      collect() {
        this.reset();
        for (const i of vrrp.status()) this.inc({ instance: i.name }, value(i.counters));
      },
    });
  };
  counter('lvsd_vrrp_state_transitions_total', 'VRRP states entered since start (INIT -> BACKUP at start included)', (c) => c.transitions ?? 0);
  counter('lvsd_vrrp_adverts_sent_total', 'VRRP advertisements sent', (c) => c.sent);
  counter('lvsd_vrrp_advert_send_errors_total', 'VRRP advertisements the socket refused to send', (c) => c.sendErrors);
  counter('lvsd_vrrp_adverts_received_total', 'valid VRRP advertisements received', (c) => c.received);
  new Counter({
    name: 'lvsd_vrrp_packets_dropped_total',
    help: 'VRRP packets dropped, by reason (checksum, ttl, auth, interval, addr-list, …; own = our own advert looped back)',
    labelNames: ['instance', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of vrrp.status()) for (const [reason, n] of Object.entries(i.counters.dropped)) if (n) this.inc({ instance: i.name, reason }, n);
    },
  });
  new Counter({
    name: 'lvsd_vrrp_socket_packets_dropped_total',
    help: 'VRRP packets a socket dropped before any instance saw them, by reason: malformed (unusable IP framing), vrid (no instance runs that VRID on the interface)',
    labelNames: ['interface', 'family', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of vrrp.socketDrops?.() ?? []) {
        this.inc({ interface: d.interface, family: d.family, reason: 'malformed' }, d.malformed);
        this.inc({ interface: d.interface, family: d.family, reason: 'vrid' }, d.unknownVrid);
      }
    },
  });
}

/** registerReconcileMetrics adds the director's reconcile passes, operations applied, repairs and refusals. */
export function registerReconcileMetrics(registry: Registry, r: ReconcileCountersPort): void {
  new Counter({
    name: 'lvsd_reconcile_passes_total',
    help: 'reconcile passes (observe, diff, apply), by reason: start, health, resync, reload',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(r.passes)) this.inc({ reason }, n ?? 0);
    },
  });
  new Counter({
    name: 'lvsd_reconcile_operations_total',
    help: 'IPVS operations the kernel accepted, by pass reason and op (add-service, edit-dest, del-dest, …)',
    labelNames: ['reason', 'op'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, ops] of Object.entries(r.applied)) for (const [op, n] of Object.entries(ops ?? {})) this.inc({ reason, op }, n ?? 0);
    },
  });
  new Counter({
    name: 'lvsd_reconcile_repairs_total',
    help: 'IPVS operations applied by resync passes: drift repaired after a change behind lvsd\'s back',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Object.values(r.applied.resync ?? {}).reduce<number>((a, n) => a + (n ?? 0), 0));
    },
  });
  new Counter({
    name: 'lvsd_reconcile_apply_failures_total',
    help: 'IPVS operations the kernel refused, by pass reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(r.applyFailures)) this.inc({ reason }, n ?? 0);
    },
  });
}
