// Realserver layer (pure): plan(host snapshot, wanted, state) → steps for `up` and `down`, and the state after the steps that ran.
import { IFA_F_NODAD, IFA_F_NOPREFIXROUTE } from '../netlink/rtnl.js';
import type { Action, AddressRecord, HostSnapshot, Plan, RealserverState, StateEntry, Step, SysctlRecord, Vip, Wanted } from './model.js';
import { confName, sysctlDisplayName, type ConfKey } from './sysctl.js';
import { loopbackLink, vipKey } from './vips.js';

/** IPV6_VIP_FLAGS are the flags of an IPv6 VIP: no duplicate address detection, no prefix route (the /128 is local anyway). */
export const IPV6_VIP_FLAGS = IFA_F_NODAD | IFA_F_NOPREFIXROUTE;

/** ARP_SETTINGS are the IPv4 settings `up` makes on `all` and each interface facing the directors: the value it writes and the values it accepts as they are. */
export const ARP_SETTINGS: readonly { readonly key: ConfKey; readonly value: string; readonly accepted: readonly string[] }[] = [
  // 1: answer only for addresses on the receiving interface (a VIP on lo is never answered); 2 is stricter and fine
  { key: 'arp_ignore', value: '1', accepted: ['1', '2'] },
  // 2: always use the best local address of the outgoing interface as ARP source, never the VIP
  { key: 'arp_announce', value: '2', accepted: ['2'] },
];

const addressKey = (a: { readonly family: string; readonly address: string; readonly interface: string }): string => `${a.family} ${a.address} ${a.interface}`;

/** vipPrefix is a VIP's prefix length: 32 or 128. */
export function vipPrefix(v: Vip): number {
  return v.family === 'inet' ? 32 : 128;
}

// an address is present when it is configured on the interface, whatever its prefix length
function present(host: HostSnapshot, family: string, address: string, ifname: string): boolean {
  return host.addresses.some((a) => a.family === family && a.address === address && a.interface === ifname);
}

/**
 * planUp plans `up`: the ARP settings first (so that the host never answers ARP for a VIP, even for a moment),
 * then every wanted VIP missing from the loopback, then the removal of VIPs an earlier `up` added that are no longer
 * wanted. A setting is recorded with the value it had just before; a setting or address that is already right is
 * left alone and not recorded, so `down` never touches what lvsd did not change.
 */
export function planUp(host: HostSnapshot, wanted: Wanted, state: RealserverState): Plan {
  const lo = loopbackLink(host);
  const steps: Step[] = [];
  if (wanted.vips.some((v) => v.family === 'inet')) {
    for (const iface of ['all', ...wanted.interfaces]) {
      for (const s of ARP_SETTINGS) {
        const name = confName(iface, s.key);
        const cur = host.sysctls[name]?.trim();
        if (cur === undefined) {
          steps.push({ note: `${sysctlDisplayName(name)} does not exist on this host: not set` });
          continue;
        }
        if (s.accepted.includes(cur)) continue;
        const record: SysctlRecord = { name, previous: cur, value: s.value };
        steps.push({ action: { kind: 'set-sysctl', name, from: cur, to: s.value }, remember: { sysctl: record } });
      }
    }
  }
  const used = new Set(host.addresses.filter((a) => a.index === lo.index && a.label).map((a) => a.label!));
  const nextLabel = (): string => {
    let n = 1;
    while (used.has(`${lo.name}:${n}`)) n++;
    used.add(`${lo.name}:${n}`);
    return `${lo.name}:${n}`;
  };
  for (const vip of wanted.vips) {
    if (present(host, vip.family, vip.address, lo.name)) continue;
    const label = wanted.labels && vip.family === 'inet' ? nextLabel() : undefined;
    const record: AddressRecord = { family: vip.family, address: vip.address, prefix: vipPrefix(vip), interface: lo.name, ...(label ? { label } : {}) };
    const action: Action =
      vip.family === 'inet'
        ? { kind: 'add-address', family: 'inet', address: vip.address, prefix: 32, interface: lo.name, index: lo.index, label, flags: 0 }
        : { kind: 'add-address', family: 'inet6', address: vip.address, prefix: 128, interface: lo.name, index: lo.index, flags: IPV6_VIP_FLAGS, preferredLft: 0 };
    steps.push({ action, remember: { address: record } });
  }
  const wantedKeys = new Set(wanted.vips.map(vipKey));
  for (const rec of state.addresses) {
    if (wantedKeys.has(vipKey(rec))) continue;
    steps.push(removeAddress(host, rec, 'no longer wanted'));
  }
  return { steps };
}

