// Codec layer: rtnetlink addresses and links (struct ifaddrmsg / ifinfomsg and their attributes), after the Linux 6.1 uapi
// headers include/uapi/linux/{rtnetlink.h, if_addr.h, if_link.h, if.h}; attribute order follows iproute2 6.1 (`ip addr add`).
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN, type RawMessage } from './message.js';
import { decodeAttrs, defineTable, encodeAttrs, attrsLength, type AttrTable, type AttrValues } from './nla.js';

/** NETLINK_ROUTE is the netlink protocol of rtnetlink. */
export const NETLINK_ROUTE = 0;

/** RTM_NEWLINK is a link in a dump reply. */
export const RTM_NEWLINK = 16;
/** RTM_GETLINK asks for links. */
export const RTM_GETLINK = 18;
/** RTM_NEWADDR adds an address (and is each address of a dump reply). */
export const RTM_NEWADDR = 20;
/** RTM_DELADDR deletes an address. */
export const RTM_DELADDR = 21;
/** RTM_GETADDR asks for addresses. */
export const RTM_GETADDR = 22;

/** NLM_F_EXCL fails a new-object request when the object exists. */
export const NLM_F_EXCL = 0x200;
/** NLM_F_CREATE creates the object of a new-object request. */
export const NLM_F_CREATE = 0x400;

/** AF_UNSPEC asks for every family in a dump. */
export const AF_UNSPEC = 0;
/** AF_INET is the IPv4 address family. */
export const AF_INET = 2;
/** AF_INET6 is the IPv6 address family. */
export const AF_INET6 = 10;

/** IFA_F_NODAD skips duplicate address detection (if_addr.h). */
export const IFA_F_NODAD = 0x02;
/** IFA_F_DEPRECATED marks an address whose preferred lifetime is over: not chosen as a source. */
export const IFA_F_DEPRECATED = 0x20;
/** IFA_F_PERMANENT marks an address configured by hand (no lifetime managed by the kernel). */
export const IFA_F_PERMANENT = 0x80;
/** IFA_F_NOPREFIXROUTE adds no route for the address's prefix; above 0xff, it travels only in IFA_FLAGS. */
export const IFA_F_NOPREFIXROUTE = 0x200;

/** IFF_UP is the link flag of an interface that is administratively up (if.h). */
export const IFF_UP = 0x1;
/** IFF_LOOPBACK is the link flag of the loopback interface (if.h). */
export const IFF_LOOPBACK = 0x8;

/** RT_SCOPE_UNIVERSE is the scope of global addresses (rtnetlink.h). */
export const RT_SCOPE_UNIVERSE = 0;

/** INFINITY_LIFE_TIME is the lifetime "forever" of struct ifa_cacheinfo. */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** RTEXT_FILTER_VF is the IFLA_EXT_MASK bit iproute2 sets in its link dumps. */
export const RTEXT_FILTER_VF = 1;

/** IFADDRMSG_LEN is the size of struct ifaddrmsg. */
export const IFADDRMSG_LEN = 8;
/** IFINFOMSG_LEN is the size of struct ifinfomsg. */
export const IFINFOMSG_LEN = 16;

/** ifaTable is IFA_* in iproute2's wire order: local, label, flags, address, cacheinfo (the rest only decoded). */
export const ifaTable: AttrTable = defineTable('ifa', [
  { name: 'local', id: 2, kind: 'binary' },
  { name: 'label', id: 3, kind: 'string' },
  { name: 'flags', id: 8, kind: 'u32' },
  { name: 'address', id: 1, kind: 'binary' },
  { name: 'cacheinfo', id: 6, kind: 'binary' },
  { name: 'broadcast', id: 4, kind: 'binary' },
  { name: 'rtPriority', id: 9, kind: 'u32' },
  { name: 'proto', id: 11, kind: 'u8' },
]);

