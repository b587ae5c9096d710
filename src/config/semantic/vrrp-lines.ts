// Config layer (semantic): the one-entry-per-line VRRP blocks — virtual_ipaddress, unicast_peer, track_script/interface.
import type { Token } from '../lexer.js';
import type { Tracked, UnicastPeer, VirtualIp } from '../model.js';
import type { Statement } from '../parser.js';
import { refOf, type Sem } from './dispatch.js';
import { canonicalIp, familyOf, int, ip, ipv4ToNumber, numberToIpv4, oneOf, uint } from './values.js';

/** TrackDraft is a track_script entry before its script is looked up (weight undefined = the script's own). */
export interface TrackDraft {
  readonly tok: Token;
  readonly name: string;
  readonly weight?: number | undefined;
  readonly reverse?: boolean | undefined;
}

const SCOPES = ['global', 'site', 'link', 'host', 'nowhere'];
const IFNAMSIZ = 16;
const VIP_USAGE = 'IP[/PREFIX] [brd IP|+|-] [dev IF] [scope SCOPE] [label LABEL] [peer IP] [no_track]';
const IGNORED_VIP_FLAGS = new Set(['home', '-nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'use_vmac']);

/** eachLine runs a reader over the lines of a value block (each line is one entry), rejecting nested blocks. */
export function eachLine<T>(st: Statement, sem: Sem, read: (words: readonly Token[]) => T | undefined): T[] {
  const out: T[] = [];
  for (const line of sem.children(st)) {
    if (line.block) {
      sem.sink.error('UNEXPECTED_BLOCK', line.block.open, `entries of '${st.keyword.value}' do not take blocks`);
      continue;
    }
    const v = read([line.keyword, ...line.args]);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** readVip parses one virtual_ipaddress line as keepalived's alloc_ipaddress does. */
export function readVip(words: readonly Token[], sem: Sem): VirtualIp | undefined {
  const [first, ...rest] = words;
  if (!first) return undefined;
  const [addrText = '', prefixText] = first.value.split('/');
  const address = canonicalIp(addrText);
  if (!address || (prefixText !== undefined && first.value.split('/').length > 2)) {
    sem.sink.error('INVALID_ADDRESS', first, `virtual_ipaddress '${first.value}' is not an address`, `expected ${VIP_USAGE}`);
    return undefined;
  }
  const family = familyOf(address);
  const max = family === 'inet6' ? 128 : 32;
  let prefix = max;
  if (prefixText !== undefined) {
    const p = sem.value({ ...first, value: prefixText, column: first.column + addrText.length + 1 }, uint(0, max, `a prefix length 0..${max}`), `virtual_ipaddress ${address} prefix`);
    if (p === undefined) return undefined;
    prefix = p;
  }
  const vip: { -readonly [K in keyof VirtualIp]: VirtualIp[K] } = { source: refOf(first), family, address, prefix, noTrack: false };
  let brd: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (!w) break;
    const needs = ['dev', 'scope', 'brd', 'broadcast', 'label', 'peer', 'preferred_lft'].includes(w.value);
    const v = needs ? rest[i + 1] : undefined;
    if (needs && !v) {
      sem.sink.error('MISSING_ARGUMENT', w, `virtual_ipaddress '${w.value}' is missing its value`, `expected ${VIP_USAGE}`);
      return undefined;
    }
    if (v) i++;
    switch (w.value) {
      case 'dev':
        if (v && v.value.length >= IFNAMSIZ) return tooLong(v, sem, 'interface name');
        vip.dev = v?.value;
        break;
      case 'scope': {
        const s = v && (/^\d+$/.test(v.value) ? sem.value(v, uint(0, 255), 'scope') : sem.value(v, oneOf(SCOPES), 'scope'));
        if (s === undefined) return undefined;
        vip.scope = String(s);
        break;
      }
      case 'brd':
      case 'broadcast':
        if (family === 'inet6') {
          sem.sink.error('INVALID_VALUE', w, 'IPv6 addresses have no broadcast address');
          return undefined;
        }
        brd = v?.value;
        if (brd !== '+' && brd !== '-' && (v === undefined || sem.value(v, ip, 'broadcast') === undefined)) return undefined;
        break;
      case 'label':
        if (v && v.value.length >= IFNAMSIZ) return tooLong(v, sem, 'label');
        vip.label = v?.value;
        break;
      case 'peer': {
        const p = v && sem.value(v, ip, 'peer');
        if (p === undefined) return undefined;
        vip.peer = p;
        break;
      }
      case 'no_track':
        vip.noTrack = true;
        break;
      case 'preferred_lft':
        sem.sink.warning('UNSUPPORTED_KEYWORD', w, "virtual_ipaddress 'preferred_lft' is not implemented by lvsd; ignored");
        break;
      default:
        if (IGNORED_VIP_FLAGS.has(w.value)) sem.sink.warning('UNSUPPORTED_KEYWORD', w, `virtual_ipaddress '${w.value}' is not implemented by lvsd; ignored`);
        else sem.sink.warning('UNKNOWN_KEYWORD', w, `unknown virtual_ipaddress option '${w.value}'; ignored`, `expected ${VIP_USAGE}`);
    }
  }
  if (family === 'inet6' && (vip.scope !== undefined || vip.label !== undefined)) {
    sem.sink.warning('IGNORED_SETTING', first, 'scope and label do not apply to IPv6 addresses; ignored');
    delete vip.scope;
    delete vip.label;
  }
  if (brd !== undefined) {
    const b = broadcast(brd, vip.peer ?? address, prefix);
    if (b === undefined) sem.sink.warning('IGNORED_SETTING', first, `prefix /${prefix} is too long for a broadcast address; ignored`);
    else vip.broadcast = b;
  }
  return vip;
}

function tooLong(t: Token, sem: Sem, what: string): undefined {
  sem.sink.error('INVALID_VALUE', t, `${what} '${t.value}' is longer than ${IFNAMSIZ - 1} characters`);
  return undefined;
}

function broadcast(brd: string, base: string, prefix: number): string | undefined {
  if (brd !== '+' && brd !== '-') return brd;
  if (prefix > 30) return undefined;
  const host = 2 ** (32 - prefix) - 1;
  const n = ipv4ToNumber(base);
  const net = n - (n % (host + 1));
  return numberToIpv4(brd === '+' ? net + host : net);
}

/** readPeer parses one unicast_peer line: `IP [min_ttl N] [max_ttl N]`. */
export function readPeer(words: readonly Token[], sem: Sem): UnicastPeer | undefined {
  const [first, ...rest] = words;
  if (!first) return undefined;
  const address = sem.value(first, ip, 'unicast_peer');
  if (address === undefined) return undefined;
  let minTtl = 0;
  let maxTtl = 255;
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    const v = rest[i + 1];
    if (!k) break;
    if ((k.value !== 'min_ttl' && k.value !== 'max_ttl') || !v) {
      sem.sink.error('INVALID_VALUE', k, `unicast_peer option '${k.value}' is not valid`, 'expected IP [min_ttl 0..255] [max_ttl 0..255]');
      return undefined;
    }
    const n = sem.value(v, uint(0, 255), k.value);
    if (n === undefined) return undefined;
    if (k.value === 'min_ttl') minTtl = n;
    else maxTtl = n;
  }
  return { address, family: familyOf(address), minTtl, maxTtl };
}

/** readTrack parses `NAME [weight W [reverse|noreverse]]` of track_script / track_interface lines. */
export function readTrack(words: readonly Token[], sem: Sem, what: string): TrackDraft | undefined {
  const [name, kw, w, rev] = words;
  if (!name) return undefined;
  if (!kw) return { tok: name, name: name.value };
  if (kw.value !== 'weight' || !w) {
    sem.sink.error('INVALID_VALUE', kw, `${what} option '${kw.value}'${kw.value === 'weight' ? ' needs a value' : ' is not valid'}`, `expected ${what} NAME [weight -253..253 [reverse|noreverse]]`);
    return undefined;
  }
  let weight = sem.value(w, int(-254, 254, 'an integer -253..253'), `${what} weight`);
  if (weight === undefined) return undefined;
  if (Math.abs(weight) === 254) {
    sem.sink.warning('OUT_OF_RANGE', w, `${what} weight ${weight} is outside -253..253; using ${Math.sign(weight) * 253}`);
    weight = Math.sign(weight) * 253;
  }
  let reverse: boolean | undefined;
  if (rev) {
    const r = sem.value(rev, oneOf(['reverse', 'noreverse', 'no_reverse']), `${what} weight option`);
    if (r === undefined) return undefined;
    reverse = r === 'reverse';
  }
  if (words.length > 4) sem.sink.warning('EXTRA_ARGUMENTS', words[4] ?? name, `${what} entry ignores extra words`);
  return { tok: name, name: name.value, weight, reverse };
}

/** trackedInterface turns a track_interface draft into its model form (default weight 0, no reverse). */
export function trackedInterface(t: TrackDraft): Tracked {
  return { name: t.name, weight: t.weight ?? 0, reverse: t.reverse ?? false };
}
