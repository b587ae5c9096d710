// Realserver layer (pure): the dangers a DR real server can be in, and the status report built from a host snapshot.
import { IFA_F_DEPRECATED } from '../netlink/rtnl.js';
import type { Danger, HostSnapshot, RealserverState, Vip } from './model.js';
import { CONF_KEYS, confName, effectiveConf, sysctlDisplayName } from './sysctl.js';
import { vipKey } from './vips.js';

/** IPV6_NOTES explain what lvsd does and cannot do for IPv6 VIPs (printed by `up` and `status`, and in the README). */
export const IPV6_NOTES: readonly string[] = [
  'IPv6 VIPs are added to lo with nodad, noprefixroute and preferred_lft 0: a deprecated address, which the kernel does not choose as the source of connections this host opens while it has another address of suitable scope (RFC 6724 rule 3); replies to clients still come from the VIP.',
  'IPv6 has no arp_ignore and needs none: Linux answers a neighbour solicitation only for an address configured on the interface that received it (ndisc_recv_ns looks the target up strictly on that device), so a VIP on lo is never announced on the LAN; lvsd sets no IPv6 sysctl.',
  'Not covered for IPv6: a proxy_ndp entry (ip -6 neigh add proxy VIP) or an anycast address equal to the VIP would still answer; status does not look for them.',
];

/** CheckInput is what the danger checks look at. */
export interface CheckInput {
  readonly host: HostSnapshot;
  readonly vips: readonly Vip[];
  /** interfaces facing the directors */
  readonly interfaces: readonly string[];
  /** VIPs a vrrp_instance of the configuration moves: on a NIC they are a director's, not a mistake */
  readonly vrrpVips?: ReadonlySet<string>;
}

/** findDangers lists every danger the host is in, errors first, in a stable order. */
export function findDangers(input: CheckInput): Danger[] {
  const { host, vips, interfaces } = input;
  const out: Danger[] = [];
  const lo = host.links.find((l) => l.loopback);
  if (!lo) out.push({ severity: 'error', code: 'NO_LOOPBACK', message: 'this host has no loopback interface to carry the VIPs' });
  if (vips.length === 0) out.push({ severity: 'error', code: 'NO_VIPS', message: 'no VIP on lo and none named (--vip or -f): this host serves no DR traffic' });
  if (interfaces.length === 0) out.push({ severity: 'error', code: 'NO_INTERFACE', message: 'no interface but the loopback: nothing faces the directors' });
  for (const vip of vips) {
    const where = host.addresses.filter((a) => a.family === vip.family && a.address === vip.address);
    const onLo = where.find((a) => a.index === lo?.index);
    if (!onLo) out.push({ severity: 'error', code: 'VIP_NOT_ON_LOOPBACK', vip: vip.address, message: `${vip.address} is not on lo: packets the director forwards for it are dropped (run lvsd realserver up)` });
    for (const a of where.filter((x) => x.index !== lo?.index)) {
      const vrrp = input.vrrpVips?.has(vipKey(vip)) ?? false;
      out.push({
        severity: vrrp ? 'warning' : 'error',
        code: 'VIP_ON_INTERFACE',
        vip: vip.address,
        interface: a.interface,
        message: vrrp
          ? `${vip.address} is on ${a.interface}: this host answers ${vip.family === 'inet' ? 'ARP' : 'neighbour solicitations'} for it there — right only while it is the VRRP master director for it`
          : `${vip.address} is on ${a.interface}, not only on lo: this host answers ${vip.family === 'inet' ? 'ARP' : 'neighbour solicitations'} for it and takes the VIP's traffic away from the director; remove it from ${a.interface}`,
      });
    }
    if (vip.family === 'inet6' && onLo && (onLo.flags & IFA_F_DEPRECATED) === 0) {
      out.push({ severity: 'warning', code: 'VIP6_PREFERRED', vip: vip.address, message: `${vip.address} on lo is not deprecated (preferred_lft is not 0): the kernel may choose it as the source of connections this host opens` });
    }
  }
  if (vips.some((v) => v.family === 'inet')) out.push(...arpDangers(host, interfaces));
  const rank = (d: Danger): number => (d.severity === 'error' ? 0 : 1);
  return out.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
}

