// Codec layer: the destination commands (NEW/SET/DEL_DEST, nine in ten messages of a table load) written straight
// into the datagram: the service nest's bytes are kept per service and the destination nest is written field by
// field, in destTable's order (Linux 6.1 uapi). No attribute objects are built: allocation is the largest cost of
// loading a big table in the lab guest. A test holds every byte equal to the table-driven encoder (codec.ts).
import { GENL_HDRLEN, NLM_F_ACK, NLM_F_REQUEST, NLMSG_HDRLEN } from '../netlink/message.js';
import { fwdNumber, serviceRefToWire, tunFlagBits, tunTypeNumber, wireAddress } from './convert.js';
import type { Destination, DestKey, IpvsOp, ServiceKey } from './types.js';
import { AF_INET, AF_INET6, Cmd, cmdTable, IPVS_GENL_VERSION } from './wire.js';

/** DestOp is an operation on one destination of a service. */
export type DestOp = Extract<IpvsOp, { op: 'add-dest' | 'edit-dest' | 'del-dest' }>;

const CMD: Record<DestOp['op'], number> = { 'add-dest': Cmd.NEW_DEST, 'edit-dest': Cmd.SET_DEST, 'del-dest': Cmd.DEL_DEST };

// the destination nest: header, then addrFamily u16, addr (16-byte union), port be16, fwdMethod u32, weight u32,
// tunType u8, tunPort be16, tunFlags u16, uThresh u32, lThresh u32 — each attribute padded to 4 bytes
const DEST_NEST_LENGTH = 4 + 8 + 20 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 8;

const services = new Map<string, Buffer>();
const byKey = new WeakMap<ServiceKey, Buffer>();
const serviceText = (k: ServiceKey): string => (k.kind === 'fwmark' ? `${k.family} fwm ${k.fwmark}` : `${k.family} ${k.protocol} ${k.address} ${k.port}`);

/** serviceNestBytes is the encoded `service` attribute that destination commands carry, kept per service (shared: do not modify). */
function serviceNestBytes(key: ServiceKey): Buffer {
  // operations parsed from one table share key objects: most lookups end here, without building the text
  const known = byKey.get(key);
  if (known) return known;
  const id = serviceText(key);
  let b = services.get(id);
  if (!b) {
    const attrs = { service: serviceRefToWire(key) };
    b = Buffer.alloc(cmdTable.length(attrs));
    cmdTable.encode(attrs, b, 0);
    if (services.size >= 1 << 16) services.clear();
    services.set(id, b);
  }
  byKey.set(key, b);
  return b;
}

/** isDestOp tells the destination commands apart from the rest. */
export function isDestOp(op: IpvsOp): op is DestOp {
  return op.op === 'add-dest' || op.op === 'edit-dest' || op.op === 'del-dest';
}

/** destOpLength is the encoded size of a destination command's message. */
export function destOpLength(op: DestOp): number {
  return NLMSG_HDRLEN + GENL_HDRLEN + serviceNestBytes(op.service).length + DEST_NEST_LENGTH;
}

function attr(buf: Buffer, o: number, id: number, payload: number): number {
  buf.writeUInt16LE(4 + payload, o);
  buf.writeUInt16LE(id, o + 2);
  return o + 4;
}

/** u16-sized payloads at p, zero padding to 4 bytes after them */
function pad2(buf: Buffer, p: number): number {
  buf.writeUInt16LE(0, p + 2);
  return p + 4;
}

function writeDestNest(d: Destination, buf: Buffer, o: number): number {
  const start = o;
  o += 4;
  let p = attr(buf, o, 11, 2);
  buf.writeUInt16LE(d.family === 'inet' ? AF_INET : AF_INET6, p);
  o = pad2(buf, p);
  p = attr(buf, o, 1, 16);
  wireAddress(d.family, d.address).copy(buf, p);
  o = p + 16;
  p = attr(buf, o, 2, 2);
  buf.writeUInt16BE(d.port, p);
  o = pad2(buf, p);
  p = attr(buf, o, 3, 4);
  buf.writeUInt32LE(fwdNumber(d.forward), p);
  o = p + 4;
  p = attr(buf, o, 4, 4);
  buf.writeUInt32LE(d.weight >>> 0, p);
  o = p + 4;
  p = attr(buf, o, 13, 1);
  buf.writeUInt32LE(d.tunnel ? tunTypeNumber(d.tunnel.type) : 0, p); // u8 and its three padding bytes
  o = p + 4;
  p = attr(buf, o, 14, 2);
  buf.writeUInt16BE(d.tunnel?.port ?? 0, p);
  o = pad2(buf, p);
  p = attr(buf, o, 15, 2);
  buf.writeUInt16LE(d.tunnel ? tunFlagBits(d.tunnel.flags) : 0, p);
  o = pad2(buf, p);
  p = attr(buf, o, 5, 4);
  buf.writeUInt32LE(d.upperThreshold >>> 0, p);
  o = p + 4;
  p = attr(buf, o, 6, 4);
  buf.writeUInt32LE(d.lowerThreshold >>> 0, p);
  o = p + 4;
  buf.writeUInt16LE(o - start, start);
  buf.writeUInt16LE(2 | 0x8000 /* NLA_F_NESTED */, start + 2);
  return o;
}

/** asDestination is what a delete carries: libipvs sends a whole entry with default values. */
const asDestination = (k: DestKey): Destination => ({ family: k.family, address: k.address, port: k.port, forward: 'route', weight: 1, upperThreshold: 0, lowerThreshold: 0 });

/** encodeDestOp writes a destination command at offset, as encodeRequest(opToRequest(op)) would; returns the next offset. */
export function encodeDestOp(op: DestOp, family: number, seq: number, ack: boolean, buf: Buffer, offset: number): number {
  const nest = serviceNestBytes(op.service);
  let o = offset + NLMSG_HDRLEN + GENL_HDRLEN;
  nest.copy(buf, o);
  o = writeDestNest(op.op === 'del-dest' ? asDestination(op.dest) : op.dest, buf, o + nest.length);
  buf.writeUInt32LE(o - offset, offset);
  buf.writeUInt16LE(family, offset + 4);
  buf.writeUInt16LE(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0), offset + 6);
  buf.writeUInt32LE(seq >>> 0, offset + 8);
  buf.writeUInt32LE(0, offset + 12);
  buf.writeUInt8(CMD[op.op], offset + 16);
  buf.writeUInt8(IPVS_GENL_VERSION, offset + 17);
  buf.writeUInt16LE(0, offset + 18);
  return o;
}
