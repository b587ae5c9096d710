// Config layer (semantic): the global_defs keyword table and keepalived's global defaults.
import type { Location } from '../diagnostics.js';
import type { GlobalDefs, LvsSyncDaemon, LvsTimeouts, VrrpGlobals } from '../model.js';
import { flag, optionalBool, refOf, single, type KeywordTable } from './dispatch.js';
import { bool, ip, oneOf, port, text, timer, uint } from './values.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** GlobalDraft is global_defs as it is being read. */
export interface GlobalDraft extends Mutable<Omit<GlobalDefs, 'vrrp' | 'notificationEmail'>> {
  vrrp: Mutable<VrrpGlobals>;
  notificationEmail: string[];
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  vrrpMinGarp?: boolean;
  lowerPrioDelay?: number;
  lowerPrioRepeat?: number;
  syncDaemonAt?: Location;
}

/** VRRP_GLOBAL_DEFAULTS are keepalived's defaults for the global vrrp_* settings (keepalived.conf(5), global_data.c). */
export const VRRP_GLOBAL_DEFAULTS: VrrpGlobals = Object.freeze({
  version: 2,
  mcastGroup4: '224.0.0.18',
  mcastGroup6: 'ff02::12',
  garpMasterDelay: 5,
  garpMasterRepeat: 5,
  garpMasterRefresh: 0,
  garpMasterRefreshRepeat: 1,
  garpLowerPrioDelay: 5,
  garpLowerPrioRepeat: 5,
  garpInterval: 0,
  gnaInterval: 0,
  downTimerAdverts: 3,
  lowerPrioNoAdvert: false,
  higherPrioSendAdvert: false,
  strict: false,
  checkUnicastSrc: false,
  skipCheckAdvAddr: false,
  startupDelay: 0,
});

/** newGlobalDraft returns global_defs with nothing configured. */
export function newGlobalDraft(): GlobalDraft {
  return { enableScriptSecurity: false, lvsFlush: false, lvsFlushOnStop: 'none', notificationEmail: [], vrrp: { ...VRRP_GLOBAL_DEFAULTS } };
}

const MAX_TIMEOUT = 86400 * 31;

