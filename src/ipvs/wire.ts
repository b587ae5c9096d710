// Codec layer: the IPVS generic netlink family as attribute tables.
// Ids follow include/uapi/linux/ip_vs.h of Linux 6.1 (IPVS 1.2.1); the order of each table is the
// order ipvsadm 1.31 (libipvs) writes attributes in, so encoded requests match its bytes.
import { defineTable, type AttrTable } from '../netlink/nla.js';

/** IPVS_GENL_NAME is the generic netlink family name of IPVS. */
export const IPVS_GENL_NAME = 'IPVS';
/** IPVS_GENL_VERSION is the family version requests carry. */
export const IPVS_GENL_VERSION = 1;

/** Cmd lists the IPVS generic netlink commands. */
export const Cmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** SvcFlag lists IP_VS_SVC_F_* service flag bits. */
export const SvcFlag = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** ConnFwd lists IP_VS_CONN_F_* forwarding methods (IP_VS_CONN_F_FWD_MASK = 7). */
export const ConnFwd = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4 } as const;

/** TunType lists IP_VS_CONN_F_TUNNEL_TYPE_* values. */
export const TunType = { IPIP: 0, GUE: 1, GRE: 2 } as const;

/** TunFlag lists IP_VS_TUNNEL_ENCAP_FLAG_* bits. */
export const TunFlag = { NOCSUM: 0x0, CSUM: 0x1, REMCSUM: 0x2 } as const;

/** DaemonState lists IP_VS_STATE_* sync daemon roles. */
export const DaemonState = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

/** AF_INET and AF_INET6 as the kernel numbers them. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** IPPROTO numbers of the protocols IPVS balances. */
export const IPPROTO = { tcp: 6, udp: 17, sctp: 132 } as const;

/** statsTable is IPVS_STATS_ATTR_* with 32-bit counters (IPVS_SVC_ATTR_STATS, IPVS_DEST_ATTR_STATS). */
export const statsTable: AttrTable = defineTable('stats', [
  { name: 'conns', id: 1, kind: 'u32' },
  { name: 'inpkts', id: 2, kind: 'u32' },
  { name: 'outpkts', id: 3, kind: 'u32' },
  { name: 'inbytes', id: 4, kind: 'u64' },
  { name: 'outbytes', id: 5, kind: 'u64' },
  { name: 'cps', id: 6, kind: 'u32' },
  { name: 'inpps', id: 7, kind: 'u32' },
  { name: 'outpps', id: 8, kind: 'u32' },
  { name: 'inbps', id: 9, kind: 'u32' },
  { name: 'outbps', id: 10, kind: 'u32' },
]);

/** stats64Table is IPVS_STATS_ATTR_* with 64-bit counters (the *_STATS64 attributes). */
export const stats64Table: AttrTable = defineTable(
  'stats64',
  statsTable.specs.map((s) => ({ ...s, kind: 'u64' as const })),
);

/** serviceTable is IPVS_SVC_ATTR_*, in libipvs's write order. */
export const serviceTable: AttrTable = defineTable('service', [
  { name: 'af', id: 1, kind: 'u16' },
  { name: 'protocol', id: 2, kind: 'u16' },
  { name: 'addr', id: 3, kind: 'binary' },
  { name: 'port', id: 4, kind: 'be16' },
  { name: 'fwmark', id: 5, kind: 'u32' },
  { name: 'schedName', id: 6, kind: 'string' },
  { name: 'peName', id: 11, kind: 'string' },
  { name: 'flags', id: 7, kind: 'flags' },
  { name: 'timeout', id: 8, kind: 'u32' },
  // IPv4: the netmask in network byte order; IPv6: the prefix length as u32
  { name: 'netmask', id: 9, kind: 'binary' },
  { name: 'stats', id: 10, kind: 'nested', table: statsTable },
  { name: 'stats64', id: 12, kind: 'nested', table: stats64Table },
]);

/** destTable is IPVS_DEST_ATTR_*, in libipvs's write order. */
export const destTable: AttrTable = defineTable('dest', [
  { name: 'addrFamily', id: 11, kind: 'u16' },
  { name: 'addr', id: 1, kind: 'binary' },
  { name: 'port', id: 2, kind: 'be16' },
  { name: 'fwdMethod', id: 3, kind: 'u32' },
  { name: 'weight', id: 4, kind: 'u32' },
  { name: 'tunType', id: 13, kind: 'u8' },
  { name: 'tunPort', id: 14, kind: 'be16' },
  { name: 'tunFlags', id: 15, kind: 'u16' },
  { name: 'uThresh', id: 5, kind: 'u32' },
  { name: 'lThresh', id: 6, kind: 'u32' },
  { name: 'activeConns', id: 7, kind: 'u32' },
  { name: 'inactConns', id: 8, kind: 'u32' },
  { name: 'persistConns', id: 9, kind: 'u32' },
  { name: 'stats', id: 10, kind: 'nested', table: statsTable },
  { name: 'stats64', id: 12, kind: 'nested', table: stats64Table },
]);

/** daemonTable is IPVS_DAEMON_ATTR_*. */
export const daemonTable: AttrTable = defineTable('daemon', [
  { name: 'state', id: 1, kind: 'u32' },
  { name: 'mcastIfn', id: 2, kind: 'string' },
  { name: 'syncId', id: 3, kind: 'u32' },
  { name: 'syncMaxLen', id: 4, kind: 'u16' },
  { name: 'mcastGroup', id: 5, kind: 'binary' },
  { name: 'mcastGroup6', id: 6, kind: 'binary' },
  { name: 'mcastPort', id: 7, kind: 'u16' },
  { name: 'mcastTtl', id: 8, kind: 'u8' },
]);

/** infoTable is IPVS_INFO_ATTR_* (GET_INFO replies). */
export const infoTable: AttrTable = defineTable('info', [
  { name: 'version', id: 1, kind: 'u32' },
  { name: 'connTabSize', id: 2, kind: 'u32' },
]);

/** cmdTable is IPVS_CMD_ATTR_*, the first level of every IPVS message. */
export const cmdTable: AttrTable = defineTable('ipvs', [
  { name: 'service', id: 1, kind: 'nested', table: serviceTable },
  { name: 'dest', id: 2, kind: 'nested', table: destTable },
  { name: 'daemon', id: 3, kind: 'nested', table: daemonTable },
  { name: 'timeoutTcp', id: 4, kind: 'u32' },
  { name: 'timeoutTcpFin', id: 5, kind: 'u32' },
  { name: 'timeoutUdp', id: 6, kind: 'u32' },
]);

/** infoReplyTable decodes GET_INFO replies, whose attributes are IPVS_INFO_ATTR_* at the first level. */
export const infoReplyTable: AttrTable = infoTable;
