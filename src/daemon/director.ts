// Daemon layer: the director — keeps the IPVS table true to the configuration and to real-server health.
// Health changes and a periodic resync both run one reconcile pass (diff then apply); passes never overlap.
// Health and override passes diff against the table the last pass left (no kernel dump); start, reload and resync re-read it.
import type { Model } from '../config/model.js';
import { HealthMonitor, type HealthMonitorOptions } from '../health/index.js';
import { describeEndpoint, describeService } from '../ipvs/errors.js';
import type { IpvsOp } from '../ipvs/types.js';
import { desiredState, Reconciler, renderFailure, renderOp, virtualServerId, type IpvsPort, type ReconcileReport } from '../reconcile/index.js';
import type { OverrideFn } from '../reconcile/desired.js';
import type { Logger } from './log.js';

/** DirectorOptions tune the daemon's loop. */
export interface DirectorOptions {
  /** how often the kernel table is re-read and drift repaired, in ms (default 10 000) */
  readonly resyncMs?: number;
  /** leave the entries in the kernel on stop (default: remove the services lvsd added, as keepalived does) */
  readonly keepOnExit?: boolean;
  readonly health?: HealthMonitorOptions;
  /** the operator overrides (`lvsd drain|disable`) each pass applies, read at the start of the pass */
  readonly overrides?: (() => OverrideFn | undefined) | undefined;
}

/** PassReason says why a reconcile pass ran: it is logged with what the pass changed. */
export type PassReason = 'start' | 'health' | 'resync' | 'reload' | 'override';

/** Director runs health checks and reconcile passes for one configuration model at a time. */
export class Director {
  private model: Model;
  private readonly monitor: HealthMonitor;
  private readonly reconciler: Reconciler;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private queued: PassReason | undefined;
  private stopped = false;
  /** passes counts reconcile passes by reason, for status and tests */
  readonly passes: Record<PassReason, number> = { start: 0, health: 0, resync: 0, reload: 0, override: 0 };
  /** applied counts operations the kernel accepted, by pass reason and op kind (resync ones are repairs), for metrics */
  readonly applied: Partial<Record<PassReason, Partial<Record<IpvsOp['op'], number>>>> = {};
  /** applyFailures counts operations the kernel refused, by pass reason, for metrics */
  readonly applyFailures: Partial<Record<PassReason, number>> = {};

  constructor(model: Model, private readonly ipvs: IpvsPort, private readonly log: Logger, private readonly options: DirectorOptions = {}) {
    this.model = model;
    this.reconciler = new Reconciler(ipvs);
    this.monitor = new HealthMonitor(model, options.health);
    for (const w of this.monitor.warnings) log.warn({ event: 'health-config' }, w);
    this.monitor.on('change', (e) => {
      log.info({ event: e.state === 'up' ? 'real-server-up' : 'real-server-down', vs: e.vs.name, rs: `${e.rs.address}:${e.rs.port}`, reason: e.reason, check: e.check }, `real server ${e.rs.address}:${e.rs.port} of ${e.vs.name} is ${e.state} (${e.reason})`);
      this.schedule('health');
    });
    this.monitor.on('quorum', (e) => {
      log.warn({ event: e.state === 'up' ? 'quorum-up' : 'quorum-down', vs: e.vs.name, aliveWeight: e.aliveWeight, threshold: e.threshold }, `${e.vs.name} quorum ${e.state} (alive weight ${e.aliveWeight})`);
      this.schedule('health');
    });
    this.monitor.on('script', (e) => {
      const r = e.result as { ok?: boolean; reason?: string };
      log[r.ok === false ? 'warn' : 'info']({ event: 'script', kind: e.kind, vs: e.vs.name, rs: e.rs ? `${e.rs.address}:${e.rs.port}` : undefined, result: e.result }, `${e.kind} script ended`);
    });
  }

  /** start converges the table once (servers start up, or down with alpha), then starts checks and the resync timer. */
  async start(): Promise<ReconcileReport> {
    const report = await this.pass('start');
    this.monitor.start();
    const every = this.options.resyncMs ?? 10_000;
    this.timer = setInterval(() => this.schedule('resync'), every);
    return report;
  }

  /** reload switches to a new model: unchanged checks keep their state (no flap), then one pass applies the difference. */
  async reload(model: Model): Promise<void> {
    this.model = model;
    this.monitor.update(model);
    this.schedule('reload');
    await this.idle();
  }

