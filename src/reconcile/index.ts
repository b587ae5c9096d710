// Reconcile layer: entry point — desired state from the model, the pure diff, plan rendering, replay of applied plans and the reconciler.
export { allUp, desiredState, desiredTable, destinationOf, poolOf, quorumUp, serviceOf, SORRY_WEIGHT, virtualServerId, type Desired, type DesiredOptions, type Health, type HealthFn } from './desired.js';
export {
  canonicalAddress,
  destChanges,
  destId,
  diff,
  InvalidDesiredStateError,
  serviceChanges,
  serviceId,
  timeoutChanges,
  tunnelText,
  type DesiredState,
  type DesiredTimeouts,
  type DiffOptions,
  type FieldChange,
  type ObservedState,
} from './diff.js';
export { countByKind, destText, renderFailure, renderOp, renderPlan, serviceText, summarizePlan } from './render.js';
export { apply, observe, Reconciler, type IpvsPort, type ObserveFrom, type ReconcileOptions, type ReconcileReport } from './reconciler.js';
export { applyOps, replayOps, timeoutsAfter, type Refusal, type Replayed, type StaleSign } from './replay.js';
