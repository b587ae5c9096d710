// Reconcile layer (I/O edge): read the kernel, plan with the pure diff, and write the plan in batches — the only step that writes.
import type { ApplyFailure, ApplyOptions } from '../ipvs/client.js';
import type { IpvsOp, ServiceKey, Table, Timeouts } from '../ipvs/types.js';
import { diff, serviceId, type DesiredState, type DiffOptions, type ObservedState } from './diff.js';

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

/** ReconcileOptions are the diff options plus a dry run, which plans without writing. */
export interface ReconcileOptions extends DiffOptions {
  readonly dryRun?: boolean | undefined;
}

/** ReconcileReport is one pass: what was observed, the plan, the refused operations, and whether it was written. */
export interface ReconcileReport {
  readonly observed: ObservedState;
  readonly ops: readonly IpvsOp[];
  readonly failures: readonly ApplyFailure[];
  readonly applied: boolean;
}

/**
 * Reconciler converges the kernel on a desired state, one pass at a time: observe, diff, apply. It remembers the
 * services it wanted in earlier passes, so a service dropped from the configuration (a reload) is deleted while
 * services lvsd never managed are left alone unless pruning.
 */
export class Reconciler {
  private readonly owned = new Map<string, ServiceKey>();

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
    const managed = [...this.owned.values(), ...(options.managed ?? [])];
    return { observed, ops: diff(desired, observed, { prune: options.prune, managed }) };
  }

  /** reconcile runs one pass: plan, then (unless a dry run) apply, and reports every refused operation. */
  async reconcile(desired: DesiredState, options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const { observed, ops } = await this.plan(desired, options);
    if (options.dryRun) return { observed, ops, failures: [], applied: false };
    const failures = await apply(this.client, ops, this.applyOptions);
    const failedDeletes = new Set(failures.flatMap((f) => (f.op.op === 'del-service' ? [serviceId(f.op.key)] : [])));
    for (const id of [...this.owned.keys()]) if (!failedDeletes.has(id)) this.owned.delete(id);
    for (const { service } of desired.table.services) this.owned.set(serviceId(service.key), service.key);
    return { observed, ops, failures, applied: true };
  }
}
