// Config layer (semantic): virtual_server, real_server, sorry_server and TCP_CHECK keyword tables into drafts.
import type { Family, ForwardMethod, Protocol, TunnelFlag, TunnelOptions } from '../../ipvs/types.js';
import type { Token } from '../lexer.js';
import type { Script, SkippedChecker, SourceRef, VirtualServerDecl } from '../model.js';
import type { Statement } from '../parser.js';
import { endOf, flag, optionalBool, refOf, single, type KeywordTable, type Sem } from './dispatch.js';
import { CHECKER_TYPES, RS_UNSUPPORTED, VS_UNSUPPORTED } from './known.js';
import { bool, familyOf, ip, netmask4, oneOf, port, text, timer, uint } from './values.js';

/** CheckTiming are the check parameters that flow from virtual server to real server to checker. */
export interface CheckTiming {
  connectTimeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  alpha?: boolean;
}

/** Forwarding is a parsed lb_kind / lvs_method. */
export interface Forwarding {
  readonly method: ForwardMethod;
  readonly tunnel?: TunnelOptions | undefined;
}

/** TcpCheckDraft is a TCP_CHECK as written. */
export interface TcpCheckDraft extends CheckTiming {
  readonly source: SourceRef;
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
  logAllFailures: boolean;
}

/** RealServerDraft is a real_server as written. */
export interface RealServerDraft extends CheckTiming {
  readonly source: SourceRef;
  readonly address: string;
  readonly port: number;
  weight?: number;
  forward?: Forwarding;
  upperThreshold: number;
  lowerThreshold: number;
  inhibit?: boolean;
  notifyUp?: Script;
  notifyDown?: Script;
  smtpAlert?: boolean;
  virtualhost?: string;
  readonly checkers: TcpCheckDraft[];
  readonly skipped: SkippedChecker[];
}

/** SorryDraft is a sorry_server as written. */
export interface SorryDraft {
  readonly source: SourceRef;
  readonly address: string;
  readonly port: number;
  forward?: Forwarding;
  inhibit: boolean;
}

/** VirtualServerDraft is a virtual_server as written. */
export interface VirtualServerDraft extends CheckTiming {
  readonly source: SourceRef;
  readonly decl: VirtualServerDecl;
  readonly declTok: Token;
  ipFamily?: Family;
  protocol?: Protocol;
  protocolTok?: Token;
  scheduler?: string;
  readonly flags: Map<string, Token>;
  forward?: Forwarding;
  persistenceTimeout?: number;
  granularity?: number;
  persistenceEngine?: string;
  quorum?: number;
  quorumTok?: Token;
  hysteresis?: number;
  quorumUp?: Script;
  quorumDown?: Script;
  omega: boolean;
  haSuspend: boolean;
  inhibit: boolean;
  weight?: number;
  smtpAlert?: boolean;
  virtualhost?: string;
  sorry?: SorryDraft;
  readonly realServers: RealServerDraft[];
  /** how many real_server statements were written (some may have been rejected) */
  realServersWritten: number;
}

/** SCHEDULERS are the IPVS schedulers keepalived accepts. */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;

const METHODS: Readonly<Record<string, ForwardMethod>> = { NAT: 'masq', DR: 'route', TUN: 'tunnel' };
const FWD_USAGE = 'NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]';
const LVS_MAX_TIMEOUT = 86400 * 31;

/** readForwarding parses `NAT|DR|TUN [type …] [port N] [csum …]` as keepalived does. */
function readForwarding(st: Statement, sem: Sem): Forwarding | undefined {
  const [m, ...rest] = st.args;
  if (!m) return undefined;
  const method = METHODS[m.value];
  if (!method) {
    sem.sink.error('INVALID_VALUE', m, `${st.keyword.value} '${m.value}' is not a forwarding method`, `expected ${FWD_USAGE}`);
    return undefined;
  }
  if (method !== 'tunnel') {
    if (rest[0]) sem.sink.warning('EXTRA_ARGUMENTS', rest[0], `tunnel options are ignored for ${m.value}`);
    return { method };
  }
  let type: TunnelOptions['type'] = 'ipip';
  let tport = 0;
  let csum: TunnelFlag = 'nocsum';
  const opts = sem.options(st, 1, { type: oneOf(['ipip', 'gue', 'gre']), port, nocsum: null, csum: null, remcsum: null });
  for (const [k, v] of opts) {
    if (k === 'type') type = v.value as TunnelOptions['type'];
    else if (k === 'port') tport = v.value as number;
    else csum = k as TunnelFlag;
  }
  const problem =
    (type === 'gue') !== (tport !== 0) ? 'gue tunnels need a port, other tunnels cannot have one'
    : type === 'ipip' && csum !== 'nocsum' ? 'ipip tunnels have no checksum option'
    : type === 'gre' && csum === 'remcsum' ? 'gre tunnels do not support remcsum'
    : undefined;
  if (problem) {
    sem.sink.error('INVALID_VALUE', m, problem, `expected ${FWD_USAGE}`);
    return undefined;
  }
  return { method, tunnel: { type, port: tport, flags: [csum] } };
}

