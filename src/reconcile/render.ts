// Reconcile layer (pure): render a plan for operators: one line per operation, edits showing what changes, and a summary.
import type { ApplyFailure } from '../ipvs/client.js';
import { describeEndpoint, describeOp, describeService } from '../ipvs/errors.js';
import type { Destination, IpvsOp, Service } from '../ipvs/types.js';
import { destChanges, destId, serviceChanges, serviceId, timeoutChanges, tunnelText, type FieldChange, type ObservedState } from './diff.js';

function maskText(s: Service): string {
  const p = s.persistence;
  if (!p) return '';
  const full = s.key.family === 'inet6' ? 128 : 32;
  if (p.netmask === full) return '';
  if (s.key.family === 'inet6') return ` netmask /${p.netmask}`;
  const m = p.netmask === 0 ? 0 : (0xffffffff << (32 - p.netmask)) >>> 0;
  return ` netmask ${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
}

/** serviceText renders a service's settings: "scheduler wlc persistent 300 netmask 255.255.255.0 ops flags 1,2 pe sip". */
export function serviceText(s: Service): string {
  const flags = [...new Set(s.schedFlags)].sort();
  return [
    `scheduler ${s.scheduler}`,
    s.persistence ? ` persistent ${s.persistence.timeout}${maskText(s)}` : '',
    s.onePacket ? ' ops' : '',
    flags.length ? ` flags ${flags.join(',')}` : '',
    s.pe ? ` pe ${s.pe}` : '',
  ].join('');
}

/** destText renders a destination's settings: "masq weight 1 uthreshold 100 lthreshold 10 tunnel gue port 6080 csum". */
export function destText(d: Destination): string {
  const thresholds = d.upperThreshold || d.lowerThreshold ? ` uthreshold ${d.upperThreshold} lthreshold ${d.lowerThreshold}` : '';
  return `${d.forward} weight ${d.weight}${thresholds}${d.forward === 'tunnel' ? ` tunnel ${tunnelText(d)}` : ''}`;
}

const changesText = (changes: readonly FieldChange[]): string => changes.map((c) => `${c.field} ${c.to} (was ${c.from})`).join(', ');

function findService(observed: ObservedState | undefined, id: string) {
  return observed?.table.services.find((e) => serviceId(e.service.key) === id);
}

/**
 * renderOp renders one operation as a plan line. With the observed state, an edit names only the fields it
 * changes ("edit-dest TCP 10.0.0.1:80 -> 10.0.0.2:80 weight 5 (was 1)"); without it, it shows every setting.
 */
export function renderOp(op: IpvsOp, observed?: ObservedState): string {
  switch (op.op) {
    case 'add-service':
      return `add-service ${describeService(op.service.key)} ${serviceText(op.service)}`;
    case 'edit-service': {
      const cur = findService(observed, serviceId(op.service.key));
      const changes = cur ? serviceChanges(op.service, cur.service) : [];
      return `edit-service ${describeService(op.service.key)} ${changes.length ? changesText(changes) : serviceText(op.service)}`;
    }
    case 'add-dest':
      return `add-dest ${describeService(op.service)} -> ${describeEndpoint(op.dest)} ${destText(op.dest)}`;
    case 'edit-dest': {
      const id = destId(op.dest);
      const cur = findService(observed, serviceId(op.service))?.dests.find((d) => destId(d) === id);
      const changes = cur ? destChanges(op.dest, cur) : [];
      return `edit-dest ${describeService(op.service)} -> ${describeEndpoint(op.dest)} ${changes.length ? changesText(changes) : destText(op.dest)}`;
    }
    case 'set-timeouts': {
      const t = op.timeouts;
      const changes = observed?.timeouts ? timeoutChanges({ tcp: t.tcp || undefined, tcpFin: t.tcpFin || undefined, udp: t.udp || undefined }, observed.timeouts) : [];
      if (changes.length) return `set-timeouts ${changesText(changes)}`;
      const parts = [t.tcp ? `tcp ${t.tcp}` : '', t.tcpFin ? `tcpfin ${t.tcpFin}` : '', t.udp ? `udp ${t.udp}` : ''].filter(Boolean);
      return `set-timeouts ${parts.join(' ')}`;
    }
    default:
      return describeOp(op);
  }
}

/** renderPlan renders every operation of a plan, one line each. */
export function renderPlan(ops: readonly IpvsOp[], observed?: ObservedState): string[] {
  return ops.map((op) => renderOp(op, observed));
}

/** countByKind tallies a plan's operations by kind, in first-appearance order: "1 add-service, 2 add-dest". */
export function countByKind(ops: readonly IpvsOp[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** summarizePlan is the line after a plan: what was (or would be) written, and what failed. */
export function summarizePlan(ops: readonly IpvsOp[], outcome: { readonly dryRun?: boolean; readonly failures?: readonly ApplyFailure[] } = {}): string {
  if (!ops.length) return 'no changes: IPVS already matches the configuration';
  const kinds = countByKind(ops);
  if (outcome.dryRun) return `dry run: ${plural(ops.length, 'operation')} would be applied (${kinds})`;
  const failed = outcome.failures?.length ?? 0;
  if (!failed) return `applied ${plural(ops.length, 'operation')} (${kinds})`;
  return `applied ${ops.length - failed} of ${plural(ops.length, 'operation')} (${kinds}); ${failed} failed`;
}

/** renderFailure renders one refused operation: the plan line and the kernel's reason. */
export function renderFailure(f: ApplyFailure, observed?: ObservedState): string {
  return `failed: ${renderOp(f.op, observed)}: ${f.error.message}`;
}
