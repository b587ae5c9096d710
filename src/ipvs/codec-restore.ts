// Codec layer: `ipvsadm -R` input compiled straight from its bytes into netlink messages, for input made only of the
// two line shapes `ipvsadm -S -n` writes (see format/restore-fast.ts), written with single spaces:
//   -A -t|-u A.B.C.D:PORT -s SCHED [-p TIMEOUT]        and        -a -t|-u A.B.C.D:PORT -r A.B.C.D:PORT -g|-m|-i -w WEIGHT
// plus blank lines and "#" comments. No line makes a string or an object, and no message is kept: a first pass checks
// every line and notes where each starts, then each message is written straight into the datagram as it is sent. In
// the lab guest allocation, garbage collection and fresh memory pages were most of a 22,000-line restore. Any other
// line (or value outside the fast path's narrow forms) makes the first pass give up, before anything is sent, so that
// the full parser (restore-parse.ts) reads the input and reports every problem: the result is the same as that
// parser's. A test holds every byte equal to the full parser's operations encoded by codec.ts and codec-dest.ts.
import { GENL_HDRLEN, NLM_F_ACK, NLM_F_REQUEST, NLMSG_HDRLEN } from '../netlink/message.js';
import type { BatchSource } from '../netlink/session.js';
import { fwdNumber, tunTypeNumber } from './convert.js';
import { AF_INET, Cmd, IPPROTO, IPVS_GENL_VERSION, SvcFlag } from './wire.js';

/** CompiledRestore is checked input: where each message's line starts and how long the message is. */
export interface CompiledRestore {
  readonly input: Buffer;
  /** the byte offset in input of message i's line */
  readonly starts: Int32Array;
  /** message i's length in bytes (at most 200) */
  readonly lengths: Uint8Array;
  readonly count: number;
}

const SP = 32;
const NL = 10;
const MAX_TIMEOUT = 86_400 * 31;
const MAX_WEIGHT = 65_535;
const DEST_NEST_LENGTH = 4 + 8 + 20 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 8;
const HDR = NLMSG_HDRLEN + GENL_HDRLEN;
/** the service nest without its scheduler name attribute's payload */
const SERVICE_NEST_FIXED = 4 + 8 + 8 + 20 + 8 + 4 + 12 + 8 + 8;
/** a destination message: headers, the service nest with an empty scheduler, the destination nest */
const DEST_MESSAGE = HDR + SERVICE_NEST_FIXED + 4 + DEST_NEST_LENGTH;
// plain constants: a property read in a branch the input has not taken yet deoptimized the compiled loop
const FWD_G = fwdNumber('route');
const FWD_M = fwdNumber('masq');
const FWD_I = fwdNumber('tunnel');
const TCP = IPPROTO.tcp;
const UDP = IPPROTO.udp;
const PERSISTENT = SvcFlag.PERSISTENT;
const NEW_SERVICE = Cmd.NEW_SERVICE;
const NEW_DEST = Cmd.NEW_DEST;
const IPIP = tunTypeNumber('ipip');
const NLA_F_NESTED = 0x8000;

/** the reading position and the values of the last endpoint or number read (module state: no object per call) */
let pos = 0;
let epAddr = 0;
let epPort = 0;
let num = 0;

function readDecimal(b: Uint8Array, end: number, maxDigits: number): boolean {
  const s = pos;
  let n = 0;
  while (pos < end && b[pos]! >= 48 && b[pos]! <= 57 && pos - s < maxDigits + 1) n = n * 10 + b[pos++]! - 48;
  const len = pos - s;
  if (len === 0 || len > maxDigits || (len > 1 && b[s] === 48)) return false;
  num = n;
  return true;
}

