// Control layer (pure): operator overrides — naming a virtual and a real server as an operator types them, the
// override list (set, clear, stale), and the OverrideFn the reconciler's desired state reads.
import type { Model, RealServer, VirtualServer } from '../config/model.js';
import { addrPort } from '../ipvs/format/names.js';
import type { DestKey, Family } from '../ipvs/types.js';
import type { OverrideFn, OverrideMode } from '../reconcile/desired.js';
import { virtualServerId } from '../reconcile/desired.js';
import { canonicalAddress, destId } from '../reconcile/diff.js';
import { parseAddress } from '../util/addr.js';
import { ControlError } from './errors.js';

export type { OverrideMode };

/** Override is one operator hold on a real server of a virtual server; it outlives reloads and restarts. */
export interface Override {
  /** the virtual server's virtualServerId (the identity of its first IPVS service), stable across reloads */
  readonly vs: string;
  /** the virtual server's name when the override was set, for people and for stale overrides */
  readonly vsName: string;
  readonly family: Family;
  /** the real server's address, as inet_ntop prints it */
  readonly address: string;
  readonly port: number;
  readonly mode: OverrideMode;
  /** when it was set, ISO 8601 */
  readonly at: string;
}

/** TargetSpec is what the operator typed: the virtual server, its protocol when given as an address, the real server. */
export interface TargetSpec {
  readonly vs: string;
  readonly protocol: 'tcp' | 'udp';
  readonly rs: string;
}

/** Target is a resolved real server of a virtual server of the running configuration. */
export interface Target {
  readonly vs: VirtualServer;
  readonly vsId: string;
  readonly rs: RealServer;
}

type VsSpec = { kind: 'fwmark'; fwmark: number } | { kind: 'addr'; family: Family; address: string; port?: number | undefined } | { kind: 'name'; name: string };

/** parseEndpoint reads `ADDR:PORT`, `[V6]:PORT` or a bare address; undefined when it is none of them. */
export function parseEndpoint(text: string): { family: Family; address: string; port?: number | undefined } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const addrText = m ? m[1]! : text.replace(/^\[(.*)\]$/, '$1');
  const port = m ? Number(m[2]) : undefined;
  if (port !== undefined && port > 65535) return undefined;
  const a = parseAddress(addrText);
  if (!a) return undefined;
  return { family: a.family, address: canonicalAddress(a.family, addrText), port };
}

function parseVs(text: string): VsSpec {
  const mark = /^(?:fwm|fwmark)?\s*(\d+)$/i.exec(text.trim());
  if (mark) return { kind: 'fwmark', fwmark: Number(mark[1]) };
  const ep = parseEndpoint(text.trim());
  if (ep) return { kind: 'addr', ...ep };
  return { kind: 'name', name: text.trim() };
}

/** vsLabel names a virtual server the way the operator gives it: `192.168.56.131:80 (tcp)`, `fwmark 5`, `group NAME`. */
export function vsLabel(vs: VirtualServer): string {
  const d = vs.declared;
  if (d.kind === 'fwmark') return `fwmark ${d.fwmark}`;
  if (d.kind === 'group') return `group ${d.name}`;
  return `${addrPort(vs.family, d.address, d.port)} (${vs.protocol ?? 'tcp'})`;
}

/** rsLabel names a real server (or any destination) as `ADDR:PORT`, IPv6 in brackets. */
export function rsLabel(rs: DestKey): string {
  return addrPort(rs.family, rs.address, rs.port);
}

function matchesVs(vs: VirtualServer, spec: VsSpec, protocol: 'tcp' | 'udp'): boolean {
  if (spec.kind === 'name') return vs.name === spec.name || (vs.declared.kind === 'group' && (vs.declared.name === spec.name || `group ${vs.declared.name}` === spec.name));
  if (spec.kind === 'fwmark') return vs.services.some((k) => k.kind === 'fwmark' && k.fwmark >>> 0 === spec.fwmark);
  return vs.services.some((k) => k.kind === 'addr' && k.protocol === protocol && k.family === spec.family && canonicalAddress(k.family, k.address) === spec.address && (spec.port === undefined || k.port === spec.port));
}

const GIVE_VS = 'give it as ADDR:PORT (-u for UDP), a fwmark number, or a virtual_server_group name';

/** resolveVirtualServer finds the virtual server the operator named; CONTROL_UNKNOWN_VS lists those that exist. */
export function resolveVirtualServer(model: Pick<Model, 'virtualServers'>, text: string, protocol: 'tcp' | 'udp'): VirtualServer {
  const spec = parseVs(text);
  const found = model.virtualServers.filter((vs) => matchesVs(vs, spec, protocol));
  const known = model.virtualServers.map(vsLabel).join(', ') || 'none';
  if (found.length === 0) throw new ControlError('CONTROL_UNKNOWN_VS', `no virtual server ${text}${spec.kind === 'addr' ? ` (${protocol})` : ''} in the running configuration (${GIVE_VS}); it has: ${known}`);
  if (found.length > 1) throw new ControlError('CONTROL_AMBIGUOUS', `${text} names ${found.length} virtual servers (${found.map(vsLabel).join(', ')}): give the port too`);
  return found[0]!;
}

