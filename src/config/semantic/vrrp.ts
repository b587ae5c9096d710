// Config layer (semantic): vrrp_script, vrrp_instance and vrrp_sync_group keyword tables into drafts.
import type { Token } from '../lexer.js';
import type { GarpSettings, Notify, Script, SourceRef, Tracked, UnicastPeer, VirtualIp } from '../model.js';
import type { Statement } from '../parser.js';
import { endOf, flag, optionalBool, refOf, single, type KeywordSpec, type KeywordTable, type Sem } from './dispatch.js';
import { INSTANCE_UNSUPPORTED, SCRIPT_UNSUPPORTED, SYNC_GROUP_UNSUPPORTED } from './known.js';
import { bool, int, ip, oneOf, text, timer, uint } from './values.js';
import { parseAddress } from '../../util/addr.js';
import { eachLine, readPeer, readTrack, readVip, trackedInterface, type TrackDraft } from './vrrp-lines.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** ScriptDraft is a vrrp_script as written. */
export interface ScriptDraft {
  readonly source: SourceRef;
  readonly nameTok: Token;
  script?: Script;
  user?: { user: string; group?: string };
  interval?: number;
  timeout?: number;
  weight?: number;
  weightReverse: boolean;
  rise?: number;
  fall?: number;
  initFail: boolean;
}

/** InstanceDraft is a vrrp_instance as written. */
export interface InstanceDraft {
  readonly source: SourceRef;
  readonly nameTok: Token;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  interfaceTok?: Token;
  vrid?: number;
  priority?: number;
  advertInt?: number;
  version?: 2 | 3;
  versionTok?: Token;
  preempt: boolean;
  preemptTok?: Token;
  preemptDelay?: number;
  preemptDelayTok?: Token;
  auth?: { type?: 'PASS' | 'AH'; pass?: string; tok: Token };
  vips: VirtualIp[];
  evips: VirtualIp[];
  mcastSrcIp?: string;
  unicastSrcIp?: string;
  mcastDstIp?: string;
  peers: UnicastPeer[];
  unicastTtl?: number;
  trackScripts: TrackDraft[];
  trackInterfaces: Tracked[];
  dontTrackPrimary: boolean;
  notify: Mutable<Notify>;
  garp: Partial<Mutable<GarpSettings>>;
  smtpAlert?: boolean;
  accept?: boolean;
  strictMode?: boolean;
  skipCheckAdvAddr?: boolean;
  checkUnicastSrc: boolean;
  promoteSecondaries: boolean;
  downTimerAdverts?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  lvsSyncInterface?: Token;
  /** keywords written in the block, valid or not (so a bad value is not also reported as missing) */
  written: ReadonlySet<string>;
}

/** SyncGroupDraft is a vrrp_sync_group as written. */
export interface SyncGroupDraft {
  readonly source: SourceRef;
  readonly nameTok: Token;
  instances: Token[];
  trackScripts: TrackDraft[];
  trackInterfaces: Tracked[];
  notify: Mutable<Notify>;
  smtpAlert?: boolean;
  trackingWeight: boolean;
}

const SCRIPT_USAGE = 'SCRIPT [USER [GROUP]]';

function notifySpec<T extends { notify: Mutable<Notify> }>(key: keyof Notify, kw: string): KeywordSpec<T> {
  return {
    min: 1,
    usage: `${kw} ${SCRIPT_USAGE}`,
    handle: (t, st, sem) => {
      if (t.notify[key]) {
        sem.sink.warning('DUPLICATE', st.keyword, `${kw} is already set; this one is ignored`);
        return;
      }
      const s = sem.script(st);
      if (s) t.notify[key] = s;
    },
  };
}

function trackBlock<T>(what: string, add: (t: T, d: TrackDraft) => void): KeywordSpec<T> {
  return {
    block: 'required',
    max: 0,
    usage: `${what} { NAME [weight W [reverse]] … }`,
    handle: (t, st, sem) => eachLine(st, sem, (w) => readTrack(w, sem, what)).forEach((d) => add(t, d)),
  };
}