/** readEndpoint reads A.B.C.D:PORT, each octet 0..255 and the port 1..65535, without leading zeros */
function readEndpoint(b: Uint8Array, end: number): boolean {
  let addr = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && b[pos++] !== 46 /* . */) return false;
    if (!readDecimal(b, end, 3) || num > 255) return false;
    addr = addr * 256 + num;
  }
  if (b[pos++] !== 58 /* : */ || !readDecimal(b, end, 5) || num < 1 || num > 65_535) return false;
  epAddr = addr;
  epPort = num;
  return true;
}

/** flag reads one exact byte pair ("-x") followed by a space */
function flag(b: Uint8Array, c: number): boolean {
  if (b[pos] !== 45 /* - */ || b[pos + 1] !== c || b[pos + 2] !== SP) return false;
  pos += 3;
  return true;
}

/** compileRestore checks input of the common line shapes, or returns undefined for the full parser. */
export function compileRestore(input: Buffer): CompiledRestore | undefined {
  const n = input.length;
  // sized once for the worst case (a line in these forms is at least 20 bytes), so the loop has no growth path;
  // fresh pages, touched only where written
  const starts = new Int32Array(Math.floor(n / 16) + 2);
  const lengths = new Uint8Array(Math.floor(n / 16) + 2);
  let count = 0;
  let start = 0;
  while (start < n) {
    // scanned here rather than by Buffer#indexOf: a call into C++ per line costs more than the loop
    let end = start;
    while (end < n && input[end] !== NL) end++;
    if (end !== start && input[start] !== 35 /* # */) {
      const len = compileLine(input, start, end, undefined, 0);
      if (len < 0) return undefined;
      if (count >= starts.length) throw new Error('codec-restore: more messages than its bound');
      starts[count] = start;
      lengths[count] = len;
      count++;
    }
    start = end + 1;
  }
  return { input, starts, lengths, count };
}

/** compiledLines are the 1-based input lines of messages (given in ascending order), in one pass over the input. */
export function compiledLines(c: CompiledRestore, indexes: readonly number[]): number[] {
  const out: number[] = [];
  let line = 1;
  let at = 0;
  for (const i of indexes) {
    const to = c.starts[i]!;
    if (to < at) throw new RangeError('compiledLines: indexes must ascend');
    for (; at < to; at++) if (c.input[at] === NL) line++;
    out.push(line);
  }
  return out;
}

/**
 * compileLine reads the line from start to end; with buf, writes its message at o (family, sequence number and ack
 * flag zero). Returns the message's length, or -1 when the line is not in the forms.
 */
function compileLine(input: Buffer, start: number, end: number, buf: Buffer | undefined, o: number): number {
  pos = start;
  if (input[pos] !== 45 || input[pos + 2] !== SP) return -1;
  const cmd = input[pos + 1];
  pos += 3;
  const proto = input[pos + 1];
  if ((proto !== 116 /* t */ && proto !== 117) /* u */ || !flag(input, proto)) return -1;
  if (!readEndpoint(input, end)) return -1;
  const vipAddr = epAddr;
  const vipPort = epPort;
  if (input[pos++] !== SP) return -1;
  if (cmd === 65 /* A */) {
    if (!flag(input, 115 /* s */)) return -1;
    const s = pos;
    while (pos < end && input[pos]! >= 97 && input[pos]! <= 122) pos++;
    if (pos - s < 1 || pos - s > 15) return -1;
    const schedEnd = pos;
    let timeout = 0;
    if (pos < end) {
      if (input[pos++] !== SP || !flag(input, 112 /* p */) || !readDecimal(input, end, 10) || num < 1 || num > MAX_TIMEOUT) return -1;
      timeout = num;
    }
    if (pos !== end) return -1;
    const len = HDR + SERVICE_NEST_FIXED + ((schedEnd - s + 1 + 3) & ~3);
    if (buf) {
      zero(buf, o, len);
      header(buf, o, writeService(buf, o + HDR, proto, vipAddr, vipPort, input, s, schedEnd, timeout > 0 ? PERSISTENT : 0, timeout), NEW_SERVICE);
    }
    return len;
  }
  if (cmd !== 97 /* a */) return -1;
  if (!flag(input, 114 /* r */) || !readEndpoint(input, end) || input[pos++] !== SP || input[pos] !== 45) return -1;
  const f = input[pos + 1];
  const fwd = f === 103 ? FWD_G : f === 109 ? FWD_M : f === 105 ? FWD_I : -1;
  pos += 2;
  if (fwd < 0 || input[pos++] !== SP || !flag(input, 119 /* w */) || !readDecimal(input, end, 10) || num > MAX_WEIGHT || pos !== end) return -1;
  // direct routing and tunnelling keep the service's port: the full parser takes any other
  if (f !== 109 && epPort !== vipPort) return -1;
  if (buf) {
    // the template holds every constant byte (one copy); the fields this line sets are written over it
    buf.set(f === 105 ? DEST_TEMPLATE_IPIP : DEST_TEMPLATE, o);
    buf[o + D_PROTO] = proto === 116 ? TCP : UDP;
    be32(buf, vipAddr, o + D_VIP);
    be16(buf, vipPort, o + D_VPORT);
    be32(buf, epAddr, o + D_RS);
    be16(buf, epPort, o + D_RPORT);
    buf[o + D_FWD] = fwd;
    u16(buf, num, o + D_WEIGHT);
  }
  return DEST_MESSAGE;
}

