// Realserver layer (pure): which VIPs and interfaces a real server wants — from --vip, from the cluster's configuration, from the host.
import type { Model } from '../config/model.js';
import { canonicalAddress, parseAddress } from '../util/addr.js';
import { RealserverError } from './errors.js';
import type { HostAddress, HostLink, HostSnapshot, RealserverState, Vip } from './model.js';

/** vipKey identifies a VIP by family and canonical address. */
export function vipKey(v: { readonly family: string; readonly address: string }): string {
  return `${v.family} ${v.address}`;
}

/** parseVip reads a --vip value: an IPv4 or IPv6 address, optionally with /32 or /128; RS_BAD_ADDRESS otherwise. */
export function parseVip(text: string): Vip {
  const m = /^\[?([^\]/]+)\]?(?:\/(\d+))?$/.exec(text.trim());
  const parsed = m ? parseAddress(m[1]!) : undefined;
  if (!m || !parsed) {
    throw new RealserverError('RS_BAD_ADDRESS', `--vip '${text}' is not an IPv4 or IPv6 address (examples: 192.168.56.131, 2001:db8:56::131)`);
  }
  const full = parsed.family === 'inet' ? 32 : 128;
  if (m[2] !== undefined && Number(m[2]) !== full) {
    throw new RealserverError('RS_BAD_ADDRESS', `--vip '${text}': a VIP is a host address, /${full} (or no prefix at all); the network's prefix belongs on the interface that faces the LAN`);
  }
  if (isSpecial(parsed.family, parsed.bytes)) {
    throw new RealserverError('RS_BAD_ADDRESS', `--vip '${text}' is a loopback, unspecified, multicast or link-local address; a VIP must be a unicast address clients reach`);
  }
  return { family: parsed.family, address: canonicalAddress(parsed.family, m[1]!) };
}

function isSpecial(family: 'inet' | 'inet6', b: Buffer): boolean {
  if (family === 'inet') return b[0] === 127 || b[0] === 0 || (b[0]! & 0xf0) === 0xe0 || b.readUInt32BE(0) === 0xffffffff || (b[0] === 169 && b[1] === 254);
  const zero = b.subarray(0, 15).every((x) => x === 0);
  return (zero && (b[15] === 0 || b[15] === 1)) || b[0] === 0xff || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80);
}

/** uniqueVips keeps the first of each VIP, in order. */
export function uniqueVips(vips: readonly Vip[]): Vip[] {
  const seen = new Set<string>();
  const out: Vip[] = [];
  for (const v of vips) {
    if (seen.has(vipKey(v))) continue;
    seen.add(vipKey(v));
    out.push(v);
  }
  return out;
}

/** ModelVips are the VIPs a configuration gives this host, with notes on what it could not use. */
export interface ModelVips {
  readonly vips: readonly Vip[];
  readonly notes: readonly string[];
}

/**
 * vipsFromModel takes every address of each DR virtual server (the addresses of a group's ranges too) that has a
 * `real_server` among the host's own addresses (forwarded by direct routing). Fwmark services name no address:
 * they get a note.
 */
export function vipsFromModel(model: Model, hostAddresses: readonly { readonly family: 'inet' | 'inet6'; readonly address: string }[]): ModelVips {
  const mine = new Set(hostAddresses.map((a) => vipKey({ family: a.family, address: canonicalAddress(a.family, a.address) })));
  const vips: Vip[] = [];
  const notes: string[] = [];
  for (const vs of model.virtualServers) {
    const here = vs.realServers.filter((rs) => rs.forward === 'route' && mine.has(vipKey({ family: rs.family, address: canonicalAddress(rs.family, rs.address) })));
    if (here.length === 0) continue;
    for (const svc of vs.services) {
      if (svc.kind === 'addr') vips.push({ family: svc.family, address: canonicalAddress(svc.family, svc.address) });
      else notes.push(`virtual_server ${vs.name} is a firewall-mark service: its VIPs are not in the configuration, pass them with --vip`);
    }
  }
  return { vips: uniqueVips(vips), notes };
}

/** vrrpVipKeys are the keys of every VIP a vrrp_instance of the configuration moves (expected on a NIC of the master). */
export function vrrpVipKeys(model: Model | undefined): Set<string> {
  const out = new Set<string>();
  for (const inst of model?.vrrp.instances ?? []) {
    for (const v of inst.virtualIpAddresses) out.add(vipKey({ family: v.family, address: canonicalAddress(v.family, v.address) }));
  }
  return out;
}

/** loopbackLink returns the host's loopback interface; RS_NO_LOOPBACK when there is none. */
export function loopbackLink(host: HostSnapshot): HostLink {
  const lo = host.links.find((l) => l.loopback);
  if (!lo) throw new RealserverError('RS_NO_LOOPBACK', 'this host has no loopback interface (lo) to carry the VIPs');
  return lo;
}

/** nonLoopbackAddresses are the host's own addresses: every address on an interface other than the loopback. */
export function nonLoopbackAddresses(host: HostSnapshot): HostAddress[] {
  const lo = new Set(host.links.filter((l) => l.loopback).map((l) => l.index));
  return host.addresses.filter((a) => !lo.has(a.index));
}

/**
 * facingInterfaces checks the --interface names against the host (RS_NO_INTERFACE naming the ones it has) and
 * defaults to every interface that is up, but the loopback (an interface brought up later is still covered by the
 * settings on `all`, which the kernel combines with its own).
 */
export function facingInterfaces(host: HostSnapshot, names: readonly string[]): string[] {
  const others = host.links.filter((l) => !l.loopback).map((l) => l.name);
  if (names.length === 0) return host.links.filter((l) => !l.loopback && l.up).map((l) => l.name);
  for (const n of names) {
    const link = host.links.find((l) => l.name === n);
    if (!link) throw new RealserverError('RS_NO_INTERFACE', `--interface ${n}: no such interface on this host (it has: ${others.join(', ') || 'none but the loopback'})`);
    if (link.loopback) throw new RealserverError('RS_NO_INTERFACE', `--interface ${n} is the loopback; --interface names the interfaces that face the directors (${others.join(', ')})`);
  }
  return [...new Set(names)];
}

/**
 * loopbackVips are the VIPs `status` looks at when none are named: the addresses lvsd recorded, and every address on
 * the loopback outside 127.0.0.0/8 and ::1.
 */
export function loopbackVips(host: HostSnapshot, state: RealserverState): Vip[] {
  const lo = new Set(host.links.filter((l) => l.loopback).map((l) => l.index));
  const onLo = host.addresses
    .filter((a) => lo.has(a.index) && !(a.family === 'inet' && a.address.startsWith('127.')) && !(a.family === 'inet6' && a.address === '::1'))
    .map((a) => ({ family: a.family, address: a.address }));
  return uniqueVips([...state.addresses.map((a) => ({ family: a.family, address: a.address })), ...onLo]);
}
