// Health layer (types): the health monitor's events and status records, shared with the reconciler and `lvsd status`.
import type { GlobalDefs, RealServer, VirtualServer } from '../config/model.js';
import type { ScriptResult } from './scripts.js';

/** HealthModel is the part of the configuration model health checking reads. */
export interface HealthModel {
  readonly virtualServers: readonly VirtualServer[];
  readonly global?: Pick<GlobalDefs, 'scriptUser'> | undefined;
}

/** HealthEvent is a real server going up or down in one virtual server. */
export interface HealthEvent {
  readonly vs: VirtualServer;
  readonly rs: RealServer;
  readonly state: 'up' | 'down';
  /** 'success', a failure ('ECONNREFUSED', 'timeout after 1 retry', …), or 'reload' */
  readonly reason: string;
  readonly at: number;
  /** the key of the check whose verdict caused it */
  readonly check?: string | undefined;
}

/** QuorumEvent is a virtual server gaining or losing its quorum (the sorry server goes out or in). */
export interface QuorumEvent {
  readonly vs: VirtualServer;
  readonly state: 'up' | 'down';
  readonly aliveWeight: number;
  /** the weight that was crossed: quorum + hysteresis to gain, quorum - hysteresis to lose */
  readonly threshold: number;
  readonly at: number;
}

/** OmegaEvent is an omega virtual server shutting down: its live servers' notify_down and its quorum_down run. */
export interface OmegaEvent {
  readonly vs: VirtualServer;
  readonly servers: readonly RealServer[];
  readonly at: number;
}

/** ScriptEvent is a notify script that ended (or could not start), for the logs. */
export interface ScriptEvent {
  readonly kind: 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';
  readonly vs: VirtualServer;
  readonly rs?: RealServer | undefined;
  readonly result: ScriptResult;
}

/** HealthEvents are the events a HealthMonitor emits. */
export interface HealthEvents {
  change: [HealthEvent];
  quorum: [QuorumEvent];
  omega: [OmegaEvent];
  script: [ScriptEvent];
}

/** CheckStatus is one check of a real server, for `lvsd status`. */
export interface CheckStatus {
  readonly key: string;
  readonly target: string;
  readonly state: 'up' | 'down';
  readonly retries: number;
  readonly nextCheckAt: number;
  readonly lastCheckAt?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly lastFailure?: { readonly reason: string; readonly at: number } | undefined;
}

/** RealServerStatus is a real server's health in one virtual server. */
export interface RealServerStatus {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
  readonly state: 'up' | 'down';
  readonly since: number;
  readonly reason: string;
  readonly lastCheckAt?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly lastFailure?: { readonly reason: string; readonly at: number } | undefined;
  readonly checks: readonly CheckStatus[];
}

/** VirtualServerStatus is a virtual server's quorum and its real servers. */
export interface VirtualServerStatus {
  readonly name: string;
  readonly quorumUp: boolean;
  readonly aliveWeight: number;
  readonly realServers: readonly RealServerStatus[];
}
