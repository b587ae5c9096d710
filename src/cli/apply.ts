// CLI layer: `lvsd apply` — converge the kernel's IPVS table on a configuration once, printing the plan.
import { formatDiagnostic, loadConfig, type ParseResult } from '../config/index.js';
import { IpvsClient } from '../ipvs/client.js';
import { desiredState, Reconciler, renderFailure, renderPlan, summarizePlan, type IpvsPort, type ReconcileReport } from '../reconcile/index.js';
import { processIo, type CheckIo } from './check.js';
import { CliError } from './errors.js';

/** ApplyOptions are the options of `lvsd apply`. */
export interface ApplyOptions {
  readonly configFile: string;
  readonly dryRun?: boolean;
  readonly prune?: boolean;
}

/** ApplyDeps are what `lvsd apply` reads and talks to; tests inject a parsed config and a fake kernel. */
export interface ApplyDeps {
  readonly load?: (path: string) => ParseResult;
  readonly openClient?: () => Promise<IpvsPort & { close(): void }>;
}


/**
 * runApply parses the configuration (diagnostics on stderr, as `lvsd check` prints them; an unusable one fails
 * before the kernel is touched), takes every real server as healthy, converges the kernel (or only plans with
 * dryRun), prints one line per operation and a summary on stdout, each refused operation on stderr, and throws
 * CliError (exit 1) when the configuration is unusable or any operation failed.
 */
export async function runApply(opts: ApplyOptions, io: CheckIo = processIo, deps: ApplyDeps = {}): Promise<ReconcileReport> {
  const result = (deps.load ?? ((p: string) => loadConfig(p)))(opts.configFile);
  for (const d of result.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
  const model = result.model;
  if (!model) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new CliError(`${opts.configFile}: configuration is not usable (${errors} error${errors === 1 ? '' : 's'}); the kernel was not touched`, 1);
  }
  const desired = desiredState(model);
  const client = await (deps.openClient ?? (() => IpvsClient.open()))();
  let report: ReconcileReport;
  try {
    report = await new Reconciler(client).reconcile(desired, { prune: opts.prune || model.global.lvsFlush, dryRun: opts.dryRun });
  } finally {
    client.close();
  }
  for (const line of renderPlan(report.ops, report.observed)) io.out(`${line}\n`);
  io.out(`${summarizePlan(report.ops, { dryRun: !report.applied, failures: report.failures })}\n`);
  for (const f of report.failures) io.err(`${renderFailure(f, report.observed)}\n`);
  if (report.failures.length) {
    const n = report.failures.length;
    throw new CliError(`${n} of ${report.ops.length} operation${report.ops.length === 1 ? '' : 's'} failed`, 1);
  }
  return report;
}
