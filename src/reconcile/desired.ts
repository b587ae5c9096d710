// Reconcile layer (pure): the configuration model plus health state and operator overrides → the IPVS table lvsd wants (quorum, sorry server, inhibit, drain, disable).
import type { Model, RealServer, SorryServer, VirtualServer } from '../config/index.js';
import type { Destination, Service, ServiceKey, Table } from '../ipvs/types.js';
import { destId, serviceId, type DesiredState } from './diff.js';
import { initialQuorum, quorumStep } from '../health/quorum.js';

/** Health is whether a real server is fit to take traffic. */
export type Health = 'up' | 'down';

/** HealthFn reports the health of one real server of one virtual server (the daemon's checkers plug in here). */
export type HealthFn = (vs: VirtualServer, rs: RealServer) => Health;

/** allUp is the health of a one-shot `lvsd apply`: every real server is taken as healthy. */
export const allUp: HealthFn = () => 'up';

/** OverrideMode is an operator's hold on a real server: `drain` keeps it in the table at weight 0 (its connections finish, no new ones), `disable` removes it. */
export type OverrideMode = 'drain' | 'disable';

/** OverrideFn reports the operator override of one real server of one virtual server, or undefined when there is none. */
export type OverrideFn = (vs: VirtualServer, rs: RealServer) => OverrideMode | undefined;

/** SORRY_WEIGHT is the weight the sorry server carries while it is in the pool (keepalived's real server default). */
export const SORRY_WEIGHT = 1;

/** DesiredOptions are the inputs to desiredState beyond the model. */
export interface DesiredOptions {
  /** real server health; all up when absent */
  readonly health?: HealthFn | undefined;
  /** each virtual server's previous quorum state, by virtualServerId (hysteresis needs it); absent = starting up */
  readonly quorum?: ReadonlyMap<string, boolean> | undefined;
  /** operator overrides (`lvsd drain|disable`); none when absent. They change the pool, never the quorum, which follows health checks only */
  readonly overrides?: OverrideFn | undefined;
}

/** Desired is the wanted kernel state, and each virtual server's quorum state to feed into the next evaluation. */
export interface Desired extends DesiredState {
  /** quorum state by virtualServerId */
  readonly quorum: ReadonlyMap<string, boolean>;
}

/** virtualServerId names a virtual server stably across reloads: the identity of its first IPVS service. */
export function virtualServerId(vs: Pick<VirtualServer, 'services'>): string {
  const first = vs.services[0];
  return first ? serviceId(first) : '';
}

/**
 * quorumUp is keepalived's quorum rule (check/ipwrapper.c update_quorum_state): with the live weight `sum`,
 * a virtual server that had quorum keeps it while sum ≥ quorum − hysteresis, one that had none gains it at
 * sum ≥ quorum + hysteresis, and one starting up has it at sum ≥ quorum + hysteresis. A live weight of 0
 * never holds quorum (keepalived drops quorum on `!weight_sum` explicitly).
 */
export function quorumUp(vs: Pick<VirtualServer, 'quorum' | 'hysteresis'>, sum: number, wasUp?: boolean): boolean {
  if (sum <= 0) return false;
  return wasUp === undefined ? initialQuorum(vs, sum) : quorumStep(wasUp, vs, sum);
}

/** serviceOf is the IPVS service a virtual server stands for at `key`. */
export function serviceOf(vs: VirtualServer, key: ServiceKey): Service {
  return {
    key,
    scheduler: vs.scheduler,
    persistence: vs.persistence,
    onePacket: vs.onePacket,
    schedFlags: vs.schedFlags,
    pe: vs.persistenceEngine,
  };
}

/** destinationOf is the IPVS destination of a real or sorry server with the given weight. */
export function destinationOf(s: RealServer | SorryServer, weight: number): Destination {
  return {
    family: s.family,
    address: s.address,
    port: s.port,
    forward: s.forward,
    weight,
    upperThreshold: 'upperThreshold' in s ? s.upperThreshold : 0,
    lowerThreshold: 'lowerThreshold' in s ? s.lowerThreshold : 0,
    tunnel: s.forward === 'tunnel' ? s.tunnel : undefined,
  };
}

/**
 * poolOf is the destinations of one virtual server given its real servers' health and its quorum state:
 * a healthy real server is in with its weight; a failed one is out, or in at weight 0 with inhibit_on_failure.
 * Without quorum and with a sorry server, the sorry server replaces the healthy real servers (they leave the
 * pool the way failed ones do); with quorum, a sorry server with sorry_server_inhibit stays at weight 0.
 * An operator override comes on top: a disabled real server is out whatever its health; a drained one that
 * would be in the pool is in at weight 0 (a drained server that fails its checks leaves as any failed one).
 */
export function poolOf(vs: VirtualServer, health: HealthFn, hasQuorum: boolean, overrides?: OverrideFn): Destination[] {
  const sorryIn = !hasQuorum && vs.sorryServer !== undefined;
  const pool = new Map<string, Destination>();
  for (const rs of vs.realServers) {
    const hold = overrides?.(vs, rs);
    if (hold === 'disable') continue;
    const live = health(vs, rs) === 'up' && !sorryIn;
    if (live) pool.set(destId(rs), destinationOf(rs, hold === 'drain' ? 0 : rs.weight));
    else if (rs.inhibitOnFailure) pool.set(destId(rs), destinationOf(rs, 0));
  }
  const sorry = vs.sorryServer;
  if (sorry) {
    const id = destId(sorry);
    if (sorryIn) pool.set(id, destinationOf(sorry, SORRY_WEIGHT));
    else if (sorry.inhibitOnFailure && !pool.has(id)) pool.set(id, destinationOf(sorry, 0));
  }
  return [...pool.values()];
}

/** desiredState computes the wanted IPVS table, the lvs_timeouts to enforce and every virtual server's quorum state. */
export function desiredState(model: Model, options: DesiredOptions = {}): Desired {
  const health = options.health ?? allUp;
  const quorum = new Map<string, boolean>();
  const services: { service: Service; dests: Destination[] }[] = [];
  for (const vs of model.virtualServers) {
    const id = virtualServerId(vs);
    const live = vs.realServers.reduce((n, rs) => n + (health(vs, rs) === 'up' ? rs.weight : 0), 0);
    const up = quorumUp(vs, live, options.quorum?.get(id));
    quorum.set(id, up);
    const dests = poolOf(vs, health, up, options.overrides);
    for (const key of vs.services) services.push({ service: serviceOf(vs, key), dests });
  }
  const t = model.global.lvsTimeouts;
  const timeouts = t && (t.tcp !== undefined || t.tcpFin !== undefined || t.udp !== undefined) ? t : undefined;
  return { table: { services }, timeouts, quorum };
}

/** desiredTable is the wanted IPVS table for a model under the given health (all up by default). */
export function desiredTable(model: Model, health?: HealthFn, previousQuorum?: ReadonlyMap<string, boolean>): Table {
  return desiredState(model, { health, quorum: previousQuorum }).table;
}