/** VRRP_SCRIPT_TABLE are the keywords of a vrrp_script block. */
export const VRRP_SCRIPT_TABLE: KeywordTable<ScriptDraft> = {
  script: {
    min: 1,
    usage: 'script "COMMAND ARGS"',
    handle: (d, st, sem) => {
      const s = sem.script(st, 0);
      if (s) d.script = s;
    },
  },
  interval: single(timer(0.001, 4294), (d, v) => (d.interval = v), 'interval SECONDS'),
  timeout: single(timer(0.001, 4294), (d, v) => (d.timeout = v), 'timeout SECONDS'),
  weight: {
    min: 1,
    max: 2,
    usage: 'weight -253..253 [reverse]',
    handle: (d, st, sem) => {
      const w = sem.arg(st, 0, int(-253, 253));
      if (w !== undefined) d.weight = w;
      if (st.args[1] && sem.arg(st, 1, oneOf(['reverse'])) !== undefined) d.weightReverse = true;
    },
  },
  rise: single(uint(1, 2147483647), (d, v) => (d.rise = v), 'rise COUNT'),
  fall: single(uint(1, 2147483647), (d, v) => (d.fall = v), 'fall COUNT'),
  user: {
    min: 1,
    max: 2,
    usage: 'user USER [GROUP]',
    handle: (d, st) => {
      const [u, g] = st.args;
      if (u) d.user = g ? { user: u.value, group: g.value } : { user: u.value };
    },
  },
  init_fail: flag((d) => (d.initFail = true)),
};

const AUTH_TABLE: KeywordTable<{ type?: 'PASS' | 'AH'; pass?: string }> = {
  auth_type: single(oneOf(['PASS', 'AH']), (a, v) => (a.type = v), 'auth_type PASS|AH'),
  auth_pass: single(text, (a, v) => (a.pass = v), 'auth_pass PASSWORD'),
};

const garp = (key: keyof GarpSettings, kw: string, min: number): KeywordSpec<InstanceDraft> =>
  single(uint(min, 4294967295), (d, v) => (d.garp[key] = v), `${kw} ${min === 0 ? 'SECONDS' : 'COUNT'}`);

const version: KeywordSpec<InstanceDraft> = single(uint(2, 3), (d, v, st) => {
  d.version = v as 2 | 3;
  d.versionTok = st.keyword;
}, 'version 2|3');