/** iflaTable is the subset of IFLA_* lvsd reads, plus IFLA_EXT_MASK for dump requests. */
export const iflaTable: AttrTable = defineTable('ifla', [
  { name: 'extMask', id: 29, kind: 'u32' },
  { name: 'address', id: 1, kind: 'binary' },
  { name: 'ifname', id: 3, kind: 'string' },
  { name: 'mtu', id: 4, kind: 'u32' },
  { name: 'master', id: 10, kind: 'u32' },
  { name: 'operstate', id: 16, kind: 'u8' },
]);

/** RtFamily is an address family by name. */
export type RtFamily = 'inet' | 'inet6';

const familyNumber = (f: RtFamily): number => (f === 'inet' ? AF_INET : AF_INET6);

/** RtAddressSpec is an address to add or delete: bytes are 4 (IPv4) or 16 (IPv6). */
export interface RtAddressSpec {
  readonly family: RtFamily;
  readonly index: number;
  readonly bytes: Buffer;
  readonly prefix: number;
  /** IPv4 only: the address label, e.g. "lo:1" (at most 15 bytes) */
  readonly label?: string | undefined;
  /** IFA_F_* flags; values above 0xff are sent in IFA_FLAGS, as iproute2 does */
  readonly flags?: number | undefined;
  /** preferred lifetime in seconds (0 = deprecated); sends IFA_CACHEINFO with the valid lifetime */
  readonly preferredLft?: number | undefined;
  readonly validLft?: number | undefined;
  readonly scope?: number | undefined;
}

/** encodeRtMessage writes one rtnetlink message: struct nlmsghdr, a fixed family header, then attributes. */
export function encodeRtMessage(type: number, flags: number, seq: number, header: Buffer, table: AttrTable, attrs: AttrValues, pid = 0): Buffer {
  const hdrLen = (header.length + 3) & ~3;
  const len = NLMSG_HDRLEN + hdrLen + attrsLength(table, attrs);
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(pid >>> 0, 12);
  header.copy(buf, NLMSG_HDRLEN);
  encodeAttrs(table, attrs, buf, NLMSG_HDRLEN + hdrLen);
  return buf;
}

/** ifaddrmsg builds struct ifaddrmsg. */
export function ifaddrmsg(family: number, prefix: number, flags: number, scope: number, index: number): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefix, 1);
  b.writeUInt8(flags & 0xff, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index >>> 0, 4);
  return b;
}

function addressAttrs(a: RtAddressSpec, withExtras: boolean): AttrValues {
  const flags = a.flags ?? 0;
  const lifetimes = withExtras && (a.preferredLft !== undefined || a.validLft !== undefined);
  let cacheinfo: Buffer | undefined;
  if (lifetimes) {
    cacheinfo = Buffer.alloc(16);
    cacheinfo.writeUInt32LE((a.preferredLft ?? INFINITY_LIFE_TIME) >>> 0, 0);
    cacheinfo.writeUInt32LE((a.validLft ?? INFINITY_LIFE_TIME) >>> 0, 4);
  }
  return {
    local: a.bytes,
    label: withExtras && a.family === 'inet' ? a.label : undefined,
    flags: withExtras && flags > 0xff ? flags : undefined,
    address: a.bytes,
    cacheinfo,
  };
}

/** encodeNewAddr builds RTM_NEWADDR with CREATE|EXCL|ACK, byte for byte what `ip addr add` sends for the same address. */
export function encodeNewAddr(a: RtAddressSpec, seq: number): Buffer {
  const flags = a.flags ?? 0;
  const hdr = ifaddrmsg(familyNumber(a.family), a.prefix, flags <= 0xff ? flags : 0, a.scope ?? RT_SCOPE_UNIVERSE, a.index);
  return encodeRtMessage(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE, seq, hdr, ifaTable, addressAttrs(a, true));
}

/** encodeDelAddr builds RTM_DELADDR with ACK, as `ip addr del ADDR/PREFIX dev DEV` sends it. */
export function encodeDelAddr(a: RtAddressSpec, seq: number): Buffer {
  const hdr = ifaddrmsg(familyNumber(a.family), a.prefix, 0, a.scope ?? RT_SCOPE_UNIVERSE, a.index);
  return encodeRtMessage(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq, hdr, ifaTable, addressAttrs(a, false));
}

