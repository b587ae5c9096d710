// VRRP layer (pure): what a configuration reload (SIGHUP) does to the running VRRP instances, as keepalived's reload does it.
import type { Model, VrrpInstance } from '../config/model.js';

/** InstanceChange is one instance of the plan with the settings (VrrpInstance keys) that differ. */
export interface InstanceChange {
  readonly name: string;
  readonly changes: readonly string[];
}

/**
 * VrrpReloadPlan says, per instance name, what a reload does. `keep`: unchanged, keeps its state and timers (no
 * flap). `update`: changed in settings the running instance takes in place, keeping its state (a new priority is
 * advertised at once and the election follows from it). `restart`: changed in what identifies it on the wire
 * (interface, VRID, family, version, addresses it sends from or to), so it stops (a Master sends priority 0 and drops
 * its VIPs) and starts again. `remove`: stops for good. `add`: starts. `full`: sync groups or vrrp_scripts changed,
 * so every instance is restarted; `reason` says which.
 */
export interface VrrpReloadPlan {
  readonly full: boolean;
  readonly reason?: string | undefined;
  readonly keep: readonly string[];
  readonly update: readonly InstanceChange[];
  readonly restart: readonly InstanceChange[];
  readonly remove: readonly string[];
  readonly add: readonly string[];
  /** global lvs_sync_daemon changed: the IPVS sync daemons are set again for the instances' states */
  readonly syncDaemonChanged: boolean;
  /** global vrrp_garp_interval / vrrp_gna_interval changed */
  readonly garpPacingChanged: boolean;
}

/** RESTART_KEYS are the settings an instance cannot change while running: its socket, its identity on the wire. */
export const RESTART_KEYS: ReadonlySet<keyof VrrpInstance> = new Set<keyof VrrpInstance>([
  'interface',
  'family',
  'virtualRouterId',
  'version',
  'unicastSrcIp',
  'mcastSrcIp',
  'mcastDstIp',
  'unicastPeers',
  'unicastTtl',
]);

/** shape is a configuration value without source positions, as canonical JSON, to compare two reads of a file. */
export function shape(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'source' ? undefined : v));
}

/** instanceChanges lists the VrrpInstance keys whose values differ between two versions of an instance (source positions aside). */
export function instanceChanges(prev: VrrpInstance, next: VrrpInstance): string[] {
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)] as (keyof VrrpInstance)[]);
  return [...keys].filter((k) => k !== 'source' && shape(prev[k]) !== shape(next[k])).sort();
}

/** planVrrpReload compares the running model's VRRP part with the reloaded one's and says what to do with each instance. */
export function planVrrpReload(prev: Model, next: Model): VrrpReloadPlan {
  const before = new Map(prev.vrrp.instances.map((i) => [i.name, i]));
  const after = new Map(next.vrrp.instances.map((i) => [i.name, i]));
  const remove = [...before.keys()].filter((n) => !after.has(n));
  const add = [...after.keys()].filter((n) => !before.has(n));
  const keep: string[] = [];
  const update: InstanceChange[] = [];
  const restart: InstanceChange[] = [];
  const reasons: string[] = [];
  if (shape(prev.vrrp.syncGroups) !== shape(next.vrrp.syncGroups)) reasons.push('vrrp_sync_group changed');
  if (shape(prev.vrrp.scripts) !== shape(next.vrrp.scripts)) reasons.push('vrrp_script changed');
  for (const [name, p] of before) {
    const n = after.get(name);
    if (!n) continue;
    const changes = instanceChanges(p, n);
    if (changes.length === 0) keep.push(name);
    else if (changes.some((c) => RESTART_KEYS.has(c as keyof VrrpInstance))) restart.push({ name, changes });
    else update.push({ name, changes });
  }
  // a sync group runs with its members' runtimes: a member that starts or stops restarts the groups
  const grouped = new Set([...prev.vrrp.syncGroups, ...next.vrrp.syncGroups].flatMap((g) => g.instances));
  const moved = [...remove, ...add, ...restart.map((c) => c.name)].filter((n) => grouped.has(n));
  if (moved.length > 0 && reasons.length === 0) reasons.push(`sync group member ${moved.join(', ')} starts or stops`);
  return {
    full: reasons.length > 0,
    ...(reasons.length > 0 ? { reason: reasons.join(', ') } : {}),
    keep,
    update,
    restart,
    remove,
    add,
    syncDaemonChanged: shape(prev.global.lvsSyncDaemon) !== shape(next.global.lvsSyncDaemon),
    garpPacingChanged: prev.global.vrrp.garpInterval !== next.global.vrrp.garpInterval || prev.global.vrrp.gnaInterval !== next.global.vrrp.gnaInterval,
  };
}
