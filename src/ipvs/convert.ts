// Codec layer: named converters between IPVS domain types and the family's wire attribute values.
import type { AttrValues, FlagsValue } from '../netlink/nla.js';
import type { Destination, DestKey, Family, ForwardMethod, Info, Protocol, SchedFlag, Service, ServiceKey, Stats, SyncDaemon, Timeouts, TunnelFlag, TunnelType } from './types.js';
import { AF_INET, AF_INET6, ConnFwd, DaemonState, IPPROTO, SvcFlag, TunFlag, TunType } from './wire.js';
import { addressFromBytes, addressToBytes, addressUnion16 } from '../util/addr.js';

const unions = new Map<string, Buffer>();

/**
 * wireAddress is an address as the 16-byte union IPVS carries. Results are cached and shared (tables of thousands
 * of entries repeat the same addresses; parsing each again was a measurable part of encoding): do not modify them.
 */
export function wireAddress(family: Family, address: string): Buffer {
  let b = unions.get(address);
  if (!b) {
    b = addressUnion16(family, address);
    if (unions.size >= 1 << 16) unions.clear();
    unions.set(address, b);
  }
  return b;
}

const familyNumber = (f: Family): number => (f === 'inet' ? AF_INET : AF_INET6);

/** familyFromNumber maps AF_INET/AF_INET6 to a Family. */
export function familyFromNumber(af: number): Family {
  if (af === AF_INET) return 'inet';
  if (af === AF_INET6) return 'inet6';
  throw new Error(`unknown address family ${af}`);
}

const protocolByNumber = new Map<number, Protocol>(Object.entries(IPPROTO).map(([k, v]) => [v, k as Protocol]));
const fwdByName: Record<ForwardMethod, number> = { masq: ConnFwd.MASQ, local: ConnFwd.LOCALNODE, tunnel: ConnFwd.TUNNEL, route: ConnFwd.DROUTE, bypass: ConnFwd.BYPASS };
const fwdByNumber = new Map<number, ForwardMethod>(Object.entries(fwdByName).map(([k, v]) => [v, k as ForwardMethod]));
const tunByName: Record<TunnelType, number> = { ipip: TunType.IPIP, gue: TunType.GUE, gre: TunType.GRE };
const tunByNumber = new Map<number, TunnelType>(Object.entries(tunByName).map(([k, v]) => [v, k as TunnelType]));
/** fwdNumber is IP_VS_CONN_F_* for a forwarding method. */
export const fwdNumber = (f: ForwardMethod): number => fwdByName[f];
/** tunTypeNumber is IP_VS_CONN_F_TUNNEL_TYPE_* for a tunnel type. */
export const tunTypeNumber = (t: TunnelType): number => tunByName[t];
const schedFlagBits: Record<SchedFlag, number> = { 1: SvcFlag.SCHED1, 2: SvcFlag.SCHED2, 3: SvcFlag.SCHED3 };

const netmasks = new Map<string, Buffer>();

