// I/O edge: VRRP over IPv4 raw sockets (the `raw-socket` package) — receives whole datagrams on an IP protocol 112 socket with multicast membership, sends its own IP headers (TTL 255) on a separate send-only IPPROTO_RAW socket.
import { createRequire } from 'node:module';
import { encodeIPv4Header, fromIPv4Datagram, IPV4_HEADER_LENGTH, VRRP_MCAST_GROUP4, type InboundPacket } from '../ip.js';
import { IPPROTO_VRRP } from '../checksum.js';
import { parseIPv4 } from '../../util/addr.js';

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
/** IPPROTO_RAW: a send-only raw socket whose datagrams carry their own IP header (IP_HDRINCL implied) */
const IPPROTO_RAW = 255;

interface RawSocketLike {
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  on(ev: 'message', h: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', h: (err: Error) => void): void;
  close(): void;
  pauseRecv(): void;
  /** raw-socket's native handle: recv reads one datagram synchronously (the socket is non-blocking; EAGAIN throws) */
  readonly wrap?: { recv(buf: Buffer, cb: (buf: Buffer, bytes: number) => void): void };
}

/** MAX_DRAIN is the most datagrams one drain() reads (the poll reads the rest). */
const MAX_DRAIN = 64;

interface RawSocketModule {
  createSocket(o: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocketLike;
  AddressFamily: { IPv4: number; IPv6: number };
}

/** VrrpSocketOptions say where a socket listens: a device (with multicast membership there) and/or nothing for unicast only. */
export interface VrrpSocketOptions {
  /** bind to this device (SO_BINDTODEVICE); absent = every device (unicast instances without `interface`) */
  readonly device?: string | undefined;
  readonly ifindex?: number | undefined;
  /** multicast groups to join on the device */
  readonly groups?: readonly string[] | undefined;
}

/**
 * VrrpSocket4 sends VRRP messages in IPv4 datagrams it frames itself and hands every received datagram on as an
 * InboundPacket. Sending has its own socket: raw-socket reports a socket that is both readable and writable as
 * readable only, so on one socket a steady stream of received packets (a flood) would hold every advert back.
 */
export class VrrpSocket4 {
  private readonly sock: RawSocketLike;
  private readonly tx: RawSocketLike;
  private ipId = 0;
  private closed = false;
  private readonly onPacket: (p: InboundPacket) => void;
  private rx: Buffer | undefined;
  /** malformed counts datagrams whose IP framing is unusable (before any VRRP check) */
  malformed = 0;

  constructor(private readonly opts: VrrpSocketOptions, onPacket: (p: InboundPacket) => void, onError: (err: Error) => void) {
    this.onPacket = onPacket;
    const require = createRequire(import.meta.url);
    const raw = require('raw-socket') as RawSocketModule;
    this.sock = raw.createSocket({ protocol: IPPROTO_VRRP, addressFamily: raw.AddressFamily.IPv4, bufferSize: 2048 });
    try {
      this.tx = raw.createSocket({ protocol: IPPROTO_RAW, addressFamily: raw.AddressFamily.IPv4, bufferSize: 64 });
    } catch (err) {
      this.sock.close();
      throw err;
    }
    try {
      this.tx.pauseRecv();
      this.sock.setOption(SOL_SOCKET, SO_RCVBUF, 1 << 18);
      for (const s of [this.sock, this.tx]) {
        s.setOption(IPPROTO_IP, IP_HDRINCL, 1);
        s.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        s.setOption(IPPROTO_IP, IP_MULTICAST_TTL, 255);
      }
      if (opts.device !== undefined) {
        const name = Buffer.from(`${opts.device}\0`);
        for (const s of [this.sock, this.tx]) s.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length);
        for (const g of opts.groups ?? []) this.join(g);
      }
    } catch (err) {
      this.sock.close();
      this.tx.close();
      throw err;
    }
    this.sock.on('message', (buf) => this.handle(buf));
    for (const s of [this.sock, this.tx]) {
      s.on('error', (err) => {
        if (!this.closed) onError(err);
      });
    }
  }

  /**
   * drain reads, synchronously, what the socket holds now (at most MAX_DRAIN datagrams). A timer that is about to act
   * on silence asks first: libuv runs due timers before it polls, so after a stall an advert already queued here
   * would otherwise be read only after the timeout it should have prevented.
   */
  drain(): void {
    const wrap = this.sock.wrap;
    if (this.closed || !wrap) return;
    this.rx ??= Buffer.alloc(2048);
    for (let i = 0; i < MAX_DRAIN; i++) {
      try {
        wrap.recv(this.rx, (buf, bytes) => this.handle(Buffer.from(buf.subarray(0, bytes))));
      } catch {
        return; // EAGAIN: nothing left (another error is the poll's to report)
      }
    }
  }

  private handle(buf: Buffer): void {
    const framed = fromIPv4Datagram(buf, 0, buf.length);
    if (!framed.ok) {
      this.malformed++;
      return;
    }
    this.onPacket(framed.packet);
  }

  /** join adds multicast membership for `group` on the socket's device (struct ip_mreqn). */
  join(group: string): void {
    const mreq = Buffer.alloc(12);
    (parseIPv4(group) ?? parseIPv4(VRRP_MCAST_GROUP4)!).copy(mreq, 0);
    mreq.writeInt32LE(this.opts.ifindex ?? 0, 8);
    try {
      this.sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, mreq.length);
    } catch (err) {
      // EADDRINUSE: already a member (the same group for another instance)
      if (!/in use/i.test((err as Error).message)) throw err;
    }
  }

  /** send frames `message` in an IPv4 header (TTL 255 unless given, keepalived's TOS 0xc0) and sends it; resolves with the error, never rejects. */
  send(message: Buffer, source: string, destination: string, ttl = 255): Promise<Error | undefined> {
    const buf = Buffer.alloc(IPV4_HEADER_LENGTH + message.length);
    this.ipId = (this.ipId + 1) & 0xffff;
    encodeIPv4Header({ id: this.ipId, ttl, source, destination, payloadLength: message.length }, buf, 0);
    message.copy(buf, IPV4_HEADER_LENGTH);
    return new Promise((resolve) => {
      try {
        this.tx.send(buf, 0, buf.length, destination, (err) => resolve(err ?? undefined));
      } catch (err) {
        resolve(err as Error);
      }
    });
  }

  /** close releases the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    this.tx.close();
  }
}
