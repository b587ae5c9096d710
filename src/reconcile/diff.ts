// Reconcile layer (pure): compare the wanted IPVS state with the observed one and plan the fewest writes that converge them.
import { canonicalAddress as canonical } from '../util/addr.js';
import type { Destination, DestKey, Family, IpvsOp, Service, ServiceKey, Table, Timeouts } from '../ipvs/types.js';

/** DesiredTimeouts are the connection timeouts to enforce; an absent member is left as the kernel has it. */
export type DesiredTimeouts = { readonly [K in keyof Timeouts]?: number | undefined };

/** DesiredState is what lvsd wants the kernel to hold. */
export interface DesiredState {
  readonly table: Table;
  readonly timeouts?: DesiredTimeouts | undefined;
}

/** ObservedState is what the kernel holds; timeouts are absent when they were not read. */
export interface ObservedState {
  readonly table: Table;
  readonly timeouts?: Timeouts | undefined;
}

/** DiffOptions say which observed services lvsd may delete besides those it wants. */
export interface DiffOptions {
  /** delete every service the desired table does not name (`--prune`, `lvs_flush`) */
  readonly prune?: boolean | undefined;
  /** services lvsd owns although it no longer wants them (e.g. from the configuration before a reload): deleted */
  readonly managed?: Iterable<ServiceKey> | undefined;
}

/** FieldChange is one differing field of a service or destination, rendered for a plan. */
export interface FieldChange {
  readonly field: string;
  readonly from: string;
  readonly to: string;
}

/** InvalidDesiredStateError says the desired table names a service, or a destination within a service, twice. */
export class InvalidDesiredStateError extends Error {
  readonly code = 'INVALID_DESIRED_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDesiredStateError';
  }
}

// one map per family: looking the address string up as it is (its hash is cached in the string) builds no key
const canon: Record<Family, Map<string, string>> = { inet: new Map(), inet6: new Map() };

/** canonicalAddress is an address as the kernel reports it (inet_ntop form), so that equal addresses compare equal. */
export function canonicalAddress(family: Family, address: string): string {
  const m = canon[family];
  let c = m.get(address);
  if (c === undefined) {
    c = canonical(family, address);
    if (m.size >= 1 << 16) m.clear();
    m.set(address, c);
  }
  return c;
}

/** serviceId is the identity of a service key: protocol, family, address and port, or family and fwmark. */
export function serviceId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `fwm/${k.family}/${k.fwmark}` : `${k.protocol}/${k.family}/${canonicalAddress(k.family, k.address)}/${k.port}`;
}

/** destId is the identity of a destination within its service: family, address and port. */
export function destId(d: DestKey): string {
  return `${d.family}/${canonicalAddress(d.family, d.address)}/${d.port}`;
}

const persistenceText = (s: Service): string => (s.persistence ? `${s.persistence.timeout}` : 'off');
const flagsText = (s: Service): string => [...new Set(s.schedFlags)].sort().join(',') || 'none';
const tunnelFlag = (d: Destination): string => (d.tunnel?.flags.includes('csum') ? 'csum' : d.tunnel?.flags.includes('remcsum') ? 'remcsum' : 'nocsum');

/** tunnelText renders the tunnel settings that matter to the kernel (none unless the method is tunnel). */
export function tunnelText(d: Destination): string {
  if (d.forward !== 'tunnel') return 'none';
  const t = d.tunnel ?? { type: 'ipip', port: 0, flags: [] };
  if (t.type === 'ipip') return 'ipip';
  return `${t.type}${t.type === 'gue' ? ` port ${t.port}` : ''} ${tunnelFlag(d)}`;
}

/**
 * serviceChanges lists the fields in which an observed service differs from the wanted one: scheduler,
 * persistence timeout, persistence netmask (only while persistent), one-packet scheduling, scheduler flags
 * and persistence engine. Kernel-only fields (statistics) never count.
 */
export function serviceChanges(want: Service, have: Service): FieldChange[] {
  const out: FieldChange[] = [];
  const cmp = (field: string, to: string, from: string): void => void (to !== from && out.push({ field, from, to }));
  cmp('scheduler', want.scheduler, have.scheduler);
  cmp('persistent', persistenceText(want), persistenceText(have));
  if (want.persistence && have.persistence) cmp('netmask', `/${want.persistence.netmask}`, `/${have.persistence.netmask}`);
  cmp('ops', want.onePacket ? 'on' : 'off', have.onePacket ? 'on' : 'off');
  cmp('flags', flagsText(want), flagsText(have));
  cmp('pe', want.pe || 'none', have.pe || 'none');
  return out;
}

/**
 * destChanges lists the fields in which an observed destination differs from the wanted one: weight,
 * forwarding method, thresholds and tunnel settings. Connection counters and statistics never count.
 */
export function destChanges(want: Destination, have: Destination): FieldChange[] {
  const out: FieldChange[] = [];
  const cmp = (field: string, to: string, from: string): void => void (to !== from && out.push({ field, from, to }));
  cmp('weight', `${want.weight}`, `${have.weight}`);
  cmp('forward', want.forward, have.forward);
  cmp('uthreshold', `${want.upperThreshold}`, `${have.upperThreshold}`);
  cmp('lthreshold', `${want.lowerThreshold}`, `${have.lowerThreshold}`);
  cmp('tunnel', tunnelText(want), tunnelText(have));
  return out;
}

