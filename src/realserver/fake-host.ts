// Realserver layer (fake): an in-memory rtnetlink kernel behind the Transport interface, and a /proc to go with it, for tests.
import { NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, splitMessages } from '../netlink/message.js';
import { decodeAttrs } from '../netlink/nla.js';
import {
  AF_INET,
  encodeRtMessage,
  IFA_F_DEPRECATED,
  IFA_F_PERMANENT,
  IFADDRMSG_LEN,
  ifaddrmsg,
  ifaTable,
  IFF_LOOPBACK,
  IFF_UP,
  IFINFOMSG_LEN,
  iflaTable,
  INFINITY_LIFE_TIME,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
} from '../netlink/rtnl.js';
import type { Transport } from '../netlink/transport.js';
import { memoryProc } from './sysctl.js';

/** FakeLink is a link of the fake kernel. */
export interface FakeLink {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
}

/** FakeAddress is an address of the fake kernel, as the kernel keeps it. */
export interface FakeAddress {
  family: number;
  prefix: number;
  flags: number;
  scope: number;
  index: number;
  bytes: Buffer;
  label?: string | undefined;
  preferredLft: number;
}

/** FakeRouteKernel answers RTM_GETLINK/GETADDR dumps and RTM_NEWADDR/DELADDR as Linux does, from memory. */
export class FakeRouteKernel implements Transport {
  readonly links: FakeLink[] = [];
  readonly addresses: FakeAddress[] = [];
  /** every request received, for assertions */
  readonly requests: Buffer[] = [];
  /** when set, every write fails with this errno (1 = EPERM, as for a user who is not root) */
  denyWrites: number | undefined;
  private handler: ((buf: Buffer) => void) | undefined;

  /** addLink adds an interface (up; the loopback when loopback is true). */
  addLink(index: number, name: string, loopback = false): this {
    this.links.push({ index, name, flags: IFF_UP | (loopback ? IFF_LOOPBACK : 0) });
    return this;
  }

  /** addAddress adds an address as `ip addr add` would. */
  addAddress(a: Omit<FakeAddress, 'flags' | 'scope' | 'preferredLft'> & Partial<FakeAddress>): this {
    this.addresses.push({ flags: IFA_F_PERMANENT, scope: 0, preferredLft: INFINITY_LIFE_TIME, ...a });
    return this;
  }

  async send(datagram: Buffer): Promise<void> {
    this.requests.push(Buffer.from(datagram));
    const out: Buffer[] = [];
    for (const msg of splitMessages(datagram)) out.push(...this.handle(datagram, msg.type, msg.flags, msg.seq, msg.payload, msg.end));
    const reply = Buffer.concat(out);
    queueMicrotask(() => this.handler?.(reply));
  }

  onDatagram(handler: (buf: Buffer) => void): void {
    this.handler = handler;
  }

  onError(): void {}

  close(): void {}

