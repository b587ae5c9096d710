// I/O edge: a running vrrp_sync_group — its members' events go through the pure group step (sync-group.ts) so they change state together.
import type { VrrpSyncGroup } from '../../config/model.js';
import type { FsmEvent, FsmState, FsmAction, VrrpState } from '../fsm.js';
import { groupStartup, groupStep, initialGroup, type GroupStepResult, type SyncGroupState } from '../sync-group.js';
import type { InstanceRuntime } from './instance.js';

/** SyncGroupRuntime routes every member's events through the group and hands each member its own state and actions. */
export class SyncGroupRuntime {
  private group: SyncGroupState;
  private readonly members = new Map<string, InstanceRuntime>();

  constructor(
    readonly config: VrrpSyncGroup,
    members: readonly InstanceRuntime[],
    /** the group entered a collective state (notify scripts and logs of the group) */
    private readonly onGroupState: (state: VrrpState) => void,
  ) {
    for (const m of members) {
      this.members.set(m.config.name, m);
      m.router = (event, now) => this.step(m.config.name, event, now);
    }
    this.group = initialGroup(config.name, [...this.members.keys()]);
  }

  private states(): Map<string, FsmState> {
    return new Map([...this.members].map(([n, m]) => [n, m.state]));
  }

  private apply(r: GroupStepResult): void {
    this.group = r.group;
    const byMember = new Map<string, FsmAction[]>();
    for (const { instance, action } of r.actions) byMember.set(instance, [...(byMember.get(instance) ?? []), action]);
    for (const [name, m] of this.members) {
      const next = r.instances.get(name);
      if (next) m.apply(next, byMember.get(name) ?? []);
    }
    for (const s of r.notifications) this.onGroupState(s);
  }

  /** start runs the group's startup (shared faults first, owners Master only when all members are). */
  start(now: number): void {
    this.apply(groupStartup(this.group, this.states(), now));
  }

  /** step delivers one member's event to the group. */
  step(member: string, event: FsmEvent, now: number): void {
    this.apply(groupStep(this.group, this.states(), member, event, now));
  }
}
