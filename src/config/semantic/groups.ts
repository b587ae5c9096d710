// Config layer (semantic): virtual_server_group entries — addresses, ranges, subnets and fwmarks — and their expansion.
import type { Family } from '../../ipvs/types.js';
import type { Token } from '../lexer.js';
import type { VirtualServerGroup, VirtualServerGroupEntry } from '../model.js';
import type { Statement } from '../parser.js';
import { endOf, refOf, type Sem } from './dispatch.js';
import { bigIntToIpv6, canonicalIp, familyOf, ipv4ToNumber, ipv6ToBigInt, numberToIpv4, oneOf, port, uint } from './values.js';

const ENTRY_USAGE = 'IP[-END|/PREFIX] [PORT] | fwmark N [inet|inet6]';

/** readGroup parses a virtual_server_group statement; entries with errors are reported and left out. */
export function readGroup(st: Statement, sem: Sem): VirtualServerGroup | undefined {
  const name = st.args[0];
  if (!name) {
    sem.sink.error('MISSING_ARGUMENT', endOf(st.keyword), 'virtual_server_group needs a name', 'virtual_server_group NAME { … }');
    return undefined;
  }
  const entries: VirtualServerGroupEntry[] = [];
  for (const line of sem.children(st)) {
    if (line.block) {
      sem.sink.error('UNEXPECTED_BLOCK', line.block.open, 'virtual_server_group entries do not take blocks', ENTRY_USAGE);
      continue;
    }
    const e = readEntry(line, sem);
    if (e) entries.push(e);
  }
  if (!sem.children(st).length) {
    sem.sink.warning('MISSING_REQUIRED', st.keyword, `virtual_server_group ${name.value} has no entries`, ENTRY_USAGE);
  }
  return { name: name.value, source: refOf(st.keyword), entries };
}

function readEntry(line: Statement, sem: Sem): VirtualServerGroupEntry | undefined {
  const first = line.keyword;
  const source = refOf(first);
  if (first.value === 'fwmark') {
    const [mark, fam] = line.args;
    if (!mark) {
      sem.sink.error('MISSING_ARGUMENT', endOf(first), 'fwmark entry needs a mark', ENTRY_USAGE);
      return undefined;
    }
    const fwmark = sem.value(mark, uint(1, 4294967295, 'a firewall mark 1..4294967295'), 'fwmark');
    const family = fam ? sem.value(fam, oneOf(['inet', 'inet6']), 'fwmark family') : undefined;
    if (fwmark === undefined || (fam && family === undefined)) return undefined;
    return family ? { kind: 'fwmark', fwmark, family, source } : { kind: 'fwmark', fwmark, source };
  }
  const p = line.args[0];
  const portNum = !p || /^0+$/.test(p.value) ? 0 : sem.value(p, port, 'virtual_server_group port');
  if (line.args.length > 1) sem.sink.warning('EXTRA_ARGUMENTS', line.args[1] ?? first, 'virtual_server_group entry ignores extra words', ENTRY_USAGE);
  const range = readRange(first, sem);
  if (!range || portNum === undefined) return undefined;
  return { kind: 'range', ...range, port: portNum, source };
}

function bad(tok: Token, sem: Sem, why: string): undefined {
  sem.sink.error('INVALID_ADDRESS', tok, `virtual_server_group entry '${tok.value}' ${why}`, `expected ${ENTRY_USAGE}`);
  return undefined;
}

function readRange(tok: Token, sem: Sem): { family: Family; first: string; last: string } | undefined {
  const t = tok.value;
  const slash = t.indexOf('/');
  const dash = t.indexOf('-');
  const base = slash >= 0 ? t.slice(0, slash) : dash >= 0 ? t.slice(0, dash) : t;
  const first = canonicalIp(base);
  if (!first) return bad(tok, sem, 'is not an address');
  const family = familyOf(first);
  const v6 = family === 'inet6';
  const bits = v6 ? 128 : 32;
  const toBig = (a: string): bigint => (v6 ? ipv6ToBigInt(a) : BigInt(ipv4ToNumber(a)));
  const toText = (n: bigint): string => (v6 ? bigIntToIpv6(n) : numberToIpv4(Number(n)));
  const start = toBig(first);
  if (slash >= 0) {
    const prefix = /^\d+$/.test(t.slice(slash + 1)) ? Number(t.slice(slash + 1)) : NaN;
    if (!(prefix >= 1 && prefix <= bits)) return bad(tok, sem, `has an invalid prefix length (1..${bits})`);
    const host = (1n << BigInt(bits - prefix)) - 1n;
    if (start & host) return bad(tok, sem, 'has host bits set below its prefix');
    return { family, first, last: toText(start | host) };
  }
  if (dash < 0) return { family, first, last: first };
  const endText = t.slice(dash + 1);
  let end: bigint;
  if (endText.includes(v6 ? ':' : '.')) {
    const e = canonicalIp(endText);
    if (!e || familyOf(e) !== family) return bad(tok, sem, 'has an invalid range end');
    end = toBig(e);
    if (end < start) return bad(tok, sem, 'ends before it starts');
  } else {
    const n = v6 ? (/^[0-9a-fA-F]{1,4}$/.test(endText) ? parseInt(endText, 16) : NaN) : /^\d{1,3}$/.test(endText) ? Number(endText) : NaN;
    const width = v6 ? 16n : 8n;
    const low = start & ((1n << width) - 1n);
    if (!(n >= 0) || n > (v6 ? 0xffff : 255)) return bad(tok, sem, 'has an invalid range end');
    if (BigInt(n) <= low) return bad(tok, sem, 'has a range end not greater than its start');
    end = (start & ~((1n << width) - 1n)) | BigInt(n);
  }
  return { family, first, last: toText(end) };
}

/** rangeSize returns how many addresses a range entry covers. */
export function rangeSize(e: { family: Family; first: string; last: string }): bigint {
  const v6 = e.family === 'inet6';
  const a = v6 ? ipv6ToBigInt(e.first) : BigInt(ipv4ToNumber(e.first));
  const b = v6 ? ipv6ToBigInt(e.last) : BigInt(ipv4ToNumber(e.last));
  return b - a + 1n;
}

/** rangeAddresses lists the addresses of a range entry in order. */
export function rangeAddresses(e: { family: Family; first: string; last: string }): string[] {
  const v6 = e.family === 'inet6';
  const a = v6 ? ipv6ToBigInt(e.first) : BigInt(ipv4ToNumber(e.first));
  const b = v6 ? ipv6ToBigInt(e.last) : BigInt(ipv4ToNumber(e.last));
  const out: string[] = [];
  for (let n = a; n <= b; n++) out.push(v6 ? bigIntToIpv6(n) : numberToIpv4(Number(n)));
  return out;
}
