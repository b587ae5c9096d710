// VRRP layer (pure): vrrp_sync_group — members move to MASTER, BACKUP and FAULT together (keepalived 2.2.7 vrrp_sync.c and the TSM in vrrp_scheduler.c).
import { isOwner, step } from './fsm.js';
import type { FsmAction, FsmEvent, FsmState, VrrpState } from './fsm-types.js';

/** SyncGroupState is a group's name, members (instance names) and collective state. */
export interface SyncGroupState {
  readonly name: string;
  readonly members: readonly string[];
  readonly state: VrrpState;
}

/** GroupAction is one member's action. */
export interface GroupAction {
  readonly instance: string;
  readonly action: FsmAction;
}

/** GroupStepResult is the group and members after an event, every member's actions in order, and the group notifications (notify_master etc. of the group). */
export interface GroupStepResult {
  readonly group: SyncGroupState;
  readonly instances: ReadonlyMap<string, FsmState>;
  readonly actions: readonly GroupAction[];
  readonly notifications: readonly VrrpState[];
}

/** initialGroup is a sync group before startup. */
export function initialGroup(name: string, members: readonly string[]): SyncGroupState {
  return { name, members: [...members], state: 'INIT' };
}

/**
 * canBecomeMaster is keepalived's vrrp_sync_can_goto_master: a member may become Master when the group already is,
 * or when every other member wants to ("prefer backup state to avoid thrashing").
 */
export function canBecomeMaster(group: SyncGroupState, instances: ReadonlyMap<string, FsmState>, member: string): boolean {
  if (group.state === 'MASTER') return true;
  return group.members.every((m) => m === member || instances.get(m)?.wantMaster === true);
}

/** Run collects one group step: the members' states as they change and their actions. */
class Run {
  readonly insts: Map<string, FsmState>;
  readonly actions: GroupAction[] = [];
  constructor(
    readonly group: SyncGroupState,
    instances: ReadonlyMap<string, FsmState>,
    readonly now: number,
  ) {
    this.insts = new Map(instances);
  }
  get(name: string): FsmState | undefined {
    return this.insts.get(name);
  }
  apply(name: string, event: FsmEvent, canBecome = true): void {
    const s = this.insts.get(name);
    if (!s) return;
    const r = step(s, event, this.now, { canBecomeMaster: canBecome });
    this.insts.set(name, r.state);
    for (const action of r.actions) this.actions.push({ instance: name, action });
  }
  /** syncFaults is keepalived's vrrp_sync_fault and its reverse: a member is held in FAULT while another member has a fault of its own. */
  syncFaults(): void {
    const { members } = this.group;
    const desired = new Map(members.map((m) => [m, members.some((o) => o !== m && (this.get(o)?.faults.length ?? 0) > 0)]));
    // faults spread before they clear so no member briefly leaves FAULT for nothing
    for (const on of [true, false]) {
      for (const m of members) {
        const s = this.get(m);
        if (s && desired.get(m) === on && s.groupFault !== on) this.apply(m, { kind: 'group-fault', on });
      }
    }
  }
  collective(): VrrpState {
    const states = this.group.members.map((m) => this.get(m)?.state ?? 'INIT');
    if (states.includes('FAULT')) return 'FAULT';
    if (states.includes('MASTER')) return 'MASTER';
    if (states.every((s) => s === 'INIT')) return 'INIT';
    return 'BACKUP';
  }
  result(): GroupStepResult {
    const state = this.collective();
    const group = state === this.group.state ? this.group : { ...this.group, state };
    return { group, instances: this.insts, actions: this.actions, notifications: state === this.group.state ? [] : [state] };
  }
}

/**
 * groupStartup starts every member: faults are shared first (one member down holds all in FAULT), and owners go
 * Master at once only when every member is an owner (keepalived vrrp_sync_set_group / vrrp_init_state).
 */
export function groupStartup(group: SyncGroupState, instances: ReadonlyMap<string, FsmState>, now: number): GroupStepResult {
  const r = new Run(group, instances, now);
  r.syncFaults();
  const allOwners = group.members.every((m) => {
    const s = r.get(m);
    return s !== undefined && isOwner(s);
  });
  for (const m of group.members) r.apply(m, { kind: 'startup' }, allOwners);
  return r.result();
}

/**
 * groupStep delivers an event to one member and carries the group along, per keepalived's transition matrix:
 * BACKUP/FAULT → MASTER makes every other Backup member Master (vrrp_sync_master), MASTER → BACKUP makes every
 * other Master a Backup (vrrp_sync_backup), a member entering FAULT takes all others to FAULT (vrrp_sync_fault),
 * and they leave it together once no member has a fault of its own.
 */
export function groupStep(group: SyncGroupState, instances: ReadonlyMap<string, FsmState>, member: string, event: FsmEvent, now: number): GroupStepResult {
  const r = new Run(group, instances, now);
  const before = r.get(member);
  if (!before) return r.result();
  r.apply(member, event, canBecomeMaster(group, r.insts, member));
  r.syncFaults();
  const after = r.get(member)?.state;
  const others = group.members.filter((m) => m !== member);
  if (after === 'MASTER' && (before.state !== 'MASTER' || group.state !== 'MASTER')) {
    for (const m of others) if (r.get(m)?.state === 'BACKUP') r.apply(m, { kind: 'sync-master' });
  } else if (before.state === 'MASTER' && after === 'BACKUP') {
    for (const m of others) if (r.get(m)?.state === 'MASTER') r.apply(m, { kind: 'sync-backup' });
  }
  return r.result();
}