/** timeoutChanges lists the configured timeouts that differ from the observed ones (all configured ones when unobserved). */
export function timeoutChanges(want: DesiredTimeouts | undefined, have: Timeouts | undefined): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of ['tcp', 'tcpFin', 'udp'] as const) {
    const w = want?.[k];
    if (w === undefined || w === have?.[k]) continue;
    out.push({ field: k === 'tcpFin' ? 'tcpfin' : k, from: have ? `${have[k]}` : '?', to: `${w}` });
  }
  return out;
}

/** sameDest is destChanges(want, have).length === 0 without rendering the fields (a pass compares every destination). */
function sameDest(want: Destination, have: Destination): boolean {
  return (
    want.weight === have.weight &&
    want.forward === have.forward &&
    want.upperThreshold === have.upperThreshold &&
    want.lowerThreshold === have.lowerThreshold &&
    (want.forward !== 'tunnel' || tunnelText(want) === tunnelText(have))
  );
}

type Entry = { readonly service: Service; readonly dests: readonly Destination[] };

// the destinations of an observed entry by destId: a kept table (Reconciler) hands the same entry objects to pass
// after pass, so each is indexed once; entries are never modified (a replay copies the ones it changes)
const observedDests = new WeakMap<Entry, Map<string, Destination>>();

/** indexObserved indexes an observed table's destinations ahead of the next diff against it (the Reconciler does it after a pass, off the path of the next one). */
export function indexObserved(t: Table): void {
  indexTable(t, false);
}

function indexTable(t: Table, strict: boolean): Map<string, { entry: Entry; dests: Map<string, Destination> }> {
  const out = new Map<string, { entry: Entry; dests: Map<string, Destination> }>();
  for (const entry of t.services) {
    const id = serviceId(entry.service.key);
    if (out.has(id) && strict) throw new InvalidDesiredStateError(`service ${id} is wanted twice`);
    const known = strict ? undefined : observedDests.get(entry);
    if (known) {
      out.set(id, { entry, dests: known });
      continue;
    }
    const dests = new Map<string, Destination>();
    for (const d of entry.dests) {
      const did = destId(d);
      if (dests.has(did) && strict) throw new InvalidDesiredStateError(`destination ${did} is wanted twice in service ${id}`);
      dests.set(did, d);
    }
    if (!strict) observedDests.set(entry, dests);
    out.set(id, { entry, dests });
  }
  return out;
}

const stripService = (s: Service): Service => ({ key: s.key, scheduler: s.scheduler, persistence: s.persistence, onePacket: s.onePacket, schedFlags: s.schedFlags, pe: s.pe });
const stripDest = (d: Destination): Destination => ({
  family: d.family,
  address: d.address,
  port: d.port,
  forward: d.forward,
  weight: d.weight,
  upperThreshold: d.upperThreshold,
  lowerThreshold: d.lowerThreshold,
  tunnel: d.forward === 'tunnel' ? d.tunnel : undefined,
});

/**
 * diff plans the fewest operations that turn `observed` into `desired`, in a deterministic order:
 * set-timeouts; each missing service followed by its destinations; service edits; destination adds and edits
 * in existing services; destination deletes; service deletes (new capacity is in place before old is removed).
 * Services and destinations follow the desired table's order; deletes follow the observed order.
 * A changed setting is always an edit, never a delete and add, so established connections survive. Observed
 * services the desired table does not name are deleted only with `prune` or when listed in `managed`.
 */
export function diff(desired: DesiredState, observed: ObservedState, options: DiffOptions = {}): IpvsOp[] {
  const want = indexTable(desired.table, true);
  const have = indexTable(observed.table, false);
  const managed = new Set<string>();
  for (const k of options.managed ?? []) managed.add(serviceId(k));

  const timeouts: IpvsOp[] = [];
  if (timeoutChanges(desired.timeouts, observed.timeouts).length) {
    const t = desired.timeouts ?? {};
    timeouts.push({ op: 'set-timeouts', timeouts: { tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 } });
  }

  const adds: IpvsOp[] = [];
  const serviceEdits: IpvsOp[] = [];
  const destWrites: IpvsOp[] = [];
  const destDeletes: IpvsOp[] = [];
  for (const [id, { entry, dests }] of want) {
    const key = entry.service.key;
    const cur = have.get(id);
    if (!cur) {
      adds.push({ op: 'add-service', service: stripService(entry.service) });
      for (const d of dests.values()) adds.push({ op: 'add-dest', service: key, dest: stripDest(d) });
      continue;
    }
    if (serviceChanges(entry.service, cur.entry.service).length) serviceEdits.push({ op: 'edit-service', service: stripService(entry.service) });
    for (const [did, d] of dests) {
      const old = cur.dests.get(did);
      if (!old) destWrites.push({ op: 'add-dest', service: key, dest: stripDest(d) });
      else if (!sameDest(d, old)) destWrites.push({ op: 'edit-dest', service: key, dest: stripDest(d) });
    }
    for (const [did, old] of cur.dests) {
      if (!dests.has(did)) destDeletes.push({ op: 'del-dest', service: key, dest: { family: old.family, address: old.address, port: old.port } });
    }
  }

  const serviceDeletes: IpvsOp[] = [];
  for (const [id, { entry }] of have) {
    if (!want.has(id) && (options.prune || managed.has(id))) serviceDeletes.push({ op: 'del-service', key: entry.service.key });
  }
  return [...timeouts, ...adds, ...serviceEdits, ...destWrites, ...destDeletes, ...serviceDeletes];
}