/** netmaskToWire encodes a persistence netmask: IPv4 as a network-order mask, IPv6 as a u32 prefix length (shared: do not modify). */
export function netmaskToWire(family: Family, prefix: number): Buffer {
  const k = `${family}${prefix}`;
  let b = netmasks.get(k);
  if (b) return b;
  b = Buffer.alloc(4);
  netmasks.set(k, b);
  if (family === 'inet6') b.writeUInt32LE(prefix);
  else b.writeUInt32BE(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  return b;
}

/** netmaskFromWire decodes a persistence netmask into a prefix length. */
export function netmaskFromWire(family: Family, b: Buffer | undefined): number {
  if (!b || b.length < 4) return family === 'inet6' ? 128 : 32;
  if (family === 'inet6') return b.readUInt32LE(0);
  let v = b.readUInt32BE(0);
  let n = 0;
  while (v & 0x80000000) {
    n++;
    v = (v << 1) >>> 0;
  }
  return n;
}

/** serviceKeyToWire encodes the attributes that identify a service (GET_DEST dumps send only these). */
export function serviceKeyToWire(key: ServiceKey): AttrValues {
  if (key.kind === 'fwmark') return { af: familyNumber(key.family), fwmark: key.fwmark };
  return { af: familyNumber(key.family), protocol: IPPROTO[key.protocol], addr: wireAddress(key.family, key.address), port: key.port };
}

/** serviceToWire encodes a full service entry as libipvs does (flags with an all-ones mask). */
export function serviceToWire(svc: Service): AttrValues {
  let flags = 0;
  if (svc.persistence) flags |= SvcFlag.PERSISTENT;
  if (svc.onePacket) flags |= SvcFlag.ONEPACKET;
  for (const f of svc.schedFlags) flags |= schedFlagBits[f];
  const full = svc.key.family === 'inet6' ? 128 : 32;
  return {
    ...serviceKeyToWire(svc.key),
    schedName: svc.scheduler,
    peName: svc.pe || undefined,
    flags: { flags, mask: 0xffffffff },
    timeout: svc.persistence?.timeout ?? 0,
    netmask: netmaskToWire(svc.key.family, svc.persistence?.netmask ?? full),
  };
}

const refs = new Map<string, AttrValues>();
const serviceId = (k: ServiceKey): string => (k.kind === 'fwmark' ? `${k.family} fwm ${k.fwmark}` : `${k.family} ${k.protocol} ${k.address} ${k.port}`);

/**
 * serviceRefToWire encodes the service nest that destination, delete and zero commands carry (libipvs sends an
 * empty scheduler). The nest is shared between the commands about one service: do not modify it.
 */
export function serviceRefToWire(key: ServiceKey): AttrValues {
  const id = serviceId(key);
  let ref = refs.get(id);
  if (ref) return ref;
  if (refs.size >= 1 << 16) refs.clear();
  ref = {
    ...serviceKeyToWire(key),
    schedName: '',
    flags: { flags: 0, mask: 0xffffffff },
    timeout: 0,
    netmask: netmaskToWire(key.family, key.family === 'inet6' ? 128 : 32),
  };
  refs.set(id, ref);
  return ref;
}

/** statsFromWire reads a stats64 nest (preferred) or the 32-bit one. */
export function statsFromWire(a: AttrValues): Stats | undefined {
  const s = (a.stats64 ?? a.stats) as AttrValues | undefined;
  if (!s) return undefined;
  const g = (k: string): bigint => BigInt((s[k] as number | bigint | undefined) ?? 0);
  return { conns: g('conns'), inPkts: g('inpkts'), outPkts: g('outpkts'), inBytes: g('inbytes'), outBytes: g('outbytes'), cps: g('cps'), inPps: g('inpps'), outPps: g('outpps'), inBps: g('inbps'), outBps: g('outbps') };
}

/** serviceFromWire decodes a GET_SERVICE reply's service nest. */
export function serviceFromWire(a: AttrValues): Service {
  const family = familyFromNumber(a.af as number);
  let key: ServiceKey;
  if (a.fwmark !== undefined && a.fwmark !== 0) key = { kind: 'fwmark', family, fwmark: a.fwmark as number };
  else {
    const protocol = protocolByNumber.get(a.protocol as number);
    if (!protocol) throw new Error(`unknown IPVS protocol ${String(a.protocol)}`);
    key = { kind: 'addr', family, protocol, address: addressFromBytes(family, a.addr as Buffer), port: a.port as number };
  }
  const flags = ((a.flags as FlagsValue | undefined)?.flags ?? 0) >>> 0;
  const schedFlags = ([1, 2, 3] as SchedFlag[]).filter((f) => flags & schedFlagBits[f]);
  return {
    key,
    scheduler: (a.schedName as string | undefined) ?? '',
    persistence: flags & SvcFlag.PERSISTENT ? { timeout: (a.timeout as number) ?? 0, netmask: netmaskFromWire(family, a.netmask as Buffer | undefined) } : undefined,
    onePacket: (flags & SvcFlag.ONEPACKET) !== 0,
    schedFlags,
    pe: (a.peName as string | undefined) || undefined,
    stats: statsFromWire(a),
  };
}

/** tunFlagBits is IPVS_TUNNEL_FLAG_* for a tunnel's checksum option. */
export const tunFlagBits = (flags: readonly TunnelFlag[]): number => flags.reduce((n, f) => n | (f === 'csum' ? TunFlag.CSUM : f === 'remcsum' ? TunFlag.REMCSUM : TunFlag.NOCSUM), 0);

/** destToWire encodes a destination entry as libipvs does (tunnel attributes always present). */
export function destToWire(d: Destination): AttrValues {
  return {
    addrFamily: familyNumber(d.family),
    addr: wireAddress(d.family, d.address),
    port: d.port,
    fwdMethod: fwdByName[d.forward],
    weight: d.weight,
    tunType: d.tunnel ? tunByName[d.tunnel.type] : 0,
    tunPort: d.tunnel?.port ?? 0,
    tunFlags: d.tunnel ? tunFlagBits(d.tunnel.flags) : 0,
    uThresh: d.upperThreshold,
    lThresh: d.lowerThreshold,
  };
}

/** destKeyToWire encodes a destination to delete: libipvs sends a whole entry with default values. */
export function destKeyToWire(k: DestKey): AttrValues {
  return destToWire({ ...k, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
}

/** destFromWire decodes a GET_DEST reply's destination nest; the family defaults to the service's. */
export function destFromWire(a: AttrValues, serviceFamily: Family): Destination {
  const family = a.addrFamily !== undefined ? familyFromNumber(a.addrFamily as number) : serviceFamily;
  const fwd = fwdByNumber.get(((a.fwdMethod as number) ?? 0) & 7);
  if (!fwd) throw new Error(`unknown IPVS forwarding method ${String(a.fwdMethod)}`);
  const tunType = tunByNumber.get((a.tunType as number | undefined) ?? 0) ?? 'ipip';
  const tf = (a.tunFlags as number | undefined) ?? 0;
  const tunFlags: TunnelFlag[] = tf & TunFlag.CSUM ? ['csum'] : tf & TunFlag.REMCSUM ? ['remcsum'] : ['nocsum'];
  return {
    family,
    address: addressFromBytes(family, a.addr as Buffer),
    port: (a.port as number) ?? 0,
    forward: fwd,
    weight: (a.weight as number) ?? 0,
    upperThreshold: (a.uThresh as number) ?? 0,
    lowerThreshold: (a.lThresh as number) ?? 0,
    tunnel: fwd === 'tunnel' ? { type: tunType, port: (a.tunPort as number | undefined) ?? 0, flags: tunType === 'ipip' ? [] : tunFlags } : undefined,
    activeConns: a.activeConns as number | undefined,
    inactiveConns: a.inactConns as number | undefined,
    persistConns: a.persistConns as number | undefined,
    stats: statsFromWire(a),
  };
}

/** infoFromWire decodes a GET_INFO reply. */
export function infoFromWire(a: AttrValues): Info {
  return { version: (a.version as number) ?? 0, connTableSize: (a.connTabSize as number) ?? 0 };
}

/** timeoutsToWire encodes SET_CONFIG's timeouts. */
export function timeoutsToWire(t: Timeouts): AttrValues {
  return { timeoutTcp: t.tcp, timeoutTcpFin: t.tcpFin, timeoutUdp: t.udp };
}

/** timeoutsFromWire decodes a GET_CONFIG reply. */
export function timeoutsFromWire(a: AttrValues): Timeouts {
  return { tcp: (a.timeoutTcp as number) ?? 0, tcpFin: (a.timeoutTcpFin as number) ?? 0, udp: (a.timeoutUdp as number) ?? 0 };
}

/** daemonToWire encodes NEW_DAEMON's sync daemon; optional multicast settings only when given. */
export function daemonToWire(d: SyncDaemon): AttrValues {
  const v6 = d.mcastGroup?.includes(':');
  return {
    state: d.state === 'master' ? DaemonState.MASTER : DaemonState.BACKUP,
    mcastIfn: d.mcastInterface,
    syncId: d.syncId,
    syncMaxLen: d.syncMaxLen,
    mcastGroup: d.mcastGroup && !v6 ? addressToBytes('inet', d.mcastGroup) : undefined,
    mcastGroup6: d.mcastGroup && v6 ? addressToBytes('inet6', d.mcastGroup) : undefined,
    mcastPort: d.mcastPort,
    mcastTtl: d.mcastTtl,
  };
}

/** daemonStopToWire encodes DEL_DAEMON as libipvs does: the state, an empty interface and sync id 0. */
export function daemonStopToWire(state: 'master' | 'backup'): AttrValues {
  return { state: state === 'master' ? DaemonState.MASTER : DaemonState.BACKUP, mcastIfn: '', syncId: 0 };
}

/** daemonFromWire decodes a GET_DAEMON reply's daemon nest. */
export function daemonFromWire(a: AttrValues): SyncDaemon {
  const g4 = a.mcastGroup as Buffer | undefined;
  const g6 = a.mcastGroup6 as Buffer | undefined;
  const group = g6 && g6.some((x) => x !== 0) ? addressFromBytes('inet6', g6) : g4 ? addressFromBytes('inet', g4) : undefined;
  return {
    state: a.state === DaemonState.MASTER ? 'master' : 'backup',
    mcastInterface: (a.mcastIfn as string) ?? '',
    syncId: (a.syncId as number) ?? 0,
    syncMaxLen: a.syncMaxLen as number | undefined,
    mcastGroup: group,
    mcastPort: a.mcastPort as number | undefined,
    mcastTtl: a.mcastTtl as number | undefined,
  };
}
