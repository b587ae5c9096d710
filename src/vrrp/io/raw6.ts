// I/O edge: VRRP over IPv6 raw sockets (IP protocol 112) through lvsd's N-API addon (native/raw6.c) — hop limit 255, source and interface chosen per packet, received messages with hop limit and destination from recvmmsg's ancillary data, polled by libuv.
import { addressFromBytes, parseAddress } from '../../util/addr.js';
import { fromIPv6Payload, VRRP_MCAST_GROUP6, VRRP_TTL, type InboundPacket } from '../ip.js';
import { loadNativeAddon } from './garp.js';
import type { VrrpSocketOptions } from './raw4.js';

/** Raw6Message is one message as the addon's recv6 returns it: the VRRP payload and what recvmmsg said about it. */
export interface Raw6Message {
  readonly data: Buffer;
  /** 16 bytes */
  readonly source: Buffer;
  /** 16 bytes; null when the kernel gave no IPV6_PKTINFO */
  readonly destination: Buffer | null;
  /** -1 when the kernel gave no IPV6_HOPLIMIT */
  readonly hopLimit: number;
  readonly ifindex: number;
  /** the message or its ancillary data did not fit */
  readonly truncated: boolean;
}

/** Raw6Addon is the part of native/raw6.c raw6.ts uses; tests pass a fake. Errors are thrown with `code` (errno name). */
export interface Raw6Addon {
  open6(ifindex: number): number;
  join6(fd: number, group: Buffer, ifindex: number): void;
  send6(fd: number, payload: Buffer, destination: Buffer, ifindex: number, source: Buffer | null, hopLimit: number): number;
  /** the queued messages, up to 32 per call (one recvmmsg); [] when none */
  recv6(fd: number): Raw6Message[];
  watch6(fd: number, onReadable: (error: string | null) => void): object;
  unwatch6(handle: object): void;
  close6(fd: number): void;
}

/** VrrpTransport is what the VRRP manager needs of a socket of either family (VrrpSocket4, VrrpSocket6). */
export interface VrrpTransport {
  join(group: string): void;
  send(message: Buffer, source: string, destination: string, ttl?: number): Promise<Error | undefined>;
  close(): void;
  /** read what is queued now, synchronously, before a timer acts on silence */
  drain(): void;
  readonly malformed: number;
}

/** Raw6Error is a bad address handed to the IPv6 socket (a programming or configuration error, code RAW6_BAD_ADDRESS). */
export class Raw6Error extends Error {
  override readonly name = 'Raw6Error';
  readonly code = 'RAW6_BAD_ADDRESS';
}

/** MAX_BURST is about the most messages one readable event drains before yielding to the event loop (a flood cannot stall timers). */
export const MAX_BURST = 256;

/**
 * inboundFromRaw6 frames one received message as the validator's InboundPacket; a message without the hop limit or
 * destination (which VRRP must check, RFC 5798 §7.1), with short addresses, or truncated is refused with the reason.
 */
export function inboundFromRaw6(m: Raw6Message): { ok: true; packet: InboundPacket } | { ok: false; detail: string } {
  if (m.truncated) return { ok: false, detail: 'message or ancillary data truncated' };
  if (m.source.length !== 16) return { ok: false, detail: `source address of ${m.source.length} bytes` };
  if (m.destination === null || m.destination.length !== 16) return { ok: false, detail: 'no destination address (IPV6_PKTINFO) with the message' };
  if (!Number.isInteger(m.hopLimit) || m.hopLimit < 0 || m.hopLimit > 255) return { ok: false, detail: 'no hop limit (IPV6_HOPLIMIT) with the message' };
  const packet = fromIPv6Payload(m.data, { source: addressFromBytes('inet6', m.source), destination: addressFromBytes('inet6', m.destination), hopLimit: m.hopLimit });
  return { ok: true, packet };
}

/** ipv6Bytes is the 16 bytes of an IPv6 address; throws Raw6Error for anything else. */
export function ipv6Bytes(text: string): Buffer {
  const p = parseAddress(text);
  if (!p || p.family !== 'inet6') throw new Raw6Error(`not an IPv6 address: '${text}'`);
  return p.bytes;
}

/**
 * VrrpSocket6 sends VRRP messages in IPv6 packets the kernel frames (hop limit 255 unless told, source address and
 * interface set per packet, checksum left as lvsd computed it) and hands every received message on as an InboundPacket.
 */
export class VrrpSocket6 implements VrrpTransport {
  private readonly addon: Raw6Addon;
  private readonly fd: number;
  private readonly watch: object;
  private closed = false;
  /** malformed counts messages refused before any VRRP check (see inboundFromRaw6) */
  malformed = 0;

  constructor(
    private readonly opts: VrrpSocketOptions,
    private readonly onPacket: (p: InboundPacket) => void,
    private readonly onError: (err: Error) => void,
    addon?: Raw6Addon,
  ) {
    this.addon = addon ?? loadNativeAddon<Raw6Addon>();
    this.fd = this.addon.open6(opts.ifindex ?? 0);
    try {
      for (const g of opts.groups ?? []) this.join(g);
      this.watch = this.addon.watch6(this.fd, (error) => this.readable(error));
    } catch (err) {
      this.addon.close6(this.fd);
      throw err;
    }
  }

  /** join adds membership of `group` (default ff02::12) on the socket's interface; being a member already is fine. */
  join(group: string = VRRP_MCAST_GROUP6): void {
    try {
      this.addon.join6(this.fd, ipv6Bytes(group), this.opts.ifindex ?? 0);
    } catch (err) {
      // EADDRINUSE: already a member (the same group for another instance)
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    }
  }

  /** send sends one VRRP message from `source` (the interface's link-local address, or unicast_src_ip) to `destination` with hop limit `ttl`; resolves with the error, never rejects. */
  send(message: Buffer, source: string, destination: string, ttl = VRRP_TTL): Promise<Error | undefined> {
    if (this.closed) return Promise.resolve(new Error('IPv6 VRRP socket closed'));
    try {
      this.addon.send6(this.fd, message, ipv6Bytes(destination), this.opts.ifindex ?? 0, ipv6Bytes(source), ttl);
      return Promise.resolve(undefined);
    } catch (err) {
      return Promise.resolve(err as Error);
    }
  }

  /** drain reads, synchronously, what the socket holds now (see VrrpSocket4.drain: a timer about to act on silence asks first). */
  drain(): void {
    this.readable(null);
  }

  /** readable drains queued messages, batch by batch, until none is left or MAX_BURST were taken; the poll fires again for the rest on the next loop turn. */
  private readable(error: string | null): void {
    if (this.closed) return;
    if (error !== null) {
      this.onError(Object.assign(new Error(`IPv6 VRRP socket poll: ${error}`), { code: error }));
      return;
    }
    for (let taken = 0; taken < MAX_BURST && !this.closed; ) {
      let batch: Raw6Message[];
      try {
        batch = this.addon.recv6(this.fd);
      } catch (err) {
        this.onError(err as Error);
        return;
      }
      if (batch.length === 0) return;
      taken += batch.length;
      for (const m of batch) {
        const framed = inboundFromRaw6(m);
        if (framed.ok) this.onPacket(framed.packet);
        else this.malformed++;
      }
    }
  }

  /** close stops polling and releases the socket (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.unwatch6(this.watch);
    this.addon.close6(this.fd);
  }
}
