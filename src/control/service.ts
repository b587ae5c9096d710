// Control layer (daemon side): answers control requests — status from the kernel table, health, overrides and VRRP;
// drain/disable/enable as overrides saved to the state file and applied by a reconcile pass (never by writing IPVS here).
import type { Model } from '../config/model.js';
import type { Logger } from '../daemon/log.js';
import type { VirtualServerStatus } from '../health/events.js';
import type { Info, Table } from '../ipvs/types.js';
import type { OverrideFn } from '../reconcile/desired.js';
import type { InstanceStatus } from '../vrrp/manager.js';
import { ControlError } from './errors.js';
import { findOverride, isStale, makeOverride, overrideFn, overrideKey, resolveTarget, rsLabel, withOverride, withoutOverride, type Override, type Target } from './overrides.js';
import type { ConnectionsResult, ControlRequest, OverrideResult, StatusReport } from './protocol.js';
import type { ControlHandler } from './server.js';
import type { OverrideStore } from './state.js';
import { buildStatus, destinationsNow } from './status.js';

/** DirectorPort is what the control service needs of the Director: ask for a pass, wait for it, read health. */
export interface DirectorPort {
  schedule(reason: 'override'): void;
  idle(): Promise<void>;
  status(): VirtualServerStatus[];
}

/** TablePort reads the kernel's IPVS table (its own netlink socket: a dump must not meet the director's on one socket). */
export interface TablePort {
  table(): Promise<Table>;
  info(): Promise<Info>;
}

/** ControlServiceDeps are the service's collaborators; `now` is epoch ms (tests pass a fixed clock). */
export interface ControlServiceDeps {
  readonly model: Model;
  readonly store: OverrideStore;
  readonly ipvs: TablePort;
  readonly log: Logger;
  readonly vrrp?: (() => readonly InstanceStatus[]) | undefined;
  readonly now?: (() => number) | undefined;
}

type TargetRequest = Extract<ControlRequest, { vs: string }>;

/** ControlService holds the operator overrides of the running daemon and answers the control socket's requests. */
export class ControlService implements ControlHandler {
  private model: Model;
  private list: Override[];
  private director: DirectorPort | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  /** constructor loads the saved overrides (CONTROL_STATE when the state file is unreadable or not valid). */
  constructor(private readonly deps: ControlServiceDeps) {
    this.model = deps.model;
    this.now = deps.now ?? Date.now;
    this.list = deps.store.load();
    for (const o of this.list) {
      const stale = isStale(o, this.model);
      deps.log[stale ? 'warn' : 'info']({ event: 'override-restored', vs: o.vsName, rs: rsLabel(o), mode: o.mode, stale, file: deps.store.path }, `override restored from ${deps.store.path}: ${rsLabel(o)} of ${o.vsName} ${o.mode}${stale ? ' (stale: not in the configuration)' : ''}`);
    }
  }

  /** overrides is the list in force. */
  get overrides(): readonly Override[] {
    return this.list;
  }

  /** overrideFn is the reconciler's view of the overrides in force (the Director reads it at every pass). */
  overrideFn(): OverrideFn | undefined {
    return overrideFn(this.list);
  }

  /** attach connects the director once it runs; requests that need it fail with CONTROL_STARTING before. */
  attach(director: DirectorPort): void {
    this.director = director;
  }

  /** setModel follows a reload: overrides are kept; those naming servers the new configuration lacks are reported stale. */
  setModel(model: Model): void {
    const was = new Map(this.list.map((o) => [overrideKey(o.vs, o), isStale(o, this.model)] as const));
    this.model = model;
    for (const o of this.list) {
      const stale = isStale(o, model);
      if (stale !== was.get(overrideKey(o.vs, o))) this.deps.log[stale ? 'warn' : 'info']({ event: stale ? 'override-stale' : 'override-active', vs: o.vsName, rs: rsLabel(o), mode: o.mode }, `override of ${rsLabel(o)} (${o.vsName}, ${o.mode}) is ${stale ? 'stale: the configuration no longer has this server; it is kept' : 'in force again'}`);
    }
  }