function removeAddress(host: HostSnapshot, rec: AddressRecord, why: string): Step {
  const link = host.links.find((l) => l.name === rec.interface);
  if (!link || !present(host, rec.family, rec.address, rec.interface)) {
    return { forget: { address: rec }, note: `${rec.address}/${rec.prefix} is already gone from ${rec.interface}` };
  }
  const action: Action = { kind: 'del-address', family: rec.family, address: rec.address, prefix: rec.prefix, interface: rec.interface, index: link.index };
  return { action, forget: { address: rec }, note: why === 'down' ? undefined : `${rec.address}/${rec.prefix}: ${why}` };
}

/**
 * planDown plans `down` from the state file: delete each address lvsd added that is still there, then put each
 * setting back to its previous value — unless someone changed it since (then it is left as it is, with a note).
 */
export function planDown(host: HostSnapshot, state: RealserverState): Plan {
  const steps: Step[] = state.addresses.map((rec) => removeAddress(host, rec, 'down'));
  for (const rec of state.sysctls) {
    const cur = host.sysctls[rec.name]?.trim();
    const shown = sysctlDisplayName(rec.name);
    if (cur === undefined) steps.push({ forget: { sysctl: rec }, note: `${shown} no longer exists (interface removed?): nothing to put back` });
    else if (cur === rec.value) steps.push({ action: { kind: 'set-sysctl', name: rec.name, from: cur, to: rec.previous }, forget: { sysctl: rec } });
    else if (cur === rec.previous) steps.push({ forget: { sysctl: rec }, note: `${shown} is already ${cur}, its value before lvsd` });
    else steps.push({ forget: { sysctl: rec }, note: `${shown} was changed since lvsd set it to ${rec.value} (now ${cur}): left as it is, not put back to ${rec.previous}` });
  }
  return { steps };
}

function entryKey(e: StateEntry): string {
  return 'address' in e ? `a ${addressKey(e.address)}` : `s ${e.sysctl.name}`;
}

/**
 * stateAfter is the state once some steps ran: ok(i) says whether step i's action succeeded (steps without an action
 * always count). A remembered entry replaces the one with the same key; records keep their order.
 */
export function stateAfter(state: RealserverState, steps: readonly Step[], ok: (i: number) => boolean = () => true): RealserverState {
  const entries = new Map<string, StateEntry>();
  for (const a of state.addresses) entries.set(entryKey({ address: a }), { address: a });
  for (const s of state.sysctls) entries.set(entryKey({ sysctl: s }), { sysctl: s });
  steps.forEach((step, i) => {
    if (step.action && !ok(i)) return;
    if (step.forget) entries.delete(entryKey(step.forget));
    if (step.remember) entries.set(entryKey(step.remember), step.remember);
  });
  const list = [...entries.values()];
  return {
    version: 1,
    addresses: list.flatMap((e) => ('address' in e ? [e.address] : [])),
    sysctls: list.flatMap((e) => ('sysctl' in e ? [e.sysctl] : [])),
  };
}

/** writeAheadState is the state to save before any step runs: everything the steps will remember, nothing forgotten yet. */
export function writeAheadState(state: RealserverState, steps: readonly Step[]): RealserverState {
  return stateAfter(
    state,
    steps.map((s) => ({ remember: s.remember })),
  );
}

/** isEmptyState tells whether a state records nothing to undo. */
export function isEmptyState(s: RealserverState): boolean {
  return s.addresses.length === 0 && s.sysctls.length === 0;
}

/** sameState compares two states record by record. */
export function sameState(a: RealserverState, b: RealserverState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