/** VRRP_INSTANCE_TABLE are the keywords of a vrrp_instance block. */
export const VRRP_INSTANCE_TABLE: KeywordTable<InstanceDraft> = {
  state: single(oneOf(['MASTER', 'BACKUP']), (d, v) => (d.state = v), 'state MASTER|BACKUP'),
  interface: single(text, (d, v, st) => {
    d.interface = v;
    d.interfaceTok = st.args[0];
  }, 'interface IFNAME'),
  virtual_router_id: single(uint(1, 255), (d, v) => (d.vrid = v), 'virtual_router_id 1..255'),
  priority: single(uint(1, 255), (d, v) => (d.priority = v), 'priority 1..255'),
  advert_int: single(timer(0.01, 255, 'a time in seconds 0.01..255'), (d, v) => (d.advertInt = v), 'advert_int SECONDS'),
  version,
  vrrp_version: version,
  nopreempt: {
    max: 0,
    handle: (d, st) => {
      d.preempt = false;
      d.preemptTok = st.keyword;
    },
  },
  preempt: flag((d) => (d.preempt = true)),
  preempt_delay: single(timer(0, 1000), (d, v, st) => {
    d.preemptDelay = v;
    d.preemptDelayTok = st.keyword;
  }, 'preempt_delay 0..1000'),
  authentication: {
    block: 'required',
    max: 0,
    usage: 'authentication { auth_type PASS|AH  auth_pass PASSWORD }',
    handle: (d, st, sem) => {
      const a: { type?: 'PASS' | 'AH'; pass?: string } = {};
      sem.run(sem.children(st), AUTH_TABLE, a, { name: 'authentication' });
      d.auth = { ...a, tok: st.keyword };
    },
  },
  virtual_ipaddress: {
    block: 'required',
    max: 0,
    usage: 'virtual_ipaddress { IP[/PREFIX] [dev IF] … }',
    handle: (d, st, sem) => d.vips.push(...eachLine(st, sem, (w) => readVip(w, sem))),
  },
  virtual_ipaddress_excluded: {
    block: 'required',
    max: 0,
    usage: 'virtual_ipaddress_excluded { IP[/PREFIX] [dev IF] … }',
    handle: (d, st, sem) => d.evips.push(...eachLine(st, sem, (w) => readVip(w, sem))),
  },
  mcast_src_ip: single(ip, (d, v) => (d.mcastSrcIp = v), 'mcast_src_ip ADDRESS'),
  unicast_src_ip: single(ip, (d, v) => (d.unicastSrcIp = v), 'unicast_src_ip ADDRESS'),
  mcast_dst_ip: single(ip, (d, v) => (d.mcastDstIp = v), 'mcast_dst_ip ADDRESS'),
  unicast_peer: {
    block: 'required',
    max: 0,
    usage: 'unicast_peer { IP … }',
    handle: (d, st, sem) => d.peers.push(...eachLine(st, sem, (w) => readPeer(w, sem))),
  },
  unicast_ttl: single(uint(0, 255), (d, v) => (d.unicastTtl = v), 'unicast_ttl 0..255'),
  track_script: trackBlock('track_script', (d: InstanceDraft, t) => d.trackScripts.push(t)),
  track_interface: trackBlock('track_interface', (d: InstanceDraft, t) => d.trackInterfaces.push(trackedInterface(t))),
  dont_track_primary: flag((d) => (d.dontTrackPrimary = true)),
  notify_master: notifySpec('master', 'notify_master'),
  notify_backup: notifySpec('backup', 'notify_backup'),
  notify_fault: notifySpec('fault', 'notify_fault'),
  notify_stop: notifySpec('stop', 'notify_stop'),
  notify: notifySpec('any', 'notify'),
  smtp_alert: optionalBool(bool, (d, v) => (d.smtpAlert = v), 'smtp_alert [BOOL]'),
  garp_master_delay: garp('masterDelay', 'garp_master_delay', 0),
  garp_master_repeat: garp('masterRepeat', 'garp_master_repeat', 1),
  garp_master_refresh: garp('masterRefresh', 'garp_master_refresh', 0),
  garp_master_refresh_repeat: garp('masterRefreshRepeat', 'garp_master_refresh_repeat', 1),
  garp_lower_prio_delay: garp('lowerPrioDelay', 'garp_lower_prio_delay', 0),
  garp_lower_prio_repeat: garp('lowerPrioRepeat', 'garp_lower_prio_repeat', 1),
  accept: flag((d) => (d.accept = true)),
  no_accept: flag((d) => (d.accept = false)),
  strict_mode: optionalBool(bool, (d, v) => (d.strictMode = v), 'strict_mode [BOOL]'),
  skip_check_adv_addr: optionalBool(bool, (d, v) => (d.skipCheckAdvAddr = v), 'skip_check_adv_addr [BOOL]'),
  check_unicast_src: flag((d) => (d.checkUnicastSrc = true)),
  promote_secondaries: flag((d) => (d.promoteSecondaries = true)),
  down_timer_adverts: single(uint(1, 100), (d, v) => (d.downTimerAdverts = v), 'down_timer_adverts 1..100'),
  lower_prio_no_advert: optionalBool(bool, (d, v) => (d.lowerPrioNoAdvert = v), 'lower_prio_no_advert [BOOL]'),
  higher_prio_send_advert: optionalBool(bool, (d, v) => (d.higherPrioSendAdvert = v), 'higher_prio_send_advert [BOOL]'),
  native_ipv6: flag(() => undefined),
  lvs_sync_daemon_interface: single(text, (d, _v, st) => (d.lvsSyncInterface = st.args[0] ?? st.keyword), 'lvs_sync_daemon_interface IFNAME'),
};

