// Control layer (pure): `lvsd status` — the IPVS table joined with health, overrides and VRRP (buildStatus, in the
// daemon) and its text form in the `ipvsadm -Ln` layout with extra columns (renderStatus, in the client).
import type { Model, RealServer, VirtualServer } from '../config/model.js';
import type { RealServerStatus, VirtualServerStatus } from '../health/events.js';
import { serviceLine } from '../ipvs/format/list.js';
import { serviceToJson, statsToJson } from '../ipvs/format/json.js';
import { fwdName, versionText } from '../ipvs/format/names.js';
import { left } from '../ipvs/format/printf.js';
import { sortDests, sortServices } from '../ipvs/format/sort.js';
import type { Destination, Info, ServiceKey, Table } from '../ipvs/types.js';
import { serviceOf, virtualServerId } from '../reconcile/desired.js';
import { canonicalAddress, destId, serviceId } from '../reconcile/diff.js';
import { renderVrrpStatus } from '../vrrp/status.js';
import type { InstanceStatus } from '../vrrp/manager.js';
import { isStale, overrideKey, rsLabel, vsLabel, type Override } from './overrides.js';
import type { DestinationNow, DestStatus, ServiceStatus, StatusReport } from './protocol.js';

/** StatusInputs are what the daemon knows at one moment; times are epoch milliseconds. */
export interface StatusInputs {
  readonly model: Pick<Model, 'virtualServers'>;
  readonly table: Table;
  readonly info?: Info | undefined;
  readonly health: readonly VirtualServerStatus[];
  readonly overrides: readonly Override[];
  readonly vrrp: readonly InstanceStatus[];
  readonly now: number;
}

const isoOf = (t: number | undefined): string | null => (t === undefined || !Number.isFinite(t) ? null : new Date(t).toISOString());
const rsHealthKey = (address: string, port: number): string => `${address}|${port}`;

function healthOf(h: RealServerStatus | undefined): DestStatus['health'] {
  if (!h) return null;
  return {
    state: h.state,
    since: isoOf(h.since) ?? '',
    reason: h.reason,
    lastCheckAt: isoOf(h.lastCheckAt),
    latencyMs: h.latencyMs ?? null,
    lastFailure: h.lastFailure ? { reason: h.lastFailure.reason, at: isoOf(h.lastFailure.at) ?? '' } : null,
  };
}

/** buildStatus joins the kernel table (with stats) with health, overrides and VRRP into the StatusReport `lvsd status` shows. */
export function buildStatus(s: StatusInputs): StatusReport {
  const vsOfService = new Map<string, VirtualServer>();
  for (const vs of s.model.virtualServers) for (const k of vs.services) if (!vsOfService.has(serviceId(k))) vsOfService.set(serviceId(k), vs);
  const health = new Map<string, Map<string, RealServerStatus>>();
  for (const v of s.health) {
    const m = health.get(v.name) ?? new Map<string, RealServerStatus>();
    for (const r of v.realServers) m.set(rsHealthKey(r.address, r.port), r);
    health.set(v.name, m);
  }
  const overrides = new Map(s.overrides.map((o) => [overrideKey(o.vs, o), o] as const));

  const configured = (vs: VirtualServer, rs: RealServer, d: Destination | undefined): DestStatus => {
    const o = overrides.get(overrideKey(virtualServerId(vs), rs));
    return {
      family: rs.family,
      address: canonicalAddress(rs.family, rs.address),
      port: rs.port,
      inKernel: d !== undefined,
      forward: d ? d.forward : null,
      weight: d ? d.weight : null,
      configuredWeight: rs.weight,
      activeConns: d?.activeConns ?? null,
      inactiveConns: d?.inactiveConns ?? null,
      persistConns: d?.persistConns ?? null,
      stats: d ? statsToJson(d.stats) : null,
      health: healthOf(health.get(vs.name)?.get(rsHealthKey(rs.address, rs.port)) ?? health.get(vs.name)?.get(rsHealthKey(canonicalAddress(rs.family, rs.address), rs.port))),
      override: o ? { mode: o.mode, at: o.at } : null,
    };
  };
  const unconfigured = (d: Destination): DestStatus => ({
    family: d.family,
    address: canonicalAddress(d.family, d.address),
    port: d.port,
    inKernel: true,
    forward: d.forward,
    weight: d.weight,
    configuredWeight: null,
    activeConns: d.activeConns ?? null,
    inactiveConns: d.inactiveConns ?? null,
    persistConns: d.persistConns ?? null,
    stats: statsToJson(d.stats),
    health: null,
    override: null,
  });
  const serviceHead = (key: ServiceKey, vs: VirtualServer | undefined, inKernel: boolean, svc: Parameters<typeof serviceToJson>[0]): Omit<ServiceStatus, 'destinations'> => {
    const j = serviceToJson(svc, []);
    return {
      listing: serviceLine(svc, {}).trimEnd(),
      virtualServer: vs?.name ?? null,
      inKernel,
      protocol: j.protocol as ServiceStatus['protocol'],
      family: key.family,
      address: j.address as string | null,
      port: j.port as number | null,
      fwmark: j.fwmark as number | null,
      scheduler: svc.scheduler,
      stats: statsToJson(svc.stats),
    };
  };

  const services: ServiceStatus[] = [];
  const seen = new Set<string>();
  for (const e of sortServices(s.table.services)) {
    const id = serviceId(e.service.key);
    seen.add(id);
    const vs = vsOfService.get(id);
    const dests = sortDests(e.dests);
    const rsById = new Map((vs?.realServers ?? []).map((rs) => [destId(rs), rs] as const));
    const rows = dests.map((d) => {
      const rs = rsById.get(destId(d));
      return rs && vs ? configured(vs, rs, d) : unconfigured(d);
    });
    const inTable = new Set(dests.map((d) => destId(d)));
    if (vs) for (const rs of vs.realServers) if (!inTable.has(destId(rs))) rows.push(configured(vs, rs, undefined));
    services.push({ ...serviceHead(e.service.key, vs, true, e.service), destinations: rows });
  }
  for (const vs of s.model.virtualServers) {
    for (const key of vs.services) {
      if (seen.has(serviceId(key))) continue;
      seen.add(serviceId(key));
      services.push({ ...serviceHead(key, vs, false, serviceOf(vs, key)), destinations: vs.realServers.map((rs) => configured(vs, rs, undefined)) });
    }
  }
  return {
    version: 1,
    at: new Date(s.now).toISOString(),
    ipvs: s.info ? { version: versionText(s.info), connTableSize: s.info.connTableSize } : null,
    services,
    virtualServers: s.model.virtualServers.map((vs) => {
      const h = s.health.find((x) => x.name === vs.name);
      return { name: vs.name, label: vsLabel(vs), quorumUp: h?.quorumUp ?? true, aliveWeight: h?.aliveWeight ?? 0 };
    }),
    overrides: s.overrides.map((o) => ({ vs: o.vs, vsName: o.vsName, rs: rsLabel(o), family: o.family, address: o.address, port: o.port, mode: o.mode, at: o.at, stale: isStale(o, s.model) })),
    vrrp: s.vrrp.map((r) => ({ ...r })),
  };
}

