// Codec layer: netlink message framing (struct nlmsghdr, struct genlmsghdr, struct nlmsgerr).
import { attrsLength, encodeAttrs, type AttrTable, type AttrValues } from './nla.js';

/** NLMSG_HDRLEN is the size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;
/** GENL_HDRLEN is the size of struct genlmsghdr. */
export const GENL_HDRLEN = 4;

/** NLMSG_ERROR is the message type of errors and acknowledgements. */
export const NLMSG_ERROR = 2;
/** NLMSG_DONE ends a multipart (dump) reply. */
export const NLMSG_DONE = 3;

/** NLM_F_REQUEST marks a request to the kernel. */
export const NLM_F_REQUEST = 0x1;
/** NLM_F_MULTI marks one part of a multipart reply. */
export const NLM_F_MULTI = 0x2;
/** NLM_F_ACK asks for an acknowledgement even on success. */
export const NLM_F_ACK = 0x4;
/** NLM_F_DUMP (ROOT|MATCH) asks for every object of a kind. */
export const NLM_F_DUMP = 0x300;
/** NLM_F_CAPPED in an error says the original message was not echoed back. */
export const NLM_F_CAPPED = 0x100;

/** GenlRequest is what one generic netlink request carries besides its attributes. */
export interface GenlRequest {
  readonly family: number;
  readonly cmd: number;
  readonly version: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid?: number;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** genlLength is the encoded size of a generic netlink message with these attributes. */
export function genlLength(table: AttrTable, attrs: AttrValues): number {
  return NLMSG_HDRLEN + GENL_HDRLEN + attrsLength(table, attrs);
}

/** encodeGenl writes a generic netlink message at offset and returns the offset after it. */
export function encodeGenl(req: GenlRequest, table: AttrTable, attrs: AttrValues, buf: Buffer, offset: number): number {
  const end = encodeAttrs(table, attrs, buf, offset + NLMSG_HDRLEN + GENL_HDRLEN);
  buf.writeUInt32LE(end - offset, offset);
  buf.writeUInt16LE(req.family, offset + 4);
  buf.writeUInt16LE(req.flags, offset + 6);
  buf.writeUInt32LE(req.seq >>> 0, offset + 8);
  buf.writeUInt32LE((req.pid ?? 0) >>> 0, offset + 12);
  buf.writeUInt8(req.cmd, offset + 16);
  buf.writeUInt8(req.version, offset + 17);
  buf.writeUInt16LE(0, offset + 18);
  return end;
}

/** encodeGenlMessage returns one generic netlink message as its own buffer. */
export function encodeGenlMessage(req: GenlRequest, table: AttrTable, attrs: AttrValues): Buffer {
  const buf = Buffer.alloc(align4(genlLength(table, attrs)));
  encodeGenl(req, table, attrs, buf, 0);
  return buf;
}

/** RawMessage is one netlink message located inside a received datagram. */
export interface RawMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** offset of the payload (after struct nlmsghdr) in buf */
  readonly payload: number;
  /** offset just past the message in buf */
  readonly end: number;
}

/** MessageFramingError reports a datagram whose message headers do not add up. */
export class MessageFramingError extends Error {
  readonly code = 'NLMSG_MALFORMED';
  constructor(offset: number, what: string) {
    super(`malformed netlink message at offset ${offset}: ${what}`);
    this.name = 'MessageFramingError';
  }
}

/** splitMessages locates every netlink message of a datagram starting at offset. */
export function splitMessages(buf: Buffer, offset = 0, end = buf.length): RawMessage[] {
  const out: RawMessage[] = [];
  while (offset + NLMSG_HDRLEN <= end) {
    const len = buf.readUInt32LE(offset);
    if (len < NLMSG_HDRLEN || offset + len > end) throw new MessageFramingError(offset, `length ${len}`);
    out.push({
      type: buf.readUInt16LE(offset + 4),
      flags: buf.readUInt16LE(offset + 6),
      seq: buf.readUInt32LE(offset + 8),
      pid: buf.readUInt32LE(offset + 12),
      payload: offset + NLMSG_HDRLEN,
      end: offset + len,
    });
    offset += align4(len);
  }
  return out;
}

/** ErrorPayload is a decoded struct nlmsgerr: errno 0 is an acknowledgement. */
export interface ErrorPayload {
  /** positive errno, 0 for an ack */
  readonly errno: number;
  /** sequence number of the message this answers */
  readonly origSeq: number;
  /** command of the original generic netlink message, when the kernel echoed it */
  readonly origCmd?: number | undefined;
}

/** decodeError reads the struct nlmsgerr of an NLMSG_ERROR message. */
export function decodeError(buf: Buffer, msg: RawMessage): ErrorPayload {
  if (msg.end - msg.payload < 4 + NLMSG_HDRLEN) throw new MessageFramingError(msg.payload, 'truncated nlmsgerr');
  const error = buf.readInt32LE(msg.payload);
  const orig = msg.payload + 4;
  const origSeq = buf.readUInt32LE(orig + 8);
  const origLen = buf.readUInt32LE(orig);
  const echoed = (msg.flags & NLM_F_CAPPED) === 0 && origLen >= NLMSG_HDRLEN + GENL_HDRLEN && msg.end - orig >= NLMSG_HDRLEN + 1;
  return { errno: -error, origSeq, origCmd: echoed && error !== 0 ? buf.readUInt8(orig + NLMSG_HDRLEN) : undefined };
}

/** genlCmd returns the command byte of a received generic netlink message. */
export function genlCmd(buf: Buffer, msg: RawMessage): number {
  return buf.readUInt8(msg.payload);
}

/** genlAttrsStart is the offset of a received generic netlink message's attributes. */
export function genlAttrsStart(msg: RawMessage): number {
  return msg.payload + GENL_HDRLEN;
}