/** GLOBAL_TABLE are the global_defs keywords lvsd reads. */
export const GLOBAL_TABLE: KeywordTable<GlobalDraft> = {
  router_id: single(text, (g, v) => (g.routerId = v), 'router_id NAME'),
  script_user: {
    min: 1,
    max: 2,
    usage: 'script_user USER [GROUP]',
    handle: (g, st) => {
      const [u, grp] = st.args;
      if (u) g.scriptUser = grp ? { user: u.value, group: grp.value } : { user: u.value };
    },
  },
  enable_script_security: flag((g) => (g.enableScriptSecurity = true)),
  lvs_flush: flag((g) => (g.lvsFlush = true)),
  lvs_flush_on_stop: lvsFlushOnStop(),
  lvs_flush_onstop: lvsFlushOnStop(),
  lvs_timeouts: {
    min: 2,
    usage: 'lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]',
    handle: (g, st, sem) => {
      const secs = uint(0, MAX_TIMEOUT, `seconds 0..${MAX_TIMEOUT}`);
      const o = sem.options(st, 0, { tcp: secs, tcpfin: secs, udp: secs });
      const t: Mutable<LvsTimeouts> = { ...g.lvsTimeouts };
      if (o.has('tcp')) t.tcp = o.get('tcp')?.value as number;
      if (o.has('tcpfin')) t.tcpFin = o.get('tcpfin')?.value as number;
      if (o.has('udp')) t.udp = o.get('udp')?.value as number;
      g.lvsTimeouts = t;
    },
  },
  lvs_sync_daemon: {
    min: 1,
    usage: 'lvs_sync_daemon INTERFACE [[inst] VRRP_INSTANCE] [id 0..255] [maxlen N] [port N] [ttl N] [group IP]',
    handle: (g, st, sem) => {
      const [ifname, second] = st.args;
      if (!ifname) return;
      const d: Mutable<LvsSyncDaemon> = { interface: ifname.value };
      let from = 1;
      // keepalived's older form: lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID]
      const keys = ['inst', 'id', 'maxlen', 'port', 'ttl', 'group'];
      if (second && !keys.includes(second.value)) {
        d.instance = second.value;
        from = 2;
        const third = st.args[2];
        if (third && !keys.includes(third.value)) {
          const id = sem.value(third, uint(0, 255), 'lvs_sync_daemon sync id');
          if (id !== undefined) d.syncId = id;
          from = 3;
        }
      }
      const o = sem.options(st, from, { inst: text, id: uint(0, 255), maxlen: uint(1, 65535 - 28), port, ttl: uint(1, 255), group: ip });
      if (o.has('inst')) d.instance = o.get('inst')?.value as string;
      if (o.has('id')) d.syncId = o.get('id')?.value as number;
      if (o.has('maxlen')) d.maxLen = o.get('maxlen')?.value as number;
      if (o.has('port')) d.port = o.get('port')?.value as number;
      if (o.has('ttl')) d.ttl = o.get('ttl')?.value as number;
      if (o.has('group')) d.group = o.get('group')?.value as string;
      g.lvsSyncDaemon = d;
      g.syncDaemonAt = refOf(st.keyword);
    },
  },
  notification_email: {
    block: 'required',
    max: 0,
    usage: 'notification_email { ADDRESS … }',
    handle: (g, st, sem) => {
      for (const line of sem.children(st)) g.notificationEmail.push(...[line.keyword, ...line.args].map((t) => t.value));
    },
  },
  notification_email_from: single(text, (g, v) => (g.notificationEmailFrom = v), 'notification_email_from ADDRESS'),
  smtp_server: {
    min: 1,
    max: 2,
    usage: 'smtp_server HOST [PORT]',
    handle: (g, st, sem) => {
      const host = st.args[0]?.value;
      const p = st.args[1] ? sem.arg(st, 1, port) : 25;
      if (host && p !== undefined) g.smtpServer = { host, port: p };
    },
  },
  smtp_connect_timeout: single(timer(), (g, v) => (g.smtpConnectTimeout = v), 'smtp_connect_timeout SECONDS'),
  smtp_helo_name: single(text, (g, v) => (g.smtpHeloName = v), 'smtp_helo_name NAME'),
  smtp_alert: optionalBool(bool, (g, v) => (g.smtpAlert = v), 'smtp_alert [BOOL]'),
  smtp_alert_vrrp: optionalBool(bool, (g, v) => (g.smtpAlertVrrp = v), 'smtp_alert_vrrp [BOOL]'),
  smtp_alert_checker: optionalBool(bool, (g, v) => (g.smtpAlertChecker = v), 'smtp_alert_checker [BOOL]'),
  vrrp_version: single(uint(2, 3), (g, v) => (g.vrrp.version = v as 2 | 3), 'vrrp_version 2|3'),
  vrrp_mcast_group4: single(ip, (g, v) => (g.vrrp.mcastGroup4 = v), 'vrrp_mcast_group4 ADDRESS'),
  vrrp_mcast_group6: single(ip, (g, v) => (g.vrrp.mcastGroup6 = v), 'vrrp_mcast_group6 ADDRESS'),
  vrrp_garp_master_delay: single(uint(0, 4294), (g, v) => (g.vrrp.garpMasterDelay = v), 'vrrp_garp_master_delay SECONDS'),
  vrrp_garp_master_repeat: single(uint(1, 4294967295), (g, v) => (g.vrrp.garpMasterRepeat = v), 'vrrp_garp_master_repeat COUNT'),
  vrrp_garp_master_refresh: single(uint(0, 4294967295), (g, v) => (g.vrrp.garpMasterRefresh = v), 'vrrp_garp_master_refresh SECONDS'),
  vrrp_garp_master_refresh_repeat: single(uint(1, 4294967295), (g, v) => (g.vrrp.garpMasterRefreshRepeat = v), 'vrrp_garp_master_refresh_repeat COUNT'),
  vrrp_garp_lower_prio_delay: single(uint(0, 4294), (g, v) => (g.lowerPrioDelay = v), 'vrrp_garp_lower_prio_delay SECONDS'),
  vrrp_garp_lower_prio_repeat: single(uint(1, 4294967295), (g, v) => (g.lowerPrioRepeat = v), 'vrrp_garp_lower_prio_repeat COUNT'),
  vrrp_garp_interval: single(timer(0, 1), (g, v) => (g.vrrp.garpInterval = v), 'vrrp_garp_interval SECONDS'),
  vrrp_gna_interval: single(timer(0, 1), (g, v) => (g.vrrp.gnaInterval = v), 'vrrp_gna_interval SECONDS'),
  vrrp_min_garp: optionalBool(bool, (g, v) => (g.vrrpMinGarp = v), 'vrrp_min_garp [BOOL]'),
  vrrp_down_timer_adverts: single(uint(1, 100), (g, v) => (g.vrrp.downTimerAdverts = v), 'vrrp_down_timer_adverts 1..100'),
  vrrp_lower_prio_no_advert: optionalBool(bool, (g, v) => (g.vrrp.lowerPrioNoAdvert = v), 'vrrp_lower_prio_no_advert [BOOL]'),
  vrrp_higher_prio_send_advert: optionalBool(bool, (g, v) => (g.vrrp.higherPrioSendAdvert = v), 'vrrp_higher_prio_send_advert [BOOL]'),
  vrrp_strict: flag((g) => (g.vrrp.strict = true)),
  vrrp_check_unicast_src: flag((g) => (g.vrrp.checkUnicastSrc = true)),
  vrrp_skip_check_adv_addr: flag((g) => (g.vrrp.skipCheckAdvAddr = true)),
  vrrp_startup_delay: single(timer(0, 3600), (g, v) => (g.vrrp.startupDelay = v), 'vrrp_startup_delay SECONDS'),
};

function lvsFlushOnStop(): KeywordTable<GlobalDraft>[string] {
  return {
    max: 1,
    usage: 'lvs_flush_on_stop [VS]',
    handle: (g, st, sem) => {
      if (!st.args.length) g.lvsFlushOnStop = 'all';
      else if (sem.arg(st, 0, oneOf(['VS'])) !== undefined) g.lvsFlushOnStop = 'vs';
    },
  };
}

/** finishGlobal applies settings that depend on others (vrrp_min_garp, lower-priority garp defaults) and returns GlobalDefs. */
export function finishGlobal(g: GlobalDraft): GlobalDefs {
  const vrrp = { ...g.vrrp };
  if (g.vrrpMinGarp) {
    vrrp.garpMasterRepeat = 1;
    vrrp.garpMasterDelay = 0;
  }
  vrrp.garpLowerPrioDelay = g.lowerPrioDelay ?? vrrp.garpMasterDelay;
  vrrp.garpLowerPrioRepeat = g.lowerPrioRepeat ?? vrrp.garpMasterRepeat;
  const { smtpAlert: _a, smtpAlertVrrp: _b, smtpAlertChecker: _c, vrrpMinGarp: _d, lowerPrioDelay: _e, lowerPrioRepeat: _f, syncDaemonAt: _g, ...rest } = g;
  return { ...rest, vrrp };
}
