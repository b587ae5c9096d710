// Config layer (semantic): VRRP drafts to model — defaults from keepalived and globals, references and consistency.
import type { Family } from '../../ipvs/types.js';
import type { DiagnosticSink, Location } from '../diagnostics.js';
import type { GlobalDefs, LvsSyncDaemon, Tracked, VrrpConfig, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../model.js';
import type { InstanceDraft, ScriptDraft, SyncGroupDraft } from './vrrp.js';
import type { TrackDraft } from './vrrp-lines.js';

/** VRRP_DEFAULTS are keepalived's defaults for vrrp_script and vrrp_instance (vrrp.h, vrrp_track.h). */
export const VRRP_DEFAULTS = Object.freeze({
  scriptInterval: 1,
  scriptWeight: 0,
  scriptRise: 1,
  scriptFall: 1,
  priority: 100,
  advertInt: 1,
  preemptDelay: 0,
  authPassMax: 8,
});

/** VrrpAlerts are the global smtp_alert settings VRRP instances default to. */
export interface VrrpAlerts {
  readonly smtpAlert?: boolean | undefined;
  readonly smtpAlertVrrp?: boolean | undefined;
}

/** resolveVrrp turns VRRP drafts into the model; it also returns the lvs_sync_daemon implied by a deprecated instance keyword. */
export function resolveVrrp(
  scripts: readonly ScriptDraft[],
  instances: readonly InstanceDraft[],
  groups: readonly SyncGroupDraft[],
  global: GlobalDefs,
  alerts: VrrpAlerts,
  syncDaemonAt: Location | undefined,
  sink: DiagnosticSink,
): { vrrp: VrrpConfig; syncDaemon?: LvsSyncDaemon } {
  const outScripts: VrrpScript[] = [];
  for (const s of scripts) {
    const name = s.nameTok.value;
    if (outScripts.some((o) => o.name === name)) {
      sink.error('DUPLICATE', s.nameTok, `vrrp_script ${name} is defined twice`);
      continue;
    }
    if (!s.script) {
      sink.error('MISSING_REQUIRED', s.source, `vrrp_script ${name} has no script`, 'add: script "/path/to/check"');
      continue;
    }
    const interval = s.interval ?? VRRP_DEFAULTS.scriptInterval;
    outScripts.push({
      name,
      source: s.source,
      script: s.user ? { ...s.script, user: s.user.user, ...(s.user.group ? { group: s.user.group } : {}) } : s.script,
      interval,
      timeout: s.timeout ?? interval,
      weight: s.weight ?? VRRP_DEFAULTS.scriptWeight,
      weightReverse: s.weightReverse,
      rise: s.rise ?? VRRP_DEFAULTS.scriptRise,
      fall: s.fall ?? VRRP_DEFAULTS.scriptFall,
      initFail: s.initFail,
    });
  }

  const track = (owner: string, list: readonly TrackDraft[]): Tracked[] => {
    const out: Tracked[] = [];
    for (const t of list) {
      const script = outScripts.find((s) => s.name === t.name);
      if (!script) sink.warning('UNDEFINED_REFERENCE', t.tok, `${owner} tracks vrrp_script '${t.name}', which is not defined; ignored`);
      else if (out.some((o) => o.name === t.name)) sink.warning('DUPLICATE', t.tok, `${owner} tracks '${t.name}' twice; ignored`);
      else out.push({ name: t.name, weight: t.weight ?? script.weight, reverse: t.reverse ?? script.weightReverse });
    }
    return out;
  };

  const outInstances: VrrpInstance[] = [];
  let syncDaemon: LvsSyncDaemon | undefined;
  for (const d of instances) {
    const name = d.nameTok.value;
    if (outInstances.some((o) => o.name === name)) {
      sink.error('DUPLICATE', d.nameTok, `vrrp_instance ${name} is defined twice`);
      continue;
    }
    const inst = resolveInstance(d, global, alerts, track(`vrrp_instance ${name}`, d.trackScripts), sink);
    if (!inst) continue;
    const clash = outInstances.find((o) => o.virtualRouterId === inst.virtualRouterId && o.interface === inst.interface && o.family === inst.family && !o.unicastPeers.length && !inst.unicastPeers.length);
    if (clash) {
      sink.error('DUPLICATE', d.source, `vrrp_instance ${name} uses virtual_router_id ${inst.virtualRouterId} on ${inst.interface ?? '?'} like ${clash.name}`, 'each instance on a link needs its own virtual_router_id');
      continue;
    }
    if (d.lvsSyncInterface) {
      sink.warning('DEPRECATED_KEYWORD', d.lvsSyncInterface, 'lvs_sync_daemon_interface in vrrp_instance is deprecated', 'use global_defs { lvs_sync_daemon IF inst NAME }');
      if (!global.lvsSyncDaemon && !syncDaemon) syncDaemon = { interface: d.lvsSyncInterface.value, instance: name };
    }
    outInstances.push(inst);
  }

  const member = new Map<string, string>();
  const outGroups: VrrpSyncGroup[] = [];
  for (const g of groups) {
    const name = g.nameTok.value;
    const names: string[] = [];
    for (const t of g.instances) {
      const owner = member.get(t.value);
      if (!outInstances.some((i) => i.name === t.value)) sink.warning('UNDEFINED_REFERENCE', t, `vrrp_sync_group ${name} lists '${t.value}', which is not a vrrp_instance; ignored`);
      else if (owner) sink.warning('DUPLICATE', t, `vrrp_instance ${t.value} is already in vrrp_sync_group ${owner}; ignored`);
      else {
        names.push(t.value);
        member.set(t.value, name);
      }
    }
    if (names.length < 2) sink.warning('MISSING_REQUIRED', g.source, `vrrp_sync_group ${name} has ${names.length} instance${names.length === 1 ? '' : 's'}`, 'a sync group normally lists two or more instances');
    outGroups.push({
      name,
      source: g.source,
      instances: names,
      trackScripts: track(`vrrp_sync_group ${name}`, g.trackScripts),
      trackInterfaces: g.trackInterfaces,
      notify: g.notify,
      smtpAlert: g.smtpAlert ?? alerts.smtpAlertVrrp ?? alerts.smtpAlert ?? false,
      trackingWeight: g.trackingWeight,
    });
  }

  const lsd = global.lvsSyncDaemon;
  if (lsd?.instance && syncDaemonAt && !outInstances.some((i) => i.name === lsd.instance)) {
    sink.warning('UNDEFINED_REFERENCE', syncDaemonAt, `lvs_sync_daemon refers to vrrp_instance '${lsd.instance}', which is not defined`);
  }
  return { vrrp: { scripts: outScripts, instances: outInstances, syncGroups: outGroups }, ...(syncDaemon ? { syncDaemon } : {}) };
}

function resolveInstance(d: InstanceDraft, global: GlobalDefs, alerts: VrrpAlerts, trackScripts: Tracked[], sink: DiagnosticSink): VrrpInstance | undefined {
  const name = d.nameTok.value;
  const where = `vrrp_instance ${name}`;
  if (d.vrid === undefined) {
    if (d.written.has('virtual_router_id')) return undefined;
    sink.error('MISSING_REQUIRED', d.nameTok, `${where} has no virtual_router_id`, 'add: virtual_router_id 1..255');
    return undefined;
  }
  if (!d.interface && !d.peers.length) {
    if (d.written.has('interface') || d.written.has('unicast_peer')) return undefined;
    sink.error('MISSING_REQUIRED', d.nameTok, `${where} has no interface`, 'add: interface IFNAME (only unicast instances may omit it)');
    return undefined;
  }
  if (d.interface === 'lo') {
    sink.error('INVALID_VALUE', d.interfaceTok ?? d.source, `${where} cannot run VRRP on the loopback interface`, 'use the interface facing the peer');
    return undefined;
  }
  const vipFamilies = new Set(d.vips.map((v) => v.family));
  if (vipFamilies.size > 1) {
    sink.error('FAMILY_MISMATCH', d.vips[0]?.source ?? d.source, `${where} mixes IPv4 and IPv6 in virtual_ipaddress`, 'put the other family in virtual_ipaddress_excluded');
    return undefined;
  }
  const family: Family = d.vips[0]?.family ?? (d.unicastSrcIp?.includes(':') || d.peers[0]?.family === 'inet6' ? 'inet6' : 'inet');
  const wrong = [d.unicastSrcIp, d.mcastSrcIp, ...d.peers.map((p) => p.address)].find((a) => a !== undefined && (a.includes(':') ? 'inet6' : 'inet') !== family);
  if (wrong) {
    sink.error('FAMILY_MISMATCH', d.source, `${where}: address ${wrong} is not ${family} like the instance`);
    return undefined;
  }
  if (d.version === 2 && family === 'inet6') {
    sink.error('INVALID_VALUE', d.versionTok ?? d.source, `${where}: VRRP version 2 cannot carry IPv6`, 'use version 3');
    return undefined;
  }
  const priority = d.priority ?? VRRP_DEFAULTS.priority;
  const state = d.state ?? (priority === 255 ? 'MASTER' : 'BACKUP');
  const strictMode = d.strictMode ?? global.vrrp.strict;
  const { preempt, preemptDelay } = resolvePreempt(d, where, priority, state, strictMode, sink);
  let authentication: VrrpInstance['authentication'];
  if (d.auth) {
    const { type, pass, tok } = d.auth;
    if (!type || pass === undefined) {
      sink.warning('IGNORED_SETTING', tok, `${where}: authentication needs both auth_type and auth_pass; it is ignored, as keepalived does`, 'write auth_type and auth_pass on separate lines');
    } else {
      if (pass.length > VRRP_DEFAULTS.authPassMax) sink.warning('IGNORED_SETTING', tok, `${where}: auth_pass is longer than 8 characters; only the first 8 are used`);
      authentication = { type, password: pass.slice(0, VRRP_DEFAULTS.authPassMax) };
    }
  }
  const dev = (v: (typeof d.vips)[number]) => (v.dev === undefined && d.interface ? { ...v, dev: d.interface } : v);
  const g = global.vrrp;
  return {
    name,
    source: d.source,
    state,
    ...(d.interface ? { interface: d.interface } : {}),
    family,
    virtualRouterId: d.vrid,
    priority,
    advertInt: d.advertInt ?? VRRP_DEFAULTS.advertInt,
    version: d.version ?? (family === 'inet6' ? 3 : g.version),
    preempt,
    preemptDelay,
    ...(authentication ? { authentication } : {}),
    virtualIpAddresses: d.vips.map(dev),
    virtualIpAddressesExcluded: d.evips.map(dev),
    ...(d.mcastSrcIp ? { mcastSrcIp: d.mcastSrcIp } : {}),
    ...(d.unicastSrcIp ? { unicastSrcIp: d.unicastSrcIp } : {}),
    ...(d.mcastDstIp ? { mcastDstIp: d.mcastDstIp } : {}),
    unicastPeers: d.peers,
    ...(d.unicastTtl !== undefined ? { unicastTtl: d.unicastTtl } : {}),
    trackScripts,
    trackInterfaces: d.trackInterfaces,
    dontTrackPrimary: d.dontTrackPrimary,
    notify: d.notify,
    garp: {
      masterDelay: d.garp.masterDelay ?? g.garpMasterDelay,
      masterRepeat: d.garp.masterRepeat ?? g.garpMasterRepeat,
      masterRefresh: d.garp.masterRefresh ?? g.garpMasterRefresh,
      masterRefreshRepeat: d.garp.masterRefreshRepeat ?? g.garpMasterRefreshRepeat,
      lowerPrioDelay: d.garp.lowerPrioDelay ?? d.garp.masterDelay ?? g.garpLowerPrioDelay,
      lowerPrioRepeat: d.garp.lowerPrioRepeat ?? d.garp.masterRepeat ?? g.garpLowerPrioRepeat,
    },
    smtpAlert: d.smtpAlert ?? alerts.smtpAlertVrrp ?? alerts.smtpAlert ?? false,
    ...(d.accept !== undefined ? { accept: d.accept } : {}),
    strictMode,
    skipCheckAdvAddr: d.skipCheckAdvAddr ?? g.skipCheckAdvAddr,
    checkUnicastSrc: d.checkUnicastSrc || g.checkUnicastSrc || d.peers.some((p) => p.minTtl > 0 || p.maxTtl < 255),
    promoteSecondaries: d.promoteSecondaries,
    downTimerAdverts: d.downTimerAdverts ?? g.downTimerAdverts,
    lowerPrioNoAdvert: d.lowerPrioNoAdvert ?? (g.lowerPrioNoAdvert || strictMode),
    higherPrioSendAdvert: d.higherPrioSendAdvert ?? g.higherPrioSendAdvert,
  };
}

/** resolvePreempt applies keepalived's rules: nopreempt and preempt_delay are cleared for an initial MASTER, nopreempt for
 * priority 255, and preempt_delay under nopreempt or strict mode. */
function resolvePreempt(d: InstanceDraft, where: string, priority: number, state: 'MASTER' | 'BACKUP', strict: boolean, sink: DiagnosticSink): { preempt: boolean; preemptDelay: number } {
  let preempt = d.preempt;
  let preemptDelay = d.preemptDelay ?? VRRP_DEFAULTS.preemptDelay;
  const at = d.preemptTok ?? d.source;
  if (!preempt && priority === 255) {
    sink.warning('IGNORED_SETTING', at, `${where}: nopreempt does not apply to priority 255 (address owner); ignored`);
    preempt = true;
  }
  if (!preempt && state === 'MASTER') {
    sink.warning('IGNORED_SETTING', at, `${where}: nopreempt does not work with initial state MASTER; ignored, as keepalived does`, 'use state BACKUP on both nodes');
    preempt = true;
  }
  if (preemptDelay && (state === 'MASTER' || !preempt || strict)) {
    const why = state === 'MASTER' ? 'initial state MASTER' : !preempt ? 'nopreempt' : 'strict mode';
    sink.warning('IGNORED_SETTING', d.preemptDelayTok ?? d.source, `${where}: preempt_delay does not work with ${why}; ignored, as keepalived does`);
    preemptDelay = 0;
  }
  return { preempt, preemptDelay };
}
