// I/O edge: gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) through the native AF_PACKET addon (native/packet.c).
import { createRequire } from 'node:module';
import { parseAddress } from '../../util/addr.js';
import { findNativeBuild } from '../../util/native.js';
import { internetChecksum, IPPROTO_VRRP, pseudoHeaderSum } from '../checksum.js';

/** ETH_P_ARP and ETH_P_IPV6 are the Ethertypes of the frames sent. */
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
const BROADCAST = Buffer.alloc(6, 0xff);
/** ALL_NODES_MAC is 33:33:00:00:00:01, the Ethernet address of ff02::1. */
const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
const ALL_NODES = 'ff02::1';

/**
 * garpFrame is the ARP payload keepalived sends for a virtual address: an ARP request (RFC 5227 announcement style)
 * whose sender and target protocol addresses are both the address, from `mac`, target hardware address broadcast.
 */
export function garpFrame(mac: Uint8Array, address: string): Buffer {
  const ip = parseAddress(address);
  if (!ip || ip.family !== 'inet') throw new RangeError(`not an IPv4 address: ${address}`);
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(1, 6); // request
  Buffer.from(mac).copy(b, 8, 0, 6);
  ip.bytes.copy(b, 14);
  BROADCAST.copy(b, 18);
  ip.bytes.copy(b, 24);
  return b;
}

/**
 * naFrame is an unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6) for `address` to all nodes: IPv6 header
 * (hop limit 255, source the address itself), ICMPv6 type 136 with Override set and the target link-layer option.
 */
export function naFrame(mac: Uint8Array, address: string): Buffer {
  const ip = parseAddress(address);
  const dst = parseAddress(ALL_NODES)!;
  if (!ip || ip.family !== 'inet6') throw new RangeError(`not an IPv6 address: ${address}`);
  const icmpLen = 32;
  const b = Buffer.alloc(40 + icmpLen);
  b.writeUInt32BE(0x60000000, 0);
  b.writeUInt16BE(icmpLen, 4);
  b[6] = 58; // ICMPv6
  b[7] = 255;
  ip.bytes.copy(b, 8);
  dst.bytes.copy(b, 24);
  b[40] = 136;
  b[41] = 0;
  b.writeUInt32BE(0x20000000, 44); // Override
  ip.bytes.copy(b, 48);
  b[64] = 2; // target link-layer address option, length 1 (8 bytes)
  b[65] = 1;
  Buffer.from(mac).copy(b, 66, 0, 6);
  // the shared pseudo-header sum counts VRRP's next header (112); ICMPv6's is 58
  const initial = (pseudoHeaderSum('inet6', { source: address, destination: ALL_NODES }, icmpLen) ?? 0) - IPPROTO_VRRP + 58;
  b.writeUInt16BE(internetChecksum(b, 40, 40 + icmpLen, initial), 42);
  return b;
}

interface PacketAddon {
  open(): number;
  send(fd: number, ifindex: number, ethertype: number, mac: Buffer, payload: Buffer): number;
  close(fd: number): void;
}

/** loadNativeAddon loads lvsd's N-API addon (native/: AF_PACKET sends here, the IPv6 VRRP socket for raw6.ts); throws when it was not built. */
export function loadNativeAddon<T = PacketAddon>(): T {
  const file = findNativeBuild('lvsd_packet.node');
  if (file) return createRequire(import.meta.url)(file) as T;
  throw new Error('native/build/Release/lvsd_packet.node is missing: run `npm install` (it builds native/ with node-gyp)');
}

/** LinkSender sends gratuitous ARPs and unsolicited NAs on any interface through one AF_PACKET socket. */
export class LinkSender {
  private readonly addon: PacketAddon;
  private fd: number | undefined;

  constructor() {
    this.addon = loadNativeAddon();
    this.fd = this.addon.open();
  }

  /** announce sends one GARP (IPv4) or unsolicited NA (IPv6) for `address` from `mac` on interface `ifindex`; returns the error instead of throwing. */
  announce(ifindex: number, mac: Uint8Array, address: string): Error | undefined {
    if (this.fd === undefined) return new Error('link sender closed');
    try {
      const v6 = address.includes(':');
      if (v6) this.addon.send(this.fd, ifindex, ETH_P_IPV6, ALL_NODES_MAC, naFrame(mac, address));
      else this.addon.send(this.fd, ifindex, ETH_P_ARP, BROADCAST, garpFrame(mac, address));
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  /** close releases the socket. */
  close(): void {
    if (this.fd !== undefined) this.addon.close(this.fd);
    this.fd = undefined;
  }
}