/**
 * destTemplate is a destination message with every variable field zero (written by the same writers as a service
 * line), and the offsets of the fields a line sets; a test holds the bytes equal to the full encoder's.
 */
function destTemplate(tunType: number): Buffer {
  const t = Buffer.alloc(DEST_MESSAGE);
  header(t, 0, writeDest(t, writeService(t, HDR, 116, 0, 0, t, 0, 0, 0, 0), 0, 0, 0, 0, tunType), NEW_DEST);
  return t;
}
const DEST_TEMPLATE = destTemplate(0);
const DEST_TEMPLATE_IPIP = destTemplate(IPIP);
// payload offsets in a destination message: the service nest after the headers, then the destination nest
const D_PROTO = HDR + 4 + 8 + 4;
const D_VIP = HDR + 4 + 8 + 8 + 4;
const D_VPORT = HDR + 4 + 8 + 8 + 20 + 4;
const D_DEST = HDR + SERVICE_NEST_FIXED + 4;
const D_RS = D_DEST + 4 + 8 + 4;
const D_RPORT = D_DEST + 4 + 8 + 20 + 4;
const D_FWD = D_DEST + 4 + 8 + 20 + 8 + 4;
const D_WEIGHT = D_DEST + 4 + 8 + 20 + 8 + 8 + 4;

function zero(buf: Buffer, o: number, len: number): void {
  for (let k = o; k < o + len; k++) buf[k] = 0;
}

// plain byte stores: Buffer#writeUInt*'s argument checks went through a wrapper that allocated on every call
function u16(buf: Buffer, v: number, o: number): void {
  buf[o] = v & 255;
  buf[o + 1] = (v >>> 8) & 255;
}

function be16(buf: Buffer, v: number, o: number): void {
  buf[o] = (v >>> 8) & 255;
  buf[o + 1] = v & 255;
}

function u32(buf: Buffer, v: number, o: number): void {
  buf[o] = v & 255;
  buf[o + 1] = (v >>> 8) & 255;
  buf[o + 2] = (v >>> 16) & 255;
  buf[o + 3] = (v >>> 24) & 255;
}

function be32(buf: Buffer, v: number, o: number): void {
  buf[o] = (v >>> 24) & 255;
  buf[o + 1] = (v >>> 16) & 255;
  buf[o + 2] = (v >>> 8) & 255;
  buf[o + 3] = v & 255;
}

function attr(buf: Buffer, o: number, id: number, payload: number): number {
  u16(buf, 4 + payload, o);
  u16(buf, id, o + 2);
  return o + 4;
}