/** VRRP_SYNC_GROUP_TABLE are the keywords of a vrrp_sync_group block. */
export const VRRP_SYNC_GROUP_TABLE: KeywordTable<SyncGroupDraft> = {
  group: {
    block: 'required',
    max: 0,
    usage: 'group { VRRP_INSTANCE … }',
    handle: (g, st, sem) => g.instances.push(...eachLine(st, sem, (w) => w).flat()),
  },
  track_script: trackBlock('track_script', (g: SyncGroupDraft, t) => g.trackScripts.push(t)),
  track_interface: trackBlock('track_interface', (g: SyncGroupDraft, t) => g.trackInterfaces.push(trackedInterface(t))),
  notify_master: notifySpec('master', 'notify_master'),
  notify_backup: notifySpec('backup', 'notify_backup'),
  notify_fault: notifySpec('fault', 'notify_fault'),
  notify_stop: notifySpec('stop', 'notify_stop'),
  notify: notifySpec('any', 'notify'),
  smtp_alert: optionalBool(bool, (g, v) => (g.smtpAlert = v), 'smtp_alert [BOOL]'),
  sync_group_tracking_weight: flag((g) => (g.trackingWeight = true)),
  global_tracking: flag((g) => (g.trackingWeight = true)),
};

function named(st: Statement, sem: Sem, what: string): Token | undefined {
  const name = st.args[0];
  if (!name) sem.sink.error('MISSING_ARGUMENT', endOf(st.keyword), `${what} needs a name`, `${what} NAME { … }`);
  else if (st.args[1]) sem.sink.warning('EXTRA_ARGUMENTS', st.args[1], `${what} ignores words after its name`);
  return name;
}

/** readScript parses a vrrp_script block. */
export function readScript(st: Statement, sem: Sem): ScriptDraft | undefined {
  const nameTok = named(st, sem, 'vrrp_script');
  if (!nameTok) return undefined;
  const d: ScriptDraft = { source: refOf(st.keyword), nameTok, weightReverse: false, initFail: false };
  sem.run(sem.children(st), VRRP_SCRIPT_TABLE, d, { name: `vrrp_script ${nameTok.value}`, unsupported: SCRIPT_UNSUPPORTED });
  return d;
}

/** readInstance parses a vrrp_instance block. */
export function readInstance(st: Statement, sem: Sem): InstanceDraft | undefined {
  const nameTok = named(st, sem, 'vrrp_instance');
  if (!nameTok) return undefined;
  const d: InstanceDraft = {
    source: refOf(st.keyword),
    nameTok,
    preempt: true,
    vips: [],
    evips: [],
    peers: [],
    trackScripts: [],
    trackInterfaces: [],
    dontTrackPrimary: false,
    notify: {},
    garp: {},
    checkUnicastSrc: false,
    promoteSecondaries: false,
    written: new Set(sem.children(st).map((c) => c.keyword.value)),
  };
  sem.run(sem.children(st), VRRP_INSTANCE_TABLE, d, { name: `vrrp_instance ${nameTok.value}`, unsupported: INSTANCE_UNSUPPORTED });
  warnFirstVipNotLinkLocal(d, sem);
  return d;
}

/**
 * warnFirstVipNotLinkLocal: RFC 5798 §5.2.9 wants an IPv6 instance's first address link-local; keepalived logs "the
 * first IPv6 VIP address should be link local" for a multicast instance (an error only with vrrp_strict) and runs on.
 */
function warnFirstVipNotLinkLocal(d: InstanceDraft, sem: Sem): void {
  const first = d.vips[0];
  const p = first ? parseAddress(first.address) : undefined;
  if (!first || p?.family !== 'inet6' || d.peers.length > 0) return;
  if (p.bytes[0] === 0xfe && ((p.bytes[1] ?? 0) & 0xc0) === 0x80) return;
  sem.sink.warning(
    'INVALID_ADDRESS',
    first.source,
    `vrrp_instance ${d.nameTok.value}: the first IPv6 virtual address ${first.address} is not link-local (RFC 5798 §5.2.9); keepalived notes the same and runs on`,
    'list a link-local address (fe80::/10) first in virtual_ipaddress, e.g. fe80::VRID/64',
  );
}

/** readSyncGroup parses a vrrp_sync_group block. */
export function readSyncGroup(st: Statement, sem: Sem): SyncGroupDraft | undefined {
  const nameTok = named(st, sem, 'vrrp_sync_group');
  if (!nameTok) return undefined;
  const d: SyncGroupDraft = { source: refOf(st.keyword), nameTok, instances: [], trackScripts: [], trackInterfaces: [], notify: {}, trackingWeight: false };
  sem.run(sem.children(st), VRRP_SYNC_GROUP_TABLE, d, { name: `vrrp_sync_group ${nameTok.value}`, unsupported: SYNC_GROUP_UNSUPPORTED });
  return d;
}