/** encodeGetAddrDump builds the RTM_GETADDR dump request of `ip addr show` (every family). */
export function encodeGetAddrDump(seq: number, family = AF_UNSPEC): Buffer {
  return encodeRtMessage(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, ifaddrmsg(family, 0, 0, 0, 0), ifaTable, {});
}

/** encodeGetLinkDump builds the RTM_GETLINK dump request of `ip addr show` (AF_UNSPEC, IFLA_EXT_MASK = RTEXT_FILTER_VF). */
export function encodeGetLinkDump(seq: number): Buffer {
  return encodeRtMessage(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, Buffer.alloc(IFINFOMSG_LEN), iflaTable, { extMask: RTEXT_FILTER_VF });
}

/** RtAddress is one address of an RTM_NEWADDR message. */
export interface RtAddress {
  readonly family: number;
  readonly prefix: number;
  /** IFA_FLAGS when present (it extends the header byte), else the header byte */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
  /** the local address: IFA_LOCAL, else IFA_ADDRESS (IPv6 sends only IFA_ADDRESS) */
  readonly bytes: Buffer;
  readonly label?: string | undefined;
  /** preferred and valid lifetimes in seconds (0xffffffff = forever), when the kernel sent IFA_CACHEINFO */
  readonly preferredLft?: number | undefined;
  readonly validLft?: number | undefined;
}

/** RtDecodeError reports a reply too short for its fixed header. */
export class RtDecodeError extends Error {
  readonly code = 'RTNL_MALFORMED';
  constructor(what: string, offset: number) {
    super(`malformed rtnetlink ${what} at offset ${offset}`);
    this.name = 'RtDecodeError';
  }
}

/** decodeAddress reads an RTM_NEWADDR message located in buf (any offset). */
export function decodeAddress(buf: Buffer, msg: RawMessage): RtAddress {
  const p = msg.payload;
  if (msg.end - p < IFADDRMSG_LEN) throw new RtDecodeError('ifaddrmsg', p);
  const a = decodeAttrs(ifaTable, buf, p + IFADDRMSG_LEN, msg.end);
  const ci = a.cacheinfo as Buffer | undefined;
  return {
    family: buf.readUInt8(p),
    prefix: buf.readUInt8(p + 1),
    flags: (a.flags as number | undefined) ?? buf.readUInt8(p + 2),
    scope: buf.readUInt8(p + 3),
    index: buf.readUInt32LE(p + 4),
    bytes: (a.local as Buffer | undefined) ?? (a.address as Buffer | undefined) ?? Buffer.alloc(0),
    label: a.label as string | undefined,
    preferredLft: ci && ci.length >= 8 ? ci.readUInt32LE(0) : undefined,
    validLft: ci && ci.length >= 8 ? ci.readUInt32LE(4) : undefined,
  };
}

/** RtLink is one link of an RTM_NEWLINK message. */
export interface RtLink {
  readonly index: number;
  readonly name: string;
  /** IFF_* flags */
  readonly flags: number;
  /** ARPHRD_* type */
  readonly type: number;
  readonly mac?: Buffer | undefined;
}

/** decodeLink reads an RTM_NEWLINK message located in buf (any offset). */
export function decodeLink(buf: Buffer, msg: RawMessage): RtLink {
  const p = msg.payload;
  if (msg.end - p < IFINFOMSG_LEN) throw new RtDecodeError('ifinfomsg', p);
  const a = decodeAttrs(iflaTable, buf, p + IFINFOMSG_LEN, msg.end);
  return {
    type: buf.readUInt16LE(p + 2),
    index: buf.readInt32LE(p + 4),
    flags: buf.readUInt32LE(p + 8),
    name: (a.ifname as string | undefined) ?? '',
    mac: a.address as Buffer | undefined,
  };
}
