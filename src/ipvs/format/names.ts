// Format layer: how ipvsadm names services, destinations, forwarding methods, scheduler flags and tunnels (numeric mode).
import { addressFromBytes, addressToBytes, prefixToNetmask } from '../../util/addr.js';
import type { DestKey, Destination, Family, ForwardMethod, Info, Protocol, SchedFlag, Service, TunnelFlag } from '../types.js';
import { cString, int32 } from './printf.js';

const PROTO_NAME: Record<Protocol, string> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };
const PROTO_OPTION: Record<Protocol, string> = { tcp: '-t', udp: '-u', sctp: '--sctp-service' };

/** protocolName is the listing's protocol column: TCP, UDP or SCTP. */
export function protocolName(p: Protocol): string {
  return PROTO_NAME[p];
}

/** protocolOption is the save format's service option: -t, -u or --sctp-service. */
export function protocolOption(p: Protocol): string {
  return PROTO_OPTION[p];
}

/** addrPort is ipvsadm's numeric "address:port": IPv6 in brackets, both as glibc's inet_ntop prints them. */
export function addrPort(family: Family, address: string, port: number): string {
  const text = addressFromBytes(family, addressToBytes(family, address));
  return family === 'inet6' ? `[${text}]:${port}` : `${text}:${port}`;
}

/** serviceListName is the listing's service column: "TCP  10.0.0.1:80", "FWM  7" or "FWM  7 IPv6" (marks >= 2^31 print negative). */
export function serviceListName(svc: Service): string {
  const k = svc.key;
  if (k.kind === 'fwmark') return `FWM  ${int32(k.fwmark)}${k.family === 'inet6' ? ' IPv6' : ''}`;
  const name = `${protocolName(k.protocol).padEnd(4)} ${addrPort(k.family, k.address, k.port)}`;
  return k.family === 'inet6' ? name : name.slice(0, 33);
}

/** serviceRuleName is the save format's service: "-t 10.0.0.1:80", "-f 7" or "-f 7 -6" (marks >= 2^31 print negative). */
export function serviceRuleName(svc: Service): string {
  const k = svc.key;
  if (k.kind === 'fwmark') return `-f ${int32(k.fwmark)}${k.family === 'inet6' ? ' -6' : ''}`;
  return `${protocolOption(k.protocol)} ${addrPort(k.family, k.address, k.port)}`;
}

/** destListName is the listing's destination column (IPv4 names are cut at 28 characters, which numeric names never reach). */
export function destListName(d: DestKey): string {
  const name = addrPort(d.family, d.address, d.port);
  return d.family === 'inet6' ? name : name.slice(0, 28);
}

/** fwdName is the listing's Forward column; ipvsadm has no name for 'bypass' and glibc prints "(null)". */
export function fwdName(f: ForwardMethod): string {
  const names: Partial<Record<ForwardMethod, string>> = { masq: 'Masq', local: 'Local', tunnel: 'Tunnel', route: 'Route' };
  return cString(names[f]);
}

/** fwdSwitch is the save format's forwarding option: -m, -i, or -g for route and local; "(null)" for 'bypass'. */
export function fwdSwitch(f: ForwardMethod): string {
  const switches: Partial<Record<ForwardMethod, string>> = { masq: '-m', tunnel: '-i', local: '-g', route: '-g' };
  return cString(switches[f]);
}

/** hasSchedFlags tells whether any of the three scheduler flags is set (what decides "-b"/"(...)" printing). */
export function hasSchedFlags(svc: Service): boolean {
  return svc.schedFlags.length > 0;
}

/**
 * schedFlagsText is ipvsadm's print_sched_flags: for sh only sh-fallback (flag 1) and sh-port (flag 2), for mh only
 * mh-fallback and mh-port, for other schedulers flag-1..flag-3; comma-separated. Flag 3 alone on sh/mh gives "".
 */
export function schedFlagsText(scheduler: string, flags: readonly SchedFlag[]): string {
  const has = (f: SchedFlag) => flags.includes(f);
  const out: string[] = [];
  if (scheduler === 'sh' || scheduler === 'mh') {
    if (has(1)) out.push(`${scheduler}-fallback`);
    if (has(2)) out.push(`${scheduler}-port`);
  } else {
    for (const f of [1, 2, 3] as const) if (has(f)) out.push(`flag-${f}`);
  }
  return out.join(',');
}

const TUN_FLAG_SHORT = ['-c', '+c', 'r+c'];
const TUN_FLAG_OPTION = ['--tun-nocsum', '--tun-csum', '--tun-remcsum'];

/** tunnelFlagIndex is the kernel's tunnel flag value (csum = 1, remcsum = 2, nocsum = 0) that ipvsadm indexes its names with. */
export function tunnelFlagIndex(flags: readonly TunnelFlag[]): number {
  return flags.reduce((n, f) => n | (f === 'csum' ? 1 : f === 'remcsum' ? 2 : 0), 0);
}

// Value 3 (csum and remcsum) reads past ipvsadm's name tables; lvsd prints "?" there.
const flagName = (table: string[], flags: readonly TunnelFlag[]): string => table[tunnelFlagIndex(flags)] ?? '?';

/** tunnelInfo is the --tun-info column: "ipip", "gue:PORT:FLAG", "gre:FLAG" (FLAG -c, +c, r+c); undefined unless tunnelling. */
export function tunnelInfo(d: Destination): string | undefined {
  if (d.forward !== 'tunnel') return undefined;
  const t = d.tunnel ?? { type: 'ipip', port: 0, flags: [] };
  if (t.type === 'ipip') return 'ipip';
  if (t.type === 'gue') return `gue:${t.port}:${flagName(TUN_FLAG_SHORT, t.flags)}`;
  return `gre:${flagName(TUN_FLAG_SHORT, t.flags)}`;
}

/** tunnelRuleOptions is the save format's tail of a tunnel destination: "--tun-type ipip", "--tun-type gue --tun-port P --tun-X". */
export function tunnelRuleOptions(d: Destination): string {
  const t = d.tunnel ?? { type: 'ipip', port: 0, flags: [] };
  if (t.type === 'ipip') return '--tun-type ipip';
  if (t.type === 'gue') return `--tun-type gue --tun-port ${t.port} ${flagName(TUN_FLAG_OPTION, t.flags)}`;
  return `--tun-type gre ${flagName(TUN_FLAG_OPTION, t.flags)}`;
}

/** persistMask is the persistence netmask ipvsadm shows ("255.255.255.0" or "64"), or undefined for a full-length mask. */
export function persistMask(family: Family, prefix: number): string | undefined {
  if (family === 'inet6') return prefix === 128 ? undefined : String(prefix);
  return prefix === 32 ? undefined : prefixToNetmask(prefix);
}

/** versionText is "MAJOR.MINOR.PATCH" of the kernel's encoded IPVS version. */
export function versionText(info: Info): string {
  return `${(info.version >> 16) & 0xff}.${(info.version >> 8) & 0xff}.${info.version & 0xff}`;
}