/** readServerAddress parses `IP [PORT]` of real_server / sorry_server / virtual_server (port 0 or absent = none). */
export function readServerAddress(st: Statement, sem: Sem): { address: string; port: number } | undefined {
  const a = st.args[0];
  const addr = a ? sem.value(a, ip, `${st.keyword.value} address`) : undefined;
  const p = st.args[1];
  const portNum = !p || /^0+$/.test(p.value) ? 0 : sem.value(p, port, `${st.keyword.value} port`);
  if (addr === undefined || portNum === undefined) return undefined;
  return { address: addr, port: portNum };
}

function timing<T extends CheckTiming>(): KeywordTable<T> {
  return {
    connect_timeout: single(timer(0.000001), (t, v) => (t.connectTimeout = v), 'connect_timeout SECONDS'),
    retry: single(uint(1, 4294967295), (t, v) => (t.retry = v), 'retry COUNT'),
    delay_before_retry: single(timer(), (t, v) => (t.delayBeforeRetry = v), 'delay_before_retry SECONDS'),
    warmup: single(timer(), (t, v) => (t.warmup = v), 'warmup SECONDS'),
    delay_loop: single(timer(0.000001), (t, v) => (t.delayLoop = v), 'delay_loop SECONDS'),
  };
}

/** TCP_CHECK_TABLE are the keywords of a TCP_CHECK block. */
export const TCP_CHECK_TABLE: KeywordTable<TcpCheckDraft> = {
  ...timing<TcpCheckDraft>(),
  retry: single(uint(0, 4294967295), (t, v) => (t.retry = v), 'retry COUNT'),
  nb_get_retry: single(uint(0, 4294967295), (t, v) => (t.retry = v), 'nb_get_retry COUNT'),
  connect_ip: single(ip, (t, v) => (t.connectIp = v), 'connect_ip ADDRESS'),
  connect_port: single(port, (t, v) => (t.connectPort = v), 'connect_port PORT'),
  bindto: single(ip, (t, v) => (t.bindTo = v), 'bindto ADDRESS'),
  bind_port: single(port, (t, v) => (t.bindPort = v), 'bind_port PORT'),
  bind_if: single(text, (t, v) => (t.bindIf = v), 'bind_if INTERFACE'),
  fwmark: single(uint(0, 4294967295), (t, v) => (t.fwmark = v), 'fwmark MARK'),
  alpha: optionalBool(bool, (t, v) => (t.alpha = v), 'alpha [BOOL]'),
  log_all_failures: optionalBool(bool, (t, v) => (t.logAllFailures = v), 'log_all_failures [BOOL]'),
};

/** REAL_SERVER_TABLE are the keywords of a real_server block. */
export const REAL_SERVER_TABLE: KeywordTable<RealServerDraft> = {
  ...timing<RealServerDraft>(),
  weight: single(uint(0, 65535), (t, v) => (t.weight = v), 'weight 0..65535'),
  lvs_method: { min: 1, usage: `lvs_method ${FWD_USAGE}`, handle: (t, st, sem) => setFwd(t, readForwarding(st, sem)) },
  uthreshold: single(uint(0, 4294967295), (t, v) => (t.upperThreshold = v), 'uthreshold CONNECTIONS'),
  lthreshold: single(uint(0, 4294967295), (t, v) => (t.lowerThreshold = v), 'lthreshold CONNECTIONS'),
  inhibit_on_failure: optionalBool(bool, (t, v) => (t.inhibit = v), 'inhibit_on_failure [BOOL]'),
  alpha: optionalBool(bool, (t, v) => (t.alpha = v), 'alpha [BOOL]'),
  smtp_alert: optionalBool(bool, (t, v) => (t.smtpAlert = v), 'smtp_alert [BOOL]'),
  virtualhost: single(text, (t, v) => (t.virtualhost = v), 'virtualhost NAME'),
  notify_up: scriptSpec((t, s) => (t.notifyUp = s), 'notify_up SCRIPT [USER [GROUP]]'),
  notify_down: scriptSpec((t, s) => (t.notifyDown = s), 'notify_down SCRIPT [USER [GROUP]]'),
  TCP_CHECK: {
    block: 'required',
    max: 0,
    usage: 'TCP_CHECK { connect_port … }',
    handle: (rs, st, sem) => {
      const c: TcpCheckDraft = { source: refOf(st.keyword), logAllFailures: false };
      sem.run(sem.children(st), TCP_CHECK_TABLE, c, { name: 'TCP_CHECK' });
      rs.checkers.push(c);
    },
  },
};