/** resolveTarget finds the real server `spec.rs` of the virtual server `spec.vs`; unknown ones are an error listing what exists. */
export function resolveTarget(model: Pick<Model, 'virtualServers'>, spec: TargetSpec): Target {
  const vs = resolveVirtualServer(model, spec.vs, spec.protocol);
  const ep = parseEndpoint(spec.rs.trim());
  if (!ep) throw new ControlError('CONTROL_BAD_REQUEST', `real server ${spec.rs}: give it as ADDR:PORT, e.g. 192.168.56.101:80`);
  const found = vs.realServers.filter((rs) => rs.family === ep.family && canonicalAddress(rs.family, rs.address) === ep.address && (ep.port === undefined || rs.port === ep.port));
  const known = vs.realServers.map(rsLabel).join(', ') || 'none';
  if (found.length === 0) throw new ControlError('CONTROL_UNKNOWN_RS', `no real server ${spec.rs} in virtual server ${vsLabel(vs)}; it has: ${known}`);
  if (found.length > 1) throw new ControlError('CONTROL_AMBIGUOUS', `${spec.rs} names ${found.length} real servers of ${vsLabel(vs)} (${found.map(rsLabel).join(', ')}): give the port too`);
  return { vs, vsId: virtualServerId(vs), rs: found[0]! };
}

/** overrideKey is the identity of an override: its virtual server's id and the real server's destination id. */
export function overrideKey(vsId: string, rs: DestKey): string {
  return `${vsId} ${destId(rs)}`;
}

/** makeOverride builds the override of a resolved target. */
export function makeOverride(t: Target, mode: OverrideMode, at: Date): Override {
  return { vs: t.vsId, vsName: t.vs.name, family: t.rs.family, address: canonicalAddress(t.rs.family, t.rs.address), port: t.rs.port, mode, at: at.toISOString() };
}

/** withOverride is the list with `o` set, replacing an override of the same server; `previous` is the one replaced. */
export function withOverride(list: readonly Override[], o: Override): { list: Override[]; previous: Override | undefined } {
  const key = overrideKey(o.vs, o);
  const previous = list.find((x) => overrideKey(x.vs, x) === key);
  return { list: [...list.filter((x) => x !== previous), o], previous };
}

/** withoutOverride is the list without the override of that server; `removed` is the one taken out, if any. */
export function withoutOverride(list: readonly Override[], vsId: string, rs: DestKey): { list: Override[]; removed: Override | undefined } {
  const key = overrideKey(vsId, rs);
  const removed = list.find((x) => overrideKey(x.vs, x) === key);
  return { list: list.filter((x) => x !== removed), removed };
}

/** overrideFn is the reconciler's view of a list: each real server's mode by virtual server id and destination. */
export function overrideFn(list: readonly Override[]): OverrideFn | undefined {
  if (list.length === 0) return undefined;
  const byKey = new Map(list.map((o) => [overrideKey(o.vs, o), o.mode] as const));
  return (vs, rs) => byKey.get(overrideKey(virtualServerId(vs), rs));
}

/** isStale tells whether an override names a virtual or real server the configuration no longer has (it is kept, and has no effect). */
export function isStale(o: Override, model: Pick<Model, 'virtualServers'>): boolean {
  const key = overrideKey(o.vs, o);
  return !model.virtualServers.some((vs) => vs.realServers.some((rs) => overrideKey(virtualServerId(vs), rs) === key));
}

/**
 * findOverride finds an existing override by what the operator typed, whether or not the configuration still has
 * the server (so that `lvsd enable` can clear a stale one): the virtual server by name or by its service, the
 * real server by address and port.
 */
export function findOverride(list: readonly Override[], spec: TargetSpec): Override | undefined {
  const ep = parseEndpoint(spec.rs.trim());
  if (!ep) return undefined;
  const vs = parseVs(spec.vs);
  return list.find((o) => {
    if (o.family !== ep.family || o.address !== ep.address || (ep.port !== undefined && o.port !== ep.port)) return false;
    if (vs.kind === 'name') return o.vsName === vs.name || o.vsName === `group ${vs.name}`;
    if (vs.kind === 'fwmark') return o.vs.startsWith('fwm/') && Number(o.vs.split('/')[2]) === vs.fwmark;
    const [proto, family, address, port] = o.vs.split('/');
    return proto === spec.protocol && family === vs.family && address === vs.address && (vs.port === undefined || Number(port) === vs.port);
  });
}