  private handle(buf: Buffer, type: number, _flags: number, seq: number, p: number, end: number): Buffer[] {
    const done = (): Buffer => this.control(NLMSG_DONE, seq, 0);
    if (type === RTM_GETLINK) {
      return [...this.links.map((l) => this.linkMessage(l, seq)), done()];
    }
    if (type === RTM_GETADDR) {
      return [...this.addresses.map((a) => this.addressMessage(a, seq)), done()];
    }
    if (type !== RTM_NEWADDR && type !== RTM_DELADDR) return [this.control(NLMSG_ERROR, seq, 95 /* EOPNOTSUPP */)];
    if (this.denyWrites !== undefined) return [this.control(NLMSG_ERROR, seq, this.denyWrites)];
    const family = buf.readUInt8(p);
    const prefix = buf.readUInt8(p + 1);
    const index = buf.readUInt32LE(p + 4);
    const attrs = decodeAttrs(ifaTable, buf, p + IFADDRMSG_LEN, end);
    const bytes = (attrs.local ?? attrs.address) as Buffer;
    if (!this.links.some((l) => l.index === index)) return [this.control(NLMSG_ERROR, seq, 19 /* ENODEV */)];
    const at = this.addresses.findIndex((a) => a.family === family && a.index === index && a.bytes.equals(bytes));
    if (type === RTM_DELADDR) {
      if (at < 0) return [this.control(NLMSG_ERROR, seq, 99 /* EADDRNOTAVAIL */)];
      this.addresses.splice(at, 1);
      return [this.control(NLMSG_ERROR, seq, 0)];
    }
    if (at >= 0) return [this.control(NLMSG_ERROR, seq, 17 /* EEXIST */)];
    const ci = attrs.cacheinfo as Buffer | undefined;
    const preferredLft = ci ? ci.readUInt32LE(0) : INFINITY_LIFE_TIME;
    let flags = ((attrs.flags as number | undefined) ?? buf.readUInt8(p + 2)) | IFA_F_PERMANENT;
    if (preferredLft === 0) flags |= IFA_F_DEPRECATED;
    const link = this.links.find((l) => l.index === index)!;
    this.addresses.push({ family, prefix, flags, scope: 0, index, bytes: Buffer.from(bytes), label: family === AF_INET ? ((attrs.label as string | undefined) ?? link.name) : undefined, preferredLft });
    return [this.control(NLMSG_ERROR, seq, 0)];
  }

  private control(type: number, seq: number, errno: number): Buffer {
    const b = Buffer.alloc(NLMSG_HDRLEN + 4 + NLMSG_HDRLEN);
    b.writeUInt32LE(b.length, 0);
    b.writeUInt16LE(type, 4);
    b.writeUInt16LE(type === NLMSG_DONE ? NLM_F_MULTI : 0x100 /* NLM_F_CAPPED */, 6);
    b.writeUInt32LE(seq, 8);
    b.writeInt32LE(-errno, NLMSG_HDRLEN);
    b.writeUInt32LE(seq, NLMSG_HDRLEN + 4 + 8);
    return b;
  }

  private linkMessage(l: FakeLink, seq: number): Buffer {
    const hdr = Buffer.alloc(IFINFOMSG_LEN);
    hdr.writeUInt16LE(l.flags & IFF_LOOPBACK ? 772 : 1, 2);
    hdr.writeInt32LE(l.index, 4);
    hdr.writeUInt32LE(l.flags, 8);
    return encodeRtMessage(RTM_NEWLINK, NLM_F_MULTI, seq, hdr, iflaTable, { ifname: l.name, mtu: 1500 });
  }

  private addressMessage(a: FakeAddress, seq: number): Buffer {
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(a.preferredLft, 0);
    ci.writeUInt32LE(INFINITY_LIFE_TIME, 4);
    const v4 = a.family === AF_INET;
    const attrs = { address: a.bytes, local: v4 ? a.bytes : undefined, label: a.label, flags: a.flags, cacheinfo: ci };
    return encodeRtMessage(RTM_NEWADDR, NLM_F_MULTI, seq, ifaddrmsg(a.family, a.prefix, a.flags & 0xff, a.scope, a.index), ifaTable, attrs);
  }
}

/** fakeProc is a /proc with the IPv4 conf files of `all`, `default` and the given interfaces (kernel defaults: 0, rp_filter as given). */
export function fakeProc(interfaces: readonly string[], values: Record<string, string> = {}, routes = ''): ReturnType<typeof memoryProc> {
  const files: Record<string, string> = {};
  for (const iface of ['all', 'default', ...interfaces]) {
    for (const key of ['arp_ignore', 'arp_announce', 'proxy_arp', 'rp_filter']) files[`sys/net/ipv4/conf/${iface}/${key}`] = '0\n';
  }
  for (const [k, v] of Object.entries(values)) files[`sys/${k}`] = `${v}\n`;
  files['net/route'] = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n${routes}`;
  return memoryProc(files);
}