function setFwd(t: { forward?: Forwarding }, f: Forwarding | undefined): void {
  if (f) t.forward = f;
}

function scriptSpec<T>(set: (t: T, s: Script) => void, usage: string): KeywordTable<T>[string] {
  return {
    min: 1,
    usage,
    handle: (t, st, sem) => {
      const s = sem.script(st);
      if (s) set(t, s);
    },
  };
}

const SCHED_FLAGS = ['ops', 'flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'];

/** VIRTUAL_SERVER_TABLE are the keywords of a virtual_server block. */
export const VIRTUAL_SERVER_TABLE: KeywordTable<VirtualServerDraft> = {
  ...timing<VirtualServerDraft>(),
  ...Object.fromEntries(SCHED_FLAGS.map((f) => [f, { max: 0, handle: (t: VirtualServerDraft, st: Statement) => t.flags.set(f, st.keyword) }])),
  lb_algo: single(oneOf(SCHEDULERS), (t, v) => (t.scheduler = v), `lb_algo ${SCHEDULERS.join('|')}`),
  lvs_sched: single(oneOf(SCHEDULERS), (t, v) => (t.scheduler = v), `lvs_sched ${SCHEDULERS.join('|')}`),
  lb_kind: { min: 1, usage: `lb_kind ${FWD_USAGE}`, handle: (t, st, sem) => setFwd(t, readForwarding(st, sem)) },
  lvs_method: { min: 1, usage: `lvs_method ${FWD_USAGE}`, handle: (t, st, sem) => setFwd(t, readForwarding(st, sem)) },
  protocol: single(oneOf(['TCP', 'UDP', 'SCTP'], true), (t, v, st) => {
    t.protocol = v.toLowerCase() as Protocol;
    t.protocolTok = st.keyword;
  }, 'protocol TCP|UDP|SCTP'),
  ip_family: single(oneOf(['inet', 'inet6']), (t, v) => (t.ipFamily = v), 'ip_family inet|inet6'),
  persistence_timeout: {
    max: 1,
    usage: `persistence_timeout [1..${LVS_MAX_TIMEOUT}]`,
    handle: (t, st, sem) => {
      const v = st.args.length ? sem.arg(st, 0, uint(1, LVS_MAX_TIMEOUT)) : 360;
      if (v !== undefined) t.persistenceTimeout = v;
    },
  },
  persistence_granularity: {
    min: 1,
    max: 1,
    usage: 'persistence_granularity NETMASK (IPv4) | 1..128 (IPv6)',
    handle: (t, st, sem) => {
      const tok = st.args[0];
      if (!tok) return;
      const v6 = t.decl.kind === 'addr' ? familyOf(t.decl.address) === 'inet6' : !tok.value.includes('.');
      const v = sem.value(tok, v6 ? uint(1, 128, 'a prefix length 1..128') : netmask4, st.keyword.value);
      if (v !== undefined) t.granularity = v;
    },
  },
  persistence_engine: single(text, (t, v) => (t.persistenceEngine = v), 'persistence_engine NAME'),
  quorum: single(uint(1, 4294967295), (t, v, st) => {
    t.quorum = v;
    t.quorumTok = st.keyword;
  }, 'quorum WEIGHT'),
  hysteresis: single(uint(0, 4294967295), (t, v) => (t.hysteresis = v), 'hysteresis WEIGHT'),
  quorum_up: scriptSpec((t, s) => (t.quorumUp = s), 'quorum_up SCRIPT [USER [GROUP]]'),
  quorum_down: scriptSpec((t, s) => (t.quorumDown = s), 'quorum_down SCRIPT [USER [GROUP]]'),
  alpha: flag((t) => (t.alpha = true)),
  omega: flag((t) => (t.omega = true)),
  ha_suspend: flag((t) => (t.haSuspend = true)),
  inhibit_on_failure: flag((t) => (t.inhibit = true)),
  weight: single(uint(1, 65535), (t, v) => (t.weight = v), 'weight 1..65535'),
  smtp_alert: optionalBool(bool, (t, v) => (t.smtpAlert = v), 'smtp_alert [BOOL]'),
  virtualhost: single(text, (t, v) => (t.virtualhost = v), 'virtualhost NAME'),
  sorry_server: {
    min: 1,
    max: 2,
    usage: 'sorry_server ADDRESS [PORT]',
    handle: (t, st, sem) => {
      const a = readServerAddress(st, sem);
      if (a) t.sorry = { source: refOf(st.keyword), ...a, inhibit: false };
    },
  },
  sorry_server_inhibit: flag((t) => {
    if (t.sorry) t.sorry.inhibit = true;
  }),
  sorry_server_lvs_method: {
    min: 1,
    usage: `sorry_server_lvs_method ${FWD_USAGE}`,
    handle: (t, st, sem) => {
      if (!t.sorry) sem.sink.warning('IGNORED_SETTING', st.keyword, 'sorry_server_lvs_method before (or without) sorry_server is ignored');
      else setFwd(t.sorry, readForwarding(st, sem));
    },
  },
  real_server: {
    block: 'required',
    min: 1,
    max: 2,
    usage: 'real_server ADDRESS [PORT] { … }',
    handle: (vs, st, sem) => {
      vs.realServersWritten++;
      const a = readServerAddress(st, sem);
      if (!a) return;
      const rs: RealServerDraft = { source: refOf(st.keyword), ...a, upperThreshold: 0, lowerThreshold: 0, checkers: [], skipped: [] };
      sem.run(sem.children(st), REAL_SERVER_TABLE, rs, {
        name: 'real_server',
        unsupported: RS_UNSUPPORTED,
        checkers: CHECKER_TYPES,
        onChecker: (c) => rs.skipped.push({ type: c.keyword.value, source: refOf(c.keyword) }),
      });
      vs.realServers.push(rs);
    },
  },
};