function arpDangers(host: HostSnapshot, interfaces: readonly string[]): Danger[] {
  const out: Danger[] = [];
  const s = host.sysctls;
  const allText = s[confName('all', 'arp_ignore')];
  const allIgnore = allText === undefined ? undefined : Number(allText);
  if (allIgnore !== undefined && allIgnore !== 1 && allIgnore !== 2 && allIgnore !== 8) {
    out.push({ severity: 'warning', code: 'ARP_IGNORE_ALL', interface: 'all', message: `net.ipv4.conf.all.arp_ignore is ${allIgnore}: set it to 1 so that interfaces added later do not answer ARP for the VIPs` });
  }
  for (const iface of interfaces) {
    const ignore = effectiveConf(s, iface, 'arp_ignore');
    const announce = effectiveConf(s, iface, 'arp_announce');
    const proxy = effectiveConf(s, iface, 'proxy_arp');
    const rp = effectiveConf(s, iface, 'rp_filter');
    if (ignore !== undefined && ignore !== 1 && ignore !== 2 && ignore !== 8) {
      out.push({
        severity: 'error',
        code: 'ARP_IGNORE',
        interface: iface,
        message: `arp_ignore is ${ignore} on ${iface} (the larger of all and ${iface}): this host answers ARP for the VIPs on lo and steals their traffic from the director (ARP flux); it must be 1`,
      });
    } else if (ignore === 8) {
      out.push({ severity: 'warning', code: 'ARP_IGNORE', interface: iface, message: `arp_ignore is 8 on ${iface}: this host answers no ARP there at all, not even for its own address` });
    }
    if (announce !== undefined && announce < 2) {
      out.push({
        severity: 'error',
        code: 'ARP_ANNOUNCE',
        interface: iface,
        message: `arp_announce is ${announce} on ${iface}: ARP requests this host sends may carry a VIP as sender and teach the LAN to send the VIP's traffic here; it must be 2`,
      });
    }
    if (proxy === 1) {
      out.push({ severity: 'warning', code: 'PROXY_ARP', interface: iface, message: `proxy_arp is on for ${iface}: this host answers ARP on behalf of addresses it routes elsewhere; a real server should not` });
    }
    if (rp === 1 && host.defaultRouteInterfaces.length > 0 && !host.defaultRouteInterfaces.includes(iface)) {
      out.push({
        severity: 'error',
        code: 'RP_FILTER_STRICT',
        interface: iface,
        message: `rp_filter is strict (1) on ${iface} but the default route leaves by ${host.defaultRouteInterfaces.join(', ')}: requests for the VIPs from clients beyond the LAN arrive on ${iface} and are dropped; set rp_filter to 2 (loose) on ${iface} and all`,
      });
    }
  }
  return out;
}

/** VipStatus is one VIP in the status report. */
export interface VipStatus {
  readonly address: string;
  readonly family: string;
  readonly onLoopback: boolean;
  readonly label?: string | undefined;
  /** other interfaces that carry it */
  readonly alsoOn: readonly string[];
  readonly addedByLvsd: boolean;
  /** IPv6: deprecated (preferred_lft 0) */
  readonly deprecated?: boolean | undefined;
}

/** SettingStatus is one sysctl in the status report, with the value the kernel uses for the interface. */
export interface SettingStatus {
  readonly name: string;
  readonly value: string | null;
  readonly effective?: number | undefined;
  /** the value it had before lvsd changed it */
  readonly previous?: string | undefined;
}

/** StatusReport is what `status` prints (and `--json` prints as is). */
export interface StatusReport {
  readonly ok: boolean;
  readonly vips: readonly VipStatus[];
  readonly interfaces: readonly string[];
  readonly settings: readonly SettingStatus[];
  readonly ipv6: readonly string[];
  readonly dangers: readonly Danger[];
  readonly stateFile: string;
  readonly recorded: { readonly addresses: number; readonly sysctls: number };
}

/** buildStatus assembles the status report; ok is false when any danger is an error. */
export function buildStatus(input: CheckInput, state: RealserverState, stateFile: string): StatusReport {
  const { host, vips, interfaces } = input;
  const lo = host.links.find((l) => l.loopback);
  const owned = new Set(state.addresses.map(vipKey));
  const dangers = findDangers(input);
  const vipStatus = vips.map((v): VipStatus => {
    const where = host.addresses.filter((a) => a.family === v.family && a.address === v.address);
    const onLo = where.find((a) => a.index === lo?.index);
    return {
      address: v.address,
      family: v.family,
      onLoopback: onLo !== undefined,
      label: onLo?.label && onLo.label !== lo?.name ? onLo.label : undefined,
      alsoOn: where.filter((a) => a !== onLo).map((a) => a.interface),
      addedByLvsd: owned.has(vipKey(v)),
      deprecated: v.family === 'inet6' && onLo ? (onLo.flags & IFA_F_DEPRECATED) !== 0 : undefined,
    };
  });
  const previous = new Map(state.sysctls.map((r) => [r.name, r.previous]));
  const settings: SettingStatus[] = [];
  if (vips.some((v) => v.family === 'inet')) {
    for (const iface of ['all', ...interfaces]) {
      for (const key of CONF_KEYS) {
        const name = confName(iface, key);
        const value = host.sysctls[name]?.trim() ?? null;
        settings.push({ name: sysctlDisplayName(name), value, effective: iface === 'all' ? undefined : effectiveConf(host.sysctls, iface, key), previous: previous.get(name) });
      }
    }
  }
  return {
    ok: !dangers.some((d) => d.severity === 'error'),
    vips: vipStatus,
    interfaces,
    settings,
    ipv6: vips.some((v) => v.family === 'inet6') ? IPV6_NOTES : [],
    dangers,
    stateFile,
    recorded: { addresses: state.addresses.length, sysctls: state.sysctls.length },
  };
}
