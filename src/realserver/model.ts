// Realserver layer (pure): the shapes the real-server setup works on — VIPs, a snapshot of the host, the state record, plans.
import type { Family } from '../ipvs/types.js';

/** Vip is a virtual IP a real server carries on its loopback: a /32 (IPv4) or /128 (IPv6) host address. */
export interface Vip {
  readonly family: Family;
  /** canonical text (inet_ntop) */
  readonly address: string;
}

/** HostLink is a network interface of the host. */
export interface HostLink {
  readonly index: number;
  readonly name: string;
  readonly loopback: boolean;
  readonly up: boolean;
}

/** HostAddress is an address configured on an interface. */
export interface HostAddress {
  readonly family: Family;
  readonly address: string;
  readonly prefix: number;
  readonly index: number;
  readonly interface: string;
  readonly label?: string | undefined;
  /** IFA_F_* flags */
  readonly flags: number;
}

/** HostSnapshot is what lvsd read from the host: interfaces, addresses, sysctls (by /proc/sys path) and IPv4 default-route interfaces. */
export interface HostSnapshot {
  readonly links: readonly HostLink[];
  readonly addresses: readonly HostAddress[];
  /** values by path under /proc/sys, e.g. "net/ipv4/conf/eth0/arp_ignore"; a path absent here does not exist on the host */
  readonly sysctls: Readonly<Record<string, string>>;
  readonly defaultRouteInterfaces: readonly string[];
}

/** AddressRecord is an address lvsd added (only those: addresses that were already there are never recorded). */
export interface AddressRecord {
  readonly family: Family;
  readonly address: string;
  readonly prefix: number;
  readonly interface: string;
  readonly label?: string | undefined;
}

/** SysctlRecord is a sysctl lvsd changed: the value that was there before and the value lvsd wrote. */
export interface SysctlRecord {
  /** path under /proc/sys */
  readonly name: string;
  readonly previous: string;
  readonly value: string;
}

/** RealserverState is the state file: what `down` must undo. */
export interface RealserverState {
  readonly version: 1;
  readonly addresses: readonly AddressRecord[];
  readonly sysctls: readonly SysctlRecord[];
}

/** DEFAULT_STATE_FILE is where `up` records what it changed and `down` reads it back. */
export const DEFAULT_STATE_FILE = '/var/lib/lvsd/realserver.json';

/** EMPTY_STATE is the state of a host lvsd has not touched. */
export const EMPTY_STATE: RealserverState = { version: 1, addresses: [], sysctls: [] };

/** Action is one change to the host. */
export type Action =
  | { readonly kind: 'set-sysctl'; readonly name: string; readonly from: string; readonly to: string }
  | {
      readonly kind: 'add-address';
      readonly family: Family;
      readonly address: string;
      readonly prefix: number;
      readonly interface: string;
      readonly index: number;
      readonly label?: string | undefined;
      /** IFA_F_* flags sent with the address */
      readonly flags: number;
      /** preferred lifetime in seconds; 0 makes an IPv6 address deprecated */
      readonly preferredLft?: number | undefined;
    }
  | { readonly kind: 'del-address'; readonly family: Family; readonly address: string; readonly prefix: number; readonly interface: string; readonly index: number };

/** StateEntry is one record of the state file. */
export type StateEntry = { readonly address: AddressRecord } | { readonly sysctl: SysctlRecord };

/**
 * Step is one item of a plan: an action on the host (or none), what the state file gains (remember) or loses
 * (forget) once the action succeeded, and a note for the person running it.
 */
export interface Step {
  readonly action?: Action | undefined;
  readonly remember?: StateEntry | undefined;
  readonly forget?: StateEntry | undefined;
  readonly note?: string | undefined;
}

/** Plan is an ordered list of steps. */
export interface Plan {
  readonly steps: readonly Step[];
}

/** Wanted is what `up` should establish. */
export interface Wanted {
  readonly vips: readonly Vip[];
  /** interfaces that face the directors (ARP settings are made on `all` and on these) */
  readonly interfaces: readonly string[];
  /** give IPv4 VIPs labels lo:1, lo:2, … (the first numbers not in use) */
  readonly labels: boolean;
}

/** Severity of a danger: an error means the host cannot serve DR traffic safely. */
export type Severity = 'error' | 'warning';

/** Danger is one problem `status` sees. */
export interface Danger {
  readonly severity: Severity;
  readonly code: DangerCode;
  readonly message: string;
  readonly vip?: string | undefined;
  readonly interface?: string | undefined;
}

/** DangerCode names each kind of danger (stable: scripts may match them). */
export type DangerCode =
  | 'NO_LOOPBACK'
  | 'NO_VIPS'
  | 'NO_INTERFACE'
  | 'VIP_NOT_ON_LOOPBACK'
  | 'VIP_ON_INTERFACE'
  | 'VIP6_PREFERRED'
  | 'ARP_IGNORE'
  | 'ARP_IGNORE_ALL'
  | 'ARP_ANNOUNCE'
  | 'PROXY_ARP'
  | 'RP_FILTER_STRICT';