/** readVirtualServer parses a virtual_server statement and its block into a draft. */
export function readVirtualServer(st: Statement, sem: Sem): VirtualServerDraft | undefined {
  const [a, b] = st.args;
  if (!a) {
    sem.sink.error('MISSING_ARGUMENT', endOf(st.keyword), 'virtual_server needs an address, fwmark or group', 'virtual_server IP PORT | fwmark N | group NAME');
    return undefined;
  }
  let decl: VirtualServerDecl | undefined;
  if (a.value === 'fwmark' || a.value === 'group') {
    if (!b) {
      sem.sink.error('MISSING_ARGUMENT', endOf(a), `virtual_server ${a.value} needs a ${a.value === 'fwmark' ? 'mark' : 'group name'}`);
      return undefined;
    }
    if (a.value === 'group') decl = { kind: 'group', name: b.value };
    else {
      const mark = sem.value(b, uint(1, 4294967295, 'a firewall mark 1..4294967295'), 'virtual_server fwmark');
      if (mark !== undefined) decl = { kind: 'fwmark', fwmark: mark };
    }
  } else {
    const addr = readServerAddress(st, sem);
    if (addr) decl = { kind: 'addr', ...addr };
  }
  const extra = st.args[2];
  if (extra) sem.sink.warning('EXTRA_ARGUMENTS', extra, `virtual_server ignores '${st.args.slice(2).map((t) => t.value).join(' ')}'`);
  if (!decl) return undefined;
  const vs: VirtualServerDraft = {
    source: refOf(st.keyword),
    decl,
    declTok: a,
    flags: new Map(),
    omega: false,
    haSuspend: false,
    inhibit: false,
    realServers: [],
    realServersWritten: 0,
  };
  sem.run(sem.children(st), VIRTUAL_SERVER_TABLE, vs, { name: 'virtual_server', unsupported: VS_UNSUPPORTED });
  return vs;
}
