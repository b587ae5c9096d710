// Codec layer: netlink attributes (struct nlattr) encoded and decoded through declarative attribute tables.

/** NLA_HDRLEN is the size of struct nlattr. */
export const NLA_HDRLEN = 4;
/** NLA_F_NESTED marks an attribute whose payload is more attributes. */
export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

/** AttrKind is how one attribute's payload is laid out on the wire. */
export type AttrKind =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'be16'
  | 'string'
  | 'binary'
  /** struct { u32 flags; u32 mask; } as IPVS uses it */
  | 'flags'
  | 'nested';

/** AttrSpec declares one attribute: its name in the value object, its type id and its layout. */
export interface AttrSpec {
  readonly name: string;
  readonly id: number;
  readonly kind: AttrKind;
  /** the table of a nested attribute's children */
  readonly table?: AttrTable;
}

/** AttrTable is an ordered attribute table: encoding follows its order, decoding looks ids up. */
export interface AttrTable {
  readonly name: string;
  readonly specs: readonly AttrSpec[];
  readonly byId: ReadonlyMap<number, AttrSpec>;
  readonly byName: ReadonlyMap<string, AttrSpec>;
}

/** FlagsValue is the payload of a 'flags' attribute. */
export interface FlagsValue {
  readonly flags: number;
  readonly mask: number;
}

/** AttrValue is any attribute payload as the codec sees it. */
export type AttrValue = number | bigint | string | Buffer | FlagsValue | AttrValues;

/** AttrValues maps attribute names to payloads; absent names are not encoded. */
export interface AttrValues {
  readonly [name: string]: AttrValue | undefined;
}

/** defineTable builds an attribute table; the spec order is the wire order used when encoding. */
export function defineTable(name: string, specs: readonly AttrSpec[]): AttrTable {
  const byId = new Map<number, AttrSpec>();
  const byName = new Map<string, AttrSpec>();
  for (const s of specs) {
    if (byId.has(s.id) || byName.has(s.name)) throw new Error(`attribute table ${name}: duplicate ${s.name}/${s.id}`);
    if (s.kind === 'nested' && !s.table) throw new Error(`attribute table ${name}: nested ${s.name} has no table`);
    byId.set(s.id, s);
    byName.set(s.name, s);
  }
  return { name, specs, byId, byName };
}

const align4 = (n: number): number => (n + 3) & ~3;

function payloadLength(spec: AttrSpec, value: AttrValue): number {
  switch (spec.kind) {
    case 'u8':
      return 1;
    case 'u16':
    case 'be16':
      return 2;
    case 'u32':
      return 4;
    case 'u64':
    case 'flags':
      return 8;
    case 'string':
      return Buffer.byteLength(value as string) + 1;
    case 'binary':
      return (value as Buffer).length;
    case 'nested':
      return attrsLength(spec.table!, value as AttrValues);
  }
}

/** attrsLength is the encoded size of the values under a table, padding included. */
export function attrsLength(table: AttrTable, values: AttrValues): number {
  let n = 0;
  for (const spec of table.specs) {
    const v = values[spec.name];
    if (v === undefined) continue;
    n += align4(NLA_HDRLEN + payloadLength(spec, v));
  }
  return n;
}

/** encodeAttrs writes the values in table order at offset and returns the offset after them. */
export function encodeAttrs(table: AttrTable, values: AttrValues, buf: Buffer, offset: number): number {
  for (const spec of table.specs) {
    const v = values[spec.name];
    if (v === undefined) continue;
    offset = encodeAttr(spec, v, buf, offset);
  }
  return offset;
}

function encodeAttr(spec: AttrSpec, v: AttrValue, buf: Buffer, offset: number): number {
  const len = NLA_HDRLEN + payloadLength(spec, v);
  buf.writeUInt16LE(len, offset);
  buf.writeUInt16LE(spec.kind === 'nested' ? spec.id | NLA_F_NESTED : spec.id, offset + 2);
  const p = offset + NLA_HDRLEN;
  switch (spec.kind) {
    case 'u8':
      buf.writeUInt8(v as number, p);
      break;
    case 'u16':
      buf.writeUInt16LE(v as number, p);
      break;
    case 'be16':
      buf.writeUInt16BE(v as number, p);
      break;
    case 'u32':
      buf.writeUInt32LE((v as number) >>> 0, p);
      break;
    case 'u64':
      buf.writeBigUInt64LE(BigInt(v as bigint), p);
      break;
    case 'flags':
      buf.writeUInt32LE((v as FlagsValue).flags >>> 0, p);
      buf.writeUInt32LE((v as FlagsValue).mask >>> 0, p + 4);
      break;
    case 'string':
      buf.write(v as string, p, 'utf8');
      buf.writeUInt8(0, p + Buffer.byteLength(v as string));
      break;
    case 'binary':
      (v as Buffer).copy(buf, p);
      break;
    case 'nested':
      encodeAttrs(spec.table!, v as AttrValues, buf, p);
      break;
  }
  const end = offset + align4(len);
  buf.fill(0, offset + len, end);
  return end;
}

/** AttrDecodeError reports a malformed attribute stream with its table and offset. */
export class AttrDecodeError extends Error {
  readonly code = 'NLA_MALFORMED';
  constructor(table: string, offset: number, what: string) {
    super(`malformed ${table} attribute at offset ${offset}: ${what}`);
    this.name = 'AttrDecodeError';
  }
}

/** decodeAttrs reads the attributes in buf[offset, end) under a table; unknown ids are skipped. */
export function decodeAttrs(table: AttrTable, buf: Buffer, offset: number, end: number): AttrValues {
  const out: Record<string, AttrValue> = {};
  while (offset + NLA_HDRLEN <= end) {
    const len = buf.readUInt16LE(offset);
    const id = buf.readUInt16LE(offset + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || offset + len > end) throw new AttrDecodeError(table.name, offset, `length ${len}`);
    const spec = table.byId.get(id);
    if (spec) out[spec.name] = decodePayload(spec, buf, offset + NLA_HDRLEN, offset + len, table.name);
    offset += align4(len);
  }
  return out;
}

function decodePayload(spec: AttrSpec, buf: Buffer, p: number, end: number, tableName: string): AttrValue {
  const need = (n: number): void => {
    if (end - p < n) throw new AttrDecodeError(tableName, p, `${spec.name} needs ${n} bytes, has ${end - p}`);
  };
  switch (spec.kind) {
    case 'u8':
      need(1);
      return buf.readUInt8(p);
    case 'u16':
      need(2);
      return buf.readUInt16LE(p);
    case 'be16':
      need(2);
      return buf.readUInt16BE(p);
    case 'u32':
      need(4);
      return buf.readUInt32LE(p);
    case 'u64':
      need(8);
      return buf.readBigUInt64LE(p);
    case 'flags':
      need(8);
      return { flags: buf.readUInt32LE(p), mask: buf.readUInt32LE(p + 4) };
    case 'string': {
      const nul = buf.indexOf(0, p);
      return buf.toString('utf8', p, nul >= 0 && nul < end ? nul : end);
    }
    case 'binary':
      return Buffer.from(buf.subarray(p, end));
    case 'nested':
      return decodeAttrs(spec.table!, buf, p, end);
  }
}