  /** handle answers one request. */
  async handle(req: ControlRequest): Promise<StatusReport | OverrideResult | ConnectionsResult> {
    switch (req.op) {
      case 'status':
        return this.status();
      case 'connections':
        return this.connections(req);
      default:
        return this.serial(() => this.override(req));
    }
  }

  /** status joins the kernel table with health, overrides and VRRP. */
  async status(): Promise<StatusReport> {
    const table = await this.deps.ipvs.table();
    const info = await this.deps.ipvs.info().catch(() => undefined);
    return buildStatus({ model: this.model, table, info, health: this.requireDirector().status(), overrides: this.list, vrrp: this.deps.vrrp?.() ?? [], now: this.now() });
  }

  private async connections(req: TargetRequest): Promise<ConnectionsResult> {
    const t = resolveTarget(this.model, req);
    const destinations = destinationsNow(await this.deps.ipvs.table(), t.vs.services, t.rs);
    const sum = (k: 'activeConns' | 'inactiveConns') => destinations.reduce((n, d) => n + (d[k] ?? 0), 0);
    return { vs: t.vs.name, rs: rsLabel(t.rs), active: sum('activeConns'), inactive: sum('inactiveConns'), destinations };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireDirector(): DirectorPort {
    if (!this.director) throw new ControlError('CONTROL_STARTING', 'lvsd is starting (applying the configuration): try again in a moment');
    return this.director;
  }

  private async override(req: TargetRequest & { op: 'drain' | 'disable' | 'enable' }): Promise<OverrideResult> {
    const director = this.requireDirector();
    let target: Target | undefined;
    let staleOne: Override | undefined;
    try {
      target = resolveTarget(this.model, req);
    } catch (err) {
      // a stale override (its server left the configuration) can still be cleared by what the operator typed
      const unknown = err instanceof ControlError && (err.code === 'CONTROL_UNKNOWN_VS' || err.code === 'CONTROL_UNKNOWN_RS');
      staleOne = unknown && req.op === 'enable' ? findOverride(this.list, req) : undefined;
      if (!staleOne) throw err;
    }
    const vsId = target?.vsId ?? staleOne!.vs;
    const dest = target?.rs ?? staleOne!;
    const vsName = target?.vs.name ?? staleOne!.vsName;
    const before = this.list.find((o) => overrideKey(o.vs, o) === overrideKey(vsId, dest));
    let next = this.list;
    if (req.op === 'enable') next = withoutOverride(this.list, vsId, dest).list;
    else if (before?.mode !== req.op) next = withOverride(this.list, makeOverride(target!, req.op, new Date(this.now()))).list;
    const changed = next !== this.list;
    if (changed) {
      this.deps.store.save(next); // saved first: a failure changes nothing
      this.list = next;
      const fields = { vs: vsName, rs: rsLabel(dest), service: vsId };
      if (req.op === 'enable') this.deps.log.info({ event: 'override-cleared', ...fields, mode: before?.mode }, `override cleared: ${rsLabel(dest)} of ${vsName} follows configuration and health again (was ${before?.mode})`);
      else this.deps.log.info({ event: 'override-set', ...fields, mode: req.op, previous: before?.mode }, `override set: ${rsLabel(dest)} of ${vsName} ${req.op === 'drain' ? 'drained (weight 0)' : 'disabled (removed)'}`);
      director.schedule('override');
    }
    await director.idle();
    const destinations = target ? destinationsNow(await this.deps.ipvs.table(), target.vs.services, target.rs) : [];
    return { op: req.op, vs: vsName, rs: rsLabel(dest), mode: req.op === 'enable' ? null : req.op, previous: before?.mode ?? null, changed, stale: target === undefined, destinations };
  }
}
