// Format layer: `lvsd list --json`, lvsd's own machine-readable form of the data `ipvsadm -L -n` shows.
//
// Shape (one object; which members appear follows the list mode, exactly as the text listing would choose it):
//
//   { "version": "1.2.1", "connTableSize": 4096,            // full listing and single-service listing
//     "services": [ {
//         "protocol": "tcp" | "udp" | "sctp" | null,           // null for firewall-mark services
//         "family": "inet" | "inet6",
//         "address": "10.0.0.1" | null, "port": 80 | null,      // null for firewall-mark services
//         "fwmark": 7 | null,                                   // unsigned, as configured (never negative)
//         "scheduler": "wlc",
//         "schedFlags": ["sh-fallback", "sh-port"],             // names as ipvsadm prints them for this scheduler
//         "persistent": { "timeout": 360, "netmask": 24 } | null, // netmask is a prefix length (IPv4 0..32, IPv6 0..128)
//         "onePacket": false, "pe": "sip" | null,
//         "stats": Stats | null,
//         "destinations": [ {
//             "family": "inet", "address": "10.0.0.2", "port": 80,
//             "forward": "route" | "masq" | "tunnel" | "local" | "bypass",
//             "weight": 1, "upperThreshold": 0, "lowerThreshold": 0,
//             "tunnel": { "type": "ipip" | "gue" | "gre", "port": 0, "flags": ["csum"] } | null,
//             "activeConns": 0, "inactiveConns": 0, "persistConns": 0,   // null when unknown
//             "stats": Stats | null } ] } ] }
//   { "timeouts": { "tcp": 900, "tcpFin": 120, "udp": 300 } }              // --timeout
//   { "daemons": [ { "state": "master", "mcastInterface": "eth0", "syncId": 0, "syncMaxLen": 1472 | null,
//                    "mcastGroup": "224.0.0.81" | null, "mcastPort": 8848 | null, "mcastTtl": 1 | null } ] }  // --daemon
//   { "connections": [ { "protocol": "TCP", "fromAddress", "fromPort", "toAddress", "toPort", "destAddress",
//                        "destPort", "state": "ESTABLISHED", "expires": 898, "pe": { "name", "data" } | null } ] }  // -c
//
// Stats = { "conns", "inPkts", "outPkts", "inBytes", "outBytes", "cps", "inPps", "outPps", "inBps", "outBps" }, each a
// DECIMAL STRING: the kernel's counters are unsigned 64-bit and exceed what a JSON number holds exactly (2^53).
// All addresses are printed as inet_ntop prints them. Services and destinations are in the text listing's order
// (ipvsadm's sort unless nosort). Output is 2-space indented JSON followed by a newline.
import { canonicalAddress } from '../../util/addr.js';
import type { Connection, Destination, Info, Service, Stats, SyncDaemon, Table } from '../types.js';
import { ListError, type ListOptions, checkListOptions, sameServiceKey } from './list.js';
import { hasSchedFlags, schedFlagsText, versionText } from './names.js';
import { sortDests, sortServices } from './sort.js';

/** JsonStats are a Stats with every counter as a decimal string. */
export type JsonStats = { readonly [K in keyof Stats]: string };

/** statsToJson converts bigint counters to decimal strings. */
export function statsToJson(s: Stats | undefined): JsonStats | null {
  if (!s) return null;
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) o[k] = (v as bigint).toString();
  return o as JsonStats;
}

/** destToJson is one destination in the JSON shape above. */
export function destToJson(d: Destination): Record<string, unknown> {
  return {
    family: d.family,
    address: canonicalAddress(d.family, d.address),
    port: d.port,
    forward: d.forward,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    tunnel: d.forward === 'tunnel' ? (d.tunnel ?? { type: 'ipip', port: 0, flags: [] }) : null,
    activeConns: d.activeConns ?? null,
    inactiveConns: d.inactiveConns ?? null,
    persistConns: d.persistConns ?? null,
    stats: statsToJson(d.stats),
  };
}

/** serviceToJson is one service and its destinations in the JSON shape above. */
export function serviceToJson(svc: Service, dests: readonly Destination[]): Record<string, unknown> {
  const k = svc.key;
  const flags = hasSchedFlags(svc) ? schedFlagsText(svc.scheduler, svc.schedFlags) : '';
  return {
    protocol: k.kind === 'addr' ? k.protocol : null,
    family: k.family,
    address: k.kind === 'addr' ? canonicalAddress(k.family, k.address) : null,
    port: k.kind === 'addr' ? k.port : null,
    fwmark: k.kind === 'fwmark' ? k.fwmark >>> 0 : null,
    scheduler: svc.scheduler,
    schedFlags: flags ? flags.split(',') : [],
    persistent: svc.persistence ? { timeout: svc.persistence.timeout, netmask: svc.persistence.netmask } : null,
    onePacket: svc.onePacket,
    pe: svc.pe ?? null,
    stats: statsToJson(svc.stats),
    destinations: dests.map(destToJson),
  };
}

const daemonToJson = (d: SyncDaemon) => ({
  state: d.state,
  mcastInterface: d.mcastInterface,
  syncId: d.syncId,
  syncMaxLen: d.syncMaxLen ?? null,
  mcastGroup: d.mcastGroup !== undefined ? canonicalAddress(d.mcastGroup.includes(':') ? 'inet6' : 'inet', d.mcastGroup) : null,
  mcastPort: d.mcastPort ?? null,
  mcastTtl: d.mcastTtl ?? null,
});

const connToJson = (c: Connection) => ({ ...c, pe: c.pe ?? null });

/** listToJson builds the JSON document (as a plain object) for the same request formatList renders as text; throws ListError likewise. */
export function listToJson(table: Table, info: Info, options: ListOptions = {}): Record<string, unknown> {
  const bad = checkListOptions(options);
  if (bad) throw bad;
  if (options.connection !== undefined) return { connections: options.connection.map(connToJson) };
  const entry = (e: Table['services'][number]) => serviceToJson(e.service, options.nosort ? e.dests : sortDests(e.dests));
  const head = { version: versionText(info), connTableSize: info.connTableSize };
  if (options.service !== undefined) {
    const key = options.service;
    const found = table.services.find((e) => sameServiceKey(e.service.key, key));
    if (!found) throw new ListError('no-such-service', 'No such service');
    return { ...head, services: [entry(found)] };
  }
  if (options.timeout !== undefined) return { timeouts: { tcp: options.timeout.tcp, tcpFin: options.timeout.tcpFin, udp: options.timeout.udp } };
  if (options.daemon !== undefined) return { daemons: options.daemon.map(daemonToJson) };
  return { ...head, services: (options.nosort ? table.services : sortServices(table.services)).map(entry) };
}

/** formatJson renders listToJson as 2-space indented JSON text ending in a newline. */
export function formatJson(table: Table, info: Info, options: ListOptions = {}): string {
  return JSON.stringify(listToJson(table, info, options), null, 2) + '\n';
}
