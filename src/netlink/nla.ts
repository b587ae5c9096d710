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
  /** encoded size of values under this table (compiled from the specs) */
  readonly length: (values: AttrValues) => number;
  /** writes values in table order at offset, returns the offset after them (compiled from the specs) */
  readonly encode: (values: AttrValues, buf: Buffer, offset: number) => number;
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
  return { name, specs, byId, byName, ...compile(specs) };
}

const align4 = (n: number): number => (n + 3) & ~3;

const FIXED: Partial<Record<AttrKind, number>> = { u8: 1, u16: 2, be16: 2, u32: 4, u64: 8, flags: 8 };
// each writer leaves `e` at the end of the payload it wrote at `p`
const WRITE: Record<Exclude<AttrKind, 'nested'>, string> = {
  u8: 'b.writeUInt8(x, p); e = p + 1;',
  u16: 'b.writeUInt16LE(x, p); e = p + 2;',
  be16: 'b.writeUInt16BE(x, p); e = p + 2;',
  u32: 'b.writeUInt32LE(x >>> 0, p); e = p + 4;',
  u64: 'b.writeBigUInt64LE(BigInt(x), p); e = p + 8;',
  flags: 'b.writeUInt32LE(x.flags >>> 0, p); b.writeUInt32LE(x.mask >>> 0, p + 4); e = p + 8;',
  string: 'e = p + b.write(x, p, "utf8"); b[e++] = 0;',
  binary: 'e = p + x.copy(b, p);',
};

/**
 * compile turns specs into straight-line length and encode functions. Each table gets its own code with its
 * attribute names as constants, so property loads stay monomorphic (a generic loop over `values[spec.name]`
 * was the main cost of encoding 22,000 IPVS writes), and encode is one pass: it writes a payload, then the
 * header's length; padding is relative to each attribute, so any offset works.
 */
function compile(specs: readonly AttrSpec[]): Pick<AttrTable, 'length' | 'encode'> {
  const kids = specs.map((s) => s.table);
  let len = 'let n = 0, x;\n';
  let enc = 'let x, p, e, q;\n';
  specs.forEach((s, i) => {
    const get = `x = v[${JSON.stringify(s.name)}];\nif (x !== undefined) `;
    const fixed = FIXED[s.kind];
    const size = fixed !== undefined ? String(fixed) : s.kind === 'string' ? 'Buffer.byteLength(x) + 1' : s.kind === 'binary' ? 'x.length' : `kids[${i}].length(x)`;
    len += `${get}n += (${NLA_HDRLEN} + ${size} + 3) & ~3;\n`;
    const id = s.kind === 'nested' ? s.id | NLA_F_NESTED : s.id;
    const body = s.kind === 'nested' ? `e = kids[${i}].encode(x, b, p);` : WRITE[s.kind];
    enc += `${get}{ p = o + ${NLA_HDRLEN}; ${body} b.writeUInt16LE(e - o, o); b.writeUInt16LE(${id}, o + 2); q = o + ((e - o + 3) & ~3); while (e < q) b[e++] = 0; o = q; }\n`;
  });
  const lengthFn = new Function('kids', `return function length(v) { ${len} return n; }`)(kids) as AttrTable['length'];
  const encodeFn = new Function('kids', `return function encode(v, b, o) { ${enc} return o; }`)(kids) as AttrTable['encode'];
  return { length: lengthFn, encode: encodeFn };
}

/** attrsLength is the encoded size of the values under a table, padding included. */
export function attrsLength(table: AttrTable, values: AttrValues): number {
  return table.length(values);
}

/** encodeAttrs writes the values in table order at offset and returns the offset after them. */
export function encodeAttrs(table: AttrTable, values: AttrValues, buf: Buffer, offset: number): number {
  return table.encode(values, buf, offset);
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