/**
 * writeService writes the service nest at o as serviceToWire (a service line: scheduler and persistence) or
 * serviceRefToWire (a destination line: empty scheduler, no flags) encode it, in serviceTable's order; returns the
 * next offset. The message is zeroed already: padding and zero-valued fields are left alone.
 */
function writeService(buf: Buffer, o: number, proto: number, addr: number, port: number, input: Buffer, schedStart: number, schedEnd: number, flags: number, timeout: number): number {
  const start = o;
  u16(buf, 1 | NLA_F_NESTED, o + 2);
  o += 4;
  u16(buf, AF_INET, attr(buf, o, 1, 2));
  o += 8;
  u16(buf, proto === 116 ? TCP : UDP, attr(buf, o, 2, 2));
  o += 8;
  be32(buf, addr >>> 0, attr(buf, o, 3, 16));
  o += 20;
  be16(buf, port, attr(buf, o, 4, 2));
  o += 8;
  let p = attr(buf, o, 6, schedEnd - schedStart + 1);
  for (let k = schedStart; k < schedEnd; k++) buf[p++] = input[k]!;
  o += (4 + schedEnd - schedStart + 1 + 3) & ~3;
  p = attr(buf, o, 7, 8);
  u32(buf, flags, p);
  u32(buf, 0xffffffff, p + 4);
  o += 12;
  attr(buf, o, 8, 4);
  u32(buf, timeout, o + 4);
  o += 8;
  u32(buf, 0xffffffff, attr(buf, o, 9, 4)); // the /32 netmask
  o += 8;
  u16(buf, o - start, start);
  return o;
}

/** writeDest writes the destination nest at o as destToWire encodes it, in destTable's order; returns the next offset. */
function writeDest(buf: Buffer, o: number, addr: number, port: number, fwd: number, weight: number, tunType: number): number {
  const start = o;
  u16(buf, DEST_NEST_LENGTH, o);
  u16(buf, 2 | NLA_F_NESTED, o + 2);
  o += 4;
  u16(buf, AF_INET, attr(buf, o, 11, 2));
  o += 8;
  be32(buf, addr >>> 0, attr(buf, o, 1, 16));
  o += 20;
  be16(buf, port, attr(buf, o, 2, 2));
  o += 8;
  u32(buf, fwd, attr(buf, o, 3, 4));
  o += 8;
  u32(buf, weight, attr(buf, o, 4, 4));
  o += 8;
  u32(buf, tunType, attr(buf, o, 13, 1));
  o += 8;
  attr(buf, o, 14, 2);
  o += 8;
  attr(buf, o, 15, 2);
  o += 8;
  attr(buf, o, 5, 4);
  o += 8;
  attr(buf, o, 6, 4);
  o += 8;
  if (o - start !== DEST_NEST_LENGTH) throw new Error('codec-restore: destination nest length mismatch');
  return o;
}

/** header writes the netlink and generic netlink headers of the message from offset to end; returns end. */
function header(buf: Buffer, offset: number, end: number, cmd: number): number {
  u32(buf, end - offset, offset);
  u16(buf, NLM_F_REQUEST, offset + 6);
  buf[offset + 16] = cmd;
  buf[offset + 17] = IPVS_GENL_VERSION;
  return end;
}

/** compiledSource writes the checked messages into the datagrams as they are sent, with the family id, sequence numbers and ack flags. */
export function compiledSource(c: CompiledRestore, family: number): BatchSource {
  const input = c.input;
  const n = input.length;
  return {
    count: c.count,
    length: (i) => c.lengths[i]!,
    write(i, buf, off, seq, ack) {
      const start = c.starts[i]!;
      let end = start;
      while (end < n && input[end] !== NL) end++;
      const len = compileLine(input, start, end, buf, off);
      if (len !== c.lengths[i]) throw new Error('codec-restore: the input changed after it was checked');
      u16(buf, family, off + 4);
      if (ack) u16(buf, NLM_F_REQUEST | NLM_F_ACK, off + 6);
      u32(buf, seq >>> 0, off + 8);
      return off + len;
    },
  };
}
