// Reconcile layer (I/O edge): read the kernel, plan with the pure diff, and write the plan in batches — the only step that writes.
import type { ApplyFailure, ApplyOptions } from '../ipvs/client.js';
import type { IpvsOp, ServiceKey, Table, Timeouts } from '../ipvs/types.js';
import { diff, indexObserved, serviceId, type DesiredState, type DiffOptions, type ObservedState } from './diff.js';
import { replayOps, timeoutsAfter, type StaleSign } from './replay.js';

/** IpvsPort is the part of IpvsClient the reconciler uses (tests may pass anything with this shape). */
export interface IpvsPort {
  table(): Promise<Table>;
  timeouts(): Promise<Timeouts>;
  apply(ops: readonly IpvsOp[], options?: ApplyOptions): Promise<ApplyFailure[]>;
}

/** observe reads the kernel's table, and its timeouts when asked (they cost one more request). */
export async function observe(client: Pick<IpvsPort, 'table' | 'timeouts'>, options: { readonly timeouts?: boolean } = {}): Promise<ObservedState> {
  const table = await client.table();
  return options.timeouts ? { table, timeouts: await client.timeouts() } : { table };
}

/** apply writes operations in order, many to a datagram, continuing past refusals; it writes nothing for an empty plan. */
export async function apply(client: Pick<IpvsPort, 'apply'>, ops: readonly IpvsOp[], options: ApplyOptions = {}): Promise<ApplyFailure[]> {
  if (!ops.length) return [];
  return client.apply(ops, { ...options, stopOnError: options.stopOnError ?? false });
}

/** ObserveFrom is where a pass takes the current table from: a fresh read of the kernel, or the table the last pass left (read again when there is none). */
export type ObserveFrom = 'kernel' | 'cache';

/** ReconcileOptions are the diff options plus a dry run, which plans without writing, and where to observe the table. */
export interface ReconcileOptions extends DiffOptions {
  readonly dryRun?: boolean | undefined;
  /** 'cache' diffs against the table the last pass left (no GET dump); default 'kernel' */
  readonly from?: ObserveFrom | undefined;
}

/** ReconcileReport is one pass: what was observed and from where, the plan, the refused operations, and whether it was written. */
export interface ReconcileReport {
  readonly observed: ObservedState;
  readonly ops: readonly IpvsOp[];
  readonly failures: readonly ApplyFailure[];
  readonly applied: boolean;
  /** where `observed` came from ('cache' only when a cached table was there to use) */
  readonly source: ObserveFrom;
  /** operations whose outcome showed the observed table was wrong; when there are any, the cache was dropped */
  readonly stale: readonly StaleSign[];
}

/**
 * Reconciler converges the kernel on a desired state, one pass at a time: observe, diff, apply. It remembers the
 * services it wanted in earlier passes, so a service dropped from the configuration (a reload) is deleted while
 * services lvsd never managed are left alone unless pruning. It also keeps the table each pass leaves (the one it
 * observed with the accepted operations replayed), so a pass `from: 'cache'` plans without reading the kernel;
 * an outcome that contradicts that table, or a write that throws, drops it.
 */
export class Reconciler {
  private readonly owned = new Map<string, ServiceKey>();
  private cache: ObservedState | undefined;

  constructor(
    private readonly client: IpvsPort,
    private readonly applyOptions: ApplyOptions = {},
  ) {}

  /** managed lists the services this reconciler owns: wanted now or in an earlier pass and not yet deleted. */
  managed(): ServiceKey[] {
    return [...this.owned.values()];
  }

  /** plan observes the kernel and returns the operations that would converge it, without writing. */
  async plan(desired: DesiredState, options: DiffOptions = {}): Promise<{ observed: ObservedState; ops: IpvsOp[] }> {
    const observed = await observe(this.client, { timeouts: desired.timeouts !== undefined });
    return { observed, ops: this.diff(desired, observed, options) };
  }

  /** cached is the table the last pass left, or undefined when the next pass must read the kernel. */
  cached(): ObservedState | undefined {
    return this.cache;
  }

  /** reconcile runs one pass: plan (from the kernel, or from the cached table), then (unless a dry run) apply, and reports every refused operation. */
  async reconcile(desired: DesiredState, options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const cached = options.from === 'cache' ? await this.fromCache(desired) : undefined;
    const source: ObserveFrom = cached ? 'cache' : 'kernel';
    const { observed, ops } = cached ? { observed: cached, ops: this.diff(desired, cached, options) } : await this.plan(desired, options);
    if (options.dryRun) return { observed, ops, failures: [], applied: false, source, stale: [] };
    let failures: ApplyFailure[];
    try {
      failures = await apply(this.client, ops, this.applyOptions);
    } catch (err) {
      // what reached the kernel is unknown
      this.cache = undefined;
      throw err;
    }
    const after = replayOps(observed.table, ops, failures);
    this.cache = after.stale.length ? undefined : { table: after.table, timeouts: timeoutsAfter(observed.timeouts, ops, failures) };
    // the next pass (a health change, waited for) then finds the kept entries indexed
    if (this.cache) indexObserved(this.cache.table);
    const failedDeletes = new Set(failures.flatMap((f) => (f.op.op === 'del-service' ? [serviceId(f.op.key)] : [])));
    for (const id of [...this.owned.keys()]) if (!failedDeletes.has(id)) this.owned.delete(id);
    for (const { service } of desired.table.services) this.owned.set(serviceId(service.key), service.key);
    return { observed, ops, failures, applied: true, source, stale: after.stale };
  }

  private diff(desired: DesiredState, observed: ObservedState, options: DiffOptions): IpvsOp[] {
    return diff(desired, observed, { prune: options.prune, managed: [...this.owned.values(), ...(options.managed ?? [])] });
  }

  /** fromCache is the cached table, with the timeouts read (one request, no dump) when the pass wants them and the cache lacks them. */
  private async fromCache(desired: DesiredState): Promise<ObservedState | undefined> {
    const c = this.cache;
    if (!c || desired.timeouts === undefined || c.timeouts) return c;
    this.cache = { table: c.table, timeouts: await this.client.timeouts() };
    return this.cache;
  }
}
