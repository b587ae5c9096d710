// VRRP layer (pure): whether an IPv6 instance can send — the interface addresses rtnetlink announces (RTM_NEWADDR / RTM_DELADDR with IFA_F_TENTATIVE, IFA_F_DADFAILED) and the verdict for the instance's source address.
import type { RawMessage } from '../netlink/message.js';
import { decodeAddress } from '../netlink/rtnl.js';
import { addressFromBytes, parseAddress } from '../util/addr.js';

// facts from the kernel's uapi headers (linux/rtnetlink.h, linux/if_addr.h, linux/socket.h)
/** RTNLGRP_IPV6_IFADDR is the rtnetlink multicast group of IPv6 address changes (enum rtnetlink_groups). */
export const RTNLGRP_IPV6_IFADDR = 9;
/** RTM_NEWADDR announces an address added or changed (its flags), RTM_DELADDR one removed. */
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
/** IFA_F_OPTIMISTIC: optimistic DAD (RFC 4429) — the address may be used while still tentative. */
export const IFA_F_OPTIMISTIC = 0x04;
/** IFA_F_DADFAILED: duplicate address detection found the address in use elsewhere; it is never usable. */
export const IFA_F_DADFAILED = 0x08;
/** IFA_F_TENTATIVE: duplicate address detection is still running; the kernel refuses it as a source (EINVAL). */
export const IFA_F_TENTATIVE = 0x40;
const AF_INET6 = 10;

/** AddrEvent is one IPv6 address change as rtnetlink announced it. */
export interface AddrEvent {
  readonly kind: 'new' | 'del';
  readonly index: number;
  readonly address: string;
  /** IFA_F_* (IFA_FLAGS when sent, else the ifaddrmsg byte) */
  readonly flags: number;
}

/** decodeAddrEvent reads an RTM_NEWADDR / RTM_DELADDR message of an IPv6 address; undefined for any other message or family. */
export function decodeAddrEvent(buf: Buffer, msg: RawMessage): AddrEvent | undefined {
  if (msg.type !== RTM_NEWADDR && msg.type !== RTM_DELADDR) return undefined;
  const a = decodeAddress(buf, msg);
  if (a.family !== AF_INET6 || a.bytes.length !== 16) return undefined;
  return { kind: msg.type === RTM_NEWADDR ? 'new' : 'del', index: a.index, address: addressFromBytes('inet6', a.bytes), flags: a.flags };
}

/** AddrState is what an address is good for as a VRRP source. */
export type AddrState = 'usable' | 'tentative' | 'dadfailed' | 'missing';

/** addrState is the state an address with `flags` is in: DAD failed, tentative (unless optimistic), or usable. */
export function addrState(flags: number): AddrState {
  if ((flags & IFA_F_DADFAILED) !== 0) return 'dadfailed';
  if ((flags & IFA_F_TENTATIVE) !== 0 && (flags & IFA_F_OPTIMISTIC) === 0) return 'tentative';
  return 'usable';
}

/** AddrTable is the host's IPv6 addresses: "ifindex address" to IFA_F_* flags; treat it as immutable. */
export type AddrTable = ReadonlyMap<string, number>;

const key = (index: number, address: string): string => `${index} ${address}`;

/** addrTable builds the table from a dump (RTM_GETADDR) of IPv6 addresses. */
export function addrTable(entries: readonly Omit<AddrEvent, 'kind'>[]): AddrTable {
  return new Map(entries.map((e) => [key(e.index, e.address), e.flags]));
}

/** AddrStep is the table after one event, and the address's state before and after it. */
export interface AddrStep {
  readonly table: AddrTable;
  readonly before: AddrState;
  readonly after: AddrState;
}

/** applyAddrEvent takes one announced change into the table (a copy; the argument is left alone). */
export function applyAddrEvent(table: AddrTable, e: AddrEvent): AddrStep {
  const k = key(e.index, e.address);
  const old = table.get(k);
  const next = new Map(table);
  if (e.kind === 'new') next.set(k, e.flags);
  else next.delete(k);
  return { table: next, before: old === undefined ? 'missing' : addrState(old), after: e.kind === 'new' ? addrState(e.flags) : 'missing' };
}

/** canonicalIPv6 is an IPv6 address in the form rtnetlink events are decoded to (RFC 5952); undefined for anything else. */
export function canonicalIPv6(text: string): string | undefined {
  const p = parseAddress(text);
  return p?.family === 'inet6' ? addressFromBytes('inet6', p.bytes) : undefined;
}

/**
 * sourceState is the state of an instance's source address: on its interface (`ifindex`) when the address is
 * link-local (fe80::/10 is per link), on any interface otherwise (a unicast_src_ip); the best state when several hold it.
 */
export function sourceState(table: AddrTable, address: string, ifindex: number | undefined): AddrState {
  const source = canonicalIPv6(address);
  if (source === undefined) return 'missing';
  const linkLocal = /^fe[89ab][0-9a-f]:/i.test(source);
  const rank: Record<AddrState, number> = { usable: 3, tentative: 2, dadfailed: 1, missing: 0 };
  let best: AddrState = 'missing';
  for (const [k, flags] of table) {
    const sp = k.indexOf(' ');
    if (k.slice(sp + 1) !== source) continue;
    if (linkLocal && ifindex !== undefined && Number(k.slice(0, sp)) !== ifindex) continue;
    const s = addrState(flags);
    if (rank[s] > rank[best]) best = s;
  }
  return best;
}