  /** idle resolves when no pass is running or queued. */
  async idle(): Promise<void> {
    while (true) {
      const r = this.running;
      await r;
      if (r === this.running && this.queued === undefined) return;
    }
  }

  /** status is the health of every virtual and real server. */
  status(): ReturnType<HealthMonitor['status']> {
    return this.monitor.status();
  }

  /** schedule asks for a pass; requests that arrive while one runs are merged into a single next pass. */
  schedule(reason: PassReason): void {
    if (this.stopped) return;
    if (this.queued !== undefined) return;
    this.queued = reason;
    this.running = this.running.then(async () => {
      const why = this.queued!;
      this.queued = undefined;
      if (!this.stopped) await this.pass(why).catch((err: unknown) => this.log.error({ event: 'reconcile-failed', reason: why, err }, `reconcile pass failed: ${(err as Error).message}`));
    });
  }

  private async pass(reason: PassReason): Promise<ReconcileReport> {
    this.passes[reason]++;
    const desired = desiredState(this.model, {
      health: (vs, rs) => (this.monitor.isUp(vs.name, rs.address, rs.port) === false ? 'down' : 'up'),
      quorum: new Map(this.model.virtualServers.map((vs) => [virtualServerId(vs), this.monitor.quorumUp(vs.name) ?? true])),
      overrides: this.options.overrides?.(),
    });
    // health and override passes diff against the table the last pass left; start, reload and resync read the kernel
    const from = reason === 'health' || reason === 'override' ? 'cache' : 'kernel';
    const report = await this.reconciler.reconcile(desired, { prune: this.model.global.lvsFlush && reason === 'start', from });
    this.logPass(reason, report);
    if (report.source === 'cache' && report.stale.length > 0) {
      // the kernel changed behind lvsd's back: the reconciler dropped its table; a resync reads the kernel now
      // (a pass already queued reads it too, whatever its reason)
      this.log.warn({ event: 'cache-stale', reason, ops: report.stale.map((s) => ({ op: s.op.op, errno: s.errno, ...objectFields(s.op) })) }, `the table lvsd kept does not match the kernel (${report.stale.length} operation(s) contradicted it): resync`);
      this.schedule('resync');
    }
    this.countOps(reason, report);
    return report;
  }

  private countOps(reason: PassReason, report: ReconcileReport): void {
    const failed = new Set(report.failures.map((f) => f.index));
    const byOp = (this.applied[reason] ??= {});
    report.ops.forEach((op, i) => {
      if (!failed.has(i)) byOp[op.op] = (byOp[op.op] ?? 0) + 1;
    });
    this.applyFailures[reason] = (this.applyFailures[reason] ?? 0) + report.failures.length;
  }

  private logPass(reason: PassReason, report: ReconcileReport): void {
    const failed = new Set(report.failures.map((f) => f.index));
    report.ops.forEach((op, i) => {
      if (failed.has(i)) return;
      const event = reason === 'resync' ? 'repaired' : 'applied';
      this.log.info({ event, reason, op: op.op, ...objectFields(op) }, `${event}: ${renderOp(op, report.observed)}`);
    });
    for (const f of report.failures) this.log.error({ event: 'apply-failed', reason, op: f.op.op, errno: f.error.errno, code: f.error.code, ...objectFields(f.op) }, renderFailure(f, report.observed));
  }

  /** stop ends checks and the resync timer and, unless keepOnExit, removes the services this director added. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.monitor.stop();
    if (this.options.keepOnExit) return;
    const ops: IpvsOp[] = this.reconciler.managed().map((key) => ({ op: 'del-service', key }));
    if (ops.length === 0) return;
    const failures = await this.ipvs.apply(ops);
    const failed = new Set(failures.map((f) => f.index));
    for (const [i, op] of ops.entries()) if (!failed.has(i)) this.log.info({ event: 'removed', ...objectFields(op) }, `removed on exit: ${renderOp(op)}`);
    for (const f of failures) this.log.warn({ event: 'remove-failed', ...objectFields(f.op), code: f.error.code }, f.error.message);
  }
}

function objectFields(op: IpvsOp): Record<string, string> {
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      return { service: describeService(op.service.key) };
    case 'del-service':
      return { service: describeService(op.key) };
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest':
      return { service: describeService(op.service), rs: describeEndpoint(op.dest) };
    default:
      return {};
  }
}