/** destinationsNow is a target's entry in each service of its virtual server, as the kernel table holds it. */
export function destinationsNow(table: Table, services: readonly ServiceKey[], rs: { family: RealServer['family']; address: string; port: number }): DestinationNow[] {
  const id = destId(rs);
  return services.map((key) => {
    const e = table.services.find((x) => serviceId(x.service.key) === serviceId(key));
    const d = e?.dests.find((x) => destId(x) === id);
    const listing = serviceLine(e?.service ?? { key, scheduler: '', onePacket: false, schedFlags: [] }, {}).trimEnd();
    return { service: listing.split(' ').filter(Boolean).slice(0, 2).join(' '), present: d !== undefined, weight: d?.weight ?? null, activeConns: d?.activeConns ?? null, inactiveConns: d?.inactiveConns ?? null };
  });
}

const dash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : String(v));

/** ago renders the time from `iso` to `now` briefly: "0.4s", "12s", "5m", "3h", "2d". */
export function ago(iso: string, now: number): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '?';
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

const latency = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : ms < 10 ? `${ms.toFixed(2)}ms` : `${Math.round(ms)}ms`);

function failureText(d: DestStatus, now: number): string {
  const f = d.health?.lastFailure;
  if (!f) return '-';
  const text = `${f.reason} ${ago(f.at, now)} ago`;
  return text.length > 30 ? `${text.slice(0, 29)}~` : text;
}

/** STATUS_TITLE is the table's column titles: ipvsadm's, then Health, Check latency, Last failure and Override. */
export const STATUS_TITLE =
  'Prot LocalAddress:Port Scheduler Flags\n' +
  `  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  ${left('Health', 6)} ${left('Latency', 8)} ${left('Last failure', 30)} Override\n`;

function destRow(d: DestStatus, now: number): string {
  const name = d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
  const fwd = d.forward === null ? '-' : fwdName(d.forward as Destination['forward']) || d.forward;
  const head = `  -> ${left(name, 28)} ${left(fwd, 7)} ${left(dash(d.weight), 6)} ${left(dash(d.activeConns), 10)} ${left(dash(d.inactiveConns), 10)}`;
  const override = d.override ? d.override.mode : d.inKernel ? '-' : d.health?.state === 'down' ? '- (down)' : '- (not in table)';
  return `${head} ${left(d.health?.state ?? '-', 6)} ${left(latency(d.health?.latencyMs), 8)} ${left(failureText(d, now), 30)} ${override}`.trimEnd() + '\n';
}

/** renderStatus is `lvsd status` as text: the table in the `ipvsadm -Ln` layout with health and override columns, the overrides, and the VRRP section. */
export function renderStatus(r: StatusReport): string {
  const now = Date.parse(r.at);
  let out = r.ipvs ? `IP Virtual Server version ${r.ipvs.version} (size=${r.ipvs.connTableSize})\n` : '';
  out += STATUS_TITLE;
  for (const svc of r.services) {
    out += `${svc.listing}${svc.inKernel ? '' : '   (not in the IPVS table)'}\n`;
    for (const d of svc.destinations) out += destRow(d, now);
  }
  if (r.overrides.length > 0) {
    out += '\nOverrides\n';
    for (const o of r.overrides) out += `  ${left(o.rs, 28)} ${left(o.mode, 8)} of ${o.vsName}, since ${o.at}${o.stale ? '  STALE: the configuration no longer has this server (lvsd enable to forget it)' : ''}\n`;
  }
  const lost = r.virtualServers.filter((v) => !v.quorumUp);
  if (lost.length > 0) out += `\nQuorum lost: ${lost.map((v) => `${v.label} (alive weight ${v.aliveWeight})`).join(', ')}\n`;
  const vrrp = renderVrrpStatus(r.vrrp as unknown as InstanceStatus[]);
  if (vrrp) out += `\n${vrrp}`;
  return out;
}
